package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestBlindIndex_IsDeterministicHexHMAC(t *testing.T) {
	key := testKey(7)
	b, err := NewBlindIndex(key)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("13812345678"))
	want := hex.EncodeToString(mac.Sum(nil))

	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"matches HMAC-SHA256 hex", "13812345678", want},
		{"same value same index", "13812345678", want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Of(tt.value); got != tt.want {
				t.Fatalf("Of = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBlindIndex_SeparatesValuesAndKeys(t *testing.T) {
	a, _ := NewBlindIndex(testKey(7))
	b, _ := NewBlindIndex(testKey(8))
	if a.Of("13812345678") == a.Of("13812345679") {
		t.Error("two values share an index")
	}
	if a.Of("13812345678") == b.Of("13812345678") {
		t.Error("two keys give the same index, so the index is not keyed")
	}
}

func TestBlindIndex_KeepsItsOwnCopyOfTheKey(t *testing.T) {
	key := testKey(7)
	b, _ := NewBlindIndex(key)
	before := b.Of("x")
	key[0] ^= 0xff
	if b.Of("x") != before {
		t.Fatal("changing the caller's slice changed the index")
	}
}

func TestNewBlindIndex_RejectsShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := NewBlindIndex(make([]byte, n)); err == nil {
			t.Errorf("accepted a %d-byte key", n)
		}
	}
}
