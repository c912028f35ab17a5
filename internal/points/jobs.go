package points

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/retry"
)

// DueWork finds the members with a lot dated on a day.
type DueWork interface {
	// MembersWithLotOn calls fn for each member with a lot dated date
	// (YYYY-MM-DD); the index may list lots already emptied.
	MembersWithLotOn(ctx context.Context, date string, fn func(memberID string) error) error
	// WarnLot marks the lot as warned and records ev, unless it was warned.
	WarnLot(ctx context.Context, memberID, date string, ev outbox.Event) error
}

// Stats count what a job did.
type Stats struct {
	Processed int      `json:"processed"`
	Changed   int      `json:"changed"`
	Failed    int      `json:"failed"`
	Details   []string `json:"details,omitempty"`
}

// ErrAlreadyWarned is returned by WarnLot for a lot warned before.
var ErrAlreadyWarned = errors.New("points: lot already warned")

// ExpiringWindow is how long before expiry members are warned.
const ExpiringWindow = 30 * 24 * time.Hour

// lookback is how far back the expiry job looks for lots still holding
// points: two months of month ends, so a missed run is caught up.
const lookback = 62 * 24 * time.Hour

// ExpireDue expires every due lot and warns of lots expiring within 30
// days. Running it again, or twice at once, changes nothing more: expired
// lots are empty and warned lots are marked.
func (s *Service) ExpireDue(ctx context.Context, due DueWork, now time.Time) (Stats, error) {
	var st Stats
	for _, date := range s.policy.ExpiryDates(now.Add(-lookback), now) {
		err := due.MembersWithLotOn(ctx, date, func(memberID string) error {
			st.Processed++
			changed, err := s.expireMember(ctx, memberID, now)
			switch {
			case err != nil:
				st.Failed++
				st.Details = append(st.Details, fmt.Sprintf("expire %s: %v", memberID, err))
			case changed:
				st.Changed++
			}
			return ctx.Err()
		})
		if err != nil {
			return st, err
		}
	}
	for _, date := range s.policy.ExpiryDates(now, now.Add(ExpiringWindow)) {
		err := due.MembersWithLotOn(ctx, date, func(memberID string) error {
			st.Processed++
			warned, err := s.warnMember(ctx, due, memberID, date, now)
			switch {
			case err != nil:
				st.Failed++
				st.Details = append(st.Details, fmt.Sprintf("warn %s: %v", memberID, err))
			case warned:
				st.Changed++
			}
			return ctx.Err()
		})
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

func (s *Service) expireMember(ctx context.Context, memberID string, now time.Time) (bool, error) {
	changed := false
	err := retry.Stale(ctx, stale, func() error {
		acct, err := s.store.Account(ctx, memberID)
		if errors.Is(err, ErrMemberNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		plan := PlanExpire(acct, now)
		if plan.Expired == 0 {
			return nil
		}
		c := Commit{Account: acct, Plan: plan}
		c.addExpiry(s, now)
		if _, err := s.store.Commit(ctx, c); err != nil {
			return err
		}
		changed = true
		return nil
	})
	return changed, err
}

func (s *Service) warnMember(ctx context.Context, due DueWork, memberID, date string, now time.Time) (bool, error) {
	acct, err := s.store.Account(ctx, memberID)
	if errors.Is(err, ErrMemberNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, l := range acct.Lots {
		if l.ExpiresOn != date || l.Remaining == 0 || l.Warned || l.Expired(now) {
			continue
		}
		ev := outbox.New(s.ids.New(), EventExpiring, now, memberID, map[string]any{
			"memberId": memberID, "amount": l.Remaining, "expiresAt": l.ExpiresAt,
		})
		err := due.WarnLot(ctx, memberID, date, ev)
		if errors.Is(err, ErrAlreadyWarned) {
			return false, nil
		}
		return err == nil, err
	}
	return false, nil
}

// Snapshot is what a member's partition says about its points.
type Snapshot struct {
	MemberID         string
	Balance          int64 // the member's balance
	LotSum           int64 // sum of lot remainders
	LedgerSum        int64 // sum of ledger deltas
	LastBalanceAfter int64 // balanceAfter of the newest entry
	Entries          int
	Growth           int64 // the member's growth value
	GrowthSum        int64 // sum of growth ledger deltas
}

// Drift reports whether the views of the balance (member, lots, ledger)
// or of the growth value (member, growth ledger) disagree.
func (s Snapshot) Drift() bool {
	return s.Balance != s.LotSum || s.Balance != s.LedgerSum || (s.Entries > 0 && s.LastBalanceAfter != s.Balance) ||
		s.Growth != s.GrowthSum
}

// Reconciler reads every member's points for reconciliation.
type Reconciler interface {
	EachMember(ctx context.Context, fn func(memberID string) error) error
	Snapshot(ctx context.Context, memberID string) (Snapshot, error)
}

// Report is the outcome of a reconciliation.
type Report struct {
	Checked int      `json:"checked"`
	Drifted []string `json:"drifted"`
	// Unverified are members that could not be checked (e.g. they kept
	// changing); the next run checks them again.
	Unverified []string `json:"unverified,omitempty"`
}

// Reconcile recomputes every member's balance from its ledger and from its
// lots and lists the members where they disagree.
func Reconcile(ctx context.Context, r Reconciler) (Report, error) {
	rep := Report{Drifted: []string{}}
	err := r.EachMember(ctx, func(memberID string) error {
		snap, err := r.Snapshot(ctx, memberID)
		if errors.Is(err, ErrMemberNotFound) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.Unverified = append(rep.Unverified, memberID)
			return nil
		}
		rep.Checked++
		if snap.Drift() {
			rep.Drifted = append(rep.Drifted, memberID)
		}
		return nil
	})
	return rep, err
}
