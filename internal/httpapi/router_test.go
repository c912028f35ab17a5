package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/logging"
)

// Routes of the ops function used below: one public, the rest protected.
const (
	routeHealth = "GET /v1/health"                // anyone
	routeAudit  = "GET /v1/admin/audit"           // admin, auditor
	routeRunJob = "POST /v1/admin/jobs/{job}/run" // admin
	routeGetRun = "GET /v1/admin/jobs/runs/{runId}"
)

func okHandler(context.Context, *Request) (*Response, error) {
	return OK(map[string]string{"ok": "yes"}), nil
}

// opsHandlers serves every route the catalog gives the ops function.
func opsHandlers() map[string]HandlerFunc {
	h := map[string]HandlerFunc{}
	for _, r := range catalog.RoutesOf(catalog.FnOps) {
		h[r.Key()] = okHandler
	}
	return h
}

// syncBuffer is a log sink safe to read while the router writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newOpsRouter builds the ops router with the default handlers, replaced by
// those in override.
func newOpsRouter(t *testing.T, override map[string]HandlerFunc) (*Router, *syncBuffer) {
	t.Helper()
	h := opsHandlers()
	for k, v := range override {
		h[k] = v
	}
	logs := &syncBuffer{}
	rt, err := NewRouter(catalog.FnOps, h, logging.New(logs, slog.LevelDebug), ids.New(clock.NewFixed(testNow)))
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	return rt, logs
}

func authorized(verdict, sub, role string) *events.APIGatewayV2HTTPRequestContextAuthorizerDescription {
	ctx := map[string]any{ctxVerdict: verdict}
	if sub != "" {
		ctx[ctxSubject] = sub
	}
	if role != "" {
		ctx[ctxRole] = role
	}
	return &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: ctx}
}

func httpEvent(routeKey string, authz *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		RouteKey: routeKey,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "req-1",
			Authorizer: authz,
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{SourceIP: "203.0.113.7", UserAgent: "test-agent"},
		},
	}
}

func decodeProblem(t *testing.T, out events.APIGatewayV2HTTPResponse) Problem {
	t.Helper()
	if ct := out.Headers["Content-Type"]; ct != ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q (body %s)", ct, ProblemContentType, out.Body)
	}
	var p Problem
	if err := json.Unmarshal([]byte(out.Body), &p); err != nil {
		t.Fatalf("problem body %q: %v", out.Body, err)
	}
	if p.Status != out.StatusCode {
		t.Fatalf("problem status %d differs from response status %d", p.Status, out.StatusCode)
	}
	return p
}

