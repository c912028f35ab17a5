// Package devserver runs the whole system on one machine: the embedded
// DynamoDB engine, every function built exactly as its Lambda main builds
// it, the local API gateway, the outbox relay delivering events in process,
// an adjustable clock, and snapshots that keep the data across restarts.
package devserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/arkmember/arkmember/internal/accounts"
	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/config"
	"github.com/arkmember/arkmember/internal/eventbus"
	"github.com/arkmember/arkmember/internal/gateway"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/jobs"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/logging"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/privileges"
	"github.com/arkmember/arkmember/internal/store"
)

// StackOptions say what the stack runs on.
type StackOptions struct {
	DB        store.DB
	Table     string
	Master    []byte
	Clock     clock.Clock // the base clock; the stack wraps it to make it adjustable
	LogWriter io.Writer
	LogLevel  slog.Level
	RateLimit float64
	Burst     int
	// HashParams override password hashing cost (tests only).
	HashParams *auth.Params
}

// Stack is every function of the system wired in process.
type Stack struct {
	Clock    *clock.Adjustable
	Gateway  *gateway.Gateway
	Relay    *outbox.Relay
	Bus      *eventbus.LocalBus
	Accounts *accounts.Service
	Store    *store.Store
	Log      *slog.Logger

	// Jobs runs the jobs function's handler; Schedules are its schedules.
	Jobs      *jobs.Runner
	Schedules []catalog.Schedule

	http       map[string]gateway.HTTPFunc
	workers    map[string]*eventbus.SQSConsumer
	authorizer *gatewayAuthorizer
	relayFn    *eventbus.StreamRelay
	runs       sync.WaitGroup
}

type gatewayAuthorizer struct{ fn gateway.AuthorizerFunc }

// NewStack builds every function of the catalog on opts.
func NewStack(ctx context.Context, opts StackOptions) (*Stack, error) {
	base := opts.Clock
	if base == nil {
		base = clock.System{}
	}
	w := opts.LogWriter
	if w == nil {
		w = io.Discard
	}
	st := &Stack{
		Clock:   clock.NewAdjustable(base),
		http:    map[string]gateway.HTTPFunc{},
		workers: map[string]*eventbus.SQSConsumer{},
		Log:     logging.New(w, opts.LogLevel).With(slog.String("component", "devserver")),
	}
	env := map[string]string{
		catalog.EnvStage:                  "local",
		catalog.EnvTableName:              opts.Table,
		catalog.EnvEventBusName:           "local",
		catalog.EnvLogLevel:               opts.LogLevel.String(),
		config.EnvMasterKey:               base64.StdEncoding.EncodeToString(opts.Master),
		catalog.InvokeEnv(catalog.FnJobs): "local:" + catalog.FnJobs,
	}
	dispatcher := outbox.NewDispatcher()
	st.Bus = eventbus.NewLocalBus(dispatcher, st.Log)

	for _, fn := range catalog.Functions() {
		cfg, err := config.Load(fn.Name, func(k string) string { return env[k] })
		if err != nil {
			return nil, err
		}
		p, err := app.NewPlatform(ctx, cfg, app.Parts{Clock: st.Clock, DB: opts.DB, LogWriter: w, HashParams: opts.HashParams})
		if err != nil {
			return nil, fmt.Errorf("devserver: build %s: %w", fn.Name, err)
		}
		switch fn.Name {
		case catalog.FnAuthorizer:
			a, err := p.Authorizer()
			if err != nil {
				return nil, err
			}
			st.authorizer = &gatewayAuthorizer{fn: a.Handle}
		case catalog.FnAccounts:
			r, err := p.Accounts()
			if err != nil {
				return nil, err
			}
			st.http[fn.Name] = r.Handle
			if st.Accounts, err = p.AccountsService(); err != nil {
				return nil, err
			}
			st.Store = p.Store
		case catalog.FnOps:
			r, err := p.Ops(st)
			if err != nil {
				return nil, err
			}
			st.http[fn.Name] = r.Handle
		case catalog.FnPoints, catalog.FnLevels, catalog.FnOrders, catalog.FnPrivileges:
			build := map[string]func() (*httpapi.Router, error){catalog.FnPoints: p.Points, catalog.FnLevels: p.Levels, catalog.FnOrders: p.Orders, catalog.FnPrivileges: p.Privileges}[fn.Name]
			r, err := build()
			if err != nil {
				return nil, err
			}
			st.http[fn.Name] = r.Handle
		case catalog.FnPrivilegesWorker:
			if err := p.Consumers(fn.Name, dispatcher); err != nil {
				return nil, err
			}
			w, err := p.Worker(fn.Name)
			if err != nil {
				return nil, err
			}
			st.workers[fn.Name] = w
		case catalog.FnJobs:
			st.Jobs, st.Schedules = p.Jobs(), fn.Schedules
		case catalog.FnRelay:
			st.relayFn = p.Relay(st.Bus)
			st.Relay = outbox.NewRelay(p.Store, st.Bus)
		default:
			return nil, fmt.Errorf("devserver: function %s (%s) is not wired locally", fn.Name, fn.Kind)
		}
	}
	gw, err := gateway.New(gateway.Options{
		Functions: st.http, Authorizer: st.authorizer.fn,
		RateLimit: opts.RateLimit, Burst: opts.Burst,
		Clock: st.Clock, IDs: ids.New(st.Clock), Log: st.Log, Extra: st.localHandler(),
	})
	if err != nil {
		return nil, err
	}
	st.Gateway = gw
	return st, nil
}

