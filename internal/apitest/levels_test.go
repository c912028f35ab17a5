package apitest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/levels"
)

func (p pointsAPI) growth(memberID string, amount int64, bizNo string) Resp {
	p.T.Helper()
	return p.Call("POST", "/v1/growth/earn", p.svc, map[string]any{"memberId": memberID, "amount": amount, "bizNo": bizNo, "source": "TASK"})
}

func (p pointsAPI) level(m Member) map[string]any {
	p.T.Helper()
	return p.Must(200, "GET", "/v1/members/me/level", m.Access, nil).JSON()
}

func (p pointsAPI) history(m Member) []string {
	p.T.Helper()
	var out []string
	for _, h := range p.Must(200, "GET", "/v1/members/me/level/history", m.Access, nil).JSON()["items"].([]any) {
		e := h.(map[string]any)
		out = append(out, fmt.Sprintf("%s>%s:%s", e["from"], e["to"], e["reason"]))
	}
	return out
}

func code(v map[string]any) string { return v["level"].(map[string]any)["code"].(string) }

func TestGrowth_TwentyConcurrentEarnsCrossingThresholdsUpgradeOnce(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	// 20 × 300 = 6000: past SILVER (1000) and GOLD (5000) together.
	var upgraded atomic.Int32
	parallel(20, func(i int) {
		r := p.growth(m.ID, 300, fmt.Sprintf("G-%02d", i))
		if r.Status != 201 {
			t.Errorf("growth = %d %s", r.Status, r.Body)
		}
		if r.JSON()["upgraded"] == true {
			upgraded.Add(1)
		}
	})
	lv := p.level(m)
	if code(lv) != "GOLD" || lv["growth"] != float64(6000) || lv["reviewAt"] == nil {
		t.Fatalf("level = %v", lv)
	}
	if h := p.history(m); fmt.Sprint(h) != "[SILVER>GOLD:UPGRADE BRONZE>SILVER:UPGRADE]" {
		t.Fatalf("history = %v, want one entry per level passed", h)
	}
	if upgraded.Load() < 1 || upgraded.Load() > 2 {
		t.Fatalf("%d earns reported an upgrade", upgraded.Load())
	}
	if n := p.pendingEvents(t, levels.EventLevelChanged); n != int(upgraded.Load()) {
		t.Fatalf("LEVEL_CHANGED events = %d, upgrades = %d", n, upgraded.Load())
	}
	me := p.Must(200, "GET", "/v1/members/me", m.Access, nil).JSON()
	if me["growth"] != float64(6000) || code(me) != "GOLD" {
		t.Fatalf("profile = %v", me)
	}
	// A replay changes nothing.
	if r := p.growth(m.ID, 300, "G-00"); r.Header.Get("Idempotent-Replay") != "true" || p.level(m)["growth"] != float64(6000) {
		t.Fatalf("replay = %d %v", r.Status, r.Header)
	}
}

