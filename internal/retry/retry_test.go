package retry

import (
	"context"
	"errors"
	"testing"

	"github.com/arkmember/arkmember/internal/apperr"
)

var errStale = errors.New("stale")

func isStale(err error) bool { return errors.Is(err, errStale) }

func TestStale(t *testing.T) {
	tests := []struct {
		name     string
		failures int   // stale failures before the outcome
		outcome  error // then this
		wantN    int
		wantKind apperr.Kind
		wantErr  bool
	}{
		{"succeeds at once", 0, nil, 1, 0, false},
		{"succeeds after stale reads", 3, nil, 4, 0, false},
		{"other errors end it", 2, apperr.Conflict("no"), 3, apperr.KindConflict, true},
		{"gives up after the bound", MaxAttempts + 5, nil, MaxAttempts, apperr.KindUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			err := Stale(context.Background(), isStale, func() error {
				n++
				if n <= tt.failures {
					return errStale
				}
				return tt.outcome
			})
			if n != tt.wantN || (err != nil) != tt.wantErr || (tt.wantErr && apperr.KindOf(err) != tt.wantKind) {
				t.Fatalf("n=%d err=%v", n, err)
			}
		})
	}
}

func TestPause_EndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Pause(ctx, 5); apperr.KindOf(err) != apperr.KindUnavailable {
		t.Fatalf("Pause = %v", err)
	}
}
