package privileges

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/retry"
)

// Consumer names of this package's event handlers.
const (
	ConsumerLevelGrants = "privileges.level-grants"
	ConsumerExpiry      = "privileges.expiry"
)

// levelPackagePlan works out what a member at level should hold now:
// the level package's items for the current period, minus those held.
func (s *Service) levelPackagePlan(ctx context.Context, c *GrantCommit, memberID, pkgCode string, now time.Time, held []Grant) error {
	if pkgCode == "" {
		return nil
	}
	pkg, err := s.store.Package(ctx, pkgCode)
	if errors.Is(err, ErrPackageNotFound) {
		return nil
	}
	if err != nil || pkg.Status != StatusActive {
		return err
	}
	have := map[string]Grant{}
	for _, g := range held {
		have[g.PrivilegeCode+"#"+g.Key] = g
	}
	for _, it := range pkg.Items {
		start, end, period := it.Window(now, 0)
		key := pkg.Code + "#" + period
		if g, ok := have[it.PrivilegeCode+"#"+key]; ok && g.Status != GrantRevoked {
			continue
		}
		c.New = append(c.New, Grant{GrantID: s.ids.New(), MemberID: memberID, PrivilegeCode: it.PrivilegeCode, PackageCode: pkg.Code,
			Source: SourceLevel, Key: key, Quota: it.Quota, Remaining: it.Quota, Start: start, End: end, Status: GrantActive})
	}
	return nil
}

// commitLevel writes what build plans unless it changes nothing, planning
// again while grants changed underneath (a concurrent renewal, say).
func (s *Service) commitLevel(ctx context.Context, build func(now time.Time) (GrantCommit, error)) (int, error) {
	granted := 0
	err := retry.Stale(ctx, isStale, func() error {
		now := s.now()
		c, err := build(now)
		if err != nil || (len(c.New) == 0 && len(c.Revoke) == 0) {
			return err
		}
		s.grantedEvent(&c, now, "level")
		if len(c.Revoke) > 0 {
			var ids []string
			for _, g := range c.Revoke {
				ids = append(ids, g.GrantID)
			}
			c.Events = append(c.Events, outbox.New(s.ids.New(), EventRevoked, now, c.MemberID, map[string]any{"memberId": c.MemberID, "grantIds": ids, "reason": "level"}))
		}
		if _, err := s.store.CommitGrants(ctx, c); err != nil {
			return err
		}
		granted = len(c.New)
		return nil
	})
	return granted, err
}