func TestLevelReview_DowngradesAcrossPeriodsOnceAndWarnsBefore(t *testing.T) {
	p := newPoints(t)
	m, kept := p.Register(), p.Register()
	p.growth(m.ID, 20000, "G-PLAT")   // PLATINUM (retain 6000), review 2027-11-24
	p.growth(kept.ID, 5000, "G-GOLD") // GOLD (retain 1500)
	if lv := p.level(m); code(lv) != "PLATINUM" {
		t.Fatalf("level = %v", lv)
	}

	// 20 days before the review, with 1000 of 6000 growth this period: a warning, once.
	p.travel(time.Date(2027, 11, 4, 8, 0, 0, 0, time.UTC), &m)
	p.growth(m.ID, 1000, "G-SOME")
	p.growth(kept.ID, 1500, "G-KEEP")
	admin := p.Admin()
	run := p.runJob(admin, "level-review")
	if run["status"] != "SUCCEEDED" || run["changed"] != float64(1) {
		t.Fatalf("warning run = %v", run)
	}
	if run = p.runJob(admin, "level-review"); run["changed"] != float64(0) {
		t.Fatalf("warned twice: %v", run)
	}
	if n := p.pendingEvents(t, levels.EventDowngradeWarning); n != 1 {
		t.Fatalf("warnings = %d", n)
	}

	// Two review dates later (2027-11-24 and 2028-11-24 passed, 2029-11-24
	// not yet): two periods ended, each too short: down two ranks.
	p.travel(time.Date(2029, 11, 20, 8, 0, 0, 0, time.UTC), &m)
	admin = p.Admin()
	// Two runs at one time: the second changes nothing.
	var wg sync.WaitGroup
	runs := make([]map[string]any, 2)
	for i := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); runs[i] = p.runJob(admin, "level-review") }()
	}
	wg.Wait()
	if got := p.level(m); code(got) != "SILVER" || got["reviewAt"] == nil {
		t.Fatalf("after the review: %v", got)
	}
	if h := p.history(m); fmt.Sprint(h[:2]) != "[GOLD>SILVER:DOWNGRADE PLATINUM>GOLD:DOWNGRADE]" {
		t.Fatalf("history = %v", h)
	}
	// kept retained GOLD in its first period, then had no growth in the
	// second: one rank down.
	keptLevel := p.Must(200, "POST", "/v1/auth/login", "", map[string]string{"mobile": kept.Mobile, "password": kept.Password}).Str("accessToken")
	if lv := p.Must(200, "GET", "/v1/members/me/level", keptLevel, nil).JSON(); code(lv) != "SILVER" {
		t.Fatalf("kept = %v", lv)
	}
	if run = p.runJob(admin, "level-review"); run["changed"] != float64(0) {
		t.Fatalf("a third run changed something: %v", run)
	}
}

func TestLevels_ManualSetIsAuditedAndLadderIsValidated(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	admin := p.Admin()
	got := p.Must(200, "POST", "/v1/admin/members/"+m.ID+"/level", admin, map[string]string{"levelCode": "DIAMOND", "reason": "VIP by contract"}).JSON()
	if code(got) != "DIAMOND" || got["reviewAt"] == nil {
		t.Fatalf("set = %v", got)
	}
	if h := p.history(m); fmt.Sprint(h) != "[BRONZE>DIAMOND:MANUAL]" {
		t.Fatalf("history = %v", h)
	}
	if entries := p.Must(200, "GET", "/v1/admin/audit?action=member.level.set", admin, nil).JSON()["items"].([]any); len(entries) != 1 {
		t.Fatalf("audit = %v", entries)
	}
	assertProblem(t, p.Call("POST", "/v1/admin/members/"+m.ID+"/level", admin, map[string]string{"levelCode": "TITANIUM", "reason": "x"}), 400, "VALIDATION_FAILED")
	assertProblem(t, p.Call("POST", "/v1/admin/members/"+m.ID+"/level", p.Staff("ops2", "operator"), map[string]string{"levelCode": "GOLD", "reason": "x"}), 403, "FORBIDDEN")

	ladder := p.Must(200, "GET", "/v1/levels", "", nil).JSON()
	items := ladder["items"].([]any)
	if len(items) < 4 || ladder["version"] != float64(0) {
		t.Fatalf("ladder = %v", ladder)
	}
	mutate := func(f func(lv []map[string]any)) map[string]any {
		var out []map[string]any
		for _, it := range items {
			c := map[string]any{}
			for k, v := range it.(map[string]any) {
				c[k] = v
			}
			out = append(out, c)
		}
		f(out)
		return map[string]any{"items": out}
	}
	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"gap in ranks", mutate(func(l []map[string]any) { l[2]["rank"] = 3 }), "items[2].rank"},
		{"equal thresholds", mutate(func(l []map[string]any) { l[2]["growthThreshold"] = l[1]["growthThreshold"] }), "items[2].growthThreshold"},
		{"unknown package", mutate(func(l []map[string]any) { l[1]["packageCode"] = "PKG_NOPE" }), "items[1].packageCode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Call("PUT", "/v1/admin/levels", admin, tt.body)
			assertProblem(t, r, 400, "VALIDATION_FAILED")
			if !hasField(r, tt.field) {
				t.Fatalf("errors do not name %s: %s", tt.field, r.Body)
			}
		})
	}
	ok := mutate(func(l []map[string]any) { l[1]["growthThreshold"] = 800; l[1]["name"] = "Silver Star" })
	set := p.Must(200, "PUT", "/v1/admin/levels", admin, ok).JSON()
	if set["version"] != float64(1) {
		t.Fatalf("put = %v", set)
	}
	entries := p.Must(200, "GET", "/v1/admin/audit?action=levels.set", admin, nil).JSON()["items"].([]any)
	if len(entries) != 1 {
		t.Fatalf("ladder change audited %d times", len(entries))
	}
	// The new threshold applies at once on this instance.
	p.growth(m.ID, 1, "G-1")
	second := p.Register()
	if r := p.growth(second.ID, 800, "G-800"); r.JSON()["level"].(map[string]any)["code"] != "SILVER" {
		t.Fatalf("growth at the new threshold = %s", r.Body)
	}
}

