package levels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/outbox"
)

// ReviewStats count what a review run did.
type ReviewStats struct {
	Processed, Changed, Failed int
	Details                    []string
}

// ReviewDate is the index date of a review instant: its day in China
// Standard Time.
func ReviewDate(t time.Time) string { return t.In(clock.ChinaStandardTime).Format(time.DateOnly) }

// Review runs the level review at now: members whose review is due are
// reviewed (and downgraded one rank per period with too little growth);
// members whose review within 30 days would fail are warned once. Two runs
// at one time change things once: a reviewed member's next review is in
// the future, a warned member is marked warned for that review.
func (s *Service) Review(ctx context.Context, now time.Time) (ReviewStats, error) {
	var st ReviewStats
	visit := func(from, to string, do func(ctx context.Context, memberID string, now time.Time) (bool, error)) error {
		return s.store.MembersDueForReview(ctx, from, to, func(memberID string) error {
			st.Processed++
			changed, err := do(ctx, memberID, now)
			switch {
			case err != nil:
				st.Failed++
				st.Details = append(st.Details, fmt.Sprintf("%s: %v", memberID, err))
			case changed:
				st.Changed++
			}
			return ctx.Err()
		})
	}
	// Every review due up to today, however long ago (a missed run, or a
	// clock moved years ahead, is caught up), then the next 30 days'.
	if err := visit("0000-00-00", ReviewDate(now), s.reviewMember); err != nil {
		return st, err
	}
	err := visit(ReviewDate(now.Add(24*time.Hour)), ReviewDate(now.Add(WarningWindow)), s.warnMember)
	return st, err
}

func (s *Service) reviewMember(ctx context.Context, memberID string, now time.Time) (bool, error) {
	changed := false
	err := s.retry(ctx, func(time.Time) (bool, error) {
		st, l, err := s.read(ctx, memberID)
		if errors.Is(err, ErrMemberNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if st.ReviewAt.IsZero() || now.Before(st.ReviewAt) {
			return true, nil // the index was stale, or reviewed already
		}
		p := PlanReview(l, st, now, s.reviewMonths)
		c := Commit{Standing: st, Plan: p}
		s.addLevelChange(&c, now)
		if _, err := s.store.CommitGrowth(ctx, c); err != nil {
			return false, err
		}
		changed = true
		return true, nil
	})
	return changed, err
}

func (s *Service) warnMember(ctx context.Context, memberID string, now time.Time) (bool, error) {
	warned := false
	err := s.retry(ctx, func(time.Time) (bool, error) {
		st, l, err := s.read(ctx, memberID)
		if errors.Is(err, ErrMemberNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		need, needed := NeedsWarning(l, st, now)
		if !need {
			return true, nil
		}
		p := startPlan(l, st)
		p.WarnedFor = st.ReviewAt
		c := Commit{Standing: st, Plan: p}
		c.Events = []outbox.Event{outbox.New(s.ids.New(), EventDowngradeWarning, now, memberID, map[string]any{
			"memberId": memberID, "level": p.Level.Code, "reviewAt": st.ReviewAt, "growthNeeded": needed,
		})}
		if _, err := s.store.CommitGrowth(ctx, c); err != nil {
			return false, err
		}
		warned = true
		return true, nil
	})
	return warned, err
}
