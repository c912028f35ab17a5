package clock

import (
	"testing"
	"time"
)

func TestAdjustable_SetFlowsOnAndResets(t *testing.T) {
	base := NewFixed(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	a := NewAdjustable(base)
	target := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	a.Set(target)
	if got := a.Now(); !got.Equal(target) {
		t.Fatalf("after Set, Now() = %v, want %v", got, target)
	}
	base.Advance(time.Hour)
	if got := a.Now(); !got.Equal(target.Add(time.Hour)) {
		t.Fatalf("time did not flow on: %v", got)
	}
	a.Reset()
	if got := a.Now(); !got.Equal(base.Now()) {
		t.Fatalf("after Reset, Now() = %v, want %v", got, base.Now())
	}
}
