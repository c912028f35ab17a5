package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/orders"
)

var _ orders.Store = (*Store)(nil)

type orderItem struct {
	base
	OrderNo      string `dynamodbav:"orderNo"`
	MemberID     string `dynamodbav:"memberId"`
	Paid         int64  `dynamodbav:"paid"`
	Points       int64  `dynamodbav:"points"`
	Growth       int64  `dynamodbav:"growth"`
	LotOn        string `dynamodbav:"lotOn,omitempty"`
	Refunded     int64  `dynamodbav:"refunded"`
	ClawedPoints int64  `dynamodbav:"clawedPoints"`
	ClawedGrowth int64  `dynamodbav:"clawedGrowth"`
}

// Order implements orders.Store.
func (s *Store) Order(ctx context.Context, orderNo string) (orders.Order, error) {
	var it orderItem
	found, err := s.get(ctx, orderKey(orderNo), &it)
	if err != nil {
		return orders.Order{}, err
	}
	if !found {
		return orders.Order{}, orders.ErrOrderNotFound
	}
	return orders.Order{
		OrderNo: it.OrderNo, MemberID: it.MemberID, Paid: it.Paid, Points: it.Points, Growth: it.Growth, LotOn: it.LotOn,
		Refunded: it.Refunded, ClawedPoints: it.ClawedPoints, ClawedGrowth: it.ClawedGrowth,
	}, nil
}

// CommitOrder implements orders.Store: the order, the member's points and
// growth, their ledgers and events in one transaction.
func (s *Store) CommitOrder(ctx context.Context, c orders.Commit) (*idempotency.Record, error) {
	t := s.newTxn()
	t.idempotency(c.Idempotency)
	m := newMemberUpdate()
	if c.Points != nil {
		addPoints(t, m, *c.Points)
	}
	if c.Growth != nil {
		addGrowth(t, m, *c.Growth)
	}
	if len(m.sets) > 0 {
		t.member(c.Order.MemberID, m, orders.ErrStale)
	}
	o := c.Order
	it := orderItem{
		base:    baseOf(orderKey(o.OrderNo), kindOrder),
		OrderNo: o.OrderNo, MemberID: o.MemberID, Paid: o.Paid, Points: o.Points, Growth: o.Growth, LotOn: o.LotOn,
		Refunded: o.Refunded, ClawedPoints: o.ClawedPoints, ClawedGrowth: o.ClawedGrowth,
	}
	if c.Before == nil {
		t.put(marshal(it), condAbsent, apperr.Conflict(fmt.Sprintf("order %s was already paid with other details", o.OrderNo)))
	} else {
		t.put(marshal(it), cond{expr: "refunded = :r", values: item{":r": num(c.Before.Refunded)}}, orders.ErrStale)
	}
	return s.commitIdempotent(ctx, t, c.Idempotency)
}

const configOrderRules = "ORDERRULES"

type rulesItem struct {
	base
	Rules string `dynamodbav:"rules"` // JSON of orders.Rules
}

// OrderRules implements orders.RulesSource: the stored rules, or the
// defaults.
func (s *Store) OrderRules(ctx context.Context) (orders.Rules, error) {
	var it rulesItem
	found, err := s.get(ctx, configKey(configOrderRules), &it)
	if err != nil {
		return orders.Rules{}, err
	}
	if !found {
		return orders.DefaultRules, nil
	}
	var r orders.Rules
	if err := json.Unmarshal([]byte(it.Rules), &r); err != nil {
		return orders.Rules{}, apperr.Internal(err)
	}
	return r, nil
}
