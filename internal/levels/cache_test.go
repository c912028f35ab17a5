package levels

import (
	"context"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/clock"
)

type countingSource struct{ n int }

func (s *countingSource) Ladder(context.Context) (Ladder, error) {
	s.n++
	return Default(), nil
}

func TestCache_ReadsAgainAfterTTLOrClockJump(t *testing.T) {
	clk := clock.NewFixed(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	src := &countingSource{}
	c := NewCache(src, 30*time.Second, clk)
	ctx := context.Background()
	for range 3 {
		if _, err := c.Ladder(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if src.n != 1 {
		t.Fatalf("reads = %d, want 1 within the TTL", src.n)
	}
	clk.Advance(31 * time.Second)
	_, _ = c.Ladder(ctx)
	clk.Set(clk.Now().Add(-time.Hour))
	_, _ = c.Ladder(ctx)
	c.Invalidate()
	_, _ = c.Ladder(ctx)
	if src.n != 4 {
		t.Fatalf("reads = %d, want 4", src.n)
	}
}
