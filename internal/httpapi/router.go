package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/logging"
)

// HandlerFunc serves one route.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// Router serves every route of one function.
type Router struct {
	function string
	handlers map[string]HandlerFunc
	log      *slog.Logger
	ids      *ids.Generator
	now      func() time.Time
}

// NewRouter builds the router of function from handlers keyed by route key.
// It fails unless the handlers cover exactly the function's routes in the
// catalog, so a route can be neither forgotten nor served by the wrong
// function.
func NewRouter(function string, handlers map[string]HandlerFunc, log *slog.Logger, g *ids.Generator) (*Router, error) {
	want := map[string]bool{}
	for _, r := range catalog.RoutesOf(function) {
		want[r.Key()] = true
		if handlers[r.Key()] == nil {
			return nil, fmt.Errorf("httpapi: function %s has no handler for %s", function, r.Key())
		}
	}
	for key := range handlers {
		if !want[key] {
			return nil, fmt.Errorf("httpapi: %s is not a route of function %s", key, function)
		}
	}
	return &Router{function: function, handlers: handlers, log: log, ids: g, now: time.Now}, nil
}

// Handle is the Lambda handler for API Gateway HTTP API events.
func (rt *Router) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := rt.now()
	requestID := ev.RequestContext.RequestID
	if requestID == "" {
		requestID = rt.ids.New()
	}
	ctx = logging.WithRequestID(ctx, requestID)
	routeKey := ev.RouteKey
	if routeKey == "" {
		routeKey = ev.RequestContext.RouteKey
	}

	resp, cause := rt.serve(ctx, routeKey, requestID, ev)
	out := encode(resp, requestID)

	attrs := []any{
		slog.String("function", rt.function),
		slog.String("route", routeKey),
		slog.Int("status", out.StatusCode),
		slog.Float64("latency_ms", float64(rt.now().Sub(start).Microseconds())/1000),
	}
	switch {
	case out.StatusCode >= 500:
		rt.log.ErrorContext(ctx, "request", append(attrs, slog.String("code", apperr.As(cause).Code), slog.Any("error", cause))...)
	case cause != nil:
		rt.log.InfoContext(ctx, "request", append(attrs, slog.String("code", apperr.As(cause).Code))...)
	default:
		rt.log.InfoContext(ctx, "request", attrs...)
	}
	return out, nil
}

// serve returns the response and, for a failure, the error behind it.
func (rt *Router) serve(ctx context.Context, routeKey, requestID string, ev events.APIGatewayV2HTTPRequest) (resp *Response, cause error) {
	route, ok := catalog.RouteByKey(routeKey)
	handler := rt.handlers[routeKey]
	if !ok || handler == nil {
		err := apperr.NotFound("route " + routeKey)
		return ProblemOf(err, requestID), err
	}
	req, err := newRequest(route, requestID, ev)
	if err != nil {
		return ProblemOf(err, requestID), err
	}
	defer func() {
		if p := recover(); p != nil {
			cause = apperr.Internal(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
			resp = ProblemOf(cause, requestID)
		}
	}()
	resp, err = handler(ctx, req)
	if err != nil {
		return ProblemOf(err, requestID), err
	}
	if resp == nil {
		resp = NoContent()
	}
	return resp, nil
}

func newRequest(route catalog.Route, requestID string, ev events.APIGatewayV2HTTPRequest) (*Request, error) {
	headers := make(map[string]string, len(ev.Headers))
	for k, v := range ev.Headers {
		headers[strings.ToLower(k)] = v
	}
	req := &Request{
		Route:       route,
		PathParams:  ev.PathParameters,
		Query:       ev.QueryStringParameters,
		Headers:     headers,
		RequestID:   requestID,
		SourceIP:    ev.RequestContext.HTTP.SourceIP,
		UserAgent:   ev.RequestContext.HTTP.UserAgent,
		hasJSONType: isJSONContentType(headers["content-type"]),
	}
	if req.PathParams == nil {
		req.PathParams = map[string]string{}
	}
	if req.Query == nil {
		req.Query = map[string]string{}
	}
	if !route.Public() {
		p, err := principalOf(ev.RequestContext.Authorizer)
		if err != nil {
			return nil, err
		}
		if !route.Allows(p.Role) {
			return nil, apperr.New(apperr.KindForbidden, apperr.CodeForbidden, "your role may not call this route")
		}
		req.Principal = p
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, apperr.Invalid("the body is not valid base64")
		}
		body = decoded
	}
	if len(body) > MaxBodyBytes {
		return nil, apperr.New(apperr.KindTooLarge, apperr.CodeValidationFailed, fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes))
	}
	req.Body = body
	return req, nil
}

func encode(r *Response, requestID string) events.APIGatewayV2HTTPResponse {
	out := events.APIGatewayV2HTTPResponse{
		StatusCode: r.Status,
		Headers: map[string]string{
			"X-Request-Id":           requestID,
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		},
	}
	for k, v := range r.Header {
		out.Headers[k] = v
	}
	if r.Body == nil || r.Status == http.StatusNoContent {
		return out
	}
	body, err := json.Marshal(r.Body)
	if err != nil {
		p := ProblemOf(apperr.Internal(err), requestID)
		body, _ = json.Marshal(p.Body)
		out.StatusCode = p.Status
		out.Headers["Content-Type"] = ProblemContentType
	}
	if _, ok := out.Headers["Content-Type"]; !ok {
		out.Headers["Content-Type"] = "application/json"
	}
	out.Body = string(body)
	return out
}

// Authorizer context keys: the verdict the authorizer passes to functions.
const (
	ctxVerdict = "verdict"
	ctxSubject = "sub"
	ctxRole    = "role"
)

// Verdicts of the authorizer.
const (
	verdictOK      = "ok"
	verdictMissing = "missing"
	verdictExpired = "expired"
	verdictInvalid = "invalid"
)

func principalOf(a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) (auth.Principal, error) {
	if a == nil || a.Lambda == nil {
		return auth.Principal{}, apperr.New(apperr.KindUnauthorized, apperr.CodeUnauthorized, "an access token is required")
	}
	verdict, _ := a.Lambda[ctxVerdict].(string)
	switch verdict {
	case verdictOK:
	case verdictExpired:
		return auth.Principal{}, auth.ErrTokenExpired
	case verdictInvalid:
		return auth.Principal{}, auth.ErrTokenInvalid
	default:
		return auth.Principal{}, apperr.New(apperr.KindUnauthorized, apperr.CodeUnauthorized, "an access token is required")
	}
	sub, _ := a.Lambda[ctxSubject].(string)
	role, _ := a.Lambda[ctxRole].(string)
	p := auth.Principal{Subject: sub, Role: catalog.Role(role)}
	if sub == "" || !p.Role.Valid() {
		return auth.Principal{}, auth.ErrTokenInvalid
	}
	return p, nil
}