// OnMemberRegistered grants a new member its level's package.
func (s *Service) OnMemberRegistered(ctx context.Context, ev outbox.Event) error {
	var d struct {
		MemberID  string `json:"memberId"`
		LevelCode string `json:"levelCode"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return fmt.Errorf("privileges: %s: %w", ev.Type, err)
	}
	if _, err := s.store.Standing(ctx, d.MemberID); errors.Is(err, levels.ErrMemberNotFound) {
		return nil // nothing to grant to
	} else if err != nil {
		return err
	}
	ladder, err := s.ladder.Ladder(ctx)
	if err != nil {
		return err
	}
	lv, ok := ladder.ByCode(d.LevelCode)
	if !ok {
		return nil
	}
	_, err = s.commitLevel(ctx, func(now time.Time) (GrantCommit, error) {
		c := GrantCommit{MemberID: d.MemberID, Consumed: &ConsumedMark{ConsumerLevelGrants, ev.ID}}
		held, err := s.store.Grants(ctx, d.MemberID, "")
		if err != nil {
			return c, err
		}
		return c, s.levelPackagePlan(ctx, &c, d.MemberID, lv.PackageCode, now, held)
	})
	return err
}

// OnLevelChanged brings the member's level grants in line with its level
// now (read, not taken from the event, so events delivered late or out of
// order converge): the current level's package is granted, and valid
// grants of packages of higher levels — the levels it went down from —
// are revoked.
func (s *Service) OnLevelChanged(ctx context.Context, ev outbox.Event) error {
	var d struct {
		MemberID string `json:"memberId"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return fmt.Errorf("privileges: %s: %w", ev.Type, err)
	}
	st, err := s.store.Standing(ctx, d.MemberID)
	if errors.Is(err, levels.ErrMemberNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	ladder, err := s.ladder.Ladder(ctx)
	if err != nil {
		return err
	}
	cur := ladder.Current(st)
	above := map[string]bool{}
	for _, lv := range ladder.Levels {
		if lv.Rank > cur.Rank && lv.PackageCode != cur.PackageCode {
			above[lv.PackageCode] = true
		}
	}
	_, err = s.commitLevel(ctx, func(now time.Time) (GrantCommit, error) {
		c := GrantCommit{MemberID: d.MemberID, Consumed: &ConsumedMark{ConsumerLevelGrants, ev.ID}}
		held, err := s.store.Grants(ctx, d.MemberID, "")
		if err != nil {
			return c, err
		}
		var keep []Grant
		for _, g := range held {
			// Only grants still valid matter: those of past periods end on
			// their own, and leaving them keeps the transaction small.
			if g.Source == SourceLevel && above[g.PackageCode] && g.Status == GrantActive && now.Before(g.End) {
				c.Revoke = append(c.Revoke, g)
				continue
			}
			keep = append(keep, g)
		}
		return c, s.levelPackagePlan(ctx, &c, d.MemberID, cur.PackageCode, now, keep)
	})
	return err
}

// Renew grants every member the current period of its level package where
// it is missing. Grants are keyed by package and period, so running it
// twice in a period, or twice at once, grants once.
func (s *Service) Renew(ctx context.Context) (processed, granted int, failed []string, err error) {
	ladder, err := s.ladder.Ladder(ctx)
	if err != nil {
		return 0, 0, nil, err
	}
	err = s.store.EachMemberID(ctx, func(memberID string) error {
		processed++
		st, err := s.store.Standing(ctx, memberID)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", memberID, err))
			return ctx.Err()
		}
		lv := ladder.Current(st)
		n, err := s.commitLevel(ctx, func(now time.Time) (GrantCommit, error) {
			c := GrantCommit{MemberID: memberID}
			held, err := s.store.Grants(ctx, memberID, "")
			if err != nil {
				return c, err
			}
			return c, s.levelPackagePlan(ctx, &c, memberID, lv.PackageCode, now, held)
		})
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", memberID, err))
		}
		granted += n
		return ctx.Err()
	})
	return processed, granted, failed, err
}

// expiryBatch is the payload of a PRIVILEGE_EXPIRY_BATCH event.
type expiryBatch struct {
	Grants []struct {
		MemberID string `json:"memberId"`
		Code     string `json:"privilegeCode"`
		Key      string `json:"key"`
	} `json:"grants"`
	At time.Time `json:"at"`
}

// expiryBatchSize is how many grants one fan-out message carries.
const expiryBatchSize = 25

// QueueExpiry finds the grants whose end has passed and fans them out in
// batches, as events to the expiry consumer (through the bus and its SQS
// queue in AWS), so a large backlog is spread over many workers.
func (s *Service) QueueExpiry(ctx context.Context) (due, batches int, err error) {
	now := s.now()
	var evs []outbox.Event
	var batch expiryBatch
	flush := func() {
		if len(batch.Grants) == 0 {
			return
		}
		batch.At = now
		evs = append(evs, outbox.New(s.ids.New(), EventExpiryBatch, now, "", batch))
		batch = expiryBatch{}
	}
	err = s.store.DueGrants(ctx, now, func(memberID, code, key string) error {
		due++
		batch.Grants = append(batch.Grants, struct {
			MemberID string `json:"memberId"`
			Code     string `json:"privilegeCode"`
			Key      string `json:"key"`
		}{memberID, code, key})
		if len(batch.Grants) == expiryBatchSize {
			flush()
		}
		return ctx.Err()
	})
	if err != nil {
		return due, 0, err
	}
	flush()
	return due, len(evs), s.store.PublishEvents(ctx, evs)
}

// OnExpiryBatch marks the batch's grants expired (those still active and
// past their end). Each grant is its own transaction; an error fails the
// event so it is delivered again, and grants already expired are skipped.
func (s *Service) OnExpiryBatch(ctx context.Context, ev outbox.Event) error {
	var b expiryBatch
	if err := json.Unmarshal(ev.Data, &b); err != nil {
		return fmt.Errorf("privileges: %s: %w", ev.Type, err)
	}
	var errs []error
	for _, g := range b.Grants {
		now := s.now()
		e := outbox.New(s.ids.New(), EventExpired, now, g.MemberID, map[string]any{"memberId": g.MemberID, "privilegeCode": g.Code, "grantKey": g.Key})
		if err := s.store.ExpireGrant(ctx, g.MemberID, g.Code, g.Key, now, e); err != nil && !errors.Is(err, ErrStale) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