func TestNewRouter_RequiresExactlyTheFunctionsRoutes(t *testing.T) {
	without := func(key string) map[string]HandlerFunc {
		h := opsHandlers()
		delete(h, key)
		return h
	}
	with := func(key string, fn HandlerFunc) map[string]HandlerFunc {
		h := opsHandlers()
		h[key] = fn
		return h
	}
	tests := []struct {
		name     string
		handlers map[string]HandlerFunc
		wantErr  string // substring; "" means success
	}{
		{"every route served", opsHandlers(), ""},
		{"a route without handler", without(routeAudit), "no handler for " + routeAudit},
		{"a nil handler", with(routeRunJob, nil), "no handler for " + routeRunJob},
		{"a route of another function", with("GET /v1/members/me", okHandler), "GET /v1/members/me is not a route of function ops"},
		{"a key of no route at all", with("GET /v1/nowhere", okHandler), "GET /v1/nowhere is not a route of function ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := NewRouter(catalog.FnOps, tt.handlers, slog.New(slog.DiscardHandler), ids.New(clock.NewFixed(testNow)))
			if tt.wantErr == "" {
				if err != nil || rt == nil {
					t.Fatalf("NewRouter = %v, %v; want a router", rt, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewRouter error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRouterHandle_UnknownRouteKeyIsNotFoundProblem(t *testing.T) {
	rt, _ := newOpsRouter(t, nil)
	tests := []struct {
		name     string
		routeKey string
	}{
		{"key of no route", "GET /v1/nowhere"},
		{"route of another function", "GET /v1/members/me"},
		{"empty key", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := rt.Handle(context.Background(), httpEvent(tt.routeKey, nil))
			if err != nil {
				t.Fatalf("Handle error = %v; the router must always answer", err)
			}
			if out.StatusCode != http.StatusNotFound {
				t.Fatalf("status = %d, want 404", out.StatusCode)
			}
			p := decodeProblem(t, out)
			if p.Code != apperr.CodeNotFound || p.RequestID != "req-1" || out.Headers["X-Request-Id"] != "req-1" {
				t.Fatalf("problem = %+v, headers = %v", p, out.Headers)
			}
		})
	}
}

func TestRouterHandle_RouteKeyFallsBackToRequestContext(t *testing.T) {
	rt, _ := newOpsRouter(t, nil)
	ev := httpEvent("", nil)
	ev.RequestContext.RouteKey = routeHealth
	out, _ := rt.Handle(context.Background(), ev)
	if out.StatusCode != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200 from the request context's route key", out.StatusCode, out.Body)
	}
}

func TestRouterHandle_GeneratesARequestIDWhenTheEventHasNone(t *testing.T) {
	var seen string
	rt, _ := newOpsRouter(t, map[string]HandlerFunc{routeHealth: func(ctx context.Context, r *Request) (*Response, error) {
		seen = r.RequestID
		if logging.RequestID(ctx) != r.RequestID {
			t.Errorf("context request id %q differs from the request's %q", logging.RequestID(ctx), r.RequestID)
		}
		return NoContent(), nil
	}})
	ev := httpEvent(routeHealth, nil)
	ev.RequestContext.RequestID = ""
	out, _ := rt.Handle(context.Background(), ev)
	if !ids.Valid(seen) || out.Headers["X-Request-Id"] != seen {
		t.Fatalf("handler saw request id %q, response header %q; want one generated ULID", seen, out.Headers["X-Request-Id"])
	}
}

func TestRouterHandle_AuthenticatesProtectedRoutes(t *testing.T) {
	tests := []struct {
		name       string
		route      string
		authz      *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
		wantStatus int
		wantCode   string
		wantDetail string
	}{
		{"no authorizer context", routeAudit, nil, 401, apperr.CodeUnauthorized, "an access token is required"},
		{"authorizer without lambda context", routeAudit, &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{}, 401, apperr.CodeUnauthorized, "an access token is required"},
		{"missing token", routeAudit, authorized(verdictMissing, "", ""), 401, apperr.CodeUnauthorized, "an access token is required"},
		{"unknown verdict", routeAudit, authorized("maybe", "u1", "admin"), 401, apperr.CodeUnauthorized, "an access token is required"},
		{"invalid token", routeAudit, authorized(verdictInvalid, "", ""), 401, apperr.CodeUnauthorized, auth.ErrTokenInvalid.Message},
		{"expired token", routeAudit, authorized(verdictExpired, "", ""), 401, apperr.CodeUnauthorized, auth.ErrTokenExpired.Message},
		{"ok verdict without subject", routeAudit, authorized(verdictOK, "", "admin"), 401, apperr.CodeUnauthorized, auth.ErrTokenInvalid.Message},
		{"ok verdict with unknown role", routeAudit, authorized(verdictOK, "u1", "root"), 401, apperr.CodeUnauthorized, auth.ErrTokenInvalid.Message},
		{"role not allowed", routeAudit, authorized(verdictOK, "m1", "member"), 403, apperr.CodeForbidden, "your role may not call this route"},
		{"operator on an admin-only route", routeRunJob, authorized(verdictOK, "op", "operator"), 403, apperr.CodeForbidden, "your role may not call this route"},
		{"auditor allowed", routeAudit, authorized(verdictOK, "aud", "auditor"), 200, "", ""},
		{"admin allowed", routeRunJob, authorized(verdictOK, "adm", "admin"), 200, "", ""},
		{"public route needs no token", routeHealth, nil, 200, "", ""},
		{"public route ignores a bad verdict", routeHealth, authorized(verdictInvalid, "", ""), 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			rt, _ := newOpsRouter(t, map[string]HandlerFunc{tt.route: func(context.Context, *Request) (*Response, error) {
				called = true
				return OK(nil), nil
			}})
			out, _ := rt.Handle(context.Background(), httpEvent(tt.route, tt.authz))
			if out.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", out.StatusCode, out.Body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				if !called {
					t.Fatal("handler not called")
				}
				return
			}
			if called {
				t.Fatal("handler called for a rejected request")
			}
			p := decodeProblem(t, out)
			if p.Code != tt.wantCode || p.Detail != tt.wantDetail {
				t.Fatalf("problem = %s/%q, want %s/%q", p.Code, p.Detail, tt.wantCode, tt.wantDetail)
			}
		})
	}
}

func TestRouterHandle_PassesThePrincipalAndRequestToTheHandler(t *testing.T) {
	var got *Request
	rt, _ := newOpsRouter(t, map[string]HandlerFunc{routeRunJob: func(_ context.Context, r *Request) (*Response, error) {
		got = r
		return NoContent(), nil
	}})
	ev := httpEvent(routeRunJob, authorized(verdictOK, "admin-1", "admin"))
	ev.PathParameters = map[string]string{"job": "reconcile"}
	ev.Headers = map[string]string{"X-Custom": "v", "Content-Type": "application/json"}
	ev.Body = `{}`
	out, _ := rt.Handle(context.Background(), ev)
	if out.StatusCode != http.StatusNoContent || out.Body != "" {
		t.Fatalf("response = %d %q, want 204 without body", out.StatusCode, out.Body)
	}
	if got.Principal != (auth.Principal{Subject: "admin-1", Role: catalog.RoleAdmin}) {
		t.Errorf("principal = %+v", got.Principal)
	}
	if got.Param("job") != "reconcile" || got.Route.Key() != routeRunJob {
		t.Errorf("param job = %q, route = %q", got.Param("job"), got.Route.Key())
	}
	if got.Headers["x-custom"] != "v" || got.Headers["X-Custom"] != "" {
		t.Errorf("headers = %v, want lower-case names", got.Headers)
	}
	if got.SourceIP != "203.0.113.7" || got.UserAgent != "test-agent" || got.RequestID != "req-1" || string(got.Body) != "{}" {
		t.Errorf("request = %+v", got)
	}
}

func TestRouterHandle_NilMapsBecomeEmpty(t *testing.T) {
	var got *Request
	rt, _ := newOpsRouter(t, map[string]HandlerFunc{routeHealth: func(_ context.Context, r *Request) (*Response, error) {
		got = r
		return nil, nil
	}})
	out, _ := rt.Handle(context.Background(), httpEvent(routeHealth, nil))
	if got.PathParams == nil || got.Query == nil {
		t.Fatalf("PathParams = %v, Query = %v; handlers must be able to index them", got.PathParams, got.Query)
	}
	if out.StatusCode != http.StatusNoContent {
		t.Fatalf("a nil response must become 204, got %d", out.StatusCode)
	}
}

func TestRouterHandle_PanicBecomesGenericInternalProblem(t *testing.T) {
	const secret = "db password is hunter2"
	rt, logs := newOpsRouter(t, map[string]HandlerFunc{routeHealth: func(context.Context, *Request) (*Response, error) {
		panic(secret)
	}})
	out, err := rt.Handle(context.Background(), httpEvent(routeHealth, nil))
	if err != nil {
		t.Fatalf("Handle error = %v", err)
	}
	if out.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", out.StatusCode)
	}
	p := decodeProblem(t, out)
	if p.Code != apperr.CodeInternal || p.RequestID != "req-1" || !strings.Contains(p.Detail, "request id") {
		t.Fatalf("problem = %+v", p)
	}
	if strings.Contains(out.Body, "hunter2") || strings.Contains(out.Body, "panic") {
		t.Fatalf("the body leaks the panic: %s", out.Body)
	}
	if !strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), `"request_id":"req-1"`) {
		t.Fatalf("the log must keep the cause with the request id; log = %s", logs.String())
	}
}

