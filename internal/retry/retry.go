// Package retry repeats optimistic operations: a write conditioned on what
// was read fails when someone else wrote first, and is planned again from a
// fresh read. Each failure means another writer succeeded, so progress is
// guaranteed; the bound only stops a pathological storm.
package retry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
)

// MaxAttempts bounds the attempts of one operation.
const MaxAttempts = 100

// maxBackoff caps the jittered pause between attempts.
const maxBackoff = 20 * time.Millisecond

// Stale runs attempt until it returns nil or an error stale does not
// match, pausing a jittered, growing moment between attempts. After
// MaxAttempts stale failures it gives up with UNAVAILABLE.
func Stale(ctx context.Context, stale func(error) bool, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || !stale(err) {
			return err
		}
		if n == MaxAttempts {
			return apperr.Unavailable(fmt.Errorf("%d attempts lost to concurrent changes: %w", n, err))
		}
		if err := Pause(ctx, n); err != nil {
			return err
		}
	}
}

// Pause waits a random moment up to min(2^n ms, 20 ms), or until ctx ends.
func Pause(ctx context.Context, n int) error {
	d := min(time.Millisecond<<min(n, 5), maxBackoff)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(d))) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return apperr.Unavailable(ctx.Err())
	case <-t.C:
		return nil
	}
}
