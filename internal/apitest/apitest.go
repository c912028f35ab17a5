// Package apitest drives the whole system over HTTP in tests: the local
// gateway and every function on a fresh embedded-DynamoDB table, with a
// movable clock. Every request and response it sees is checked against
// docs/openapi.yaml, so the document cannot drift from what the API does.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/devserver"
	"github.com/arkmember/arkmember/internal/testenv"
)

// API is a running system under test.
type API struct {
	T      testing.TB
	URL    string
	Stack  *devserver.Stack
	Clock  *clock.Fixed // the base clock; Stack.Clock adjusts on top of it
	DB     testenv.DB
	client *http.Client
}

// Options tune the system under test.
type Options struct {
	RateLimit float64
	Burst     int
}

// AdminPassword and ServiceSecret are the bootstrap credentials of tests.
const (
	AdminPassword = "admin-password-1"
	ServiceSecret = "service-secret-1"
)

// New starts the system on a fresh table.
func New(t testing.TB) *API { return NewWith(t, Options{}) }

// NewWith starts the system with options.
func NewWith(t testing.TB, o Options) *API {
	t.Helper()
	base := clock.NewFixed(testenv.Now)
	db := testenv.New(t)
	ctx := context.Background()
	opts := devserver.StackOptions{
		DB: db.Engine.Client, Table: db.Table, Master: testenv.MasterKey, Clock: base,
		RateLimit: o.RateLimit, Burst: o.Burst, HashParams: &testenv.FastHash,
	}
	if os.Getenv("ARK_TEST_LOGS") != "" {
		opts.LogWriter = os.Stderr
	}
	st, err := devserver.NewStack(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bootstrap(ctx, AdminPassword, ServiceSecret, io.Discard); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.Gateway)
	t.Cleanup(srv.Close)
	return &API{T: t, URL: srv.URL, Stack: st, Clock: base, DB: db, client: srv.Client()}
}

// Resp is a response.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r Resp) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Str returns a top-level string field of the body.
func (r Resp) Str(field string) string {
	s, _ := r.JSON()[field].(string)
	return s
}

// Code returns the problem code of an error response.
func (r Resp) Code() string { return r.Str("code") }

// Request is one HTTP call.
type Request struct {
	Method, Path, Token string
	// Body is marshalled as JSON, unless it is a string or []byte, sent raw.
	Body        any
	Header      map[string]string
	SkipRequest bool // do not validate the request against the spec (bad-input tests)
}

// Do sends r and checks the exchange against the OpenAPI document.
func (a *API) Do(r Request) Resp {
	a.T.Helper()
	var body []byte
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			a.T.Fatal(err)
		}
	}
	req, err := http.NewRequest(r.Method, a.URL+r.Path, bytes.NewReader(body))
	if err != nil {
		a.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	res, err := a.client.Do(req)
	if err != nil {
		a.T.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		a.T.Fatal(err)
	}
	resp := Resp{Status: res.StatusCode, Header: res.Header, Body: out}
	if err := CheckAgainstSpec(req, body, resp, !r.SkipRequest); err != nil {
		a.T.Errorf("%s %s: %v\nresponse %d: %s", r.Method, r.Path, err, resp.Status, out)
	}
	return resp
}

// Call is Do for the common case.
func (a *API) Call(method, path, token string, body any) Resp {
	a.T.Helper()
	return a.Do(Request{Method: method, Path: path, Token: token, Body: body})
}

// Must calls and fails the test unless the status is want.
func (a *API) Must(want int, method, path, token string, body any) Resp {
	a.T.Helper()
	r := a.Call(method, path, token, body)
	if r.Status != want {
		a.T.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, want)
	}
	return r
}

// Member is a registered member.
type Member struct {
	ID, Mobile, Password, Access, Refresh string
}

// Register registers a member with a fresh mobile.
func (a *API) Register() Member {
	a.T.Helper()
	m := Member{Mobile: NextMobile(), Password: "passw0rd-" + fmt.Sprint(time.Now().UnixNano()%1000)}
	r := a.Must(http.StatusCreated, "POST", "/v1/auth/register", "", map[string]string{"mobile": m.Mobile, "password": m.Password})
	m.ID, m.Access, m.Refresh = r.Str("memberId"), r.Str("accessToken"), r.Str("refreshToken")
	return m
}

// Admin returns an access token of the bootstrap admin.
func (a *API) Admin() string {
	a.T.Helper()
	return a.Must(http.StatusOK, "POST", "/v1/auth/staff-login", "", map[string]string{"username": "admin", "password": AdminPassword}).Str("accessToken")
}

// Staff creates a staff account with role and returns its access token.
func (a *API) Staff(username, role string) string {
	a.T.Helper()
	if _, err := a.Stack.Accounts.EnsureStaff(context.Background(), username, roleOf(role), "staff-password-1"); err != nil {
		a.T.Fatal(err)
	}
	return a.Must(http.StatusOK, "POST", "/v1/auth/staff-login", "", map[string]string{"username": username, "password": "staff-password-1"}).Str("accessToken")
}

// Service returns an access token of the local service client.
func (a *API) Service() string {
	a.T.Helper()
	return a.Must(http.StatusOK, "POST", "/v1/auth/token", "", map[string]string{"clientId": "local-service", "clientSecret": ServiceSecret}).Str("accessToken")
}

var (
	mobileMu  sync.Mutex
	mobileSeq = 0
)

// NextMobile returns a mobile number no other test of this binary uses.
func NextMobile() string {
	mobileMu.Lock()
	defer mobileMu.Unlock()
	mobileSeq++
	return fmt.Sprintf("139%08d", mobileSeq)
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// SpecPath is docs/openapi.yaml of this repository.
func SpecPath() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "infra")); err == nil || !strings.HasSuffix(dir, "infra") {
				return filepath.Join(dir, "docs", "openapi.yaml")
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "docs/openapi.yaml"
		}
		dir = parent
	}
}

// LoadSpec loads and validates the OpenAPI document.
func LoadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(SpecPath())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	return doc, nil
}

func router() (routers.Router, error) {
	specOnce.Do(func() {
		doc, err := LoadSpec()
		if err != nil {
			specErr = err
			return
		}
		// Match on paths only: the document's server is the dev server's
		// address, tests run on a random port.
		doc.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	return specRouter, specErr
}

// CheckAgainstSpec validates one exchange against the OpenAPI document:
// the route must be documented, the request valid (unless skipped) and the
// response's status, headers and body as documented.
func CheckAgainstSpec(req *http.Request, body []byte, resp Resp, checkRequest bool) error {
	rt, err := router()
	if err != nil {
		return err
	}
	if strings.HasPrefix(req.URL.Path, "/_local/") {
		return nil
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := rt.FindRoute(vreq)
	if err != nil {
		if resp.Status == http.StatusNotFound {
			return nil // an undocumented path is correctly not found
		}
		return fmt.Errorf("route not in openapi.yaml: %w", err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if checkRequest && resp.Status < 500 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("request does not match openapi.yaml: %w", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.Status, Header: resp.Header,
		Body:    io.NopCloser(bytes.NewReader(resp.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response does not match openapi.yaml: %w", err)
	}
	return nil
}

// parallel runs f(0..n-1) in n goroutines at once and waits for them all:
// the shape of every concurrency test here.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
}