func TestRouterHandle_HandlerErrorsBecomeProblems(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		hidden     string // must not appear in the body
	}{
		{"domain error", apperr.Conflict("already done"), 409, apperr.CodeConflict, ""},
		{"wrapped domain error", errors.Join(errors.New("ctx"), apperr.NotFound("job run")), 404, apperr.CodeNotFound, ""},
		{"foreign error", errors.New("dial tcp 10.0.0.1: refused"), 500, apperr.CodeInternal, "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, _ := newOpsRouter(t, map[string]HandlerFunc{routeHealth: func(context.Context, *Request) (*Response, error) {
				return OK("ignored"), tt.err
			}})
			out, _ := rt.Handle(context.Background(), httpEvent(routeHealth, nil))
			if out.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", out.StatusCode, tt.wantStatus)
			}
			if p := decodeProblem(t, out); p.Code != tt.wantCode {
				t.Fatalf("code = %s, want %s", p.Code, tt.wantCode)
			}
			if tt.hidden != "" && strings.Contains(out.Body, tt.hidden) {
				t.Fatalf("body leaks %q: %s", tt.hidden, out.Body)
			}
		})
	}
}

func TestRouterHandle_Body(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name       string
		body       string
		base64     bool
		wantStatus int
		wantBody   string // what the handler sees, for 200
	}{
		{"plain", `{"a":1}`, false, 200, `{"a":1}`},
		{"base64 is decoded", b64([]byte{0xff, 0x00, 'x'}), true, 200, "\xff\x00x"},
		{"invalid base64", "not base64!", true, 400, ""},
		{"exactly the limit", strings.Repeat("a", MaxBodyBytes), false, 200, strings.Repeat("a", MaxBodyBytes)},
		{"one byte over the limit", strings.Repeat("a", MaxBodyBytes+1), false, 413, ""},
		{"over the limit once decoded", b64(bytes.Repeat([]byte("a"), MaxBodyBytes+1)), true, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []byte
			called := false
			rt, _ := newOpsRouter(t, map[string]HandlerFunc{routeHealth: func(_ context.Context, r *Request) (*Response, error) {
				seen, called = r.Body, true
				return NoContent(), nil
			}})
			ev := httpEvent(routeHealth, nil)
			ev.Body, ev.IsBase64Encoded = tt.body, tt.base64
			out, _ := rt.Handle(context.Background(), ev)
			if tt.wantStatus == 200 {
				if !called || string(seen) != tt.wantBody {
					t.Fatalf("status %d; handler saw %d bytes, want %d", out.StatusCode, len(seen), len(tt.wantBody))
				}
				return
			}
			if out.StatusCode != tt.wantStatus || called {
				t.Fatalf("status = %d (handler called: %v), want %d without calling the handler", out.StatusCode, called, tt.wantStatus)
			}
			decodeProblem(t, out)
		})
	}
}

