package levels

import (
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
)

// Reasons of a level change.
const (
	ReasonUpgrade   = "UPGRADE"
	ReasonDowngrade = "DOWNGRADE"
	ReasonManual    = "MANUAL"
)

// DefaultReviewPeriod is how long a level holds before it is reviewed.
const DefaultReviewPeriod = 12 // months

// Standing is a member's growth and level as read.
type Standing struct {
	MemberID    string
	Active      bool
	Growth      int64 // all growth ever earned, net of clawbacks
	SinceReview int64 // growth earned since the last review
	LevelCode   string
	ReviewAt    time.Time // zero: the level is never reviewed (the lowest)
	// Offset is growth that no longer counts toward thresholds: set when a
	// member goes down, so it climbs back by earning again, not by the
	// growth that had carried it up before.
	Offset    int64
	WarnedFor time.Time // the review a downgrade warning was sent for
	Version   int64     // changes with every growth or level change
}

// History is one level change.
type History struct {
	ID     string    `json:"historyId"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Plan is what a growth or level operation changes.
type Plan struct {
	Growth      int64
	Offset      int64
	SinceReview int64
	Level       Level
	ReviewAt    time.Time // zero: no review
	WarnedFor   time.Time
	// Changes are the level changes, one per level passed.
	Changes []History
	// Delta is the growth change actually applied (a clawback is limited
	// to the growth there is).
	Delta int64
}

// Changed reports whether the level changed.
func (p Plan) Changed() bool { return len(p.Changes) > 0 }

// Errors.
var (
	ErrUnknownLevel = apperr.Invalid("the request has invalid fields", apperr.FieldError{Field: "levelCode", Message: "is not a level of the ladder"})
	ErrMemberFrozen = apperr.New(apperr.KindForbidden, apperr.CodeMemberFrozen, "this member account is frozen")
	ErrStale        = apperr.Conflict("the member changed while the request ran; retry")
)

// Current is the member's level; a code the ladder no longer has counts
// as the level its growth reaches.
func (l Ladder) Current(s Standing) Level { return l.current(s) }

func (l Ladder) current(s Standing) Level {
	if lv, ok := l.ByCode(s.LevelCode); ok {
		return lv
	}
	return l.ForGrowth(s.Growth - s.Offset)
}

// next returns the level above lv, if any.
func (l Ladder) next(lv Level) (Level, bool) {
	if lv.Rank+1 < len(l.Levels) {
		return l.Levels[lv.Rank+1], true
	}
	return Level{}, false
}

func startPlan(l Ladder, s Standing) Plan {
	return Plan{Growth: s.Growth, Offset: s.Offset, SinceReview: s.SinceReview, Level: l.current(s), ReviewAt: s.ReviewAt, WarnedFor: s.WarnedFor}
}

func addMonths(t time.Time, months int) time.Time { return t.AddDate(0, months, 0) }

// PlanGrowth applies delta. Growth reaching thresholds upgrades the member
// at once, one history entry per level passed, and starts a new review
// period; growth going down (a clawback) never drops the level — the review
// decides. Growth never goes below zero.
func PlanGrowth(l Ladder, s Standing, delta int64, now time.Time, reviewMonths int) Plan {
	p := startPlan(l, s)
	if delta < 0 {
		delta = max(delta, -p.Growth)
	}
	p.Delta = delta
	p.Growth += delta
	p.SinceReview = max(p.SinceReview+delta, 0)
	if delta <= 0 {
		return p
	}
	target := l.ForGrowth(p.Growth - p.Offset)
	for p.Level.Rank < target.Rank {
		next, _ := l.next(p.Level)
		p.Changes = append(p.Changes, History{From: p.Level.Code, To: next.Code, Reason: ReasonUpgrade, At: now})
		p.Level = next
	}
	if p.Changed() {
		p.ReviewAt, p.SinceReview = addMonths(now, reviewMonths), 0
	}
	return p
}

// PlanSet puts the member at level code by staff decision; a new review
// period starts (none at the lowest level).
func PlanSet(l Ladder, s Standing, code string, now time.Time, reviewMonths int) (Plan, error) {
	to, ok := l.ByCode(code)
	if !ok {
		return Plan{}, ErrUnknownLevel
	}
	p := startPlan(l, s)
	if to.Code == p.Level.Code && s.LevelCode == to.Code {
		return p, nil
	}
	p.Changes = []History{{From: s.LevelCode, To: to.Code, Reason: ReasonManual, At: now}}
	if to.Rank < p.Level.Rank {
		p.Offset = lowered(p.Growth, to)
	}
	p.Level, p.SinceReview = to, 0
	p.ReviewAt = time.Time{}
	if to.Rank > 0 {
		p.ReviewAt = addMonths(now, reviewMonths)
	}
	return p, nil
}

// PlanReview reviews every period that has ended by now: a member whose
// growth in a period stayed below the level's retainGrowth goes down one
// rank; either way the next period starts where the last ended. The lowest
// level is never reviewed.
func PlanReview(l Ladder, s Standing, now time.Time, reviewMonths int) Plan {
	p := startPlan(l, s)
	for !p.ReviewAt.IsZero() && !now.Before(p.ReviewAt) {
		if p.Level.Rank == 0 {
			p.ReviewAt = time.Time{}
			break
		}
		if p.SinceReview < p.Level.RetainGrowth {
			down := l.Levels[p.Level.Rank-1]
			p.Changes = append(p.Changes, History{From: p.Level.Code, To: down.Code, Reason: ReasonDowngrade, At: now})
			p.Level, p.Offset = down, lowered(p.Growth, down)
		}
		p.SinceReview = 0
		p.ReviewAt = addMonths(p.ReviewAt, reviewMonths)
		if p.Level.Rank == 0 {
			p.ReviewAt = time.Time{}
		}
	}
	return p
}

// lowered is the offset that puts a member's counting growth at the
// threshold of the level it goes down to.
func lowered(growth int64, to Level) int64 { return max(growth-to.GrowthThreshold, 0) }

// WarningWindow is how long before a failing review the member is warned.
const WarningWindow = 30 * 24 * time.Hour

// NeedsWarning reports whether the member should now be warned that its
// next review would downgrade it, and the growth still needed.
func NeedsWarning(l Ladder, s Standing, now time.Time) (bool, int64) {
	lv := l.current(s)
	if s.ReviewAt.IsZero() || lv.Rank == 0 || !now.Before(s.ReviewAt) || s.ReviewAt.Sub(now) > WarningWindow {
		return false, 0
	}
	if s.WarnedFor.Equal(s.ReviewAt) || s.SinceReview >= lv.RetainGrowth {
		return false, 0
	}
	return true, lv.RetainGrowth - s.SinceReview
}
