package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
)

func TestStatusOf_MapsEveryKind(t *testing.T) {
	tests := []struct {
		kind apperr.Kind
		want int
	}{
		{apperr.KindInternal, 500},
		{apperr.KindInvalid, 400},
		{apperr.KindTooLarge, 413},
		{apperr.KindUnsupportedMedia, 415},
		{apperr.KindUnauthorized, 401},
		{apperr.KindForbidden, 403},
		{apperr.KindNotFound, 404},
		{apperr.KindConflict, 409},
		{apperr.KindRateLimited, 429},
		{apperr.KindUnavailable, 503},
		{apperr.Kind(99), 500},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.want, "/", int(tt.kind)), func(t *testing.T) {
			if got := StatusOf(tt.kind); got != tt.want {
				t.Fatalf("StatusOf(%d) = %d, want %d", tt.kind, got, tt.want)
			}
		})
	}
}

func TestProblemOf(t *testing.T) {
	rateLimited := apperr.New(apperr.KindRateLimited, apperr.CodeRateLimited, "slow down")
	tests := []struct {
		name           string
		err            error
		wantStatus     int
		wantCode       string
		wantDetail     string // exact
		wantType       string
		wantRetryAfter string // "" means no header
		hidden         string // must not appear in the encoded body
	}{
		{
			name: "validation keeps message and fields", err: apperr.Invalid("bad input", apperr.FieldError{Field: "mobile", Message: "required"}),
			wantStatus: 400, wantCode: apperr.CodeValidationFailed, wantDetail: "bad input", wantType: "https://arkmember.dev/problems/validation-failed",
		},
		{
			name: "not found", err: apperr.NotFound("member"),
			wantStatus: 404, wantCode: apperr.CodeNotFound, wantDetail: "member not found", wantType: "https://arkmember.dev/problems/not-found",
		},
		{
			name: "internal hides its cause", err: apperr.Internal(errors.New("table arn:aws:dynamodb:secret")),
			wantStatus: 500, wantCode: apperr.CodeInternal, wantDetail: "internal error; quote the request id when reporting it",
			wantType: "https://arkmember.dev/problems/internal", hidden: "arn:aws",
		},
		{
			name: "foreign error is internal", err: errors.New("nil pointer in points.Spend"),
			wantStatus: 500, wantCode: apperr.CodeInternal, wantDetail: "internal error; quote the request id when reporting it",
			wantType: "https://arkmember.dev/problems/internal", hidden: "points.Spend",
		},
		{
			name: "internal kind with a custom code and message is hidden", err: apperr.New(apperr.KindInternal, "LEDGER_CORRUPT", "ledger of m1 is corrupt"),
			wantStatus: 500, wantCode: apperr.CodeInternal, wantDetail: "internal error; quote the request id when reporting it",
			wantType: "https://arkmember.dev/problems/internal", hidden: "LEDGER_CORRUPT",
		},
		{
			name: "unavailable keeps its message and asks to retry", err: apperr.Unavailable(errors.New("throttled by dynamodb")),
			wantStatus: 503, wantCode: apperr.CodeUnavailable, wantDetail: "the service is temporarily unavailable; retry later",
			wantType: "https://arkmember.dev/problems/unavailable", wantRetryAfter: "1", hidden: "dynamodb",
		},
		{
			name: "unavailable without retry-after still gets one", err: apperr.New(apperr.KindUnavailable, apperr.CodeUnavailable, "down"),
			wantStatus: 503, wantCode: apperr.CodeUnavailable, wantDetail: "down", wantType: "https://arkmember.dev/problems/unavailable", wantRetryAfter: "1",
		},
		{
			name: "rate limited without retry-after gets one second", err: rateLimited,
			wantStatus: 429, wantCode: apperr.CodeRateLimited, wantDetail: "slow down", wantType: "https://arkmember.dev/problems/rate-limited", wantRetryAfter: "1",
		},
		{
			name: "retry-after rounds a fraction up", err: rateLimited.WithRetryAfter(1500 * time.Millisecond),
			wantStatus: 429, wantCode: apperr.CodeRateLimited, wantDetail: "slow down", wantType: "https://arkmember.dev/problems/rate-limited", wantRetryAfter: "2",
		},
		{
			name: "retry-after of whole seconds is exact", err: rateLimited.WithRetryAfter(3 * time.Second),
			wantStatus: 429, wantCode: apperr.CodeRateLimited, wantDetail: "slow down", wantType: "https://arkmember.dev/problems/rate-limited", wantRetryAfter: "3",
		},
		{
			name: "retry-after of a nanosecond is one second", err: rateLimited.WithRetryAfter(time.Nanosecond),
			wantStatus: 429, wantCode: apperr.CodeRateLimited, wantDetail: "slow down", wantType: "https://arkmember.dev/problems/rate-limited", wantRetryAfter: "1",
		},
		{
			name: "retry-after on a 4xx that is not rate limiting", err: apperr.New(apperr.KindConflict, apperr.CodeAccountLocked, "locked").WithRetryAfter(90 * time.Second),
			wantStatus: 409, wantCode: apperr.CodeAccountLocked, wantDetail: "locked", wantType: "https://arkmember.dev/problems/account-locked", wantRetryAfter: "90",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ProblemOf(tt.err, "req-9")
			p, ok := r.Body.(Problem)
			if !ok {
				t.Fatalf("body is %T, want Problem", r.Body)
			}
			if r.Status != tt.wantStatus || p.Status != tt.wantStatus || p.Code != tt.wantCode || p.Detail != tt.wantDetail || p.Type != tt.wantType {
				t.Fatalf("problem = %d %+v", r.Status, p)
			}
			if p.RequestID != "req-9" || p.Title == "" {
				t.Fatalf("problem = %+v, want the request id and a title", p)
			}
			if r.Header["Content-Type"] != ProblemContentType {
				t.Fatalf("Content-Type = %q", r.Header["Content-Type"])
			}
			if got, has := r.Header["Retry-After"]; got != tt.wantRetryAfter || has != (tt.wantRetryAfter != "") {
				t.Fatalf("Retry-After = %q (present %v), want %q", got, has, tt.wantRetryAfter)
			}
			body, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if tt.hidden != "" && strings.Contains(string(body), tt.hidden) {
				t.Fatalf("body leaks %q: %s", tt.hidden, body)
			}
		})
	}
}

