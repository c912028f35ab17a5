package levels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/retry"
	"github.com/arkmember/arkmember/internal/validate"
)

// GrowthEntry is one line of a member's growth ledger.
type GrowthEntry struct {
	EntryID     string    `json:"entryId"`
	MemberID    string    `json:"memberId"`
	Delta       int64     `json:"delta"`
	GrowthAfter int64     `json:"growthAfter"`
	Source      string    `json:"source"`
	BizNo       string    `json:"bizNo"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Commit is everything one growth or level operation writes, as one
// transaction (the store may merge it with a points change of the same
// member, as an order does).
type Commit struct {
	Standing      Standing // as read; its Version is the condition
	RequireActive bool
	Plan          Plan
	Entry         *GrowthEntry
	Events        []outbox.Event
	Idempotency   *idempotency.Record
	Audit         *audit.Entry
}

// Store keeps ladders, standings and level history.
type Store interface {
	Ladder(ctx context.Context) (Ladder, error)
	// PutLadder replaces the ladder if it is still at expectVersion.
	PutLadder(ctx context.Context, l Ladder, expectVersion int64, entry audit.Entry) error
	// MissingPackages returns the codes of which no privilege package exists.
	MissingPackages(ctx context.Context, codes []string) ([]string, error)
	Standing(ctx context.Context, memberID string) (Standing, error)
	CommitGrowth(ctx context.Context, c Commit) (*idempotency.Record, error)
	History(ctx context.Context, memberID string, limit int, cursor string) ([]History, string, error)
	Idempotency(ctx context.Context, scope, bizNo string) (idempotency.Record, bool, error)
	// MembersDueForReview calls fn for members whose review falls on a date
	// from from to to (YYYY-MM-DD, China Standard Time, inclusive); the
	// index may be stale.
	MembersDueForReview(ctx context.Context, from, to string, fn func(memberID string) error) error
}

// LadderCache is the ladder of this function instance.
type LadderCache interface {
	Ladder(ctx context.Context) (Ladder, error)
	Invalidate()
}

// Events this package emits.
const (
	EventLevelChanged     = "LEVEL_CHANGED"
	EventDowngradeWarning = "LEVEL_DOWNGRADE_WARNING"
	EventGrowthEarned     = "GROWTH_EARNED"
)

// GrowthScope is the idempotency scope of growth earns.
const GrowthScope = "growth"

// Errors.
var (
	ErrMemberNotFound = apperr.NotFound("member")
	ErrLadderChanged  = apperr.Conflict("the ladder was changed by someone else meanwhile; read it and try again")
)

// Service implements the levels use cases.
type Service struct {
	store        Store
	ladder       LadderCache
	clock        clock.Clock
	ids          *ids.Generator
	reviewMonths int
}

// NewService returns the levels service.
func NewService(s Store, ladder LadderCache, c clock.Clock, g *ids.Generator) *Service {
	return &Service{store: s, ladder: ladder, clock: c, ids: g, reviewMonths: DefaultReviewPeriod}
}

// Ladder returns the current ladder.
func (s *Service) Ladder(ctx context.Context) (Ladder, error) { return s.ladder.Ladder(ctx) }

// SetLadder replaces the ladder, validated and audited. Ranks must be
// contiguous from 0, thresholds strictly increasing, packages known.
func (s *Service) SetLadder(ctx context.Context, actor audit.Actor, in Ladder, expectVersion *int64) (Ladder, error) {
	if err := in.Validate(); err != nil {
		return Ladder{}, err
	}
	var codes []string
	for _, lv := range in.Levels {
		if lv.PackageCode != "" {
			codes = append(codes, lv.PackageCode)
		}
	}
	missing, err := s.store.MissingPackages(ctx, codes)
	if err != nil {
		return Ladder{}, err
	}
	if len(missing) > 0 {
		var v validate.Errors
		for i, lv := range in.Levels {
			for _, m := range missing {
				if lv.PackageCode == m {
					v.Add(fmt.Sprintf("items[%d].packageCode", i), "is not a privilege package")
				}
			}
		}
		return Ladder{}, v.Err()
	}
	current, err := s.store.Ladder(ctx)
	if err != nil {
		return Ladder{}, err
	}
	if expectVersion != nil && *expectVersion != current.Version {
		return Ladder{}, ErrLadderChanged
	}
	next := Ladder{Levels: in.Levels, Version: current.Version + 1}
	e := audit.NewEntry(s.ids.New(), s.clock.Now(), actor, "levels.set", "levels", current, next)
	if err := s.store.PutLadder(ctx, next, current.Version, e); err != nil {
		return Ladder{}, err
	}
	s.ladder.Invalidate()
	return next, nil
}

// MyLevel is the body of GET /v1/members/me/level.
type MyLevel struct {
	Level        Ref        `json:"level"`
	NextLevel    *NextLevel `json:"nextLevel,omitempty"`
	Growth       int64      `json:"growth"`
	GrowthToNext int64      `json:"growthToNext"`
	ReviewAt     *time.Time `json:"reviewAt"`
	RetainGrowth int64      `json:"retainGrowth"`
	SinceReview  int64      `json:"growthSinceReview"`
}

// NextLevel is the level above, and what reaches it.
type NextLevel struct {
	Ref
	GrowthThreshold int64 `json:"growthThreshold"`
}

// Level returns a member's level, its progress and its next review.
func (s *Service) Level(ctx context.Context, memberID string) (MyLevel, error) {
	st, err := s.store.Standing(ctx, memberID)
	if err != nil {
		return MyLevel{}, err
	}
	l, err := s.ladder.Ladder(ctx)
	if err != nil {
		return MyLevel{}, err
	}
	cur := l.current(st)
	out := MyLevel{Level: cur.Ref(), Growth: st.Growth, RetainGrowth: cur.RetainGrowth, SinceReview: st.SinceReview}
	if cur.Rank == 0 {
		out.RetainGrowth = 0
	}
	if next, ok := l.next(cur); ok {
		out.NextLevel = &NextLevel{Ref: next.Ref(), GrowthThreshold: next.GrowthThreshold}
		out.GrowthToNext = max(next.GrowthThreshold-(st.Growth-st.Offset), 0)
	}
	if !st.ReviewAt.IsZero() {
		at := st.ReviewAt
		out.ReviewAt = &at
	}
	return out, nil
}

// History lists a member's level changes, newest first.
func (s *Service) History(ctx context.Context, memberID string, limit int, cursor string) ([]History, string, error) {
	return s.store.History(ctx, memberID, limit, cursor)
}

// EarnInput is the body of POST /v1/growth/earn.
type EarnInput struct {
	MemberID string `json:"memberId"`
	Amount   int64  `json:"amount"`
	BizNo    string `json:"bizNo"`
	Source   string `json:"source"`
	Reason   string `json:"reason,omitempty"`
}

// Earned is the body of 201 to POST /v1/growth/earn.
type Earned struct {
	EntryID  string `json:"entryId"`
	Growth   int64  `json:"growth"`
	Level    Ref    `json:"level"`
	Upgraded bool   `json:"upgraded"`
}

// Result is a stored response of an idempotent write.
type Result struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
}

var growthSources = map[string]bool{"ORDER": true, "SIGN_IN": true, "TASK": true, "ACTIVITY": true, "MANUAL": true}

// Earn adds growth; thresholds crossed upgrade the member in the same
// transaction.
func (s *Service) Earn(ctx context.Context, in EarnInput) (Result, error) {
	var v validate.Errors
	v.Check(ids.Valid(in.MemberID), "memberId", "must be a member id")
	v.Check(in.Amount >= 1 && in.Amount <= 1_000_000_000, "amount", "must be an integer from 1 to 1000000000")
	v.Check(validate.BizNo(in.BizNo), "bizNo", "must be 1 to 64 of A-Z a-z 0-9 _ . : -")
	v.Check(growthSources[in.Source], "source", "must be ORDER, SIGN_IN, TASK, ACTIVITY or MANUAL")
	v.Check(validate.Length(in.Reason, 0, 200), "reason", "must be at most 200 characters")
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	hash := idempotency.Hash(in)
	var out Result
	err := s.retry(ctx, func(now time.Time) (bool, error) {
		st, l, err := s.read(ctx, in.MemberID)
		if err != nil {
			return false, err
		}
		if !st.Active {
			return false, ErrMemberFrozen
		}
		c := s.GrowthCommit(l, st, in.Amount, in.Source, in.BizNo, in.Reason, now)
		c.RequireActive = true
		body, _ := json.Marshal(Earned{EntryID: c.Entry.EntryID, Growth: c.Plan.Growth, Level: c.Plan.Level.Ref(), Upgraded: c.Plan.Changed()})
		c.Idempotency = &idempotency.Record{Scope: GrowthScope, BizNo: in.BizNo, RequestHash: hash, Status: http.StatusCreated, Body: body, CreatedAt: now}
		replay, err := s.store.CommitGrowth(ctx, c)
		if err != nil {
			return false, err
		}
		out = Result{Status: http.StatusCreated, Body: body}
		if replay != nil {
			out = Result{Status: replay.Status, Body: replay.Body, Replayed: true}
		}
		return true, nil
	})
	if err != nil && !errors.Is(err, ErrStale) {
		if rec, found, rerr := s.store.Idempotency(ctx, GrowthScope, in.BizNo); rerr == nil && found {
			if cerr := rec.Replay(hash); cerr != nil {
				return Result{}, cerr
			}
			return Result{Status: rec.Status, Body: rec.Body, Replayed: true}, nil
		}
	}
	return out, err
}

// GrowthCommit plans a growth change of delta as a commit (an order uses it
// to add growth in the same transaction as its points).
func (s *Service) GrowthCommit(l Ladder, st Standing, delta int64, source, bizNo, reason string, now time.Time) Commit {
	p := PlanGrowth(l, st, delta, now, s.reviewMonths)
	c := Commit{Standing: st, Plan: p}
	c.Entry = &GrowthEntry{EntryID: s.ids.New(), MemberID: st.MemberID, Delta: p.Delta, GrowthAfter: p.Growth, Source: source, BizNo: bizNo, Reason: reason, CreatedAt: now}
	c.Events = append(c.Events, outbox.New(s.ids.New(), EventGrowthEarned, now, st.MemberID, map[string]any{
		"memberId": st.MemberID, "entryId": c.Entry.EntryID, "delta": p.Delta, "growthAfter": p.Growth, "bizNo": bizNo, "source": source,
	}))
	s.addLevelChange(&c, now)
	return c
}

// Read returns a member's standing and the ladder.
func (s *Service) read(ctx context.Context, memberID string) (Standing, Ladder, error) {
	st, err := s.store.Standing(ctx, memberID)
	if err != nil {
		return Standing{}, Ladder{}, err
	}
	l, err := s.ladder.Ladder(ctx)
	return st, l, err
}

// addLevelChange ids the history entries of c's plan and records one
// LEVEL_CHANGED event for them.
func (s *Service) addLevelChange(c *Commit, now time.Time) {
	if !c.Plan.Changed() {
		return
	}
	var passed []string
	for i := range c.Plan.Changes {
		c.Plan.Changes[i].ID = s.ids.New()
		passed = append(passed, c.Plan.Changes[i].To)
	}
	first, last := c.Plan.Changes[0], c.Plan.Changes[len(c.Plan.Changes)-1]
	c.Events = append(c.Events, outbox.New(s.ids.New(), EventLevelChanged, now, c.Standing.MemberID, map[string]any{
		"memberId": c.Standing.MemberID, "from": first.From, "to": last.To, "reason": last.Reason, "passed": passed,
		"rank": c.Plan.Level.Rank, "packageCode": c.Plan.Level.PackageCode,
	}))
}

// SetInput is the body of POST /v1/admin/members/{memberId}/level.
type SetInput struct {
	LevelCode string `json:"levelCode"`
	Reason    string `json:"reason"`
}

// SetLevel puts a member at a level by staff decision, audited.
func (s *Service) SetLevel(ctx context.Context, actor audit.Actor, memberID string, in SetInput) (MyLevel, error) {
	var v validate.Errors
	v.Check(validate.Code(in.LevelCode), "levelCode", "must be a level code")
	v.Check(validate.Length(in.Reason, 1, 200) && strings.TrimSpace(in.Reason) != "", "reason", "must be 1 to 200 characters, not all blank")
	if err := v.Err(); err != nil {
		return MyLevel{}, err
	}
	if !ids.Valid(memberID) {
		return MyLevel{}, ErrMemberNotFound
	}
	err := s.retry(ctx, func(now time.Time) (bool, error) {
		st, l, err := s.read(ctx, memberID)
		if err != nil {
			return false, err
		}
		p, err := PlanSet(l, st, in.LevelCode, now, s.reviewMonths)
		if err != nil || !p.Changed() {
			return err == nil, err
		}
		c := Commit{Standing: st, Plan: p}
		s.addLevelChange(&c, now)
		e := audit.NewEntry(s.ids.New(), now, actor, "member.level.set", "member/"+memberID,
			map[string]any{"levelCode": st.LevelCode}, map[string]any{"levelCode": p.Level.Code, "reason": in.Reason})
		c.Audit = &e
		_, err = s.store.CommitGrowth(ctx, c)
		return err == nil, err
	})
	if err != nil {
		return MyLevel{}, err
	}
	return s.Level(ctx, memberID)
}

// retry runs attempt until it reports done, planning again while the
// member changed underneath (a bounded number of times).
func (s *Service) retry(ctx context.Context, attempt func(now time.Time) (bool, error)) error {
	return retry.Stale(ctx, func(err error) bool { return errors.Is(err, ErrStale) }, func() error {
		_, err := attempt(s.clock.Now().Truncate(time.Millisecond))
		return err
	})
}
