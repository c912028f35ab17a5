// Package gateway is the local stand-in for API Gateway HTTP API: it matches
// a request against the route table, turns it into a payload-v2 event, runs
// the Lambda authorizer first on protected routes (as API Gateway does),
// invokes the function's handler in process and writes its response. It also
// throttles each client with a token bucket, as stage throttling would.
package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-chi/chi/v5"
	"golang.org/x/time/rate"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ids"
)

// HTTPFunc is the handler of an HTTP function.
type HTTPFunc func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// AuthorizerFunc is the handler of the authorizer function.
type AuthorizerFunc func(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error)

// maxPayload is API Gateway's request payload limit (10 MB).
const maxPayload = 10 << 20

// Options configure the gateway.
type Options struct {
	Functions  map[string]HTTPFunc
	Authorizer AuthorizerFunc
	// RateLimit is requests per second per client IP; 0 disables throttling.
	RateLimit float64
	Burst     int
	Clock     clock.Clock
	IDs       *ids.Generator
	Log       *slog.Logger
	// Extra serves paths the route table does not know (the dev server's
	// /_local endpoints).
	Extra http.Handler
}

// Gateway is an http.Handler serving the whole API.
type Gateway struct {
	o       Options
	router  chi.Router
	limiter *limiter
}

// New builds the gateway; every route's function must be given.
func New(o Options) (*Gateway, error) {
	g := &Gateway{o: o, router: chi.NewRouter()}
	if o.RateLimit > 0 {
		g.limiter = newLimiter(o.RateLimit, o.Burst)
	}
	for _, r := range catalog.Routes() {
		fn := o.Functions[r.Function]
		if fn == nil {
			return nil, fmt.Errorf("gateway: no handler for function %s (route %s)", r.Function, r.Key())
		}
		route := r
		g.router.MethodFunc(r.Method, r.Path, func(w http.ResponseWriter, req *http.Request) {
			g.serveRoute(w, req, route, fn)
		})
	}
	notFound := func(w http.ResponseWriter, req *http.Request) {
		if o.Extra != nil && strings.HasPrefix(req.URL.Path, "/_local/") {
			o.Extra.ServeHTTP(w, req)
			return
		}
		writeProblem(w, apperr.NotFound("route "+req.Method+" "+req.URL.Path), g.o.IDs.New())
	}
	g.router.NotFound(notFound)
	g.router.MethodNotAllowed(notFound)
	return g, nil
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.limiter != nil && !strings.HasPrefix(r.URL.Path, "/_local/") {
		if ok, wait := g.limiter.allow(clientIP(r), time.Now()); !ok {
			writeProblem(w, apperr.New(apperr.KindRateLimited, apperr.CodeRateLimited, "too many requests; slow down").WithRetryAfter(wait), g.o.IDs.New())
			return
		}
	}
	g.router.ServeHTTP(w, r)
}

func (g *Gateway) serveRoute(w http.ResponseWriter, r *http.Request, route catalog.Route, fn HTTPFunc) {
	start := time.Now()
	requestID := g.o.IDs.New()
	ev, err := g.event(r, route, requestID)
	if err != nil {
		writeProblem(w, err, requestID)
		return
	}
	ctx := r.Context()
	if !route.Public() {
		authz, err := g.authorize(ctx, ev)
		if err != nil {
			g.o.Log.ErrorContext(ctx, "authorizer failed", slog.String("route", route.Key()), slog.Any("error", err))
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
			return
		}
		if !authz.IsAuthorized {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden"})
			return
		}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: authz.Context}
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := invoke(ctx, fn, ev, &resp); err != nil {
		g.o.Log.ErrorContext(ctx, "function failed", slog.String("route", route.Key()), slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
		return
	}
	if err := writeResponse(w, resp); err != nil {
		g.o.Log.WarnContext(ctx, "write response", slog.Any("error", err))
	}
	g.o.Log.DebugContext(ctx, "access", slog.String("route", route.Key()), slog.Int("status", resp.StatusCode),
		slog.String("requestId", requestID), slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000))
}

// invoke calls fn the way Lambda would: the event and the response cross a
// JSON boundary, so nothing that would not survive serialization works
// locally either.
func invoke(ctx context.Context, fn HTTPFunc, ev events.APIGatewayV2HTTPRequest, out *events.APIGatewayV2HTTPResponse) error {
	var in events.APIGatewayV2HTTPRequest
	if err := roundTrip(ev, &in); err != nil {
		return err
	}
	resp, err := fn(ctx, in)
	if err != nil {
		return err
	}
	return roundTrip(resp, out)
}

func (g *Gateway) authorize(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	req := events.APIGatewayV2CustomAuthorizerV2Request{
		Version:               "2.0",
		Type:                  "REQUEST",
		RouteArn:              "arn:aws:execute-api:local:000000000000:local/$default/" + strings.Replace(ev.RouteKey, " ", "", 1),
		RouteKey:              ev.RouteKey,
		RawPath:               ev.RawPath,
		RawQueryString:        ev.RawQueryString,
		Cookies:               ev.Cookies,
		Headers:               ev.Headers,
		QueryStringParameters: ev.QueryStringParameters,
		RequestContext:        ev.RequestContext,
		PathParameters:        ev.PathParameters,
	}
	if h := ev.Headers["authorization"]; h != "" {
		req.IdentitySource = []string{h}
	}
	var in events.APIGatewayV2CustomAuthorizerV2Request
	if err := roundTrip(req, &in); err != nil {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, err
	}
	resp, err := g.o.Authorizer(ctx, in)
	if err != nil {
		return resp, err
	}
	var out events.APIGatewayV2CustomAuthorizerSimpleResponse
	return out, roundTrip(resp, &out)
}

func roundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// event builds the payload-v2 event API Gateway would send for r.
func (g *Gateway) event(r *http.Request, route catalog.Route, requestID string) (events.APIGatewayV2HTTPRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		return events.APIGatewayV2HTTPRequest{}, apperr.Invalid("could not read the body")
	}
	if len(body) > maxPayload {
		return events.APIGatewayV2HTTPRequest{}, apperr.New(apperr.KindTooLarge, apperr.CodeValidationFailed, "the body is larger than the gateway accepts")
	}
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		name := strings.ToLower(k)
		if name == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					cookies = append(cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		headers[name] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	var params map[string]string
	if names := route.PathParams(); len(names) > 0 {
		params = map[string]string{}
		for _, n := range names {
			params[n] = chi.URLParam(r, n)
		}
	}
	now := g.o.Clock.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key(),
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: "local",
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: clientIP(r), UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev, nil
}

func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) error {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return err
		}
	}
	if w.Header().Get("Content-Type") == "" && len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, err := w.Write(body)
	return err
}

func writeProblem(w http.ResponseWriter, err error, requestID string) {
	p := httpapi.ProblemOf(err, requestID)
	p.WithHeader("X-Request-Id", requestID)
	body, _ := json.Marshal(p.Body)
	_ = writeResponse(w, events.APIGatewayV2HTTPResponse{StatusCode: p.Status, Headers: p.Header, Body: string(body)})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, _ := json.Marshal(body)
	_ = writeResponse(w, events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b)})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter is a token bucket per client, as API Gateway's stage throttling.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	if burst < 1 {
		burst = int(perSecond)
	}
	return &limiter{rate: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[string]*bucket{}}
}

// allow takes a token for client, or says how long to wait for one.
func (l *limiter) allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[client]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[client] = b
	}
	b.seen = now
	res := b.l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}
