// Package app wires the functions together: from a typed configuration it
// builds the clients, stores and services each function needs and returns
// its handler. Lambda mains and the local runner both build functions here,
// so the code that runs locally is the code that runs in AWS.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/arkmember/arkmember/internal/accounts"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/config"
	"github.com/arkmember/arkmember/internal/eventbus"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/jobs"
	"github.com/arkmember/arkmember/internal/keyring"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/logging"
	"github.com/arkmember/arkmember/internal/metrics"
	"github.com/arkmember/arkmember/internal/ops"
	"github.com/arkmember/arkmember/internal/orders"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/pii"
	"github.com/arkmember/arkmember/internal/points"
	"github.com/arkmember/arkmember/internal/privileges"
	"github.com/arkmember/arkmember/internal/store"
)

// ladderTTL is how long a function instance trusts its cached ladder.
const ladderTTL = 30 * time.Second

// Platform is what every function is built on.
type Platform struct {
	Config config.Config
	Log    *slog.Logger
	Clock  clock.Clock
	IDs    *ids.Generator
	Keys   keyring.Keys
	Store  *store.Store
	Ladder *levels.Cache
	Hasher *auth.Hasher
}

// Parts are the pieces a Platform is made of when the caller has them
// already (the local runner and tests); zero fields are built from Config.
type Parts struct {
	Clock     clock.Clock
	DB        store.DB
	Master    []byte
	LogWriter io.Writer
	// HashParams override the password hashing cost (tests only).
	HashParams *auth.Params
}

// NewPlatform builds the platform of cfg.Function.
func NewPlatform(ctx context.Context, cfg config.Config, parts Parts) (*Platform, error) {
	p := &Platform{Config: cfg, Clock: parts.Clock}
	if p.Clock == nil {
		p.Clock = clock.System{}
	}
	w := parts.LogWriter
	if w == nil {
		w = io.Discard
	}
	p.Log = logging.New(w, cfg.LogLevel).With(slog.String("function", cfg.Function.Name), slog.String("stage", cfg.Stage))
	p.IDs = ids.New(p.Clock)

	master := parts.Master
	if master == nil {
		master = cfg.MasterKey
	}
	if cfg.Function.Secrets && master == nil {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
		if err != nil {
			return nil, fmt.Errorf("app: aws config: %w", err)
		}
		if master, err = keyring.FetchMaster(ctx, secretsmanager.NewFromConfig(awsCfg), cfg.AppSecretARN); err != nil {
			return nil, err
		}
	}
	if master != nil {
		keys, err := keyring.Derive(master)
		if err != nil {
			return nil, err
		}
		p.Keys = keys
	}

	if cfg.Function.Table != catalog.AccessNone {
		db := parts.DB
		if db == nil {
			c, err := store.NewClient(ctx, store.ClientOptions{Region: cfg.Region, Endpoint: cfg.DynamoDBEndpoint})
			if err != nil {
				return nil, err
			}
			db = c
		}
		p.Store = store.New(db, cfg.TableName, p.Clock)
		p.Ladder = levels.NewCache(p.Store, ladderTTL, p.Clock)
	}
	params := auth.DefaultParams
	if parts.HashParams != nil {
		params = *parts.HashParams
	}
	p.Hasher = auth.NewHasher(params, 0)
	return p, nil
}

// AccountsService builds the account service.
func (p *Platform) AccountsService() (*accounts.Service, error) {
	if p.Store == nil || p.Keys.Signing == nil {
		return nil, fmt.Errorf("app: accounts needs the table and the keys")
	}
	refresh, err := auth.NewRefreshCodec(p.Keys.RefreshMAC)
	if err != nil {
		return nil, err
	}
	cipher, err := pii.NewCipher(p.Keys.PII)
	if err != nil {
		return nil, err
	}
	blind, err := pii.NewBlindIndex(p.Keys.BlindIndex)
	if err != nil {
		return nil, err
	}
	return accounts.NewService(accounts.Deps{
		Repo: p.Store, Ladder: p.Ladder, Hasher: p.Hasher,
		Tokens:       auth.NewTokens(p.Keys.Signing, p.Clock, p.IDs, p.Config.AccessTokenTTL),
		RefreshCodec: refresh, Cipher: cipher, Blind: blind, Clock: p.Clock, IDs: p.IDs,
		Lockout: auth.DefaultLockout, RefreshTTL: p.Config.RefreshTokenTTL, Log: p.Log,
	}), nil
}

