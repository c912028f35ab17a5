package points

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/retry"
	"github.com/arkmember/arkmember/internal/validate"
)

// Operation is what is kept of an earn, spend or adjust so it can be
// reversed later: it lives with the operation's idempotency record.
type Operation struct {
	BizNo    string
	Type     EntryType
	MemberID string
	Amount   int64  // positive: points earned, spent or adjusted
	Reversed int64  // how much of Amount reverses have taken back so far
	LotOn    string // the lot an earn went into
}

// Reversal moves an operation's reversed amount from From to To.
type Reversal struct {
	BizNo    string
	From, To int64
}

// Commit is everything one operation writes, as one transaction.
type Commit struct {
	Account       Account // as read; its Version is the transaction's condition
	RequireActive bool    // refuse if the member was frozen meanwhile
	Plan          Plan
	Entries       []Entry
	Events        []outbox.Event
	Idempotency   *idempotency.Record // nil for system operations (expiry)
	Operation     *Operation          // kept with the idempotency record
	Reversal      *Reversal
	Audit         *audit.Entry
}

// Store keeps points; internal/store implements it on DynamoDB.
type Store interface {
	// Account reads a member's balance, version, status and lots.
	Account(ctx context.Context, memberID string) (Account, error)
	// Commit writes c atomically. If c's bizNo was used before it writes
	// nothing and returns the stored record (a replay) or
	// idempotency.ErrConflict. ErrStale if the account changed.
	Commit(ctx context.Context, c Commit) (replay *idempotency.Record, err error)
	// Operation reads the operation of bizNo.
	Operation(ctx context.Context, bizNo string) (Operation, error)
	// Idempotency reads the record of scope and bizNo.
	Idempotency(ctx context.Context, scope, bizNo string) (idempotency.Record, bool, error)
	Ledger(ctx context.Context, memberID string, limit int, cursor string) ([]Entry, string, error)
}

// IdempotencyScope is shared by every points operation: a bizNo names one
// operation, whatever its kind.
const IdempotencyScope = "points"

// Service implements the points use cases.
type Service struct {
	store  Store
	clock  clock.Clock
	ids    *ids.Generator
	policy Policy
}

// NewService returns the points service.
func NewService(s Store, c clock.Clock, g *ids.Generator, p Policy) *Service {
	return &Service{store: s, clock: c, ids: g, policy: p}
}

// Result is the response of a money-like write: the stored status and body
// (identical on a replay).
type Result struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
}

// EarnInput is the body of POST /v1/points/earn.
type EarnInput struct {
	MemberID string `json:"memberId"`
	Amount   int64  `json:"amount"`
	BizNo    string `json:"bizNo"`
	Source   Source `json:"source"`
	Reason   string `json:"reason,omitempty"`
}

// SpendInput is the body of POST /v1/points/spend.
type SpendInput struct {
	MemberID string `json:"memberId,omitempty"`
	Amount   int64  `json:"amount"`
	BizNo    string `json:"bizNo"`
	Reason   string `json:"reason,omitempty"`
}

// ReverseInput is the body of POST /v1/points/reverse.
type ReverseInput struct {
	OriginalBizNo string `json:"originalBizNo"`
	BizNo         string `json:"bizNo"`
	Amount        *int64 `json:"amount,omitempty"`
}

// AdjustInput is the body of POST /v1/admin/points/adjust.
type AdjustInput struct {
	MemberID string `json:"memberId"`
	Delta    int64  `json:"delta"`
	BizNo    string `json:"bizNo"`
	Reason   string `json:"reason"`
}

func checkAmount(v *validate.Errors, field string, n int64) {
	v.Check(n >= 1 && n <= MaxAmount, field, fmt.Sprintf("must be an integer from 1 to %d", MaxAmount))
}

func checkBizNo(v *validate.Errors, field, s string) {
	v.Check(validate.BizNo(s), field, "must be 1 to 64 of A-Z a-z 0-9 _ . : -")
}

func checkReason(v *validate.Errors, s string, required bool) {
	v.Check(validate.Length(s, 0, 200) && (!required || strings.TrimSpace(s) != ""), "reason", map[bool]string{true: "must be 1 to 200 characters", false: "must be at most 200 characters"}[required])
}

