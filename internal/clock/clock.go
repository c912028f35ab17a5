// Package clock gives every component its notion of "now", so expiry, review
// and token lifetimes can be tested by moving time instead of waiting.
package clock

import (
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// System is the real wall clock, in UTC.
type System struct{}

// Now returns the current UTC time.
func (System) Now() time.Time { return time.Now().UTC() }

// Adjustable is a clock that can be moved; time keeps flowing from the
// instant it was set to. The dev server's /_local/clock uses it.
type Adjustable struct {
	mu     sync.RWMutex
	base   Clock
	offset time.Duration
}

// NewAdjustable returns an Adjustable clock that starts equal to base.
func NewAdjustable(base Clock) *Adjustable { return &Adjustable{base: base} }

// Now returns the base time shifted by the current offset.
func (a *Adjustable) Now() time.Time {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.base.Now().Add(a.offset)
}

// Set makes Now return t at this instant and flow on from there.
func (a *Adjustable) Set(t time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.offset = t.Sub(a.base.Now())
}

// Reset puts the clock back on its base.
func (a *Adjustable) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.offset = 0
}

// Fixed is a clock that stands still until moved; for tests.
type Fixed struct {
	mu  sync.RWMutex
	now time.Time
}

// NewFixed returns a clock stopped at t.
func NewFixed(t time.Time) *Fixed { return &Fixed{now: t.UTC()} }

// Now returns the stopped time.
func (f *Fixed) Now() time.Time {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.now
}

// Set stops the clock at t.
func (f *Fixed) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t.UTC()
}

// Advance moves the clock forward by d.
func (f *Fixed) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// ChinaStandardTime is UTC+8 with no daylight saving: the business day of
// the member center (point expiry dates, level review dates) is a day in
// this zone.
var ChinaStandardTime = time.FixedZone("CST", 8*3600)
