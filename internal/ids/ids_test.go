package ids

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/clock"
)

func TestGenerator_UniqueAndOrderedUnderConcurrency(t *testing.T) {
	g := New(clock.NewFixed(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	const n = 2000
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = g.New() }()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range out {
		if !Valid(id) {
			t.Fatalf("invalid id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	a, b := g.New(), g.New()
	if !sort.StringsAreSorted([]string{a, b}) {
		t.Fatalf("ids not monotonic: %s then %s", a, b)
	}
}

func TestValid(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"01ARZ3NDEKTSV4RRFFQ69G5FAV", true},
		{"01ARZ3NDEKTSV4RRFFQ69G5FA", false},
		{"01ARZ3NDEKTSV4RRFFQ69G5FAU!", false},
		{"", false},
		{"../../etc/passwd0000000000", false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := Valid(tt.in); got != tt.want {
				t.Fatalf("Valid(%q) = %v", tt.in, got)
			}
		})
	}
}

func TestFloorCeil_BoundIDsOfTheirMillisecond(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id := New(clock.NewFixed(at)).New()
	if !(Floor(at) <= id && id <= Ceil(at)) {
		t.Fatalf("%s not within [%s, %s]", id, Floor(at), Ceil(at))
	}
	if Ceil(at.Add(-time.Millisecond)) >= id || Floor(at.Add(time.Millisecond)) <= id {
		t.Fatal("neighbouring milliseconds must not include the id")
	}
}
