package apitest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	miniserver "github.com/truora/minidyn/server"

	"github.com/arkmember/arkmember/internal/points"
)

// pointsAPI adds points helpers to an API under test.
type pointsAPI struct {
	*API
	svc string // a service token
}

func newPoints(t *testing.T) pointsAPI {
	t.Helper()
	t.Parallel()
	a := New(t)
	return pointsAPI{API: a, svc: a.Service()}
}

func (p pointsAPI) earn(memberID string, amount int64, bizNo string) Resp {
	p.T.Helper()
	return p.Call("POST", "/v1/points/earn", p.svc, map[string]any{"memberId": memberID, "amount": amount, "bizNo": bizNo, "source": "ORDER"})
}

func (p pointsAPI) spend(m Member, amount int64, bizNo string) Resp {
	p.T.Helper()
	return p.Call("POST", "/v1/points/spend", m.Access, map[string]any{"amount": amount, "bizNo": bizNo})
}

func (p pointsAPI) available(m Member) int64 {
	p.T.Helper()
	return int64(p.Must(200, "GET", "/v1/members/me/points", m.Access, nil).JSON()["available"].(float64))
}

// assertBooks checks the invariant of every member: balance = sum of
// ledger deltas = sum of lot remainders, and reconciliation finds no drift.
func (p pointsAPI) assertBooks(t *testing.T, members ...Member) {
	t.Helper()
	ctx := context.Background()
	for _, m := range members {
		snap, err := p.Stack.Store.Snapshot(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Drift() || snap.Balance < 0 {
			t.Fatalf("books of %s disagree: %+v", m.ID, snap)
		}
	}
	rep, err := points.Reconcile(ctx, p.Stack.Store)
	if err != nil || len(rep.Drifted) != 0 {
		t.Fatalf("reconcile = %+v, %v", rep, err)
	}
}

func TestSpend_120ConcurrentSpendsOfOneFromFiftyGiveExactlyFifty(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	if r := p.earn(m.ID, 50, "EARN-50"); r.Status != 201 {
		t.Fatalf("earn = %d %s", r.Status, r.Body)
	}
	var ok, short atomic.Int32
	parallel(120, func(i int) {
		r := p.spend(m, 1, fmt.Sprintf("SPEND-%03d", i))
		switch {
		case r.Status == 201:
			ok.Add(1)
		case r.Status == 409 && r.Code() == "INSUFFICIENT_POINTS":
			short.Add(1)
		default:
			t.Errorf("unexpected %d %s", r.Status, r.Body)
		}
	})
	if ok.Load() != 50 || short.Load() != 70 {
		t.Fatalf("succeeded %d, insufficient %d; want 50 and 70", ok.Load(), short.Load())
	}
	if got := p.available(m); got != 0 {
		t.Fatalf("balance %d, want 0", got)
	}
	p.assertBooks(t, m)
}

func TestEarn_FortyConcurrentEarnsWithOneBizNoMakeOneEntry(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	bodies := make([]string, 40)
	var replays atomic.Int32
	parallel(40, func(i int) {
		r := p.earn(m.ID, 10, "ORDER-1")
		if r.Status != 201 {
			t.Errorf("earn = %d %s", r.Status, r.Body)
		}
		if r.Header.Get("Idempotent-Replay") == "true" {
			replays.Add(1)
		}
		bodies[i] = string(r.Body)
	})
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatalf("replays must return the original body:\n%s\n%s", bodies[0], b)
		}
	}
	if replays.Load() != 39 {
		t.Fatalf("replays = %d, want 39", replays.Load())
	}
	ledger := p.Must(200, "GET", "/v1/members/me/points/ledger", m.Access, nil).JSON()["items"].([]any)
	if len(ledger) != 1 || p.available(m) != 10 {
		t.Fatalf("ledger has %d entries, balance %d", len(ledger), p.available(m))
	}
	r := p.Call("POST", "/v1/points/earn", p.svc, map[string]any{"memberId": m.ID, "amount": 11, "bizNo": "ORDER-1", "source": "ORDER"})
	assertProblem(t, r, 409, "IDEMPOTENCY_CONFLICT")
	r = p.spend(m, 1, "ORDER-1")
	assertProblem(t, r, 409, "IDEMPOTENCY_CONFLICT")
	p.assertBooks(t, m)
}