func TestOrders_PaidThenRefundedInPartsComesBackToZero(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	paid := p.Must(201, "POST", "/v1/orders/events", p.svc, map[string]any{"type": "PAID", "orderNo": "SO-1", "memberId": m.ID, "amount": 125_099}).JSON()
	if paid["points"] != float64(1250) || paid["growth"] != float64(1250) || paid["upgraded"] != true || code(paid) != "SILVER" {
		t.Fatalf("paid = %v", paid)
	}
	// Replays and conflicts.
	again := p.Call("POST", "/v1/orders/events", p.svc, map[string]any{"type": "PAID", "orderNo": "SO-1", "memberId": m.ID, "amount": 125_099})
	if again.Status != 201 || again.Header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("replay = %d", again.Status)
	}
	assertProblem(t, p.Call("POST", "/v1/orders/events", p.svc, map[string]any{"type": "PAID", "orderNo": "SO-1", "memberId": m.ID, "amount": 1}), 409, "IDEMPOTENCY_CONFLICT")

	var pts, grw int64 = 1250, 1250
	for i, refund := range []int64{40_000, 40_000, 45_099} {
		r := p.Must(201, "POST", "/v1/orders/events", p.svc, map[string]any{"type": "REFUNDED", "orderNo": "SO-1", "memberId": m.ID, "amount": refund, "refundNo": fmt.Sprintf("R-%d", i)}).JSON()
		pts += int64(r["points"].(float64))
		grw += int64(r["growth"].(float64))
		if pts < 0 || grw < 0 {
			t.Fatalf("went below zero after refund %d: %d points %d growth", i, pts, grw)
		}
	}
	if pts != 0 || grw != 0 || p.available(m) != 0 {
		t.Fatalf("after refunding everything: %d points, %d growth, balance %d", pts, grw, p.available(m))
	}
	if lv := p.level(m); lv["growth"] != float64(0) || code(lv) != "SILVER" {
		t.Fatalf("growth going down must not drop the level at once: %v", lv)
	}
	assertProblem(t, p.Call("POST", "/v1/orders/events", p.svc, map[string]any{"type": "REFUNDED", "orderNo": "SO-1", "memberId": m.ID, "amount": 1, "refundNo": "R-9"}), 409, "CONFLICT")
	assertProblem(t, p.Call("POST", "/v1/orders/events", p.svc, map[string]any{"type": "REFUNDED", "orderNo": "SO-404", "memberId": m.ID, "amount": 1, "refundNo": "R-1"}), 404, "NOT_FOUND")
	p.assertBooks(t, m)
}

func TestOrders_RefundAfterSpendingReportsAShortfallNeverANegativeBalance(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.Must(201, "POST", "/v1/orders/events", p.svc, map[string]any{"type": "PAID", "orderNo": "SO-2", "memberId": m.ID, "amount": 10_000})
	if r := p.spend(m, 80, "S-80"); r.Status != 201 {
		t.Fatalf("spend = %d", r.Status)
	}
	r := p.Must(201, "POST", "/v1/orders/events", p.svc, map[string]any{"type": "REFUNDED", "orderNo": "SO-2", "memberId": m.ID, "amount": 10_000, "refundNo": "R-1"}).JSON()
	if r["points"] != float64(-20) || r["shortfall"] != float64(80) || p.available(m) != 0 {
		t.Fatalf("refund = %v, balance %d", r, p.available(m))
	}
	p.assertBooks(t, m)
}

