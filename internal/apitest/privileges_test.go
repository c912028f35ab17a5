package apitest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/outbox"
)

// relay delivers the pending events to their consumers, as the dev
// server's relay does every 250 ms, and returns them.
func (p pointsAPI) relay(t *testing.T) []outbox.Event {
	t.Helper()
	evs, err := p.Stack.Store.PendingEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Stack.Relay.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	return evs
}

func (p pointsAPI) grants(m Member) map[string][]map[string]any {
	p.T.Helper()
	out := map[string][]map[string]any{}
	for _, g := range p.Must(200, "GET", "/v1/members/me/privileges", m.Access, nil).JSON()["items"].([]any) {
		gm := g.(map[string]any)
		out[gm["privilegeCode"].(string)] = append(out[gm["privilegeCode"].(string)], gm)
	}
	return out
}

func (p pointsAPI) defineCoupon(t *testing.T, quota int, period string, validDays int) {
	t.Helper()
	admin := p.Admin()
	p.Must(200, "PUT", "/v1/admin/privileges/TEST_COUPON", admin, map[string]any{"name": "Test coupon", "type": "COUPON", "params": map[string]any{"amountCents": 500, "minOrderCents": 0}, "status": "ACTIVE"})
	p.Must(200, "PUT", "/v1/admin/privilege-packages/TEST_PKG", admin, map[string]any{"name": "Test", "status": "ACTIVE",
		"items": []any{map[string]any{"privilegeCode": "TEST_COUPON", "quota": quota, "period": period, "validDays": validDays}}})
}

func TestPrivileges_NewMembersGetTheirLevelPackage(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.relay(t)
	g := p.grants(m)["FREE_SHIPPING"]
	if len(g) != 1 || g[0]["quota"] != float64(1) || g[0]["status"] != "ACTIVE" || g[0]["packageCode"] != "PKG_BRONZE" || g[0]["type"] != "FREE_SHIPPING" {
		t.Fatalf("grants = %v", p.grants(m))
	}
}

func TestConsume_TwelveConcurrentConsumesOfAQuotaOfThree(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.defineCoupon(t, 3, "ONCE", 30)
	p.Must(201, "POST", "/v1/admin/members/"+m.ID+"/privileges", p.Admin(), map[string]any{"packageCode": "TEST_PKG", "bizNo": "GRANT-1"})
	var ok, exhausted atomic.Int32
	parallel(12, func(i int) {
		r := p.Call("POST", "/v1/privileges/consume", m.Access, map[string]any{"privilegeCode": "TEST_COUPON", "bizNo": fmt.Sprintf("C-%d", i)})
		switch {
		case r.Status == 201:
			ok.Add(1)
		case r.Status == 409 && r.Code() == "PRIVILEGE_EXHAUSTED":
			exhausted.Add(1)
		default:
			t.Errorf("unexpected %d %s", r.Status, r.Body)
		}
	})
	if ok.Load() != 3 || exhausted.Load() != 9 {
		t.Fatalf("ok=%d exhausted=%d", ok.Load(), exhausted.Load())
	}
	g := p.grants(m)["TEST_COUPON"][0]
	if g["remaining"] != float64(0) || g["status"] != "EXHAUSTED" {
		t.Fatalf("grant = %v", g)
	}
	if usage := p.Must(200, "GET", "/v1/members/me/privileges/usage", m.Access, nil).JSON()["items"].([]any); len(usage) != 3 {
		t.Fatalf("usage = %d", len(usage))
	}
}