func TestPoints_RandomConcurrentMixKeepsTheBooks(t *testing.T) {
	p := newPoints(t)
	members := []Member{p.Register(), p.Register(), p.Register()}
	type done struct {
		bizNo  string
		earn   bool
		member Member
		body   map[string]any // the request, to replay
		resp   string         // the original response
		path   string
		token  string
	}
	var mu sync.Mutex
	var history []done
	var seq atomic.Int64
	parallel(8, func(w int) {
		rng := rand.New(rand.NewPCG(uint64(w), 42))
		for range 40 {
			m := members[rng.IntN(len(members))]
			biz := fmt.Sprintf("B%d-%d", w, seq.Add(1))
			switch op := rng.IntN(10); {
			case op < 4:
				body := map[string]any{"memberId": m.ID, "amount": 1 + rng.IntN(100), "bizNo": biz, "source": "ORDER"}
				if r := p.Call("POST", "/v1/points/earn", p.svc, body); r.Status == 201 {
					mu.Lock()
					history = append(history, done{biz, true, m, body, string(r.Body), "/v1/points/earn", p.svc})
					mu.Unlock()
				} else {
					t.Errorf("earn = %d %s", r.Status, r.Body)
				}
			case op < 7:
				body := map[string]any{"amount": 1 + rng.IntN(80), "bizNo": biz}
				r := p.Call("POST", "/v1/points/spend", m.Access, body)
				if r.Status == 201 {
					mu.Lock()
					history = append(history, done{biz, false, m, body, string(r.Body), "/v1/points/spend", m.Access})
					mu.Unlock()
				} else if r.Code() != "INSUFFICIENT_POINTS" {
					t.Errorf("spend = %d %s", r.Status, r.Body)
				}
			case op < 9:
				mu.Lock()
				if len(history) == 0 {
					mu.Unlock()
					continue
				}
				orig := history[rng.IntN(len(history))]
				mu.Unlock()
				r := p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": orig.bizNo, "bizNo": biz, "amount": 1 + rng.IntN(30)})
				if r.Status != 201 && r.Status != 409 {
					t.Errorf("reverse = %d %s", r.Status, r.Body)
				}
			default:
				mu.Lock()
				if len(history) == 0 {
					mu.Unlock()
					continue
				}
				orig := history[rng.IntN(len(history))]
				mu.Unlock()
				// A replay: the original answer, and no new entry.
				r := p.Call("POST", orig.path, orig.token, orig.body)
				if r.Status != 201 || r.Header.Get("Idempotent-Replay") != "true" || string(r.Body) != orig.resp {
					t.Errorf("replay of %s = %d %s, want the original %s", orig.bizNo, r.Status, r.Body, orig.resp)
				}
			}
		}
	})
	p.assertBooks(t, members...)
	for _, m := range members {
		if p.available(m) < 0 {
			t.Fatal("negative balance")
		}
	}
}

