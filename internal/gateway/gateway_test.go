package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ids"
)

var testNow = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// fakeFunction records the events it is invoked with and answers resp.
type fakeFunction struct {
	mu     sync.Mutex
	events []events.APIGatewayV2HTTPRequest
	resp   events.APIGatewayV2HTTPResponse
	err    error
}

func (f *fakeFunction) handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return f.resp, f.err
}

func (f *fakeFunction) calls() []events.APIGatewayV2HTTPRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]events.APIGatewayV2HTTPRequest(nil), f.events...)
}

// fakeAuthorizer records its requests and answers resp.
type fakeAuthorizer struct {
	mu   sync.Mutex
	reqs []events.APIGatewayV2CustomAuthorizerV2Request
	resp events.APIGatewayV2CustomAuthorizerSimpleResponse
	err  error
}

func (a *fakeAuthorizer) handle(_ context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs = append(a.reqs, ev)
	return a.resp, a.err
}

type fixture struct {
	gw    *Gateway
	fn    *fakeFunction // serves every function
	authz *fakeAuthorizer
}

func newFixture(t *testing.T, tune func(*Options)) fixture {
	t.Helper()
	fn := &fakeFunction{resp: events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{"ok":true}`, Headers: map[string]string{"Content-Type": "application/json"}}}
	authz := &fakeAuthorizer{resp: events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{"verdict": "ok", "sub": "admin-1", "role": "admin"}}}
	c := clock.NewFixed(testNow)
	functions := map[string]HTTPFunc{}
	for _, name := range httpFunctions() {
		functions[name] = fn.handle
	}
	o := Options{
		Functions:  functions,
		Authorizer: authz.handle,
		Clock:      c,
		IDs:        ids.New(c),
		Log:        slog.New(slog.DiscardHandler),
	}
	if tune != nil {
		tune(&o)
	}
	gw, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return fixture{gw: gw, fn: fn, authz: authz}
}

func (f fixture) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.gw.ServeHTTP(rec, req)
	return rec
}

// httpFunctions lists the functions that serve routes of the catalog.
func httpFunctions() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range catalog.Routes() {
		if !seen[r.Function] {
			seen[r.Function] = true
			out = append(out, r.Function)
		}
	}
	return out
}

func TestNew_RequiresAHandlerForEveryFunctionWithRoutes(t *testing.T) {
	for _, missing := range httpFunctions() {
		t.Run(missing, func(t *testing.T) {
			fns := map[string]HTTPFunc{}
			for _, name := range httpFunctions() {
				if name != missing {
					fns[name] = (&fakeFunction{}).handle
				}
			}
			_, err := New(Options{Functions: fns, Clock: clock.NewFixed(testNow), IDs: ids.New(clock.NewFixed(testNow)), Log: slog.New(slog.DiscardHandler)})
			if err == nil || !strings.Contains(err.Error(), "no handler for function "+missing) {
				t.Fatalf("New = %v, want an error naming %s", err, missing)
			}
		})
	}
}

func TestServeHTTP_BuildsThePayloadV2Event(t *testing.T) {
	f := newFixture(t, nil)
	req := httptest.NewRequest(http.MethodPost, "/v1/admin/members/01JD0000000000000000000000/status?a=1&a=2&b=x%20y", strings.NewReader(`{"status":"FROZEN"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("User-Agent", "ua/1")
	req.Header.Add("Cookie", "a=1; b=2")
	req.Header.Add("Cookie", "c=3")
	req.RemoteAddr = "198.51.100.4:5555"
	rec := f.do(req)
	if rec.Code != 200 {
		t.Fatalf("status = %d (%s)", rec.Code, rec.Body)
	}
	calls := f.fn.calls()
	if len(calls) != 1 {
		t.Fatalf("function invoked %d times", len(calls))
	}
	ev := calls[0]
	const key = "POST /v1/admin/members/{memberId}/status"
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"route key", ev.RouteKey, key},
		{"context route key", ev.RequestContext.RouteKey, key},
		{"raw path", ev.RawPath, "/v1/admin/members/01JD0000000000000000000000/status"},
		{"raw query", ev.RawQueryString, "a=1&a=2&b=x%20y"},
		{"path parameters", ev.PathParameters, map[string]string{"memberId": "01JD0000000000000000000000"}},
		{"query joined by commas", ev.QueryStringParameters, map[string]string{"a": "1,2", "b": "x y"}},
		{"multi-value header joined", ev.Headers["x-multi"], "one,two"},
		{"content type", ev.Headers["content-type"], "application/json"},
		{"authorization", ev.Headers["authorization"], "Bearer tok"},
		{"host", ev.Headers["host"], "example.com"},
		{"no cookie header", ev.Headers["cookie"], ""},
		{"cookies split", ev.Cookies, []string{"a=1", "b=2", "c=3"}},
		{"body", ev.Body, `{"status":"FROZEN"}`},
		{"not base64", ev.IsBase64Encoded, false},
		{"method", ev.RequestContext.HTTP.Method, "POST"},
		{"path", ev.RequestContext.HTTP.Path, "/v1/admin/members/01JD0000000000000000000000/status"},
		{"source ip", ev.RequestContext.HTTP.SourceIP, "198.51.100.4"},
		{"user agent", ev.RequestContext.HTTP.UserAgent, "ua/1"},
		{"time epoch", ev.RequestContext.TimeEpoch, testNow.UnixMilli()},
		{"time", ev.RequestContext.Time, "24/Nov/2026:08:00:00 +0000"},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"request id is a ULID", ids.Valid(ev.RequestContext.RequestID), true},
		{"authorizer context passed", ev.RequestContext.Authorizer.Lambda, map[string]any{"verdict": "ok", "sub": "admin-1", "role": "admin"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	for name := range ev.Headers {
		if name != strings.ToLower(name) {
			t.Errorf("header %q is not lower-case", name)
		}
	}
}

func TestServeHTTP_EventBody(t *testing.T) {
	binary := []byte{0xff, 0xfe, 0x00, 'a'}
	tests := []struct {
		name       string
		body       []byte
		wantBody   string
		wantBase64 bool
	}{
		{"empty", nil, "", false},
		{"utf-8 text", []byte("名前 ok"), "名前 ok", false},
		{"binary", binary, base64.StdEncoding.EncodeToString(binary), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.do(httptest.NewRequest(http.MethodPost, "/v1/auth/login", bytes.NewReader(tt.body)))
			ev := f.fn.calls()[0]
			if ev.Body != tt.wantBody || ev.IsBase64Encoded != tt.wantBase64 {
				t.Fatalf("body = %q (base64 %v), want %q (base64 %v)", ev.Body, ev.IsBase64Encoded, tt.wantBody, tt.wantBase64)
			}
		})
	}
}

func TestServeHTTP_PublicRouteHasNoQueryOrPathParametersWhenNoneAreGiven(t *testing.T) {
	f := newFixture(t, nil)
	f.do(httptest.NewRequest(http.MethodGet, "/v1/health", nil))
	ev := f.fn.calls()[0]
	if ev.QueryStringParameters != nil || ev.PathParameters != nil || ev.RequestContext.Authorizer != nil {
		t.Fatalf("query %v, params %v, authorizer %v; want all absent", ev.QueryStringParameters, ev.PathParameters, ev.RequestContext.Authorizer)
	}
}

func TestServeHTTP_RunsTheAuthorizerOnlyOnProtectedRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		wantAuthz    bool
	}{
		{http.MethodGet, "/v1/health", false},
		{http.MethodPost, "/v1/auth/login", false},
		{http.MethodGet, "/v1/members/me", true},
		{http.MethodPost, "/v1/points/earn", true},
		{http.MethodGet, "/v1/admin/jobs/runs/01JD0000000000000000000000", true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			f := newFixture(t, nil)
			req := httptest.NewRequest(tt.method, tt.path+"?q=1", nil)
			req.Header.Set("Authorization", "Bearer tok")
			f.do(req)
			if got := len(f.authz.reqs); got != map[bool]int{true: 1, false: 0}[tt.wantAuthz] {
				t.Fatalf("authorizer ran %d times", got)
			}
			if !tt.wantAuthz {
				return
			}
			a, ev := f.authz.reqs[0], f.fn.calls()[0]
			if a.Type != "REQUEST" || a.RouteKey != ev.RouteKey || a.RawPath != ev.RawPath || a.Headers["authorization"] != "Bearer tok" ||
				!reflect.DeepEqual(a.IdentitySource, []string{"Bearer tok"}) || a.QueryStringParameters["q"] != "1" ||
				a.RequestContext.RequestID != ev.RequestContext.RequestID {
				t.Fatalf("authorizer request = %+v", a)
			}
		})
	}
}

