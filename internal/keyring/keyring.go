// Package keyring turns the one master key of the deployment into the
// separate keys each mechanism uses (token signing, refresh-token MACs, PII
// encryption, blind indexes), so only one secret has to be stored and rotated
// and a leak of one derived key does not expose the others.
package keyring

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"log/slog"
)

// MinMasterBytes is the shortest master key accepted: HKDF cannot add entropy,
// so every derived 256-bit key is only as strong as the master.
const MinMasterBytes = 32

// KeyBytes is the length of every derived key.
const KeyBytes = 32

// HKDF info labels. They are versioned so a key can be replaced by changing
// its label without touching the master or the other keys; changing one
// invalidates everything protected with the old key, so never edit in place.
const (
	LabelSigning    = "ark/jwt-signing/v1"
	LabelRefreshMAC = "ark/refresh-mac/v1"
	LabelPII        = "ark/pii-aes/v1"
	LabelBlindIndex = "ark/blind-index/v1"
)

// ErrShortMaster is returned by Derive for a master key under MinMasterBytes.
var ErrShortMaster = fmt.Errorf("keyring: master key must hold at least %d bytes", MinMasterBytes)

// Keys are the application keys derived from the master, each KeyBytes long.
type Keys struct {
	Signing    []byte // HS256 key of access tokens
	RefreshMAC []byte // HMAC key of refresh tokens
	PII        []byte // AES-256-GCM key of personal data at rest
	BlindIndex []byte // HMAC key of lookup indexes over personal data
}

// String hides the key material so a stray %v or log call cannot print it.
func (Keys) String() string { return "keyring.Keys{REDACTED}" }

// GoString hides the key material from %#v as well.
func (k Keys) GoString() string { return k.String() }

// LogValue hides the key material from slog.
func (k Keys) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Derive derives the application keys from master with HKDF-SHA256, one
// distinct info label per key. It is deterministic: every function of a
// deployment derives the same keys from the same master.
func Derive(master []byte) (Keys, error) {
	if len(master) < MinMasterBytes {
		return Keys{}, ErrShortMaster
	}
	var k Keys
	for _, d := range []struct {
		dst   *[]byte
		label string
	}{
		{&k.Signing, LabelSigning},
		{&k.RefreshMAC, LabelRefreshMAC},
		{&k.PII, LabelPII},
		{&k.BlindIndex, LabelBlindIndex},
	} {
		// No salt: the master is already uniformly random, and a salt would be
		// one more value every function must agree on.
		key, err := hkdf.Key(sha256.New, master, nil, d.label, KeyBytes)
		if err != nil {
			return Keys{}, fmt.Errorf("keyring: derive %s: %w", d.label, err)
		}
		*d.dst = key
	}
	return k, nil
}
