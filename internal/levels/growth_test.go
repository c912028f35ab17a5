package levels

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

func path(p Plan) string {
	s := ""
	for _, c := range p.Changes {
		s += fmt.Sprintf("%s>%s:%s ", c.From, c.To, c.Reason)
	}
	return s
}

func TestPlanGrowth(t *testing.T) {
	l := Default()
	tests := []struct {
		name       string
		standing   Standing
		delta      int64
		wantLevel  string
		wantPath   string
		wantGrowth int64
		wantReview bool
	}{
		{"below the first threshold", Standing{LevelCode: "BRONZE"}, 999, "BRONZE", "", 999, false},
		{"reaching a threshold upgrades", Standing{LevelCode: "BRONZE", Growth: 999}, 1, "SILVER", "BRONZE>SILVER:UPGRADE ", 1000, true},
		{"passing two levels writes two entries", Standing{LevelCode: "BRONZE"}, 5000, "GOLD", "BRONZE>SILVER:UPGRADE SILVER>GOLD:UPGRADE ", 5000, true},
		{"a clawback never drops the level", Standing{LevelCode: "GOLD", Growth: 5000, SinceReview: 100, ReviewAt: t0.AddDate(0, 6, 0)}, -4000, "GOLD", "", 1000, true},
		{"a clawback stops at zero", Standing{LevelCode: "BRONZE", Growth: 30}, -50, "BRONZE", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanGrowth(l, tt.standing, tt.delta, t0, 12)
			if p.Level.Code != tt.wantLevel || path(p) != tt.wantPath || p.Growth != tt.wantGrowth || p.ReviewAt.IsZero() == tt.wantReview {
				t.Fatalf("plan = %s %q growth %d review %v", p.Level.Code, path(p), p.Growth, p.ReviewAt)
			}
			if p.Changed() && !p.ReviewAt.Equal(t0.AddDate(1, 0, 0)) {
				t.Fatalf("an upgrade must set the review 12 months on: %v", p.ReviewAt)
			}
		})
	}
}

func TestPlanReview(t *testing.T) {
	l := Default() // SILVER retains 300, GOLD 1500, PLATINUM 6000
	due := t0.AddDate(0, 0, -1)
	tests := []struct {
		name     string
		standing Standing
		now      time.Time
		want     string
		path     string
		review   time.Time
	}{
		{"not due", Standing{LevelCode: "GOLD", ReviewAt: t0.AddDate(0, 1, 0)}, t0, "GOLD", "", t0.AddDate(0, 1, 0)},
		{"kept with enough growth", Standing{LevelCode: "GOLD", SinceReview: 1500, ReviewAt: due}, t0, "GOLD", "", due.AddDate(1, 0, 0)},
		{"down one rank without", Standing{LevelCode: "GOLD", SinceReview: 1499, ReviewAt: due}, t0, "SILVER", "GOLD>SILVER:DOWNGRADE ", due.AddDate(1, 0, 0)},
		{"several periods passed", Standing{LevelCode: "PLATINUM", SinceReview: 0, ReviewAt: due}, t0.AddDate(2, 0, 0), "BRONZE",
			"PLATINUM>GOLD:DOWNGRADE GOLD>SILVER:DOWNGRADE SILVER>BRONZE:DOWNGRADE ", time.Time{}},
		{"kept, then lost in the next period", Standing{LevelCode: "GOLD", SinceReview: 2000, ReviewAt: due}, t0.AddDate(1, 0, 0), "SILVER", "GOLD>SILVER:DOWNGRADE ", due.AddDate(2, 0, 0)},
		{"the lowest level is not reviewed", Standing{LevelCode: "BRONZE", ReviewAt: due}, t0, "BRONZE", "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanReview(l, tt.standing, tt.now, 12)
			if p.Level.Code != tt.want || path(p) != tt.path || !p.ReviewAt.Equal(tt.review) {
				t.Fatalf("plan = %s %q review %v", p.Level.Code, path(p), p.ReviewAt)
			}
			again := PlanReview(l, Standing{LevelCode: p.Level.Code, SinceReview: p.SinceReview, ReviewAt: p.ReviewAt}, tt.now, 12)
			if again.Changed() {
				t.Fatal("reviewing again at the same time must change nothing")
			}
		})
	}
}

func TestPlanSet(t *testing.T) {
	l := Default()
	p, err := PlanSet(l, Standing{LevelCode: "BRONZE"}, "GOLD", t0, 12)
	if err != nil || p.Level.Code != "GOLD" || path(p) != "BRONZE>GOLD:MANUAL " || p.ReviewAt.IsZero() {
		t.Fatalf("set = %+v %v", p, err)
	}
	p, _ = PlanSet(l, Standing{LevelCode: "GOLD", ReviewAt: t0}, "BRONZE", t0, 12)
	if !p.ReviewAt.IsZero() {
		t.Fatal("the lowest level has no review")
	}
	if p, _ := PlanSet(l, Standing{LevelCode: "GOLD"}, "GOLD", t0, 12); p.Changed() {
		t.Fatal("setting the current level changes nothing")
	}
	if _, err := PlanSet(l, Standing{LevelCode: "GOLD"}, "TITANIUM", t0, 12); !errors.Is(err, ErrUnknownLevel) {
		t.Fatalf("unknown level = %v", err)
	}
}

func TestNeedsWarning(t *testing.T) {
	l := Default()
	review := t0.Add(20 * 24 * time.Hour)
	tests := []struct {
		name   string
		s      Standing
		want   bool
		needed int64
	}{
		{"failing within 30 days", Standing{LevelCode: "GOLD", SinceReview: 1000, ReviewAt: review}, true, 500},
		{"already warned for this review", Standing{LevelCode: "GOLD", SinceReview: 1000, ReviewAt: review, WarnedFor: review}, false, 0},
		{"on track", Standing{LevelCode: "GOLD", SinceReview: 1500, ReviewAt: review}, false, 0},
		{"too far ahead", Standing{LevelCode: "GOLD", ReviewAt: t0.AddDate(0, 2, 0)}, false, 0},
		{"lowest level", Standing{LevelCode: "BRONZE"}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, needed := NeedsWarning(l, tt.s, t0)
			if got != tt.want || needed != tt.needed {
				t.Fatalf("NeedsWarning = %v %d", got, needed)
			}
		})
	}
}

func TestPlanGrowth_AfterADowngradeTheMemberClimbsBackByEarning(t *testing.T) {
	l := Default()
	st := Standing{LevelCode: "PLATINUM", Growth: 21000, ReviewAt: t0}
	down := PlanReview(l, st, t0, 12)
	if down.Level.Code != "GOLD" || down.Offset != 21000-5000 {
		t.Fatalf("review = %s offset %d", down.Level.Code, down.Offset)
	}
	after := Standing{LevelCode: down.Level.Code, Growth: down.Growth, Offset: down.Offset, ReviewAt: down.ReviewAt}
	if p := PlanGrowth(l, after, 1, t0, 12); p.Changed() {
		t.Fatalf("one growth must not undo the review: %s", path(p))
	}
	if p := PlanGrowth(l, after, 15000, t0, 12); p.Level.Code != "PLATINUM" {
		t.Fatalf("earning the gap again upgrades: %s", p.Level.Code)
	}
}
