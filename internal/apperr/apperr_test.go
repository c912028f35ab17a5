package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestError_IsMatchesSentinelCopies(t *testing.T) {
	sentinel := New(KindConflict, CodeMobileTaken, "mobile taken")
	wrapped := fmt.Errorf("register: %w", sentinel.WithCause(errors.New("condition failed")))
	if !errors.Is(wrapped, sentinel) {
		t.Fatal("a copy with a cause must match its sentinel")
	}
	if errors.Is(wrapped, New(KindConflict, CodeConflict, "x")) {
		t.Fatal("different codes must not match")
	}
}

func TestAs(t *testing.T) {
	tests := []struct {
		name string
		err  error
		kind Kind
		code string
	}{
		{"domain", NotFound("member"), KindNotFound, CodeNotFound},
		{"wrapped domain", fmt.Errorf("x: %w", Invalid("bad")), KindInvalid, CodeValidationFailed},
		{"foreign", errors.New("boom"), KindInternal, CodeInternal},
		{"unavailable", Unavailable(errors.New("ddb down")), KindUnavailable, CodeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := As(tt.err)
			if got.Kind != tt.kind || got.Code != tt.code {
				t.Fatalf("As() = %v/%s, want %v/%s", got.Kind, got.Code, tt.kind, tt.code)
			}
		})
	}
}

func TestError_DistinctSentinelsWithOneCodeDoNotMatch(t *testing.T) {
	expired := New(KindUnauthorized, CodeUnauthorized, "expired")
	invalid := New(KindUnauthorized, CodeUnauthorized, "invalid")
	if errors.Is(invalid, expired) || errors.Is(expired.WithCause(errors.New("x")), invalid) {
		t.Fatal("distinct sentinels must not match")
	}
	twice := expired.WithMessage("a").WithRetryAfter(1)
	if !errors.Is(twice, expired) || !errors.Is(twice, expired.WithMessage("b")) {
		t.Fatal("copies of copies must match their sentinel and each other")
	}
}