// Bootstrap loads the default ladder and ensures the admin account and the
// local service client; generated credentials are printed to out once.
func (s *Stack) Bootstrap(ctx context.Context, adminPassword, serviceSecret string, out io.Writer) error {
	privs, pkgs := privileges.Defaults()
	now := s.Clock.Now().Truncate(time.Millisecond)
	for i := range privs {
		privs[i].UpdatedAt = now
	}
	for i := range pkgs {
		pkgs[i].UpdatedAt = now
	}
	for _, p := range privs {
		if err := s.Store.EnsurePrivilege(ctx, p); err != nil {
			return fmt.Errorf("devserver: default privileges: %w", err)
		}
	}
	for _, p := range pkgs {
		if err := s.Store.EnsurePackage(ctx, p); err != nil {
			return fmt.Errorf("devserver: default packages: %w", err)
		}
	}
	ladder := levels.Default()
	if _, err := s.Store.EnsureLadder(ctx, ladder); err != nil {
		return fmt.Errorf("devserver: default ladder: %w", err)
	}
	generated, err := s.Accounts.EnsureStaff(ctx, "admin", catalog.RoleAdmin, adminPassword)
	if err != nil {
		return fmt.Errorf("devserver: admin account: %w", err)
	}
	if generated != "" {
		fmt.Fprintf(out, "created staff account admin with password %s (set ARK_ADMIN_PASSWORD to choose it)\n", generated)
	}
	generated, err = s.Accounts.EnsureServiceClient(ctx, "local-service", serviceSecret)
	if err != nil {
		return fmt.Errorf("devserver: service client: %w", err)
	}
	if generated != "" {
		fmt.Fprintf(out, "created service client local-service with secret %s (set ARK_SERVICE_SECRET to choose it)\n", generated)
	}
	return nil
}

// Invoke runs one function with a raw Lambda event, as `arkmember invoke`
// does, and returns its raw response.
func (s *Stack) Invoke(ctx context.Context, function string, event []byte) ([]byte, error) {
	fn, ok := catalog.FunctionByName(function)
	if !ok {
		return nil, fmt.Errorf("unknown function %q", function)
	}
	var out any
	var err error
	switch fn.Kind {
	case catalog.KindHTTP:
		var ev events.APIGatewayV2HTTPRequest
		if err := strictJSON(event, &ev); err != nil {
			return nil, err
		}
		out, err = s.http[function](ctx, ev)
	case catalog.KindAuthorizer:
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		if err := strictJSON(event, &ev); err != nil {
			return nil, err
		}
		out, err = s.authorizer.fn(ctx, ev)
	case catalog.KindStream:
		var ev events.DynamoDBEvent
		if err := strictJSON(event, &ev); err != nil {
			return nil, err
		}
		out, err = s.relayFn.Handle(ctx, ev)
	case catalog.KindQueue:
		var ev events.SQSEvent
		if err := strictJSON(event, &ev); err != nil {
			return nil, err
		}
		out, err = s.workers[function].Handle(ctx, ev)
	case catalog.KindSchedule:
		var ev jobs.Event
		if err := strictJSON(event, &ev); err != nil {
			return nil, err
		}
		out, err = s.Jobs.Handle(ctx, ev)
	default:
		return nil, fmt.Errorf("function %s of kind %s cannot be invoked locally", function, fn.Kind)
	}
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(out, "", "  ")
}

// InvokeJobs implements jobs.Invoker locally: the run goes on in the
// background, as an asynchronous Lambda invocation would.
func (s *Stack) InvokeJobs(ctx context.Context, ev jobs.Event) error {
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		if _, err := s.Jobs.Handle(context.WithoutCancel(ctx), ev); err != nil {
			s.Log.Error("job run failed", slog.String("job", ev.Job), slog.String("runId", ev.RunID), slog.Any("error", err))
		}
	}()
	return nil
}

// WaitForRuns waits for the job runs started in the background.
func (s *Stack) WaitForRuns() { s.runs.Wait() }

func strictJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("the event is not valid JSON for this function: %w", err)
	}
	return nil
}

// localHandler serves the dev-only endpoints.
func (s *Stack) localHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_local/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Now time.Time `json:"now"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || in.Now.IsZero() {
			http.Error(w, `{"message":"body must be {\"now\": RFC 3339 time}"}`, http.StatusBadRequest)
			return
		}
		s.Clock.Set(in.Now)
		writeClock(w, s.Clock.Now())
	})
	mux.HandleFunc("DELETE /_local/clock", func(w http.ResponseWriter, _ *http.Request) {
		s.Clock.Reset()
		writeClock(w, s.Clock.Now())
	})
	mux.HandleFunc("GET /_local/clock", func(w http.ResponseWriter, _ *http.Request) {
		writeClock(w, s.Clock.Now())
	})
	mux.HandleFunc("POST /_local/invoke/{function}", func(w http.ResponseWriter, r *http.Request) {
		// Invoking a function directly skips the authorizer: only this
		// machine may, even when the server listens on other addresses.
		if !fromLoopback(r) {
			http.Error(w, `{"message":"only from this machine"}`, http.StatusForbidden)
			return
		}
		event, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := s.Invoke(r.Context(), r.PathValue("function"), event)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
	return mux
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

func writeClock(w http.ResponseWriter, now time.Time) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"now": now.UTC().Format(time.RFC3339Nano)})
}
