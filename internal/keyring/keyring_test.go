package keyring

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func master() []byte {
	m := make([]byte, 32)
	for i := range m {
		m[i] = byte(i)
	}
	return m
}

func TestDerive_IsDeterministic(t *testing.T) {
	a, err := Derive(master())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Derive(master())
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2][]byte{
		"signing":     {a.Signing, b.Signing},
		"refresh mac": {a.RefreshMAC, b.RefreshMAC},
		"pii":         {a.PII, b.PII},
		"blind index": {a.BlindIndex, b.BlindIndex},
	} {
		t.Run(name+" key is the same on every derivation", func(t *testing.T) {
			if !bytes.Equal(pair[0], pair[1]) {
				t.Fatal("two derivations from one master differ")
			}
			if len(pair[0]) != KeyBytes {
				t.Fatalf("len = %d, want %d", len(pair[0]), KeyBytes)
			}
		})
	}
}

// The expected values were computed outside Go (RFC 5869 with Python's hmac)
// so a change of label, hash or salt, which would orphan every stored
// ciphertext and session, fails here.
func TestDerive_MatchesPinnedVectors(t *testing.T) {
	k, err := Derive(master())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		label string
		got   []byte
		want  string
	}{
		{LabelSigning, k.Signing, "1562b57d1011c93531dd35a961f31637d00f1bdf9f1aa42f3375b2125fa3d7c1"},
		{LabelRefreshMAC, k.RefreshMAC, "040ff8c97a33e102a24374418d677a72be74a640137fb474b165219ed7efc9af"},
		{LabelPII, k.PII, "1ef2dfd02e06007c666e99bfd448665f743fb3a51b972ef2777670a1c19e4659"},
		{LabelBlindIndex, k.BlindIndex, "0690b3f40325dfd6b840bf7a29c8fa5120c7155b07c50d8f82ff0bad7dd92198"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDerive_GivesEachLabelADifferentKey(t *testing.T) {
	k, err := Derive(master())
	if err != nil {
		t.Fatal(err)
	}
	keys := [][]byte{k.Signing, k.RefreshMAC, k.PII, k.BlindIndex}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if bytes.Equal(keys[i], keys[j]) {
				t.Errorf("keys %d and %d are equal", i, j)
			}
		}
	}
}

func TestDerive_DifferentMastersGiveDifferentKeys(t *testing.T) {
	other := master()
	other[31] ^= 1
	a, _ := Derive(master())
	b, err := Derive(other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Signing, b.Signing) {
		t.Fatal("a one-bit change of the master kept the signing key")
	}
}

func TestDerive_RejectsShortMaster(t *testing.T) {
	tests := []struct {
		name   string
		master []byte
	}{
		{"nil master", nil},
		{"empty master", []byte{}},
		{"31 bytes", make([]byte, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Derive(tt.master)
			if !errors.Is(err, ErrShortMaster) {
				t.Fatalf("err = %v, want ErrShortMaster", err)
			}
			if k.Signing != nil || k.PII != nil {
				t.Fatal("keys returned with the error")
			}
		})
	}
}

func TestKeys_FormattingNeverShowsKeyMaterial(t *testing.T) {
	k, err := Derive(master())
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("keys", "keys", k)
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", k),
		"%+v": fmt.Sprintf("%+v", k),
		"%#v": fmt.Sprintf("%#v", k),
		//lint:ignore S1025 the test is about what the %s verb prints
		"%s":   fmt.Sprintf("%s", k),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, key := range [][]byte{k.Signing, k.RefreshMAC, k.PII, k.BlindIndex} {
				if strings.Contains(out, hex.EncodeToString(key)) || strings.Contains(out, fmt.Sprint(key)) {
					t.Fatalf("output reveals a key: %s", out)
				}
			}
			if !strings.Contains(out, "REDACTED") {
				t.Fatalf("output = %s, want it redacted", out)
			}
		})
	}
}