func TestOrders_LevelMultiplierAndFrozenMembers(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	admin := p.Admin()
	p.Must(200, "POST", "/v1/admin/members/"+m.ID+"/level", admin, map[string]string{"levelCode": "GOLD", "reason": "test"})
	r := p.Must(201, "POST", "/v1/orders/events", p.svc, map[string]any{"type": "PAID", "orderNo": "SO-3", "memberId": m.ID, "amount": 10_000}).JSON()
	if r["points"] != float64(150) || r["growth"] != float64(100) {
		t.Fatalf("GOLD earns 1.5 points per yuan: %v", r)
	}
	p.Must(200, "POST", "/v1/admin/members/"+m.ID+"/status", admin, map[string]string{"status": "FROZEN", "reason": "fraud"})
	assertProblem(t, p.Call("POST", "/v1/orders/events", p.svc, map[string]any{"type": "PAID", "orderNo": "SO-4", "memberId": m.ID, "amount": 100}), 403, "MEMBER_FROZEN")
	assertProblem(t, p.growth(m.ID, 5, "G-F"), 403, "MEMBER_FROZEN")
	// A refund still claws back from a frozen member.
	p.Must(201, "POST", "/v1/orders/events", p.svc, map[string]any{"type": "REFUNDED", "orderNo": "SO-3", "memberId": m.ID, "amount": 10_000, "refundNo": "R-1"})
	p.assertBooks(t, m)
	bad := p.Do(Request{Method: "POST", Path: "/v1/orders/events", Token: p.svc, Body: `{"type":"REFUNDED","orderNo":"SO-3","memberId":"` + m.ID + `","amount":5}`, SkipRequest: true})
	assertProblem(t, bad, 400, "VALIDATION_FAILED")
	if !hasField(bad, "refundNo") {
		t.Fatalf("missing refundNo not named: %s", bad.Body)
	}
}

func TestLevels_LadderVersionGuardsConcurrentEditsAndCursorsStayInTheirList(t *testing.T) {
	p := newPoints(t)
	admin := p.Admin()
	ladder := p.Must(200, "GET", "/v1/levels", "", nil).JSON()
	p.Must(200, "PUT", "/v1/admin/levels", admin, ladder) // version 0 → 1
	assertProblem(t, p.Call("PUT", "/v1/admin/levels", admin, ladder), 409, "CONFLICT")
	bad := p.Do(Request{Method: "PUT", Path: "/v1/admin/levels", Token: admin, Body: `{"items":[{"code":"A","name":"A","rank":0,"growthThreshold":0,"retainGrowth":0,"pointsMultiplier":1.2345,"packageCode":""}]}`, SkipRequest: true})
	assertProblem(t, bad, 400, "VALIDATION_FAILED")
	if !hasField(bad, "pointsMultiplier") {
		t.Fatalf("the bad multiplier is not named: %s", bad.Body)
	}

	m := p.Register()
	for i := range 3 {
		p.earn(m.ID, 1, fmt.Sprintf("E-%d", i))
	}
	next := p.Must(200, "GET", "/v1/members/me/points/ledger?limit=1", m.Access, nil).Str("nextCursor")
	assertProblem(t, p.Call("GET", "/v1/members/me/level/history?cursor="+next, m.Access, nil), 400, "VALIDATION_FAILED")
}

func TestReconcile_ChecksGrowthAgainstItsLedger(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.growth(m.ID, 700, "G-1")
	p.Must(201, "POST", "/v1/orders/events", p.svc, map[string]any{"type": "PAID", "orderNo": "SO-G", "memberId": m.ID, "amount": 10_000})
	p.assertBooks(t, m)
	snap, err := p.Stack.Store.Snapshot(context.Background(), m.ID)
	if err != nil || snap.Growth != 800 || snap.GrowthSum != 800 {
		t.Fatalf("snapshot = %+v (%v)", snap, err)
	}
}