// Earn adds points to a member.
func (s *Service) Earn(ctx context.Context, in EarnInput) (Result, error) {
	var v validate.Errors
	v.Check(ids.Valid(in.MemberID), "memberId", "must be a member id")
	checkAmount(&v, "amount", in.Amount)
	checkBizNo(&v, "bizNo", in.BizNo)
	v.Check(in.Source.Valid(), "source", "must be ORDER, SIGN_IN, TASK, ACTIVITY or MANUAL")
	checkReason(&v, in.Reason, false)
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	req := s.request("earn", in.BizNo, in)
	return s.run(ctx, req, func(now time.Time) (Commit, error) {
		acct, err := s.activeAccount(ctx, in.MemberID)
		if err != nil {
			return Commit{}, err
		}
		plan := PlanEarn(acct, in.Amount, now, s.policy)
		at, on := s.policy.ExpiryFor(now)
		main := Entry{Type: TypeEarn, Source: in.Source, Reason: in.Reason, ExpiresAt: &at}
		c := s.commit(acct, plan, now, req, main, EventEarned, map[string]any{"source": in.Source, "expiresAt": at})
		c.RequireActive = true
		c.Operation = &Operation{BizNo: in.BizNo, Type: TypeEarn, MemberID: in.MemberID, Amount: in.Amount, LotOn: on}
		return c, nil
	})
}

// activeAccount reads the account of a member who may earn and spend.
func (s *Service) activeAccount(ctx context.Context, memberID string) (Account, error) {
	acct, err := s.store.Account(ctx, memberID)
	if err == nil && !acct.Active {
		return Account{}, ErrMemberFrozen
	}
	return acct, err
}

// Spend takes points from a member; a member may only spend its own.
func (s *Service) Spend(ctx context.Context, caller auth.Principal, in SpendInput) (Result, error) {
	if caller.Role == catalog.RoleMember {
		if in.MemberID != "" && in.MemberID != caller.Subject {
			return Result{}, ErrMemberNotFound
		}
		in.MemberID = caller.Subject
	}
	var v validate.Errors
	v.Check(ids.Valid(in.MemberID), "memberId", "must be a member id")
	checkAmount(&v, "amount", in.Amount)
	checkBizNo(&v, "bizNo", in.BizNo)
	checkReason(&v, in.Reason, false)
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	req := s.request("spend", in.BizNo, in)
	return s.run(ctx, req, func(now time.Time) (Commit, error) {
		acct, err := s.activeAccount(ctx, in.MemberID)
		if err != nil {
			return Commit{}, err
		}
		plan, err := PlanSpend(acct, in.Amount, now)
		if err != nil {
			return Commit{}, err
		}
		c := s.commit(acct, plan, now, req, Entry{Type: TypeSpend, Source: SourceManual, Reason: in.Reason}, EventSpent, nil)
		c.RequireActive = true
		c.Operation = &Operation{BizNo: in.BizNo, Type: TypeSpend, MemberID: in.MemberID, Amount: in.Amount}
		return c, nil
	})
}