func TestConsume_AtTheStartJustBeforeTheEndAndJustAfter(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.defineCoupon(t, 5, "ONCE", 10)
	start := p.Stack.Clock.Now()
	granted := p.Must(201, "POST", "/v1/admin/members/"+m.ID+"/privileges", p.Admin(), map[string]any{"packageCode": "TEST_PKG", "bizNo": "GRANT-1"}).JSON()
	end, _ := time.Parse(time.RFC3339, granted["items"].([]any)[0].(map[string]any)["endTime"].(string))
	if !end.Equal(start.Truncate(time.Millisecond).AddDate(0, 0, 10)) {
		t.Fatalf("end = %v", end)
	}
	consume := func(biz string) Resp {
		return p.Call("POST", "/v1/privileges/consume", p.svc, map[string]any{"memberId": m.ID, "privilegeCode": "TEST_COUPON", "bizNo": biz})
	}
	if r := consume("AT-START"); r.Status != 201 {
		t.Fatalf("at the start = %d %s", r.Status, r.Body)
	}
	p.travel(end.Add(-time.Millisecond), nil)
	if r := consume("BEFORE-END"); r.Status != 201 || r.JSON()["remaining"] != float64(3) {
		t.Fatalf("just before the end = %d %s", r.Status, r.Body)
	}
	p.travel(end, nil)
	assertProblem(t, consume("AT-END"), 409, "PRIVILEGE_EXPIRED")
	assertProblem(t, p.Call("POST", "/v1/privileges/consume", p.svc, map[string]any{"memberId": m.ID, "privilegeCode": "BIRTHDAY_COUPON", "bizNo": "NONE"}), 409, "PRIVILEGE_NOT_GRANTED")
}

func TestPrivileges_UpgradeThenDowngradeGrantsAndRevokesOnce(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.relay(t)
	p.growth(m.ID, 5000, "G-GOLD") // BRONZE → GOLD
	changed := p.relay(t)
	g := p.grants(m)
	if len(g["MEMBER_DISCOUNT_5"]) != 1 || g["MEMBER_DISCOUNT_5"][0]["packageCode"] != "PKG_GOLD" || len(g["BIRTHDAY_COUPON"]) != 1 {
		t.Fatalf("after the upgrade: %v", g)
	}
	admin := p.Admin()
	p.Must(200, "POST", "/v1/admin/members/"+m.ID+"/level", admin, map[string]string{"levelCode": "SILVER", "reason": "test downgrade"})
	down := p.relay(t)
	g = p.grants(m)
	revoked, silver := 0, 0
	for _, list := range g {
		for _, x := range list {
			if x["packageCode"] == "PKG_GOLD" && x["status"] == "REVOKED" {
				revoked++
			}
			if x["packageCode"] == "PKG_SILVER" && x["status"] == "ACTIVE" {
				silver++
			}
		}
	}
	if revoked != 3 || silver != 2 {
		t.Fatalf("after the downgrade: %d gold revoked, %d silver active: %v", revoked, silver, g)
	}
	// Replayed events (the bus delivers at least once) change nothing.
	before := fmt.Sprint(p.grants(m))
	if err := p.Stack.Bus.Publish(context.Background(), append(changed, down...)); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprint(p.grants(m)); after != before {
		t.Fatalf("a replayed event changed grants:\n%s\n%s", before, after)
	}
}

func TestRenewal_TwiceInAPeriodGrantsOnce(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	admin := p.Admin()
	first := p.runJob(admin, "privilege-renewal")
	if first["changed"] != float64(1) { // the registration event was not relayed: the job grants it
		t.Fatalf("first renewal = %v", first)
	}
	if again := p.runJob(admin, "privilege-renewal"); again["changed"] != float64(0) {
		t.Fatalf("second renewal in the period = %v", again)
	}
	p.relay(t) // the registration event finds the grant there
	if n := len(p.grants(m)["FREE_SHIPPING"]); n != 1 {
		t.Fatalf("grants = %d", n)
	}
	p.travel(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), &m)
	admin = p.Admin()
	if next := p.runJob(admin, "privilege-renewal"); next["changed"] != float64(1) {
		t.Fatalf("renewal in the next month = %v", next)
	}
	if n := len(p.grants(m)["FREE_SHIPPING"]); n != 2 {
		t.Fatalf("grants after a new month = %d", n)
	}
}

func TestExpiry_FansOutAndMarksGrantsExpiredOnce(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.relay(t)
	p.travel(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), &m)
	admin := p.Admin()
	run := p.runJob(admin, "privilege-expiry")
	if run["status"] != "SUCCEEDED" || run["processed"] != float64(1) || run["changed"] != float64(1) {
		t.Fatalf("expiry run = %v", run)
	}
	p.relay(t)
	if g := p.grants(m)["FREE_SHIPPING"][0]; g["status"] != "EXPIRED" {
		t.Fatalf("grant = %v", g)
	}
	evs := p.relay(t)
	for _, ev := range evs {
		if ev.Type == "PRIVILEGE_EXPIRED" {
			t.Fatal("expired twice")
		}
	}
}

