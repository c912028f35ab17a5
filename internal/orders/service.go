package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/points"
	"github.com/arkmember/arkmember/internal/retry"
	"github.com/arkmember/arkmember/internal/validate"
)

// Commit is everything an order event writes, as one transaction: the
// points change, the growth change (both on the member) and the order.
type Commit struct {
	Points      *points.Commit
	Growth      *levels.Commit
	Order       Order
	Before      *Order // nil for a new order
	Idempotency idempotency.Record
}

// Store keeps orders.
type Store interface {
	Order(ctx context.Context, orderNo string) (Order, error)
	CommitOrder(ctx context.Context, c Commit) (*idempotency.Record, error)
	Idempotency(ctx context.Context, scope, bizNo string) (idempotency.Record, bool, error)
	// AccountAndStanding reads the member's points and growth at once.
	AccountAndStanding(ctx context.Context, memberID string) (points.Account, levels.Standing, error)
}

// RulesSource gives the current earning rules.
type RulesSource interface {
	OrderRules(ctx context.Context) (Rules, error)
}

// Scope is the idempotency scope of order events.
const Scope = "orders"

// Event types of POST /v1/orders/events.
const (
	TypePaid     = "PAID"
	TypeRefunded = "REFUNDED"
)

// EventInput is the body of POST /v1/orders/events.
type EventInput struct {
	Type     string `json:"type"`
	OrderNo  string `json:"orderNo"`
	MemberID string `json:"memberId"`
	Amount   int64  `json:"amount"`
	RefundNo string `json:"refundNo,omitempty"`
}

// Applied is the body of 201: what the event did to the member.
type Applied struct {
	OrderNo  string     `json:"orderNo"`
	MemberID string     `json:"memberId"`
	Points   int64      `json:"points"`
	Growth   int64      `json:"growth"`
	Level    levels.Ref `json:"level"`
	Upgraded bool       `json:"upgraded"`
	// Shortfall is, for a refund, the points that could not be taken back
	// because the member had already spent them.
	Shortfall int64 `json:"shortfall,omitempty"`
}

// Result is a stored response of an idempotent write.
type Result struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
}

// Service applies order events.
type Service struct {
	store  Store
	rules  RulesSource
	boosts Boosts
	points *points.Service
	levels *levels.Service
	clock  clock.Clock
}

// NewService returns the orders service.
func NewService(s Store, r RulesSource, b Boosts, p *points.Service, l *levels.Service, c clock.Clock) *Service {
	return &Service{store: s, rules: r, boosts: b, points: p, levels: l, clock: c}
}

// MaxAmount bounds an order amount: ¥100,000,000 in cents.
const MaxAmount = 10_000_000_000

