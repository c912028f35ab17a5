package points

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var utc8 = ChinaStandardTime

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, utc8)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func lot(on string, remaining int64) Lot {
	d, _ := time.ParseInLocation(time.DateOnly, on, utc8)
	return Lot{ExpiresOn: on, ExpiresAt: d.AddDate(0, 0, 1).UTC(), Remaining: remaining, Earned: remaining}
}

func account(lots ...Lot) Account {
	a := Account{MemberID: "m", Active: true, Lots: lots}
	for _, l := range lots {
		a.Balance += l.Remaining
	}
	return a
}

func remaining(p Plan) string {
	s := ""
	for _, c := range p.Lots {
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("%s:%d", c.After.ExpiresOn, c.After.Remaining)
		if c.New {
			s += "(new)"
		}
	}
	return s
}

func TestPolicy_ExpiryFor(t *testing.T) {
	tests := []struct {
		earned string
		months int
		wantOn string
		wantAt string
	}{
		{"2026-11-24 10:00", 12, "2027-11-30", "2027-12-01 00:00"},
		{"2026-01-31 23:59", 12, "2027-01-31", "2027-02-01 00:00"},
		{"2026-12-01 00:00", 12, "2027-12-31", "2028-01-01 00:00"},
		{"2024-02-10 08:00", 0, "2024-02-29", "2024-03-01 00:00"},
		{"2026-11-30 23:30", 1, "2026-12-31", "2027-01-01 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.earned, func(t *testing.T) {
			gotAt, gotOn := Policy{Months: tt.months, Location: utc8}.ExpiryFor(at(tt.earned))
			if gotOn != tt.wantOn || !gotAt.Equal(at(tt.wantAt)) {
				t.Fatalf("ExpiryFor = %s %s, want %s %s", gotOn, gotAt.In(utc8), tt.wantOn, tt.wantAt)
			}
		})
	}
}

func TestPolicy_ExpiryDates(t *testing.T) {
	got := DefaultPolicy.ExpiryDates(at("2026-10-15 00:00"), at("2027-01-31 12:00"))
	if fmt.Sprint(got) != "[2026-10-31 2026-11-30 2026-12-31 2027-01-31]" {
		t.Fatalf("ExpiryDates = %v", got)
	}
	if got := DefaultPolicy.ExpiryDates(at("2026-11-01 00:00"), at("2026-11-29 00:00")); len(got) != 0 {
		t.Fatalf("no month end in range, got %v", got)
	}
}

func TestPlanSpend(t *testing.T) {
	now := at("2026-11-24 10:00")
	tests := []struct {
		name      string
		acct      Account
		amount    int64
		wantErr   error
		wantLots  string
		wantBal   int64
		wantExpir int64
	}{
		{"from one lot", account(lot("2027-01-31", 100)), 30, nil, "2027-01-31:70", 70, 0},
		{"oldest first across lots", account(lot("2027-03-31", 50), lot("2027-01-31", 20), lot("2027-02-28", 40)), 70, nil, "2027-01-31:0 2027-02-28:0 2027-03-31:40", 40, 0},
		{"exactly everything", account(lot("2027-01-31", 5), lot("2027-02-28", 5)), 10, nil, "2027-01-31:0 2027-02-28:0", 0, 0},
		{"short", account(lot("2027-01-31", 5)), 6, ErrInsufficient, "", 0, 0},
		{"expired lots are expired first and not spendable", account(lot("2026-10-31", 500), lot("2027-01-31", 20)), 20, nil, "2026-10-31:0 2027-01-31:0", 0, 500},
		{"expired points do not count as available", account(lot("2026-10-31", 500), lot("2027-01-31", 20)), 21, ErrInsufficient, "", 0, 0},
		{"no lots", account(), 1, ErrInsufficient, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PlanSpend(tt.acct, tt.amount, now)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if remaining(p) != tt.wantLots || p.Balance != tt.wantBal || p.Expired != tt.wantExpir || p.Delta != -tt.amount {
				t.Fatalf("plan = %s balance %d expired %d delta %d", remaining(p), p.Balance, p.Expired, p.Delta)
			}
		})
	}
}

