// Package ids makes the identifiers of the system: ULIDs, which sort by the
// time they were made (read from the injected clock) and are unique even when
// many are made in one millisecond.
package ids

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/arkmember/arkmember/internal/clock"
)

// Generator makes ULIDs from a clock; safe for concurrent use.
type Generator struct {
	mu      sync.Mutex
	clock   clock.Clock
	entropy *ulid.MonotonicEntropy
}

// New returns a generator reading time from c.
func New(c clock.Clock) *Generator {
	return &Generator{clock: c, entropy: ulid.Monotonic(rand.Reader, 0)}
}

// New returns a new ULID string (26 characters, Crockford base32).
func (g *Generator) New() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return ulid.MustNew(ulid.Timestamp(g.clock.Now()), g.entropy).String()
}

// Valid reports whether s is a well-formed ULID.
func Valid(s string) bool {
	if len(s) != ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(s)
	return err == nil
}

// Floor returns the smallest ULID of the millisecond of t, and Ceil the
// largest: bounds for a range query over ULID-ordered keys.
func Floor(t time.Time) string {
	var u ulid.ULID
	_ = u.SetTime(ulid.Timestamp(t))
	return u.String()
}

// Ceil returns the largest ULID of the millisecond of t.
func Ceil(t time.Time) string {
	var u ulid.ULID
	_ = u.SetTime(ulid.Timestamp(t))
	max := [10]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	_ = u.SetEntropy(max[:])
	return u.String()
}