// Accounts returns the handler of the accounts function.
func (p *Platform) Accounts() (*httpapi.Router, error) {
	svc, err := p.AccountsService()
	if err != nil {
		return nil, err
	}
	return httpapi.NewRouter(catalog.FnAccounts, accounts.Handlers(svc), p.Log, p.IDs)
}

// Ops returns the handler of the ops function, starting job runs with inv.
func (p *Platform) Ops(inv jobs.Invoker) (*httpapi.Router, error) {
	if p.Store == nil {
		return nil, fmt.Errorf("app: ops needs the table")
	}
	handlers := ops.Handlers(p.Store)
	for k, h := range jobs.Handlers(p.Jobs(), inv) {
		handlers[k] = h
	}
	return httpapi.NewRouter(catalog.FnOps, handlers, p.Log, p.IDs)
}

// PointsService builds the points service.
func (p *Platform) PointsService() *points.Service {
	return points.NewService(p.Store, p.Clock, p.IDs, points.DefaultPolicy)
}

// Points returns the handler of the points function.
func (p *Platform) Points() (*httpapi.Router, error) {
	if p.Store == nil {
		return nil, fmt.Errorf("app: points needs the table")
	}
	return httpapi.NewRouter(catalog.FnPoints, points.Handlers(p.PointsService()), p.Log, p.IDs)
}

// LevelsService builds the levels service.
func (p *Platform) LevelsService() *levels.Service {
	return levels.NewService(p.Store, p.Ladder, p.Clock, p.IDs)
}

// Levels returns the handler of the levels function.
func (p *Platform) Levels() (*httpapi.Router, error) {
	if p.Store == nil {
		return nil, fmt.Errorf("app: levels needs the table")
	}
	return httpapi.NewRouter(catalog.FnLevels, levels.Handlers(p.LevelsService()), p.Log, p.IDs)
}

// Orders returns the handler of the orders function. Activity multipliers
// reach it through orders.Boosts; none exist yet.
func (p *Platform) Orders() (*httpapi.Router, error) {
	if p.Store == nil {
		return nil, fmt.Errorf("app: orders needs the table")
	}
	rules := orders.NewRulesCache(p.Store, ladderTTL, p.Clock)
	svc := orders.NewService(p.Store, rules, orders.NoBoosts{}, p.PointsService(), p.LevelsService(), p.Clock)
	return httpapi.NewRouter(catalog.FnOrders, orders.Handlers(svc), p.Log, p.IDs)
}

// PrivilegesService builds the privileges service.
func (p *Platform) PrivilegesService() *privileges.Service {
	return privileges.NewService(p.Store, p.Ladder, p.Clock, p.IDs)
}

// Privileges returns the handler of the privileges function.
func (p *Platform) Privileges() (*httpapi.Router, error) {
	if p.Store == nil {
		return nil, fmt.Errorf("app: privileges needs the table")
	}
	return httpapi.NewRouter(catalog.FnPrivileges, privileges.Handlers(p.PrivilegesService()), p.Log, p.IDs)
}

// Consumers registers the event consumers of a queue function on d: the
// queue function's SQS handler dispatches to them in AWS, the dev server's
// local bus locally.
func (p *Platform) Consumers(function string, d *outbox.Dispatcher) error {
	switch function {
	case catalog.FnPrivilegesWorker:
		svc := p.PrivilegesService()
		d.On("MEMBER_REGISTERED", privileges.ConsumerLevelGrants, svc.OnMemberRegistered)
		d.On(levels.EventLevelChanged, privileges.ConsumerLevelGrants, svc.OnLevelChanged)
		d.On(privileges.EventExpiryBatch, privileges.ConsumerExpiry, svc.OnExpiryBatch)
		return nil
	}
	return fmt.Errorf("app: %s has no consumers", function)
}

// Worker returns the SQS handler of a queue function.
func (p *Platform) Worker(function string) (*eventbus.SQSConsumer, error) {
	d := outbox.NewDispatcher()
	if err := p.Consumers(function, d); err != nil {
		return nil, err
	}
	return eventbus.NewSQSConsumer(d, p.Log), nil
}

