package auth

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
)

var refreshKey = bytes.Repeat([]byte{0x5a}, 32)

func newTestCodec(t *testing.T, key []byte) *RefreshCodec {
	t.Helper()
	c, err := NewRefreshCodec(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRefreshCodec_RoundTrips(t *testing.T) {
	c := newTestCodec(t, refreshKey)
	family := ids.New(clock.NewFixed(time.Now())).New()
	for _, gen := range []int64{1, 2, 1000, 1<<63 - 1} {
		t.Run(strconv.FormatInt(gen, 10), func(t *testing.T) {
			tok := c.Encode(family, gen)
			if !strings.HasPrefix(tok, "rt1."+family+"."+strconv.FormatInt(gen, 10)+".") {
				t.Fatalf("token %q does not follow rt1.<family>.<gen>.<mac>", tok)
			}
			if len(tok) > maxRefreshBytes {
				t.Fatalf("token of %d bytes exceeds the decode bound", len(tok))
			}
			gotFamily, gotGen, err := c.Decode(tok)
			if err != nil {
				t.Fatal(err)
			}
			if gotFamily != family || gotGen != gen {
				t.Fatalf("got %s/%d, want %s/%d", gotFamily, gotGen, family, gen)
			}
		})
	}
}

func TestRefreshCodec_RejectsForgedAndMalformedTokens(t *testing.T) {
	c := newTestCodec(t, refreshKey)
	g := ids.New(clock.NewFixed(time.Now()))
	family, otherFamily := g.New(), g.New()
	good := c.Encode(family, 3)
	parts := strings.Split(good, ".") // rt1, family, gen, mac
	mac, _ := base64.RawURLEncoding.DecodeString(parts[3])
	mac[0] ^= 0x01
	join := func(p ...string) string { return strings.Join(p, ".") }

	tests := []struct {
		name  string
		token string
	}{
		{"next generation with the old mac", join(parts[0], parts[1], "4", parts[3])},
		{"generation with a leading zero", join(parts[0], parts[1], "03", parts[3])},
		{"other family with the old mac", join(parts[0], otherFamily, parts[2], parts[3])},
		{"lowercased family", join(parts[0], strings.ToLower(parts[1]), parts[2], parts[3])},
		{"tampered mac", join(parts[0], parts[1], parts[2], base64.RawURLEncoding.EncodeToString(mac))},
		{"truncated mac", good[:len(good)-2]},
		{"padded mac", good + "="},
		{"no mac", join(parts[0], parts[1], parts[2])},
		{"empty mac", join(parts[0], parts[1], parts[2], "")},
		{"other version", "rt2" + strings.TrimPrefix(good, "rt1")},
		{"extra segment", good + ".x"},
		{"wrong key", newTestCodec(t, bytes.Repeat([]byte{0x5b}, 32)).Encode(family, 3)},
		// Properly MACed, so only the format checks can catch these.
		{"generation zero", c.Encode(family, 0)},
		{"negative generation", c.Encode(family, -1)},
		{"family not a ULID", c.Encode("not-a-ulid", 1)},
		{"empty family", c.Encode("", 1)},
		{"family with a dot", c.Encode(family+".x", 1)},
		{"oversized", c.Encode(strings.Repeat("A", 200), 1)},
		{"garbage", "garbage"},
		{"empty", ""},
		{"a JWT", "eyJhbGciOiJIUzI1NiJ9.e30.abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, gen, err := c.Decode(tt.token)
			if err != ErrRefreshInvalid {
				t.Fatalf("err = %v, want ErrRefreshInvalid", err)
			}
			if f != "" || gen != 0 {
				t.Fatalf("returned %q/%d with the error", f, gen)
			}
		})
	}
}

func TestNewRefreshCodec_RejectsShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := NewRefreshCodec(make([]byte, n)); err == nil {
			t.Errorf("accepted a %d-byte key", n)
		}
	}
}