func TestCancel_ReturnsQuotaOnceAndOnlyWhileTheGrantIsValid(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.defineCoupon(t, 2, "ONCE", 5)
	p.Must(201, "POST", "/v1/admin/members/"+m.ID+"/privileges", p.Admin(), map[string]any{"packageCode": "TEST_PKG", "bizNo": "GRANT-1"})
	c1 := p.Must(201, "POST", "/v1/privileges/consume", m.Access, map[string]any{"privilegeCode": "TEST_COUPON", "bizNo": "C-1"}).Str("consumeId")
	c2 := p.Must(201, "POST", "/v1/privileges/consume", m.Access, map[string]any{"privilegeCode": "TEST_COUPON", "bizNo": "C-2"}).Str("consumeId")
	r := p.Must(200, "POST", "/v1/privileges/consumptions/"+c1+"/cancel", p.svc, map[string]any{"bizNo": "X-1"}).JSON()
	if r["quotaReturned"] != true || r["remaining"] != float64(1) {
		t.Fatalf("cancel = %v", r)
	}
	again := p.Call("POST", "/v1/privileges/consumptions/"+c1+"/cancel", p.svc, map[string]any{"bizNo": "X-1"})
	if again.Status != 200 || again.Header.Get("Idempotent-Replay") != "true" || p.grants(m)["TEST_COUPON"][0]["remaining"] != float64(1) {
		t.Fatalf("second cancel = %d %s", again.Status, again.Body)
	}
	assertProblem(t, p.Call("POST", "/v1/privileges/consumptions/"+c1+"/cancel", p.svc, map[string]any{"bizNo": "X-2"}), 409, "CONFLICT")
	p.travel(p.Stack.Clock.Now().AddDate(0, 0, 6), nil)
	late := p.Must(200, "POST", "/v1/privileges/consumptions/"+c2+"/cancel", p.svc, map[string]any{"bizNo": "X-3"}).JSON()
	if late["quotaReturned"] != false {
		t.Fatalf("a cancel after the grant ended must not return quota: %v", late)
	}
	assertProblem(t, p.Call("POST", "/v1/privileges/consumptions/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel", p.svc, map[string]any{"bizNo": "X-4"}), 404, "NOT_FOUND")
}

func TestPrivileges_ConfigurationIsValidatedByType(t *testing.T) {
	p := newPoints(t)
	admin := p.Admin()
	tests := []struct {
		name  string
		path  string
		body  map[string]any
		field string
	}{
		{"discount of 0%", "/v1/admin/privileges/D0", map[string]any{"name": "x", "type": "DISCOUNT", "params": map[string]any{"percent": 0}, "status": "ACTIVE"}, "params.percent"},
		{"discount of 100%", "/v1/admin/privileges/D100", map[string]any{"name": "x", "type": "DISCOUNT", "params": map[string]any{"percent": 100}, "status": "ACTIVE"}, "params.percent"},
		{"unknown param", "/v1/admin/privileges/D1", map[string]any{"name": "x", "type": "DISCOUNT", "params": map[string]any{"percent": 5, "color": "red"}, "status": "ACTIVE"}, "params"},
		{"unknown type", "/v1/admin/privileges/X", map[string]any{"name": "x", "type": "TELEPORT", "params": map[string]any{}, "status": "ACTIVE"}, "type"},
		{"coupon without amount", "/v1/admin/privileges/C", map[string]any{"name": "x", "type": "COUPON", "params": map[string]any{}, "status": "ACTIVE"}, "params.amountCents"},
		{"package of an unknown privilege", "/v1/admin/privilege-packages/P", map[string]any{"name": "x", "status": "ACTIVE", "items": []any{map[string]any{"privilegeCode": "NOPE", "quota": 1, "period": "MONTHLY", "validDays": 0}}}, "items[0].privilegeCode"},
		{"ONCE without validity", "/v1/admin/privilege-packages/P", map[string]any{"name": "x", "status": "ACTIVE", "items": []any{map[string]any{"privilegeCode": "FREE_SHIPPING", "quota": 1, "period": "ONCE", "validDays": 0}}}, "items[0].validDays"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Do(Request{Method: "PUT", Path: tt.path, Token: admin, Body: tt.body, SkipRequest: true})
			assertProblem(t, r, 400, "VALIDATION_FAILED")
			if !hasField(r, tt.field) {
				t.Fatalf("errors do not name %s: %s", tt.field, r.Body)
			}
		})
	}
	list := p.Must(200, "GET", "/v1/admin/privileges", p.Staff("aud1", "auditor"), nil).JSON()["items"].([]any)
	if len(list) != 5 {
		t.Fatalf("privileges = %d", len(list))
	}
	p.defineCoupon(t, 1, "MONTHLY", 0)
	if n := len(p.Must(200, "GET", "/v1/admin/privilege-packages", admin, nil).JSON()["items"].([]any)); n != 6 {
		t.Fatalf("packages = %d", n)
	}
	if entries := p.Must(200, "GET", "/v1/admin/audit?action=privilege.set", admin, nil).JSON()["items"].([]any); len(entries) != 1 {
		t.Fatalf("audit = %d", len(entries))
	}
}