func TestReverse_PartialReversesNeverExceedTheOriginal(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.earn(m.ID, 100, "EARN-A")
	p.earn(m.ID, 50, "EARN-B")
	// Ten concurrent reverses of 20 from an earn of 100: five fit.
	var ok, refused atomic.Int32
	parallel(10, func(i int) {
		r := p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": "EARN-A", "bizNo": fmt.Sprintf("REV-%d", i), "amount": 20})
		switch {
		case r.Status == 201:
			ok.Add(1)
		case r.Status == 409 && r.Code() == "CONFLICT":
			refused.Add(1)
		default:
			t.Errorf("unexpected %d %s", r.Status, r.Body)
		}
	})
	if ok.Load() != 5 || refused.Load() != 5 {
		t.Fatalf("reverses ok=%d refused=%d", ok.Load(), refused.Load())
	}
	if got := p.available(m); got != 50 {
		t.Fatalf("balance %d, want 50", got)
	}
	assertProblem(t, p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": "EARN-A", "bizNo": "REV-X"}), 409, "CONFLICT")
	assertProblem(t, p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": "NOPE", "bizNo": "REV-Y"}), 404, "NOT_FOUND")

	t.Run("an earn whose points were spent reverses with a shortfall", func(t *testing.T) {
		if r := p.spend(m, 45, "SPEND-45"); r.Status != 201 {
			t.Fatalf("spend = %d %s", r.Status, r.Body)
		}
		r := p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": "EARN-B", "bizNo": "REV-B"})
		e := r.JSON()
		if r.Status != 201 || e["delta"] != float64(-5) || e["requested"] != float64(50) || e["shortfall"] != float64(45) || e["balanceAfter"] != float64(0) {
			t.Fatalf("reverse = %d %s", r.Status, r.Body)
		}
	})
	t.Run("a reversed spend gives the points back", func(t *testing.T) {
		r := p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": "SPEND-45", "bizNo": "REV-S", "amount": 30})
		if r.Status != 201 || r.JSON()["delta"] != float64(30) || p.available(m) != 30 {
			t.Fatalf("reverse of spend = %d %s, balance %d", r.Status, r.Body, p.available(m))
		}
		// The reverse replays, even though now only 15 would remain.
		again := p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": "SPEND-45", "bizNo": "REV-S", "amount": 30})
		if again.Status != 201 || again.Header.Get("Idempotent-Replay") != "true" || string(again.Body) != string(r.Body) {
			t.Fatalf("replay = %d %s", again.Status, again.Body)
		}
		assertProblem(t, p.Call("POST", "/v1/points/reverse", p.svc, map[string]any{"originalBizNo": "SPEND-45", "bizNo": "REV-S2", "amount": 16}), 409, "CONFLICT")
	})
	p.assertBooks(t, m)
}

func TestSpend_FaultLeavesNothingAndTheRetrySucceedsOnce(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.earn(m.ID, 30, "EARN-30")
	p.DB.Engine.Mini.EmulateFailureForTable(p.DB.Table, miniserver.FailureConditionInternalServerError)
	r := p.spend(m, 10, "SPEND-F")
	p.DB.Engine.Mini.EmulateFailureForTable(p.DB.Table, miniserver.FailureConditionNone)
	assertProblem(t, r, 503, "UNAVAILABLE")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	if got := p.available(m); got != 30 {
		t.Fatalf("a failed spend changed the balance to %d", got)
	}
	first := p.spend(m, 10, "SPEND-F")
	again := p.spend(m, 10, "SPEND-F")
	if first.Status != 201 || again.Status != 201 || again.Header.Get("Idempotent-Replay") != "true" || p.available(m) != 20 {
		t.Fatalf("retry = %d, replay = %d %v, balance %d", first.Status, again.Status, again.Header, p.available(m))
	}
	p.assertBooks(t, m)
}

func TestPoints_BadInputIsRefusedAndChangesNothing(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.earn(m.ID, 10, "EARN-10")
	tests := []struct {
		name  string
		path  string
		token string
		body  string
		field string
	}{
		{"zero", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":0,"bizNo":"b1","source":"ORDER"}`, "amount"},
		{"negative", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":-5,"bizNo":"b1","source":"ORDER"}`, "amount"},
		{"fractional", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":1.5,"bizNo":"b1","source":"ORDER"}`, "amount"},
		{"string", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":"10","bizNo":"b1","source":"ORDER"}`, "amount"},
		{"over 10^9", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":1000000001,"bizNo":"b1","source":"ORDER"}`, "amount"},
		{"huge", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":1e30,"bizNo":"b1","source":"ORDER"}`, "amount"},
		{"bizNo with a space", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":1,"bizNo":"a b","source":"ORDER"}`, "bizNo"},
		{"bizNo too long", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":1,"bizNo":"` + strings.Repeat("a", 65) + `","source":"ORDER"}`, "bizNo"},
		{"empty bizNo", "/v1/points/spend", m.Access, `{"amount":1,"bizNo":""}`, "bizNo"},
		{"unknown source", "/v1/points/earn", p.svc, `{"memberId":"` + m.ID + `","amount":1,"bizNo":"b1","source":"GIFT"}`, "source"},
		{"spend of zero", "/v1/points/spend", m.Access, `{"amount":0,"bizNo":"b2"}`, "amount"},
		{"adjust of zero", "/v1/admin/points/adjust", p.Admin(), `{"memberId":"` + m.ID + `","delta":0,"bizNo":"b3","reason":"x"}`, "delta"},
		{"adjust without reason", "/v1/admin/points/adjust", p.Admin(), `{"memberId":"` + m.ID + `","delta":5,"bizNo":"b3","reason":""}`, "reason"},
		{"reverse with negative amount", "/v1/points/reverse", p.svc, `{"originalBizNo":"EARN-10","bizNo":"b4","amount":-1}`, "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Do(Request{Method: "POST", Path: tt.path, Token: tt.token, Body: tt.body, SkipRequest: true})
			assertProblem(t, r, 400, "VALIDATION_FAILED")
			if !hasField(r, tt.field) {
				t.Fatalf("errors do not name %s: %s", tt.field, r.Body)
			}
		})
	}
	if p.available(m) != 10 {
		t.Fatal("bad input changed the balance")
	}
	if n := len(p.Must(200, "GET", "/v1/members/me/points/ledger", m.Access, nil).JSON()["items"].([]any)); n != 1 {
		t.Fatalf("bad input wrote ledger entries: %d", n)
	}
}

func TestPoints_FrozenMembersCannotEarnOrSpendButCanBeAdjusted(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.earn(m.ID, 10, "EARN-1")
	admin := p.Admin()
	p.Must(200, "POST", "/v1/admin/members/"+m.ID+"/status", admin, map[string]string{"status": "FROZEN", "reason": "fraud check"})
	assertProblem(t, p.earn(m.ID, 5, "EARN-2"), 403, "MEMBER_FROZEN")
	assertProblem(t, p.Call("POST", "/v1/points/spend", p.svc, map[string]any{"memberId": m.ID, "amount": 1, "bizNo": "S-1"}), 403, "MEMBER_FROZEN")
	adj := p.Must(201, "POST", "/v1/admin/points/adjust", admin, map[string]any{"memberId": m.ID, "delta": -4, "bizNo": "ADJ-1", "reason": "chargeback"}).JSON()
	if adj["type"] != "ADJUST" || adj["balanceAfter"] != float64(6) {
		t.Fatalf("adjust = %v", adj)
	}
	entries := p.Must(200, "GET", "/v1/admin/audit?action=points.adjust", admin, nil).JSON()["items"].([]any)
	if len(entries) != 1 {
		t.Fatalf("adjust audited %d times", len(entries))
	}
	assertProblem(t, p.Call("POST", "/v1/admin/points/adjust", admin, map[string]any{"memberId": m.ID, "delta": -7, "bizNo": "ADJ-2", "reason": "too much"}), 409, "INSUFFICIENT_POINTS")
	p.assertBooks(t, m)
}

func TestPoints_MembersSeeOnlyTheirOwn(t *testing.T) {
	p := newPoints(t)
	a, b := p.Register(), p.Register()
	p.earn(a.ID, 10, "E-A")
	p.earn(b.ID, 10, "E-B")
	assertProblem(t, p.Call("POST", "/v1/points/spend", a.Access, map[string]any{"memberId": b.ID, "amount": 1, "bizNo": "S-X"}), 404, "NOT_FOUND")
	assertProblem(t, p.Call("POST", "/v1/points/earn", a.Access, map[string]any{"memberId": a.ID, "amount": 1, "bizNo": "E-X", "source": "ORDER"}), 403, "FORBIDDEN")
	if p.available(b) != 10 {
		t.Fatal("b's points changed")
	}
	auditor := p.Staff("aud", "auditor")
	items := p.Must(200, "GET", "/v1/admin/members/"+b.ID+"/points/ledger", auditor, nil).JSON()["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("admin ledger = %v", items)
	}
	assertProblem(t, p.Call("GET", "/v1/admin/members/01ARZ3NDEKTSV4RRFFQ69G5FAV/points/ledger", auditor, nil), 404, "NOT_FOUND")
}

func TestLedger_NewestFirstWithPaging(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	for i := range 5 {
		p.Stack.Clock.Set(p.Stack.Clock.Now().Add(time.Second))
		p.earn(m.ID, int64(i+1), fmt.Sprintf("E-%d", i))
	}
	var deltas []float64
	cursor := ""
	for {
		r := p.Must(200, "GET", "/v1/members/me/points/ledger?limit=2"+cursor, m.Access, nil).JSON()
		for _, e := range r["items"].([]any) {
			deltas = append(deltas, e.(map[string]any)["delta"].(float64))
		}
		next, _ := r["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
	}
	if fmt.Sprint(deltas) != "[5 4 3 2 1]" {
		t.Fatalf("ledger deltas = %v", deltas)
	}
}

func TestExpiry_OldestLotsGoFirstAndTheJobIsIdempotent(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	start := p.Stack.Clock.Now() // 2026-11-24
	p.earn(m.ID, 100, "E-NOV")   // expires end of Nov 2027
	p.travel(start.AddDate(0, 1, 0), &m)
	p.earn(m.ID, 40, "E-DEC") // expires end of Dec 2027
	p.spend(m, 30, "S-1")     // taken from the November lot
	bal := p.Must(200, "GET", "/v1/members/me/points", m.Access, nil).JSON()
	expiring := bal["expiring"].([]any)
	if bal["available"] != float64(110) || len(expiring) != 2 || expiring[0].(map[string]any)["amount"] != float64(70) {
		t.Fatalf("balance = %v", bal)
	}

	// Three weeks before the November lot expires: a warning, once.
	p.travel(time.Date(2027, 11, 10, 0, 0, 0, 0, time.UTC), &m)
	admin := p.Admin()
	run := p.runJob(admin, "points-expiry")
	if run["status"] != "SUCCEEDED" || run["changed"] != float64(1) {
		t.Fatalf("warning run = %v", run)
	}
	if run = p.runJob(admin, "points-expiry"); run["changed"] != float64(0) {
		t.Fatalf("a second run warned again: %v", run)
	}
	if n := p.pendingEvents(t, points.EventExpiring); n != 1 {
		t.Fatalf("POINTS_EXPIRING events = %d, want 1", n)
	}

	// After the end of November 2027 (in China Standard Time) the oldest lot expires.
	p.travel(time.Date(2027, 12, 1, 0, 0, 0, 0, points.ChinaStandardTime), &m)
	admin = p.Admin()
	if got := p.available(m); got != 40 {
		t.Fatalf("expired points must not be available even before the job: %d", got)
	}
	// The November lot expires; the December lot now gets its warning.
	run = p.runJob(admin, "points-expiry")
	if run["status"] != "SUCCEEDED" || run["changed"] != float64(2) {
		t.Fatalf("expiry run = %v", run)
	}
	if run = p.runJob(admin, "points-expiry"); run["changed"] != float64(0) {
		t.Fatalf("the second run changed something: %v", run)
	}
	ledger := p.Must(200, "GET", "/v1/members/me/points/ledger", m.Access, nil).JSON()["items"].([]any)
	newest := ledger[0].(map[string]any)
	if newest["type"] != "EXPIRE" || newest["delta"] != float64(-70) || newest["balanceAfter"] != float64(40) || len(ledger) != 4 {
		t.Fatalf("ledger = %v", ledger)
	}
	if r := p.spend(m, 41, "S-2"); r.Code() != "INSUFFICIENT_POINTS" {
		t.Fatalf("spend over the unexpired = %d %s", r.Status, r.Body)
	}
	rec := p.runJob(admin, "reconcile")
	if rec["status"] != "SUCCEEDED" || rec["failed"] != float64(0) || rec["processed"] != float64(1) {
		t.Fatalf("reconcile = %v", rec)
	}
	p.assertBooks(t, m)
}

func TestExpiry_ASpendExpiresDueLotsItselfWithoutTheJob(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.earn(m.ID, 100, "E-1")
	p.travel(time.Date(2027, 12, 2, 0, 0, 0, 0, time.UTC), &m)
	p.earn(m.ID, 5, "E-2")
	ledger := p.Must(200, "GET", "/v1/members/me/points/ledger", m.Access, nil).JSON()["items"].([]any)
	if len(ledger) != 3 || ledger[1].(map[string]any)["type"] != "EXPIRE" || ledger[0].(map[string]any)["balanceAfter"] != float64(5) {
		t.Fatalf("ledger = %v", ledger)
	}
	p.assertBooks(t, m)
}

func TestJobs_UnknownJobAndRunAreNotFound(t *testing.T) {
	p := newPoints(t)
	admin := p.Admin()
	assertProblem(t, p.Call("POST", "/v1/admin/jobs/nope/run", admin, nil), 404, "NOT_FOUND")
	assertProblem(t, p.Call("GET", "/v1/admin/jobs/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV", admin, nil), 404, "NOT_FOUND")
	assertProblem(t, p.Call("POST", "/v1/admin/jobs/reconcile/run", p.Staff("ops1", "operator"), nil), 403, "FORBIDDEN")
}

// travel moves the clock and signs m and the service in again (their
// access tokens live 15 minutes).
func (p *pointsAPI) travel(to time.Time, m *Member) {
	p.T.Helper()
	p.Stack.Clock.Set(to)
	p.svc = p.Service()
	if m != nil {
		m.Access = p.Must(200, "POST", "/v1/auth/login", "", map[string]string{"mobile": m.Mobile, "password": m.Password}).Str("accessToken")
	}
}

// runJob starts a job over HTTP and waits for its run to finish.
func (p pointsAPI) runJob(admin, job string) map[string]any {
	p.T.Helper()
	id := p.Must(http.StatusAccepted, "POST", "/v1/admin/jobs/"+job+"/run", admin, nil).Str("runId")
	p.Stack.WaitForRuns()
	return p.Must(200, "GET", "/v1/admin/jobs/runs/"+id, admin, nil).JSON()
}

func (p pointsAPI) pendingEvents(t *testing.T, eventType string) int {
	t.Helper()
	evs, err := p.Stack.Store.PendingEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == eventType {
			n++
		}
	}
	return n
}

func TestReconcile_FindsAndReportsDrift(t *testing.T) {
	p := newPoints(t)
	m, other := p.Register(), p.Register()
	p.earn(m.ID, 50, "E-1")
	p.earn(other.ID, 5, "E-2")
	// Someone edits a balance behind the ledger's back.
	_, err := p.DB.Engine.Client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(p.DB.Table),
		Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "MEMBER#" + m.ID}, "sk": &types.AttributeValueMemberS{Value: "PROFILE"}},
		UpdateExpression:          aws.String("SET points = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberN{Value: "500"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	run := p.runJob(p.Admin(), "reconcile")
	details, _ := run["details"].([]any)
	if run["status"] != "SUCCEEDED" || run["processed"] != float64(2) || run["failed"] != float64(1) || len(details) != 1 || !strings.Contains(details[0].(string), m.ID) {
		t.Fatalf("reconcile run = %v", run)
	}
}