func TestServeHTTP_AuthorizerDenyOrFailure(t *testing.T) {
	tests := []struct {
		name       string
		resp       events.APIGatewayV2CustomAuthorizerSimpleResponse
		err        error
		wantStatus int
		wantBody   string
	}{
		{"deny", events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil, 403, `{"message":"Forbidden"}`},
		{"error", events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errors.New("crashed"), 500, `{"message":"Internal Server Error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.authz.resp, f.authz.err = tt.resp, tt.err
			rec := f.do(httptest.NewRequest(http.MethodGet, "/v1/members/me", nil))
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Fatalf("response = %d %s, want %d %s", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
			if n := len(f.fn.calls()); n != 0 {
				t.Fatalf("function invoked %d times after the authorizer said no", n)
			}
		})
	}
}

func TestServeHTTP_FunctionErrorIsAnOpaque500(t *testing.T) {
	f := newFixture(t, nil)
	f.fn.err = errors.New("runtime exited: secret detail")
	rec := f.do(httptest.NewRequest(http.MethodGet, "/v1/health", nil))
	if rec.Code != 500 || rec.Body.String() != `{"message":"Internal Server Error"}` {
		t.Fatalf("response = %d %s", rec.Code, rec.Body)
	}
}

func TestServeHTTP_WritesTheFunctionsResponse(t *testing.T) {
	tests := []struct {
		name        string
		resp        events.APIGatewayV2HTTPResponse
		wantBody    string
		wantHeaders map[string][]string
	}{
		{
			name:        "headers, multi-value headers and cookies",
			resp:        events.APIGatewayV2HTTPResponse{StatusCode: 201, Body: `{"id":1}`, Headers: map[string]string{"X-Request-Id": "r1", "Content-Type": "application/json"}, MultiValueHeaders: map[string][]string{"Vary": {"A", "B"}}, Cookies: []string{"s=1; HttpOnly", "t=2"}},
			wantBody:    `{"id":1}`,
			wantHeaders: map[string][]string{"X-Request-Id": {"r1"}, "Vary": {"A", "B"}, "Set-Cookie": {"s=1; HttpOnly", "t=2"}, "Content-Length": {"8"}},
		},
		{
			name:        "base64 body is decoded",
			resp:        events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte{1, 2, 3}), IsBase64Encoded: true, Headers: map[string]string{"Content-Type": "application/octet-stream"}},
			wantBody:    "\x01\x02\x03",
			wantHeaders: map[string][]string{"Content-Type": {"application/octet-stream"}, "Content-Length": {"3"}},
		},
		{
			name:        "missing content type defaults to JSON",
			resp:        events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `[]`},
			wantBody:    `[]`,
			wantHeaders: map[string][]string{"Content-Type": {"application/json"}},
		},
		{
			name:        "empty body gets no content type",
			resp:        events.APIGatewayV2HTTPResponse{StatusCode: 204},
			wantBody:    "",
			wantHeaders: map[string][]string{"Content-Type": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.fn.resp = tt.resp
			rec := f.do(httptest.NewRequest(http.MethodGet, "/v1/health", nil))
			if rec.Code != tt.resp.StatusCode || rec.Body.String() != tt.wantBody {
				t.Fatalf("response = %d %q, want %d %q", rec.Code, rec.Body, tt.resp.StatusCode, tt.wantBody)
			}
			for k, want := range tt.wantHeaders {
				if got := rec.Header().Values(k); !reflect.DeepEqual(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestServeHTTP_UnknownRoutesAreNotFoundProblems(t *testing.T) {
	tests := []struct{ method, path string }{
		{http.MethodGet, "/v1/nowhere"},
		{http.MethodDelete, "/v1/health"}, // known path, unknown method
		{http.MethodGet, "/"},
		{http.MethodGet, "/_local/clock"}, // no Extra handler configured
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			f := newFixture(t, nil)
			rec := f.do(httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != httpapi.ProblemContentType {
				t.Fatalf("response = %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			rid := rec.Header().Get("X-Request-Id")
			if p.Code != apperr.CodeNotFound || !ids.Valid(rid) || p.RequestID != rid {
				t.Fatalf("problem = %+v, X-Request-Id = %q", p, rid)
			}
			if n := len(f.fn.calls()); n != 0 {
				t.Fatalf("function invoked %d times", n)
			}
		})
	}
}

func TestServeHTTP_LocalPathsGoToExtra(t *testing.T) {
	var hits int
	f := newFixture(t, func(o *Options) {
		o.Extra = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits++
			w.WriteHeader(http.StatusTeapot)
		})
		o.RateLimit, o.Burst = 1, 1
	})
	for range 3 {
		if rec := f.do(httptest.NewRequest(http.MethodPost, "/_local/clock", nil)); rec.Code != http.StatusTeapot {
			t.Fatalf("status = %d, want the Extra handler's, never throttled", rec.Code)
		}
	}
	if rec := f.do(httptest.NewRequest(http.MethodGet, "/v1/nowhere", nil)); rec.Code != http.StatusNotFound || hits != 3 {
		t.Fatalf("unknown non-local path: status %d, extra hits %d; want 404 not served by Extra", rec.Code, hits)
	}
}

func TestServeHTTP_RejectsBodiesOverTheGatewayLimit(t *testing.T) {
	f := newFixture(t, nil)
	rec := f.do(httptest.NewRequest(http.MethodPost, "/v1/auth/login", io.LimitReader(zeros{}, maxPayload+1)))
	if rec.Code != http.StatusRequestEntityTooLarge || len(f.fn.calls()) != 0 {
		t.Fatalf("status = %d, invocations = %d; want 413 without invoking", rec.Code, len(f.fn.calls()))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func fromIP(method, path, ip string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = ip + ":40000"
	return req
}

func TestServeHTTP_ThrottlesEachClientIP(t *testing.T) {
	// One token per 100 s: the bucket cannot refill while the test runs.
	f := newFixture(t, func(o *Options) { o.RateLimit, o.Burst = 0.01, 2 })
	for i := range 2 {
		if rec := f.do(fromIP("GET", "/v1/health", "10.0.0.1")); rec.Code != 200 {
			t.Fatalf("request %d within the burst: status %d", i+1, rec.Code)
		}
	}
	rec := f.do(fromIP("GET", "/v1/health", "10.0.0.1"))
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("request over the burst: status %d, want 429", rec.Code)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code != apperr.CodeRateLimited {
		t.Fatalf("body = %s (%v)", rec.Body, err)
	}
	if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 99 || ra > 100 {
		t.Fatalf("Retry-After = %q, want the whole seconds until the next token (100)", rec.Header().Get("Retry-After"))
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Fatal("a throttled response must carry a request id")
	}
	if rec := f.do(fromIP("GET", "/v1/health", "10.0.0.2")); rec.Code != 200 {
		t.Fatalf("another client: status %d, want its own bucket", rec.Code)
	}
	if n := len(f.fn.calls()); n != 3 {
		t.Fatalf("function invoked %d times, want 3 (the throttled request never reaches it)", n)
	}
}

func TestServeHTTP_ZeroRateLimitDisablesThrottling(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit, o.Burst = 0, 1 })
	for i := range 50 {
		if rec := f.do(fromIP("GET", "/v1/health", "10.0.0.1")); rec.Code != 200 {
			t.Fatalf("request %d: status %d", i+1, rec.Code)
		}
	}
}

func TestLimiter_Allow(t *testing.T) {
	t0 := testNow
	type step struct {
		client  string
		at      time.Duration // after t0
		wantOK  bool
		wantMax time.Duration // upper bound of the wait when refused
	}
	tests := []struct {
		name      string
		perSecond float64
		burst     int
		steps     []step
	}{
		{"burst then refusal then refill", 2, 3, []step{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0},
			{"a", 0, false, 500 * time.Millisecond},
			{"a", 499 * time.Millisecond, false, time.Millisecond},
			{"a", 500 * time.Millisecond, true, 0},
			{"a", 500 * time.Millisecond, false, 500 * time.Millisecond},
		}},
		{"refused requests take no token", 1, 1, []step{
			{"a", 0, true, 0},
			{"a", 100 * time.Millisecond, false, 900 * time.Millisecond},
			{"a", 200 * time.Millisecond, false, 800 * time.Millisecond},
			{"a", time.Second, true, 0},
		}},
		{"clients have separate buckets", 1, 1, []step{
			{"a", 0, true, 0}, {"a", 0, false, time.Second}, {"b", 0, true, 0}, {"b", 0, false, time.Second},
		}},
		{"burst below one defaults to the rate", 3, 0, []step{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, false, time.Second},
		}},
		{"a fractional rate still allows one", 0.5, 0, []step{
			{"a", 0, true, 0}, {"a", time.Second, false, time.Second}, {"a", 2 * time.Second, true, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(tt.perSecond, tt.burst)
			for i, s := range tt.steps {
				ok, wait := l.allow(s.client, t0.Add(s.at))
				if ok != s.wantOK {
					t.Fatalf("step %d (%s at %v): allowed = %v, want %v", i, s.client, s.at, ok, s.wantOK)
				}
				if ok && wait != 0 || !ok && (wait <= 0 || wait > s.wantMax) {
					t.Fatalf("step %d: wait = %v, want %s", i, wait, map[bool]string{true: "0", false: "in (0, " + s.wantMax.String() + "]"}[ok])
				}
			}
		})
	}
}

func TestLimiter_ForgetsIdleClients(t *testing.T) {
	l := newLimiter(1, 1)
	l.allow("idle", testNow)
	l.allow("busy", testNow.Add(9*time.Minute))
	l.allow("busy", testNow.Add(11*time.Minute))
	l.mu.Lock()
	_, idle := l.buckets["idle"]
	_, busy := l.buckets["busy"]
	l.mu.Unlock()
	if idle || !busy {
		t.Fatalf("buckets: idle kept %v, busy kept %v; want only clients seen in the last 10 minutes", idle, busy)
	}
}