func TestConsume_UnknownAndFrozenMembers(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.relay(t)
	assertProblem(t, p.Call("POST", "/v1/privileges/consume", p.svc, map[string]any{"memberId": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "privilegeCode": "FREE_SHIPPING", "bizNo": "U-1"}), 404, "NOT_FOUND")
	p.Must(200, "POST", "/v1/admin/members/"+m.ID+"/status", p.Admin(), map[string]string{"status": "FROZEN", "reason": "fraud"})
	assertProblem(t, p.Call("POST", "/v1/privileges/consume", p.svc, map[string]any{"memberId": m.ID, "privilegeCode": "FREE_SHIPPING", "bizNo": "F-1"}), 403, "MEMBER_FROZEN")
	granted := p.Must(201, "POST", "/v1/admin/members/"+m.ID+"/privileges", p.Admin(), map[string]any{"packageCode": "PKG_GOLD", "bizNo": "G-1", "validDays": 3}).JSON()["items"].([]any)
	first := granted[0].(map[string]any)
	if first["name"] == "" || first["type"] == "" {
		t.Fatalf("a manual grant shows its privileges: %v", first)
	}
	start, _ := time.Parse(time.RFC3339, first["startTime"].(string))
	end, _ := time.Parse(time.RFC3339, first["endTime"].(string))
	if end.Sub(start) != 72*time.Hour {
		t.Fatalf("validDays 3 must give 3 days, got %v", end.Sub(start))
	}
}

func TestPrivileges_LevelEventsOutOfOrderConvergeOnTheCurrentLevel(t *testing.T) {
	p := newPoints(t)
	m := p.Register()
	p.relay(t)
	p.growth(m.ID, 5000, "G-GOLD")
	p.Must(200, "POST", "/v1/admin/members/"+m.ID+"/level", p.Admin(), map[string]string{"levelCode": "SILVER", "reason": "test"})
	evs, err := p.Stack.Store.PendingEvents(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var changes []outbox.Event
	for _, ev := range evs {
		if ev.Type == "LEVEL_CHANGED" {
			changes = append([]outbox.Event{ev}, changes...) // newest first: the wrong order
		}
	}
	if len(changes) != 2 {
		t.Fatalf("level events = %d", len(changes))
	}
	if err := p.Stack.Bus.Publish(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
	p.relay(t)
	for code, list := range p.grants(m) {
		for _, g := range list {
			if g["packageCode"] == "PKG_GOLD" && g["status"] == "ACTIVE" {
				t.Fatalf("%s of the level the member left is still active", code)
			}
		}
	}
	silver := false
	for _, g := range p.grants(m)["MEMBER_DISCOUNT_5"] {
		silver = silver || (g["packageCode"] == "PKG_SILVER" && g["status"] == "ACTIVE")
	}
	if !silver {
		t.Fatal("the current level's package was not granted")
	}
}