// Reverse undoes all or part of an earlier earn or spend. The reverses of
// one operation never add up to more than it; a reverse of an earn whose
// points are gone takes what is available and reports the shortfall.
func (s *Service) Reverse(ctx context.Context, in ReverseInput) (Result, error) {
	var v validate.Errors
	checkBizNo(&v, "originalBizNo", in.OriginalBizNo)
	checkBizNo(&v, "bizNo", in.BizNo)
	v.Check(in.BizNo != in.OriginalBizNo, "bizNo", "must differ from originalBizNo")
	if in.Amount != nil {
		checkAmount(&v, "amount", *in.Amount)
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	req := s.request("reverse", in.BizNo, in)
	return s.run(ctx, req, func(now time.Time) (Commit, error) {
		op, err := s.store.Operation(ctx, in.OriginalBizNo)
		if err != nil {
			return Commit{}, err
		}
		if op.Type != TypeEarn && op.Type != TypeSpend {
			return Commit{}, ErrNotReversible
		}
		left := op.Amount - op.Reversed
		amount := left
		if in.Amount != nil {
			amount = *in.Amount
		}
		switch {
		case left == 0:
			return Commit{}, ErrFullyReversed
		case amount > left:
			return Commit{}, ErrReverseTooLarge.WithMessage("the amount is more than the %d that remains of the original operation", left)
		}
		acct, err := s.store.Account(ctx, op.MemberID)
		if err != nil {
			return Commit{}, err
		}
		var plan Plan
		main := Entry{Type: TypeReverse, Source: SourceManual, OriginalBizNo: op.BizNo, Reason: "reverse of " + op.BizNo}
		if op.Type == TypeEarn {
			plan = PlanReverseEarn(acct, amount, op.LotOn, now)
			main.Requested, main.Shortfall = amount, plan.Shortfall
		} else {
			plan = PlanReverseSpend(acct, amount, now, s.policy)
			at, _ := s.policy.ExpiryFor(now)
			main.ExpiresAt = &at
		}
		c := s.commit(acct, plan, now, req, main, EventReversed, map[string]any{"originalBizNo": op.BizNo, "originalType": op.Type, "shortfall": plan.Shortfall})
		c.Operation = &Operation{BizNo: in.BizNo, Type: TypeReverse, MemberID: op.MemberID, Amount: amount}
		c.Reversal = &Reversal{BizNo: op.BizNo, From: op.Reversed, To: op.Reversed + amount}
		return c, nil
	})
}

// Adjust changes a member's points by staff decision, audited. It works on
// frozen members too: support must be able to correct them.
func (s *Service) Adjust(ctx context.Context, actor audit.Actor, in AdjustInput) (Result, error) {
	var v validate.Errors
	v.Check(ids.Valid(in.MemberID), "memberId", "must be a member id")
	v.Check(in.Delta != 0 && in.Delta >= -MaxAmount && in.Delta <= MaxAmount, "delta", fmt.Sprintf("must be a non-zero integer from -%d to %d", MaxAmount, MaxAmount))
	checkBizNo(&v, "bizNo", in.BizNo)
	checkReason(&v, in.Reason, true)
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	req := s.request("adjust", in.BizNo, in)
	return s.run(ctx, req, func(now time.Time) (Commit, error) {
		acct, err := s.store.Account(ctx, in.MemberID)
		if err != nil {
			return Commit{}, err
		}
		plan, err := PlanAdjust(acct, in.Delta, now, s.policy)
		if err != nil {
			return Commit{}, err
		}
		main := Entry{Type: TypeAdjust, Source: SourceManual, Reason: in.Reason}
		if in.Delta > 0 {
			at, _ := s.policy.ExpiryFor(now)
			main.ExpiresAt = &at
		}
		c := s.commit(acct, plan, now, req, main, EventAdjusted, map[string]any{"actor": actor.Subject})
		c.Operation = &Operation{BizNo: in.BizNo, Type: TypeAdjust, MemberID: in.MemberID, Amount: abs(in.Delta)}
		e := audit.NewEntry(s.ids.New(), now, actor, "points.adjust", "member/"+in.MemberID,
			map[string]any{"balance": acct.Balance}, map[string]any{"balance": plan.Balance, "delta": in.Delta, "bizNo": in.BizNo, "reason": in.Reason})
		c.Audit = &e
		return c, nil
	})
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// request is the idempotency identity of a request: the operation and its
// whole payload, so the same bizNo with any other payload is a conflict.
type request struct {
	bizNo string
	hash  string
}

func (s *Service) request(op, bizNo string, payload any) request {
	return request{bizNo: bizNo, hash: idempotency.Hash(struct {
		Op      string
		Payload any
	}{op, payload})}
}

// run plans and commits an operation, planning again whenever the account
// changed underneath, and answers replays with the stored response.
func (s *Service) run(ctx context.Context, req request, plan func(now time.Time) (Commit, error)) (Result, error) {
	var out Result
	err := retry.Stale(ctx, stale, func() error {
		// Milliseconds: what is stored, so a response and a later read of
		// the same entry agree to the letter.
		c, err := plan(s.clock.Now().Truncate(time.Millisecond))
		if err != nil {
			// A replay of a request that succeeded gets its response even
			// if the same request would fail now (the points are gone).
			out, err = s.replayOr(ctx, req, err)
			return err
		}
		replay, err := s.store.Commit(ctx, c)
		switch {
		case err != nil:
			return err
		case replay != nil:
			out = Result{Status: replay.Status, Body: replay.Body, Replayed: true}
		default:
			out = Result{Status: c.Idempotency.Status, Body: c.Idempotency.Body}
		}
		return nil
	})
	return out, err
}

func stale(err error) bool { return errors.Is(err, ErrStale) }

func (s *Service) replayOr(ctx context.Context, req request, failure error) (Result, error) {
	rec, found, err := s.store.Idempotency(ctx, IdempotencyScope, req.bizNo)
	if err != nil || !found {
		return Result{}, failure
	}
	if err := rec.Replay(req.hash); err != nil {
		return Result{}, err
	}
	return Result{Status: rec.Status, Body: rec.Body, Replayed: true}, nil
}

// commit assembles the writes of an operation: an EXPIRE entry and event
// first when the plan expires due lots, then the operation's own entry,
// event and idempotency record (whose body is the entry).
func (s *Service) commit(acct Account, plan Plan, now time.Time, req request, main Entry, eventType string, eventData map[string]any) Commit {
	c := Commit{Account: acct, Plan: plan}
	c.addExpiry(s, now)
	main.EntryID, main.MemberID, main.BizNo, main.CreatedAt = s.ids.New(), acct.MemberID, req.bizNo, now
	main.Delta, main.BalanceAfter = plan.Delta, plan.Balance
	c.Entries = append(c.Entries, main)
	data := map[string]any{"memberId": acct.MemberID, "entryId": main.EntryID, "bizNo": req.bizNo, "delta": main.Delta, "balanceAfter": main.BalanceAfter}
	for k, v := range eventData {
		data[k] = v
	}
	c.Events = append(c.Events, outbox.New(s.ids.New(), eventType, now, acct.MemberID, data))
	body, err := json.Marshal(main)
	if err != nil {
		panic(fmt.Sprintf("points: encode entry: %v", err))
	}
	c.Idempotency = &idempotency.Record{Scope: IdempotencyScope, BizNo: req.bizNo, RequestHash: req.hash, Status: http.StatusCreated, Body: body, CreatedAt: now}
	return c
}

// addExpiry records the expiry of the lots the plan expires.
func (c *Commit) addExpiry(s *Service, now time.Time) {
	if c.Plan.Expired == 0 {
		return
	}
	var lots []string
	for _, l := range c.Plan.Lots {
		if l.Before.Remaining > 0 && l.Before.Expired(now) {
			lots = append(lots, l.Before.ExpiresOn)
		}
	}
	e := Entry{
		EntryID: s.ids.New(), MemberID: c.Account.MemberID, Delta: -c.Plan.Expired, BalanceAfter: c.Plan.BalanceAfterExpiry(c.Account.Balance),
		Type: TypeExpire, Source: SourceSystem, BizNo: "expire:" + strings.Join(lots, ","), Reason: "points expired", CreatedAt: now,
	}
	c.Entries = append(c.Entries, e)
	c.Events = append(c.Events, outbox.New(s.ids.New(), EventExpired, now, c.Account.MemberID, map[string]any{
		"memberId": c.Account.MemberID, "entryId": e.EntryID, "amount": c.Plan.Expired, "lots": lots, "balanceAfter": e.BalanceAfter,
	}))
}

// EarnCommit plans an earn as part of another operation's transaction (a
// paid order): the commit carries no idempotency record of its own.
func (s *Service) EarnCommit(acct Account, amount int64, source Source, bizNo, reason string, now time.Time) Commit {
	plan := PlanEarn(acct, amount, now, s.policy)
	at, on := s.policy.ExpiryFor(now)
	c := s.commit(acct, plan, now, request{bizNo: bizNo}, Entry{Type: TypeEarn, Source: source, Reason: reason, ExpiresAt: &at}, EventEarned, map[string]any{"source": source, "expiresAt": at})
	c.Idempotency, c.RequireActive = nil, true
	c.Operation = &Operation{BizNo: bizNo, Type: TypeEarn, MemberID: acct.MemberID, Amount: amount, LotOn: on}
	return c
}

// ClawbackCommit plans taking back amount of an earlier earn (into lot
// lotOn) as part of another operation's transaction (a refund): like a
// reverse, it takes what is available and reports the shortfall.
func (s *Service) ClawbackCommit(acct Account, amount int64, lotOn, originalBizNo, bizNo string, now time.Time) Commit {
	plan := PlanReverseEarn(acct, amount, lotOn, now)
	main := Entry{Type: TypeReverse, Source: SourceOrder, OriginalBizNo: originalBizNo, Reason: "refund of " + originalBizNo, Requested: amount, Shortfall: plan.Shortfall}
	c := s.commit(acct, plan, now, request{bizNo: bizNo}, main, EventReversed, map[string]any{"originalBizNo": originalBizNo, "shortfall": plan.Shortfall})
	c.Idempotency = nil
	return c
}
