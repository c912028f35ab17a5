package auth

import (
	"testing"
	"time"
)

// failAt applies failures at the given offsets from t0, in order.
func failAt(p LockoutPolicy, g Guard, t0 time.Time, offsets ...time.Duration) Guard {
	for _, off := range offsets {
		g = p.Fail(g, t0.Add(off))
	}
	return g
}

func TestLockoutPolicy(t *testing.T) {
	p := DefaultLockout
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	minutes := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Minute
		}
		return out
	}

	tests := []struct {
		name         string
		failures     []time.Duration // offsets from t0
		checkAt      time.Duration
		wantLocked   bool
		wantRetry    time.Duration
		wantFailures int
	}{
		{"no failures is not locked", nil, 0, false, 0, 0},
		{"four failures are not locked", minutes(0, 1, 2, 3), 4 * time.Minute, false, 0, 4},
		{"fifth failure locks for 15 minutes", minutes(0, 1, 2, 3, 4), 4 * time.Minute, true, 15 * time.Minute, 5},
		{"retry-after counts down", minutes(0, 1, 2, 3, 4), 10 * time.Minute, true, 9 * time.Minute, 5},
		{"lock expires after 15 minutes", minutes(0, 1, 2, 3, 4), 19 * time.Minute, false, 0, 5},
		{"five failures spread over more than the window do not lock", minutes(0, 1, 2, 3, 15), 15 * time.Minute, false, 0, 1},
		{"a failure after the window restarts counting", minutes(0, 1, 2, 3, 20, 21, 22, 23), 23 * time.Minute, false, 0, 4},
		{"the restarted window locks on its fifth failure", minutes(0, 1, 2, 3, 20, 21, 22, 23, 24), 24 * time.Minute, true, 15 * time.Minute, 5},
		{"a failure after the lock expired starts a fresh count", minutes(0, 1, 2, 3, 4, 19), 19 * time.Minute, false, 0, 1},
		{"failures while locked do not extend the lock", minutes(0, 1, 2, 3, 4, 10, 14), 14 * time.Minute, true, 5 * time.Minute, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := failAt(p, Guard{}, t0, tt.failures...)
			locked, retry := p.Locked(g, t0.Add(tt.checkAt))
			if locked != tt.wantLocked || retry != tt.wantRetry {
				t.Fatalf("Locked = %v, %s; want %v, %s", locked, retry, tt.wantLocked, tt.wantRetry)
			}
			if g.Failures != tt.wantFailures {
				t.Fatalf("Failures = %d, want %d", g.Failures, tt.wantFailures)
			}
			if g.Version != int64(len(tt.failures)) {
				t.Fatalf("Version = %d, want one bump per failure (%d)", g.Version, len(tt.failures))
			}
		})
	}
}

func TestLockoutPolicy_SucceedResets(t *testing.T) {
	p := DefaultLockout
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		guard Guard
	}{
		{"after some failures", failAt(p, Guard{}, t0, 0, time.Minute, 2*time.Minute)},
		{"after a lock", failAt(p, Guard{}, t0, 0, 1, 2, 3, 4)},
		{"clean guard", Guard{Version: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := p.Succeed(tt.guard)
			want := Guard{Version: tt.guard.Version + 1}
			if g != want {
				t.Fatalf("got %+v, want %+v", g, want)
			}
			if locked, _ := p.Locked(g, t0); locked {
				t.Fatal("locked after success")
			}
			// Success gives back the full allowance of failures.
			if locked, _ := p.Locked(failAt(p, g, t0, 0, 1, 2, 3), t0); locked {
				t.Fatal("four failures after success locked")
			}
		})
	}
}

func TestLockoutPolicy_BelowOneMaxFailuresNeverLocks(t *testing.T) {
	p := LockoutPolicy{MaxFailures: 0, Window: time.Minute, LockFor: time.Minute}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g := failAt(p, Guard{}, t0, 0, 0, 0, 0, 0, 0)
	if locked, _ := p.Locked(g, t0); locked {
		t.Fatal("a policy with MaxFailures 0 locked")
	}
}

func TestLockoutPolicy_FailDoesNotModifyItsArgument(t *testing.T) {
	p := DefaultLockout
	g := Guard{Failures: 2, WindowStart: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Version: 3}
	before := g
	_ = p.Fail(g, g.WindowStart.Add(time.Minute))
	if g != before {
		t.Fatal("Fail changed the caller's guard")
	}
}
