package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// BlindIndex maps a value to a keyed digest, so a store can find or enforce
// uniqueness of, say, a mobile number while holding only its ciphertext. It
// is keyed (not a bare hash) because the space of mobile numbers is small
// enough to hash exhaustively. Safe for concurrent use.
type BlindIndex struct {
	key []byte
}

// NewBlindIndex returns a BlindIndex with a key of at least 32 bytes.
func NewBlindIndex(key []byte) (*BlindIndex, error) {
	if len(key) < KeyBytes {
		return nil, fmt.Errorf("pii: blind index key must hold at least %d bytes, got %d", KeyBytes, len(key))
	}
	return &BlindIndex{key: append([]byte(nil), key...)}, nil
}

// Of returns the lowercase hex HMAC-SHA256 of value. Callers normalise the
// value first (e.g. one canonical mobile format); Of compares bytes.
func (b *BlindIndex) Of(value string) string {
	mac := hmac.New(sha256.New, b.key)
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))
}
