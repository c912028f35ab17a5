package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/arkmember/arkmember/internal/ids"
)

// refreshPrefix versions the refresh token format.
const refreshPrefix = "rt1."

// maxRefreshBytes bounds input before any work; real tokens are about 75 bytes.
const maxRefreshBytes = 200

// RefreshCodec encodes and checks refresh tokens of the form
// "rt1.<familyID>.<generation>.<base64url HMAC-SHA256>". The token is opaque
// to clients; the MAC makes it unforgeable, and the caller compares the
// generation with the family's stored one to detect reuse. Safe for
// concurrent use.
type RefreshCodec struct {
	key []byte
}

// NewRefreshCodec returns a codec with a MAC key of at least 32 bytes.
func NewRefreshCodec(key []byte) (*RefreshCodec, error) {
	if len(key) < MinSigningKeyBytes {
		return nil, fmt.Errorf("auth: refresh key must hold at least %d bytes, got %d", MinSigningKeyBytes, len(key))
	}
	return &RefreshCodec{key: append([]byte(nil), key...)}, nil
}

// Encode returns the refresh token of generation (≥ 1) of family familyID
// (a ULID). Decode rejects tokens made from anything else.
func (c *RefreshCodec) Encode(familyID string, generation int64) string {
	body := refreshPrefix + familyID + "." + strconv.FormatInt(generation, 10)
	return body + "." + base64.RawURLEncoding.EncodeToString(c.mac(body))
}

// Decode checks token and returns its family and generation. Every failure is
// ErrRefreshInvalid.
func (c *RefreshCodec) Decode(token string) (familyID string, generation int64, err error) {
	if len(token) > maxRefreshBytes {
		return "", 0, ErrRefreshInvalid
	}
	rest, ok := strings.CutPrefix(token, refreshPrefix)
	if !ok {
		return "", 0, ErrRefreshInvalid
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return "", 0, ErrRefreshInvalid
	}
	sum, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return "", 0, ErrRefreshInvalid
	}
	// The MAC is checked over the exact text received, before parsing what it
	// covers, so nothing attacker-chosen is interpreted first.
	body := token[:len(token)-len(parts[2])-1]
	if !hmac.Equal(sum, c.mac(body)) {
		return "", 0, ErrRefreshInvalid
	}
	familyID = parts[0]
	generation, err = strconv.ParseInt(parts[1], 10, 64)
	// Only a mis-used Encode can produce these with a valid MAC.
	if err != nil || generation < 1 || !ids.Valid(familyID) || strconv.FormatInt(generation, 10) != parts[1] {
		return "", 0, ErrRefreshInvalid
	}
	return familyID, generation, nil
}

func (c *RefreshCodec) mac(body string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}