func TestProblemOf_KeepsFieldErrors(t *testing.T) {
	r := ProblemOf(apperr.Invalid("bad", apperr.FieldError{Field: "a", Message: "x"}, apperr.FieldError{Field: "b", Message: "y"}), "")
	p := r.Body.(Problem)
	if len(p.Errors) != 2 || p.Errors[0].Field != "a" || p.Errors[1].Field != "b" {
		t.Fatalf("errors = %+v", p.Errors)
	}
	body, _ := json.Marshal(ProblemOf(apperr.NotFound("x"), "").Body)
	if strings.Contains(string(body), `"errors"`) || strings.Contains(string(body), `"requestId"`) {
		t.Fatalf("empty errors and request id must be omitted: %s", body)
	}
}

func TestResult(t *testing.T) {
	resp, err := Result(201, "made", nil)
	if err != nil || resp.Status != 201 || resp.Body != "made" {
		t.Fatalf("Result(ok) = %+v, %v", resp, err)
	}
	want := apperr.Conflict("no")
	resp, err = Result(201, "made", want)
	if resp != nil || !errors.Is(err, want) {
		t.Fatalf("Result(err) = %+v, %v; want nil and the error", resp, err)
	}
}

func TestReplay_MarksTheResponseAndKeepsTheBodyVerbatim(t *testing.T) {
	r := Replay(201, []byte(`{"b":2,"a":1}`))
	if r.Status != 201 || r.Header[ReplayHeader] != "true" {
		t.Fatalf("replay = %+v", r)
	}
	out := encode(r, "req-1")
	if out.Body != `{"b":2,"a":1}` || out.Headers[ReplayHeader] != "true" {
		t.Fatalf("encoded replay = %+v", out)
	}
}
