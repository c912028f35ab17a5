package pii

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const memberID = "01HZX3J5Q8K2M4N6P8R0S2T4V6"

func testKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, KeyBytes) }

func newTestCipher(t *testing.T, fill byte) *Cipher {
	t.Helper()
	c, err := NewCipher(testKey(fill))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewCipher_RejectsKeysThatAreNot32Bytes(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := NewCipher(make([]byte, n)); err == nil {
			t.Errorf("NewCipher accepted a %d-byte key", n)
		}
	}
}

func TestCipher_RoundTripsPlaintext(t *testing.T) {
	c := newTestCipher(t, 1)
	tests := []struct {
		name  string
		plain string
	}{
		{"mobile number", "13812345678"},
		{"empty value", ""},
		{"unicode name", "张伟 Zhāng Wěi"},
		{"long text", strings.Repeat("address line ", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := c.Encrypt(tt.plain, memberID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(enc, "v1.") {
				t.Fatalf("ciphertext %q has no v1. prefix", enc)
			}
			if tt.plain != "" && strings.Contains(enc, tt.plain) {
				t.Fatal("ciphertext contains the plaintext")
			}
			got, err := c.Decrypt(enc, memberID)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.plain {
				t.Fatalf("got %q, want %q", got, tt.plain)
			}
		})
	}
}

func TestCipher_UsesAFreshNonceEachTime(t *testing.T) {
	c := newTestCipher(t, 1)
	seen := map[string]bool{}
	nonces := map[string]bool{}
	for range 50 {
		enc, err := c.Encrypt("13812345678", memberID)
		if err != nil {
			t.Fatal(err)
		}
		if seen[enc] {
			t.Fatal("same plaintext encrypted twice to the same ciphertext")
		}
		seen[enc] = true
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(enc, "v1."))
		if err != nil {
			t.Fatal(err)
		}
		if want := nonceBytes + len("13812345678") + 16; len(raw) != want {
			t.Fatalf("sealed length = %d, want nonce|ciphertext|tag = %d", len(raw), want)
		}
		nonces[string(raw[:nonceBytes])] = true
	}
	if len(nonces) != 50 {
		t.Fatalf("%d distinct nonces in 50 encryptions", len(nonces))
	}
}

func TestCipher_DecryptFailsWithoutRevealingWhy(t *testing.T) {
	c := newTestCipher(t, 1)
	enc, err := c.Encrypt("13812345678", memberID)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(enc, "v1.")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return "v1." + base64.RawURLEncoding.EncodeToString(b)
	}

	tests := []struct {
		name       string
		cipher     *Cipher
		ciphertext string
		aad        string
	}{
		{"another member's id as aad", c, enc, "01HZX3J5Q8K2M4N6P8R0S2T4V7"},
		{"wrong key", newTestCipher(t, 2), enc, memberID},
		{"tampered nonce", c, flip(0), memberID},
		{"tampered ciphertext", c, flip(nonceBytes + 1), memberID},
		{"tampered tag", c, flip(len(raw) - 1), memberID},
		{"truncated tag", c, "v1." + base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]), memberID},
		{"only a nonce", c, "v1." + base64.RawURLEncoding.EncodeToString(raw[:nonceBytes]), memberID},
		{"truncated text", c, enc[:len(enc)-4], memberID},
		{"unknown version", c, "v2." + body, memberID},
		{"no version", c, body, memberID},
		{"padded base64", c, enc + "=", memberID},
		{"not base64", c, "v1.!!!!", memberID},
		{"empty", c, "", memberID},
		{"prefix only", c, "v1.", memberID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cipher.Decrypt(tt.ciphertext, tt.aad)
			if err != ErrDecrypt {
				t.Fatalf("err = %v, want exactly ErrDecrypt", err)
			}
			if got != "" {
				t.Fatalf("returned %q with the error", got)
			}
		})
	}
}

func TestCipher_RequiresAAD(t *testing.T) {
	c := newTestCipher(t, 1)
	if _, err := c.Encrypt("13812345678", ""); !errors.Is(err, ErrNoAAD) {
		t.Fatalf("Encrypt err = %v, want ErrNoAAD", err)
	}
	enc, _ := c.Encrypt("13812345678", memberID)
	if _, err := c.Decrypt(enc, ""); !errors.Is(err, ErrNoAAD) {
		t.Fatalf("Decrypt err = %v, want ErrNoAAD", err)
	}
}