func TestPlanEarn(t *testing.T) {
	now := at("2026-11-24 10:00")
	tests := []struct {
		name     string
		acct     Account
		wantLots string
		wantBal  int64
	}{
		{"first earn makes the lot of its expiry month", account(), "2027-11-30:10(new)", 10},
		{"a second earn in the month adds to that lot", account(lot("2027-11-30", 5)), "2027-11-30:15", 15},
		{"other lots are untouched", account(lot("2027-01-31", 7)), "2027-11-30:10(new)", 17},
		{"due lots expire on the way", account(lot("2026-10-31", 3)), "2026-10-31:0 2027-11-30:10(new)", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanEarn(tt.acct, 10, now, DefaultPolicy)
			if remaining(p) != tt.wantLots || p.Balance != tt.wantBal || p.Delta != 10 {
				t.Fatalf("plan = %s balance %d delta %d", remaining(p), p.Balance, p.Delta)
			}
		})
	}
}

func TestPlanReverseEarn(t *testing.T) {
	now := at("2026-11-24 10:00")
	tests := []struct {
		name          string
		acct          Account
		amount        int64
		lotOn         string
		wantLots      string
		wantShortfall int64
		wantDelta     int64
	}{
		{"takes from the earn's own lot first", account(lot("2027-01-31", 10), lot("2027-11-30", 30)), 20, "2027-11-30", "2027-11-30:10", 0, -20},
		{"then from the oldest others", account(lot("2027-01-31", 10), lot("2027-11-30", 5)), 12, "2027-11-30", "2027-01-31:3 2027-11-30:0", 0, -12},
		{"spent points are a shortfall, never a negative balance", account(lot("2027-11-30", 4)), 10, "2027-11-30", "2027-11-30:0", 6, -4},
		{"nothing left at all", account(), 10, "2027-11-30", "", 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanReverseEarn(tt.acct, tt.amount, tt.lotOn, now)
			if remaining(p) != tt.wantLots || p.Shortfall != tt.wantShortfall || p.Delta != tt.wantDelta || p.Balance < 0 {
				t.Fatalf("plan = %s shortfall %d delta %d balance %d", remaining(p), p.Shortfall, p.Delta, p.Balance)
			}
		})
	}
}

func TestPlanAdjustAndExpire(t *testing.T) {
	now := at("2026-11-24 10:00")
	if p, err := PlanAdjust(account(lot("2027-01-31", 10)), -4, now, DefaultPolicy); err != nil || p.Balance != 6 {
		t.Fatalf("negative adjust = %+v %v", p, err)
	}
	if _, err := PlanAdjust(account(lot("2027-01-31", 10)), -11, now, DefaultPolicy); !errors.Is(err, ErrInsufficient) {
		t.Fatalf("overdrawing adjust = %v", err)
	}
	if p, _ := PlanAdjust(account(), 9, now, DefaultPolicy); p.Balance != 9 || len(p.Lots) != 1 {
		t.Fatalf("positive adjust = %+v", p)
	}
	p := PlanExpire(account(lot("2026-10-31", 8), lot("2026-11-30", 3), lot("2027-01-31", 1)), now)
	if p.Expired != 8 || p.Balance != 4 || remaining(p) != "2026-10-31:0" {
		t.Fatalf("expire = %s expired %d balance %d", remaining(p), p.Expired, p.Balance)
	}
	if p := PlanExpire(account(lot("2027-01-31", 1)), now); len(p.Lots) != 0 || p.Expired != 0 {
		t.Fatal("nothing due must change nothing")
	}
}

func TestAccount_Available(t *testing.T) {
	a := account(lot("2026-10-31", 8), lot("2027-01-31", 2))
	if got := a.Available(at("2026-11-24 10:00")); got != 2 {
		t.Fatalf("Available = %d, want 2", got)
	}
	if got := a.Available(at("2026-10-31 23:59")); got != 10 {
		t.Fatalf("on the last day the lot is still spendable: %d", got)
	}
}
