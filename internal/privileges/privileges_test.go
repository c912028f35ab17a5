package privileges

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestItem_Window(t *testing.T) {
	now := cst("2026-11-24 10:30")
	tests := []struct {
		name            string
		item            Item
		start, end, key string
	}{
		{"daily", Item{Period: PeriodDaily}, "2026-11-24 00:00", "2026-11-25 00:00", "D2026-11-24"},
		{"monthly", Item{Period: PeriodMonthly}, "2026-11-01 00:00", "2026-12-01 00:00", "M2026-11"},
		{"monthly, first 7 days", Item{Period: PeriodMonthly, ValidDays: 7}, "2026-11-01 00:00", "2026-11-08 00:00", "M2026-11"},
		{"yearly", Item{Period: PeriodYearly}, "2026-01-01 00:00", "2027-01-01 00:00", "Y2026"},
		{"once", Item{Period: PeriodOnce, ValidDays: 30}, "2026-11-24 10:30", "2026-12-24 10:30", "ONCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end, key := tt.item.Window(now, 0)
			if !start.Equal(cst(tt.start)) || !end.Equal(cst(tt.end)) || key != tt.key {
				t.Fatalf("Window = %v %v %s", start, end, key)
			}
		})
	}
}

func TestPick(t *testing.T) {
	now := cst("2026-11-24 10:30")
	g := func(id string, remaining int64, start, end string, status GrantStatus) Grant {
		return Grant{GrantID: id, Remaining: remaining, Start: cst(start), End: cst(end), Status: status}
	}
	tests := []struct {
		name    string
		grants  []Grant
		want    string
		wantErr error
	}{
		{"none", nil, "", ErrNotGranted},
		{"the one ending soonest", []Grant{g("a", 1, "2026-11-01 00:00", "2026-12-31 00:00", GrantActive), g("b", 1, "2026-11-01 00:00", "2026-12-01 00:00", GrantActive)}, "b", nil},
		{"skips the empty", []Grant{g("a", 0, "2026-11-01 00:00", "2026-12-01 00:00", GrantActive), g("b", 2, "2026-11-01 00:00", "2027-01-01 00:00", GrantActive)}, "b", nil},
		{"all used up", []Grant{g("a", 0, "2026-11-01 00:00", "2026-12-01 00:00", GrantActive)}, "", ErrExhausted},
		{"all ended", []Grant{g("a", 3, "2026-10-01 00:00", "2026-11-01 00:00", GrantActive), g("b", 3, "2026-09-01 00:00", "2026-10-01 00:00", GrantExpired)}, "", ErrExpired},
		{"not started yet", []Grant{g("a", 3, "2026-12-01 00:00", "2027-01-01 00:00", GrantActive)}, "", ErrExpired},
		{"only revoked", []Grant{g("a", 3, "2026-11-01 00:00", "2026-12-01 00:00", GrantRevoked)}, "", ErrNotGranted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Pick(tt.grants, now, 1)
			if !errors.Is(err, tt.wantErr) || got.GrantID != tt.want {
				t.Fatalf("Pick = %q, %v", got.GrantID, err)
			}
		})
	}
}

func TestGrant_StatusAt(t *testing.T) {
	now := cst("2026-11-24 10:30")
	base := Grant{Remaining: 1, Start: cst("2026-11-01 00:00"), End: cst("2026-12-01 00:00"), Status: GrantActive}
	tests := []struct {
		name string
		f    func(g *Grant)
		want GrantStatus
	}{
		{"active", func(*Grant) {}, GrantActive},
		{"no quota left", func(g *Grant) { g.Remaining = 0 }, GrantExhausted},
		{"past its end, before the job", func(g *Grant) { g.End = cst("2026-11-24 10:30") }, GrantExpired},
		{"revoked", func(g *Grant) { g.Status = GrantRevoked }, GrantRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := base
			tt.f(&g)
			if got := g.StatusAt(now); got != tt.want {
				t.Fatalf("StatusAt = %s", got)
			}
		})
	}
}

func TestTypes_ValidateTheirOwnParams(t *testing.T) {
	tests := []struct {
		typ     Type
		params  string
		wantErr bool
	}{
		{"DISCOUNT", `{"percent":10}`, false},
		{"DISCOUNT", `{"percent":99,"maxOffCents":500}`, false},
		{"DISCOUNT", `{"percent":0}`, true},
		{"DISCOUNT", `{"percent":"10"}`, true},
		{"DISCOUNT", `{"percent":10,"extra":1}`, true},
		{"FREE_SHIPPING", `{}`, false},
		{"FREE_SHIPPING", `{"minOrderCents":-1}`, true},
		{"COUPON", `{"amountCents":500}`, false},
		{"COUPON", `{"amountCents":0}`, true},
		{"SERVICE", `{"service":"lounge"}`, false},
		{"SERVICE", `{"service":""}`, true},
		{"CUSTOM", `{"anything":[1,2,3]}`, false},
		{"CUSTOM", `[1]`, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+" "+tt.params, func(t *testing.T) {
			_, err := PrivilegeInput{Name: "n", Type: tt.typ, Params: json.RawMessage(tt.params), Status: StatusActive}.Check("CODE")
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check = %v", err)
			}
		})
	}
	if len(Types()) != 5 {
		t.Fatalf("types = %v", Types())
	}
}