// Apply applies a PAID or REFUNDED event.
func (s *Service) Apply(ctx context.Context, in EventInput) (Result, error) {
	var v validate.Errors
	v.Check(in.Type == TypePaid || in.Type == TypeRefunded, "type", "must be PAID or REFUNDED")
	v.Check(validate.BizNo(in.OrderNo), "orderNo", "must be 1 to 64 of A-Z a-z 0-9 _ . : -")
	v.Check(ids.Valid(in.MemberID), "memberId", "must be a member id")
	v.Check(in.Amount >= 1 && in.Amount <= MaxAmount, "amount", fmt.Sprintf("must be an integer number of cents from 1 to %d", int64(MaxAmount)))
	if in.Type == TypeRefunded {
		v.Check(validate.BizNo(in.RefundNo), "refundNo", "is required for a refund: 1 to 64 of A-Z a-z 0-9 _ . : -")
	} else {
		v.Check(in.RefundNo == "", "refundNo", "is only for refunds")
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	bizNo := "paid:" + in.OrderNo
	if in.Type == TypeRefunded {
		bizNo = "refund:" + in.OrderNo + ":" + in.RefundNo
	}
	rec := idempotency.Record{Scope: Scope, BizNo: bizNo, RequestHash: idempotency.Hash(in), Status: http.StatusCreated}
	var out Result
	err := retry.Stale(ctx, stale, func() error {
		now := s.clock.Now().Truncate(time.Millisecond)
		c, body, err := s.plan(ctx, in, now)
		if err != nil {
			out, err = s.replayOr(ctx, rec, err)
			return err
		}
		rec.Body, rec.CreatedAt = body, now
		c.Idempotency = rec
		replay, err := s.store.CommitOrder(ctx, c)
		switch {
		case err != nil:
			return err
		case replay != nil:
			out = Result{Status: replay.Status, Body: replay.Body, Replayed: true}
		default:
			out = Result{Status: http.StatusCreated, Body: body}
		}
		return nil
	})
	return out, err
}

func stale(err error) bool {
	return errors.Is(err, ErrStale) || errors.Is(err, points.ErrStale) || errors.Is(err, levels.ErrStale)
}

func (s *Service) replayOr(ctx context.Context, rec idempotency.Record, failure error) (Result, error) {
	stored, found, err := s.store.Idempotency(ctx, Scope, rec.BizNo)
	if err != nil || !found {
		return Result{}, failure
	}
	if err := stored.Replay(rec.RequestHash); err != nil {
		return Result{}, err
	}
	return Result{Status: stored.Status, Body: stored.Body, Replayed: true}, nil
}

func (s *Service) plan(ctx context.Context, in EventInput, now time.Time) (Commit, []byte, error) {
	acct, st, err := s.store.AccountAndStanding(ctx, in.MemberID)
	if errors.Is(err, points.ErrMemberNotFound) {
		return Commit{}, nil, ErrMemberNotFound
	}
	if err != nil {
		return Commit{}, nil, err
	}
	ladder, err := s.levels.Ladder(ctx)
	if err != nil {
		return Commit{}, nil, err
	}
	if in.Type == TypePaid {
		return s.planPaid(ctx, in, acct, st, ladder, now)
	}
	return s.planRefund(ctx, in, acct, st, ladder, now)
}

func (s *Service) planPaid(ctx context.Context, in EventInput, acct points.Account, st levels.Standing, ladder levels.Ladder, now time.Time) (Commit, []byte, error) {
	if !acct.Active {
		return Commit{}, nil, points.ErrMemberFrozen
	}
	rules, err := s.rules.OrderRules(ctx)
	if err != nil {
		return Commit{}, nil, err
	}
	boost, err := s.boosts.PointsMultiplier(ctx, in.MemberID, now)
	if err != nil {
		return Commit{}, nil, err
	}
	level := ladder.Current(st)
	pts, grw := rules.Earnings(in.Amount, level.PointsMultiplier, boost)
	c := Commit{Order: Order{OrderNo: in.OrderNo, MemberID: in.MemberID, Paid: in.Amount, Points: pts, Growth: grw}}
	bizNo := "order:" + in.OrderNo
	out := Applied{OrderNo: in.OrderNo, MemberID: in.MemberID, Points: pts, Growth: grw, Level: level.Ref()}
	if pts > 0 {
		pc := s.points.EarnCommit(acct, pts, points.SourceOrder, bizNo, "order "+in.OrderNo+" paid", now)
		c.Points, c.Order.LotOn = &pc, pc.Operation.LotOn
	}
	if grw > 0 {
		gc := s.levels.GrowthCommit(ladder, st, grw, "ORDER", bizNo, "order "+in.OrderNo+" paid", now)
		gc.RequireActive = true
		c.Growth = &gc
		out.Level, out.Upgraded = gc.Plan.Level.Ref(), gc.Plan.Changed()
	}
	body, err := json.Marshal(out)
	return c, body, err
}

func (s *Service) planRefund(ctx context.Context, in EventInput, acct points.Account, st levels.Standing, ladder levels.Ladder, now time.Time) (Commit, []byte, error) {
	order, err := s.store.Order(ctx, in.OrderNo)
	if err != nil {
		return Commit{}, nil, err
	}
	if order.MemberID != in.MemberID {
		return Commit{}, nil, ErrWrongMember
	}
	if order.Refunded+in.Amount > order.Paid {
		return Commit{}, nil, ErrOverRefund.WithMessage("the refunds would exceed the %d cents paid for the order (%d refunded before)", order.Paid, order.Refunded)
	}
	pts, grw := order.Clawback(in.Amount)
	before := order
	c := Commit{Before: &before}
	order.Refunded += in.Amount
	order.ClawedPoints += pts
	order.ClawedGrowth += grw
	c.Order = order
	bizNo := "refund:" + in.OrderNo + ":" + in.RefundNo
	out := Applied{OrderNo: in.OrderNo, MemberID: in.MemberID, Level: ladder.Current(st).Ref()}
	if pts > 0 {
		pc := s.points.ClawbackCommit(acct, pts, order.LotOn, "order:"+in.OrderNo, bizNo, now)
		c.Points = &pc
		out.Points, out.Shortfall = pc.Plan.Delta, pc.Plan.Shortfall
	}
	if grw > 0 {
		gc := s.levels.GrowthCommit(ladder, st, -grw, "ORDER", bizNo, "refund "+in.RefundNo+" of order "+in.OrderNo, now)
		c.Growth = &gc
		out.Growth = gc.Plan.Delta
	}
	body, err := json.Marshal(out)
	return c, body, err
}
