// Package pii protects members' personal data: it encrypts values at rest,
// bound to the record they belong to, makes keyed blind indexes so a value
// can be looked up or kept unique without storing it in the clear, and masks
// mobile numbers for display.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeyBytes is the key length of Cipher (AES-256) and the minimum of BlindIndex.
const KeyBytes = 32

// version1 prefixes every ciphertext so the format or key can change later
// while old values stay readable.
const version1 = "v1."

// nonceBytes is the GCM standard nonce size. With random nonces one key is
// safe for about 2^32 encryptions, far more than the member records we keep.
const nonceBytes = 12

// ErrDecrypt is the only error Decrypt returns for bad input: a wrong aad, a
// wrong key, a tampered, truncated or unknown-version value all look the same,
// so the error cannot be used as an oracle.
var ErrDecrypt = errors.New("pii: cannot decrypt value")

// ErrNoAAD is returned when no record id is given: a ciphertext not bound to
// its record could be copied into another member's record and still decrypt.
var ErrNoAAD = errors.New("pii: associated data (the record id) is required")

// Cipher encrypts personal data with AES-256-GCM; safe for concurrent use.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher returns a Cipher for a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeyBytes {
		return nil, fmt.Errorf("pii: cipher key must be %d bytes, got %d", KeyBytes, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// Encrypt returns "v1." + base64url(nonce|ciphertext) of plaintext. aad (the
// member id) is authenticated but not stored: Decrypt needs the same aad.
func (c *Cipher) Encrypt(plaintext, aad string) (string, error) {
	if aad == "" {
		return "", ErrNoAAD
	}
	nonce := make([]byte, nonceBytes, nonceBytes+len(plaintext)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("pii: read nonce: %w", err)
	}
	sealed := c.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return version1 + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Decrypt reverses Encrypt for the same key and aad. Every failure is
// ErrDecrypt (or ErrNoAAD for an empty aad).
func (c *Cipher) Decrypt(ciphertext, aad string) (string, error) {
	if aad == "" {
		return "", ErrNoAAD
	}
	body, ok := strings.CutPrefix(ciphertext, version1)
	if !ok {
		return "", ErrDecrypt
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil || len(sealed) < nonceBytes+c.aead.Overhead() {
		return "", ErrDecrypt
	}
	plain, err := c.aead.Open(nil, sealed[:nonceBytes], sealed[nonceBytes:], []byte(aad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}