// Jobs returns the job runner: the handler of the jobs function, with every
// job of the catalog's schedules.
func (p *Platform) Jobs() *jobs.Runner {
	svc := p.PointsService()
	lv := p.LevelsService()
	pv := p.PrivilegesService()
	return jobs.NewRunner(p.Store, p.Clock, p.IDs, p.Log, map[string]jobs.Job{
		catalog.JobPrivExpiry: func(ctx context.Context, _ time.Time) (jobs.Outcome, error) {
			due, batches, err := pv.QueueExpiry(ctx)
			return jobs.Outcome{Processed: due, Changed: batches, Details: []string{fmt.Sprintf("%d due grants fanned out in %d batches", due, batches)}}, err
		},
		catalog.JobPrivRenewal: func(ctx context.Context, _ time.Time) (jobs.Outcome, error) {
			processed, granted, failed, err := pv.Renew(ctx)
			return jobs.Outcome{Processed: processed, Changed: granted, Failed: len(failed), Details: failed}, err
		},
		catalog.JobLevelReview: func(ctx context.Context, now time.Time) (jobs.Outcome, error) {
			st, err := lv.Review(ctx, now)
			return jobs.Outcome{Processed: st.Processed, Changed: st.Changed, Failed: st.Failed, Details: st.Details}, err
		},
		catalog.JobPointsExpiry: func(ctx context.Context, now time.Time) (jobs.Outcome, error) {
			st, err := svc.ExpireDue(ctx, p.Store, now)
			return jobs.Outcome{Processed: st.Processed, Changed: st.Changed, Failed: st.Failed, Details: st.Details}, err
		},
		catalog.JobReconcile: func(ctx context.Context, now time.Time) (jobs.Outcome, error) {
			rep, err := points.Reconcile(ctx, p.Store)
			if err == nil {
				metrics.Gauge(ctx, p.Log, now, "ledger_drift", float64(len(rep.Drifted)))
			}
			details := make([]string, 0, len(rep.Drifted)+len(rep.Unverified))
			for _, id := range rep.Drifted {
				details = append(details, "drift: member "+id)
			}
			for _, id := range rep.Unverified {
				details = append(details, "unverified: member "+id)
			}
			return jobs.Outcome{Processed: rep.Checked, Failed: len(rep.Drifted) + len(rep.Unverified), Details: details}, err
		},
	})
}

// LambdaInvoker starts runs of the jobs function in AWS: an asynchronous
// invocation of its live alias.
func (p *Platform) LambdaInvoker(ctx context.Context) (jobs.Invoker, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(p.Config.Region))
	if err != nil {
		return nil, fmt.Errorf("app: aws config: %w", err)
	}
	return lambdaInvoker{client: lambda.NewFromConfig(awsCfg), arn: p.Config.Invokes[catalog.FnJobs]}, nil
}

type lambdaInvoker struct {
	client *lambda.Client
	arn    string
}

func (l lambdaInvoker) InvokeJobs(ctx context.Context, ev jobs.Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = l.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(l.arn), InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload,
	})
	return err
}

// Authorizer returns the handler of the authorizer function.
func (p *Platform) Authorizer() (*httpapi.Authorizer, error) {
	if p.Keys.Signing == nil {
		return nil, fmt.Errorf("app: the authorizer needs the signing key")
	}
	return httpapi.NewAuthorizer(auth.NewTokens(p.Keys.Signing, p.Clock, p.IDs, p.Config.AccessTokenTTL)), nil
}

// Relay returns the handler of the stream relay publishing to pub (the
// EventBridge bus in AWS).
func (p *Platform) Relay(pub outbox.Publisher) *eventbus.StreamRelay {
	return eventbus.NewStreamRelay(pub, store.EventFromItem, p.Store, p.Log)
}

// EventBridgePublisher builds the publisher to the configured bus.
func (p *Platform) EventBridgePublisher(ctx context.Context) (outbox.Publisher, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(p.Config.Region))
	if err != nil {
		return nil, fmt.Errorf("app: aws config: %w", err)
	}
	return eventbus.NewEventBridge(eventbridge.NewFromConfig(awsCfg), p.Config.EventBusName), nil
}

// Start is the body of every function's main: it loads the function's
// typed configuration from the environment, builds its platform and its
// handler once, at cold start, and hands the handler to the Lambda runtime.
// Any failure ends the cold start loudly instead of serving broken requests.
func Start(function string, build func(ctx context.Context, p *Platform) (any, error)) {
	ctx := context.Background()
	cfg, err := config.Load(function, os.Getenv)
	if err == nil {
		var p *Platform
		if p, err = NewPlatform(ctx, cfg, Parts{LogWriter: os.Stdout}); err == nil {
			var handler any
			if handler, err = build(ctx, p); err == nil {
				awslambda.Start(handler)
				return
			}
		}
	}
	logging.New(os.Stderr, slog.LevelError).Error("cold start failed", slog.String("function", function), slog.Any("error", err))
	os.Exit(1)
}
