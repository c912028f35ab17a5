package points_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/accounts"
	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/config"
	"github.com/arkmember/arkmember/internal/dynamometer"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/testenv"
)

// benchEnv is the points function on the embedded engine, metered.
type benchEnv struct {
	b       *testing.B
	db      testenv.DB
	meter   *dynamometer.Meter
	clock   *clock.Fixed
	handler *httpapi.Router
	member  string
	seq     int
	// totals of the timed operations
	usage     dynamometer.Usage
	opTime    time.Duration
	bareTime  time.Duration
	operation int
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	db := testenv.New(b)
	e := &benchEnv{b: b, db: db, meter: dynamometer.New(db.Engine.Client), clock: clock.NewFixed(time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC))}
	cfg, err := config.Load(catalog.FnPoints, testenv.Env(db.Table))
	if err != nil {
		b.Fatal(err)
	}
	p, err := app.NewPlatform(context.Background(), cfg, app.Parts{Clock: e.clock, DB: e.meter, HashParams: &testenv.FastHash})
	if err != nil {
		b.Fatal(err)
	}
	if e.handler, err = p.Points(); err != nil {
		b.Fatal(err)
	}
	acfg, _ := config.Load(catalog.FnAccounts, testenv.Env(db.Table))
	ap, _ := app.NewPlatform(context.Background(), acfg, app.Parts{Clock: e.clock, DB: db.Engine.Client, HashParams: &testenv.FastHash})
	svc, err := ap.AccountsService()
	if err != nil {
		b.Fatal(err)
	}
	s, err := svc.Register(context.Background(), accounts.RegisterInput{Mobile: "13900000001", Password: "bench-pass-1"})
	if err != nil {
		b.Fatal(err)
	}
	e.member = s.MemberID
	return e
}

// call runs one route through the points handler as API Gateway would.
func (e *benchEnv) call(route string, body any, role catalog.Role) {
	raw, _ := json.Marshal(body)
	sub := "bench-service"
	if role == catalog.RoleMember {
		sub = e.member
	}
	r, err := e.handler.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
		RouteKey: route, Body: string(raw), Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  fmt.Sprint(e.seq),
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{"verdict": "ok", "sub": sub, "role": string(role)}},
		},
	})
	if err != nil || r.StatusCode != 201 {
		e.b.Fatalf("%s = %d %s (%v)", route, r.StatusCode, r.Body, err)
	}
}

func (e *benchEnv) biz() string { e.seq++; return fmt.Sprintf("BENCH-%d", e.seq) }

func (e *benchEnv) earn(amount int64) string {
	bizNo := e.biz()
	e.call("POST /v1/points/earn", map[string]any{"memberId": e.member, "amount": amount, "bizNo": bizNo, "source": "ORDER"}, catalog.RoleService)
	return bizNo
}

// timed runs op with the timer on, counts its DynamoDB work, and times one
// bare TransactWriteItems of items of the same sizes for comparison.
func (e *benchEnv) timed(op func()) {
	e.meter.Reset()
	start := time.Now()
	e.b.StartTimer()
	op()
	e.b.StopTimer()
	e.opTime += time.Since(start)
	u := e.meter.Reset()
	e.usage.RoundTrips += u.RoundTrips
	e.usage.ItemsRead += u.ItemsRead
	e.usage.ItemsWritten += u.ItemsWritten
	e.usage.RCU += u.RCU
	e.usage.WCU += u.WCU
	e.operation++
	e.bareTime += e.bare(u.LastTransactionItems)
}

func (e *benchEnv) bare(sizes []int) time.Duration {
	var items []types.TransactWriteItem
	for i, size := range sizes {
		e.seq++
		pad := max(size-40, 1)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(e.db.Table), Item: map[string]types.AttributeValue{
			"pk":  &types.AttributeValueMemberS{Value: fmt.Sprintf("BARE#%d#%d", e.seq, i)},
			"sk":  &types.AttributeValueMemberS{Value: "BARE"},
			"pad": &types.AttributeValueMemberS{Value: string(make([]byte, pad))},
		}}})
	}
	start := time.Now()
	if _, err := e.db.Engine.Client.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		e.b.Fatal(err)
	}
	return time.Since(start)
}

func (e *benchEnv) report() {
	n := float64(e.operation)
	e.b.ReportMetric(float64(e.usage.RoundTrips)/n, "roundtrips/op")
	e.b.ReportMetric(float64(e.usage.ItemsRead)/n, "items_read/op")
	e.b.ReportMetric(float64(e.usage.ItemsWritten)/n, "items_written/op")
	e.b.ReportMetric(e.usage.RCU/n, "RCU/op")
	e.b.ReportMetric(e.usage.WCU/n, "WCU/op")
	e.b.ReportMetric(float64(e.opTime)/float64(e.bareTime), "x_bare_txn")
}

// BenchmarkPoints measures each points operation through its Lambda
// handler: DynamoDB round trips, items, capacity units, and latency as a
// multiple of one bare TransactWriteItems of the same items.
func BenchmarkPoints(b *testing.B) {
	b.Run("earn", func(b *testing.B) {
		e := newBenchEnv(b)
		e.earn(10) // the lot exists, as for most earns
		b.StopTimer()
		for range b.N {
			e.timed(func() { e.earn(10) })
		}
		e.report()
	})
	b.Run("spend_1_lot", func(b *testing.B) {
		e := newBenchEnv(b)
		e.earn(1_000_000)
		b.StopTimer()
		for range b.N {
			e.timed(func() {
				e.call("POST /v1/points/spend", map[string]any{"amount": 1, "bizNo": e.biz()}, catalog.RoleMember)
			})
		}
		e.report()
	})
	b.Run("spend_12_lots", func(b *testing.B) {
		e := newBenchEnv(b)
		start := e.clock.Now()
		b.StopTimer()
		for range b.N {
			// One point in each of 12 monthly lots, then a spend of 12.
			for m := range 12 {
				e.clock.Set(start.AddDate(0, m, 0))
				e.earn(1)
			}
			e.timed(func() {
				e.call("POST /v1/points/spend", map[string]any{"amount": 12, "bizNo": e.biz()}, catalog.RoleMember)
			})
		}
		e.report()
	})
	b.Run("reverse", func(b *testing.B) {
		e := newBenchEnv(b)
		e.earn(10)
		b.StopTimer()
		for range b.N {
			orig := e.earn(10)
			e.timed(func() {
				e.call("POST /v1/points/reverse", map[string]any{"originalBizNo": orig, "bizNo": e.biz()}, catalog.RoleService)
			})
		}
		e.report()
	})
}