func TestRouterHandle_EncodesResponses(t *testing.T) {
	tests := []struct {
		name        string
		resp        *Response
		wantStatus  int
		wantBody    string
		wantHeaders map[string]string
	}{
		{"json body", Created(map[string]int{"n": 1}), 201, `{"n":1}`, map[string]string{"Content-Type": "application/json"}},
		{"custom header kept", OK("x").WithHeader("Location", "/v1/x"), 200, `"x"`, map[string]string{"Location": "/v1/x"}},
		{"custom content type kept", OK("x").WithHeader("Content-Type", "application/vnd.x+json"), 200, `"x"`, map[string]string{"Content-Type": "application/vnd.x+json"}},
		{"no content has no body", &Response{Status: 204, Body: map[string]int{"n": 1}}, 204, "", nil},
		{"replay is raw and marked", Replay(201, []byte(`{"id":"a"}`)), 201, `{"id":"a"}`, map[string]string{ReplayHeader: "true", "Content-Type": "application/json"}},
		{"unencodable body becomes 500", OK(math.Inf(1)), 500, "", map[string]string{"Content-Type": ProblemContentType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, _ := newOpsRouter(t, map[string]HandlerFunc{routeHealth: func(context.Context, *Request) (*Response, error) {
				return tt.resp, nil
			}})
			out, _ := rt.Handle(context.Background(), httpEvent(routeHealth, nil))
			if out.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", out.StatusCode, out.Body, tt.wantStatus)
			}
			if tt.wantBody != "" && out.Body != tt.wantBody {
				t.Fatalf("body = %s, want %s", out.Body, tt.wantBody)
			}
			if tt.wantStatus == 500 && decodeProblem(t, out).Code != apperr.CodeInternal {
				t.Fatalf("body = %s", out.Body)
			}
			want := map[string]string{"X-Request-Id": "req-1", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
			for k, v := range tt.wantHeaders {
				want[k] = v
			}
			for k, v := range want {
				if out.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, out.Headers[k], v)
				}
			}
		})
	}
}

func TestRouterHandle_LogsOneLinePerRequest(t *testing.T) {
	rt, logs := newOpsRouter(t, map[string]HandlerFunc{routeAudit: func(context.Context, *Request) (*Response, error) {
		return nil, apperr.Invalid("bad")
	}})
	if _, err := rt.Handle(context.Background(), httpEvent(routeAudit, authorized(verdictOK, "adm", "admin"))); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d: %s", len(lines), logs.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	if line["route"] != routeAudit || line["status"] != float64(400) || line["code"] != apperr.CodeValidationFailed ||
		line["request_id"] != "req-1" || line["function"] != catalog.FnOps || line["level"] != "INFO" {
		t.Fatalf("log line = %v", line)
	}
	if _, ok := line["latency_ms"]; !ok {
		t.Fatalf("log line has no latency: %v", line)
	}
}
