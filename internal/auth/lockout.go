package auth

import "time"

// Guard is the stored login-failure state of one account. Version lets the
// store write it back only if nobody else did in between.
type Guard struct {
	Failures    int
	WindowStart time.Time
	LockedUntil time.Time
	Version     int64
}

// LockoutPolicy locks an account for LockFor after MaxFailures failed logins
// within Window. A MaxFailures below 1 never locks.
type LockoutPolicy struct {
	MaxFailures int
	Window      time.Duration
	LockFor     time.Duration
}

// DefaultLockout locks for 15 minutes after 5 failures in 15 minutes.
var DefaultLockout = LockoutPolicy{MaxFailures: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}

// Locked reports whether g is locked at now and, if so, how long until it
// is not (for Retry-After).
func (p LockoutPolicy) Locked(g Guard, now time.Time) (bool, time.Duration) {
	if now.Before(g.LockedUntil) {
		return true, g.LockedUntil.Sub(now)
	}
	return false, 0
}

// Fail returns g after one more failed login at now. A failure after the
// window has passed, or after a lock has run out, starts a new window, so an
// expired lock gives a full MaxFailures attempts again. Callers check Locked
// first; a failure while locked is counted but does not extend the lock, so
// an attacker cannot keep an account locked by hammering it.
func (p LockoutPolicy) Fail(g Guard, now time.Time) Guard {
	lockOver := !g.LockedUntil.IsZero() && !now.Before(g.LockedUntil)
	if g.WindowStart.IsZero() || now.Sub(g.WindowStart) >= p.Window || lockOver {
		g.Failures = 0
		g.WindowStart = now
		g.LockedUntil = time.Time{}
	}
	g.Failures++
	if p.MaxFailures >= 1 && g.Failures >= p.MaxFailures && !now.Before(g.LockedUntil) {
		g.LockedUntil = now.Add(p.LockFor)
	}
	g.Version++
	return g
}

// Succeed returns g after a successful login: no failures, no lock.
func (p LockoutPolicy) Succeed(g Guard) Guard {
	return Guard{Version: g.Version + 1}
}
