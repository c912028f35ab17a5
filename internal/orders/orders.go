// Package orders turns the order system's events into points and growth by
// the earning rules: a paid order earns points (rate × level multiplier ×
// activity multipliers) and growth, in one transaction; a refund claws both
// back in proportion to the amount refunded, never more than the order
// earned, and never below zero.
package orders

import (
	"context"
	"math/big"
	"sync"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/levels"
)

// Rules are the earning rules of orders.
type Rules struct {
	// PointsPerYuan and GrowthPerYuan are the base rates.
	PointsPerYuan levels.Multiplier `json:"pointsPerYuan"`
	GrowthPerYuan levels.Multiplier `json:"growthPerYuan"`
	// MaxPointsPerOrder and MaxGrowthPerOrder cap what one order earns.
	MaxPointsPerOrder int64 `json:"maxPointsPerOrder"`
	MaxGrowthPerOrder int64 `json:"maxGrowthPerOrder"`
}

// DefaultRules: one point and one growth per yuan, at most 100,000 each
// per order.
var DefaultRules = Rules{PointsPerYuan: levels.MultiplierOne, GrowthPerYuan: levels.MultiplierOne, MaxPointsPerOrder: 100_000, MaxGrowthPerOrder: 100_000}

// Boosts gives the points multiplier of the activities a member takes part
// in at an instant: the hook through which marketing activities multiply
// order points. Several activities multiply together.
type Boosts interface {
	PointsMultiplier(ctx context.Context, memberID string, at time.Time) (levels.Multiplier, error)
}

// NoBoosts is Boosts while no activity multiplies points.
type NoBoosts struct{}

// PointsMultiplier returns 1.
func (NoBoosts) PointsMultiplier(context.Context, string, time.Time) (levels.Multiplier, error) {
	return levels.MultiplierOne, nil
}

// Earnings computes what a paid order of cents earns: points =
// floor(yuan × rate × level multiplier × boost), growth = floor(yuan ×
// rate), both capped. The arithmetic is exact (big integers over
// thousandths), so no rounding ever favours anyone.
func (r Rules) Earnings(cents int64, level, boost levels.Multiplier) (points, growth int64) {
	one := big.NewInt(int64(levels.MultiplierOne))
	p := new(big.Int).Mul(big.NewInt(cents), big.NewInt(int64(r.PointsPerYuan)))
	p.Mul(p, big.NewInt(int64(level)))
	p.Mul(p, big.NewInt(int64(boost)))
	p.Quo(p, new(big.Int).Mul(big.NewInt(100), new(big.Int).Mul(one, new(big.Int).Mul(one, one))))
	g := new(big.Int).Mul(big.NewInt(cents), big.NewInt(int64(r.GrowthPerYuan)))
	g.Quo(g, new(big.Int).Mul(big.NewInt(100), one))
	return min(p.Int64(), r.MaxPointsPerOrder), min(g.Int64(), r.MaxGrowthPerOrder)
}

// Order is what the member center keeps of a paid order.
type Order struct {
	OrderNo  string
	MemberID string
	Paid     int64 // cents
	Points   int64 // points the order earned
	Growth   int64 // growth it earned
	LotOn    string
	Refunded int64 // cents refunded so far
	// ClawedPoints and ClawedGrowth are what refunds took back (asked for;
	// points already spent are a shortfall, not a debt).
	ClawedPoints int64
	ClawedGrowth int64
}

// Clawback returns what a refund of cents takes back so that, after all
// refunds, exactly what was refunded in proportion is gone: the target is
// floor(earned × refunded total / paid), minus what was taken before. A
// full refund takes back everything.
func (o Order) Clawback(cents int64) (points, growth int64) {
	total := o.Refunded + cents
	target := func(earned int64) int64 {
		if total >= o.Paid {
			return earned
		}
		t := new(big.Int).Mul(big.NewInt(earned), big.NewInt(total))
		return t.Quo(t, big.NewInt(o.Paid)).Int64()
	}
	return target(o.Points) - o.ClawedPoints, target(o.Growth) - o.ClawedGrowth
}

// Errors.
var (
	ErrOrderNotFound  = apperr.NotFound("order")
	ErrOverRefund     = apperr.Conflict("the refunds would exceed the amount paid for the order")
	ErrWrongMember    = apperr.Conflict("the order belongs to another member")
	ErrStale          = apperr.Conflict("the order or the member changed while the request ran; retry")
	ErrMemberNotFound = apperr.NotFound("member")
)

// RulesCache keeps the earning rules for a short time per function
// instance, so order events do not each read them.
type RulesCache struct {
	src   RulesSource
	ttl   time.Duration
	clock interface{ Now() time.Time }

	mu    sync.Mutex
	rules Rules
	at    time.Time
	ok    bool
}

// NewRulesCache wraps src.
func NewRulesCache(src RulesSource, ttl time.Duration, c interface{ Now() time.Time }) *RulesCache {
	return &RulesCache{src: src, ttl: ttl, clock: c}
}

// OrderRules implements RulesSource.
func (c *RulesCache) OrderRules(ctx context.Context) (Rules, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.ok && !now.Before(c.at) && now.Sub(c.at) < c.ttl {
		return c.rules, nil
	}
	r, err := c.src.OrderRules(ctx)
	if err != nil {
		return Rules{}, err
	}
	c.rules, c.at, c.ok = r, now, true
	return r, nil
}
