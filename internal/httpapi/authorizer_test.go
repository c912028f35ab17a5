package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
)

var testNow = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

const tokenTTL = 15 * time.Minute

var (
	signingKey = []byte("0123456789abcdef0123456789abcdef") // 32 bytes
	otherKey   = []byte("fedcba9876543210fedcba9876543210")
)

// tokenSet issues tokens at the clock of the verifier (fresh), an hour
// before it (expired) and with another key (forged).
type tokenSet struct {
	verifier              *auth.Tokens
	fresh, expired, alien string
}

func newTokenSet(t *testing.T, p auth.Principal) tokenSet {
	t.Helper()
	now := clock.NewFixed(testNow)
	issue := func(key []byte, c clock.Clock) string {
		tok, _, err := auth.NewTokens(key, c, ids.New(c), tokenTTL).Issue(p)
		if err != nil {
			t.Fatalf("Issue: %v", err)
		}
		return tok
	}
	return tokenSet{
		verifier: auth.NewTokens(signingKey, now, ids.New(now), tokenTTL),
		fresh:    issue(signingKey, now),
		expired:  issue(signingKey, clock.NewFixed(testNow.Add(-time.Hour))),
		alien:    issue(otherKey, now),
	}
}

func TestAuthorizer_Verdicts(t *testing.T) {
	admin := auth.Principal{Subject: "admin-1", Role: catalog.RoleAdmin}
	ts := newTokenSet(t, admin)
	tests := []struct {
		name    string
		headers map[string]string
		want    map[string]any
	}{
		{"bearer token", map[string]string{"authorization": "Bearer " + ts.fresh}, map[string]any{"verdict": "ok", "sub": "admin-1", "role": "admin"}},
		{"scheme is case-insensitive", map[string]string{"authorization": "bearer " + ts.fresh}, map[string]any{"verdict": "ok", "sub": "admin-1", "role": "admin"}},
		{"header name is case-insensitive", map[string]string{"Authorization": "BEARER " + ts.fresh}, map[string]any{"verdict": "ok", "sub": "admin-1", "role": "admin"}},
		{"extra spaces around the token", map[string]string{"authorization": "  Bearer   " + ts.fresh + "  "}, map[string]any{"verdict": "ok", "sub": "admin-1", "role": "admin"}},
		{"no header", map[string]string{"content-type": "application/json"}, map[string]any{"verdict": "missing"}},
		{"no headers at all", nil, map[string]any{"verdict": "missing"}},
		{"empty header", map[string]string{"authorization": ""}, map[string]any{"verdict": "missing"}},
		{"scheme without token", map[string]string{"authorization": "Bearer"}, map[string]any{"verdict": "missing"}},
		{"scheme and blanks", map[string]string{"authorization": "Bearer    "}, map[string]any{"verdict": "missing"}},
		{"token without scheme", map[string]string{"authorization": ts.fresh}, map[string]any{"verdict": "missing"}},
		{"basic credentials", map[string]string{"authorization": "Basic dXNlcjpwYXNzd29yZA=="}, map[string]any{"verdict": "missing"}},
		{"garbage token", map[string]string{"authorization": "Bearer not.a.jwt"}, map[string]any{"verdict": "invalid"}},
		{"token signed with another key", map[string]string{"authorization": "Bearer " + ts.alien}, map[string]any{"verdict": "invalid"}},
		{"tampered token", map[string]string{"authorization": "Bearer " + ts.fresh + "x"}, map[string]any{"verdict": "invalid"}},
		{"expired token", map[string]string{"authorization": "Bearer " + ts.expired}, map[string]any{"verdict": "expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := NewAuthorizer(ts.verifier).Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{Headers: tt.headers})
			if err != nil {
				t.Fatalf("Handle error = %v", err)
			}
			if !resp.IsAuthorized {
				t.Fatal("the authorizer must never deny; functions answer 401/403 themselves")
			}
			if len(resp.Context) != len(tt.want) {
				t.Fatalf("context = %v, want %v", resp.Context, tt.want)
			}
			for k, v := range tt.want {
				if resp.Context[k] != v {
					t.Fatalf("context = %v, want %v", resp.Context, tt.want)
				}
			}
		})
	}
}

// The authorizer's verdicts are read by the router: each one must lead to
// the answer the contract gives for it.
func TestAuthorizerVerdicts_AreUnderstoodByTheRouter(t *testing.T) {
	ts := newTokenSet(t, auth.Principal{Subject: "auditor-1", Role: catalog.RoleAuditor})
	tests := []struct {
		name       string
		header     string
		route      string
		wantStatus int
		wantDetail string
	}{
		{"good token, allowed role", "Bearer " + ts.fresh, routeAudit, 200, ""},
		{"good token, role not allowed", "Bearer " + ts.fresh, routeRunJob, 403, "your role may not call this route"},
		{"no token", "", routeAudit, 401, "an access token is required"},
		{"forged token", "Bearer " + ts.alien, routeAudit, 401, auth.ErrTokenInvalid.Message},
		{"expired token", "Bearer " + ts.expired, routeAudit, 401, auth.ErrTokenExpired.Message},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen auth.Principal
			rt, _ := newOpsRouter(t, map[string]HandlerFunc{tt.route: func(_ context.Context, r *Request) (*Response, error) {
				seen = r.Principal
				return OK(nil), nil
			}})
			authz, err := NewAuthorizer(ts.verifier).Handle(context.Background(), events.APIGatewayV2CustomAuthorizerV2Request{
				Headers: map[string]string{"authorization": tt.header},
			})
			if err != nil {
				t.Fatal(err)
			}
			out, _ := rt.Handle(context.Background(), httpEvent(tt.route, &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: authz.Context}))
			if out.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", out.StatusCode, out.Body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				if seen.Subject != "auditor-1" || seen.Role != catalog.RoleAuditor {
					t.Fatalf("principal = %+v", seen)
				}
				return
			}
			if p := decodeProblem(t, out); p.Detail != tt.wantDetail {
				t.Fatalf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
		})
	}
}
