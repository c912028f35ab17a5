package idempotency

import (
	"errors"
	"testing"
)

func TestHashAndReplay(t *testing.T) {
	type req struct {
		MemberID string
		Amount   int64
	}
	a, b := Hash(req{"m1", 10}), Hash(req{"m1", 10})
	c := Hash(req{"m1", 11})
	if a != b || a == c {
		t.Fatalf("hashes: %s %s %s", a, b, c)
	}
	rec := Record{RequestHash: a}
	if err := rec.Replay(b); err != nil {
		t.Fatalf("same request must replay: %v", err)
	}
	if err := rec.Replay(c); !errors.Is(err, ErrConflict) {
		t.Fatalf("different request must conflict, got %v", err)
	}
}
