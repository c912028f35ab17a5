package points

import (
	"sort"
	"time"
)

// LotChange is one lot a plan writes.
type LotChange struct {
	Before Lot // as read; zero but for ExpiresOn/ExpiresAt when New
	After  Lot
	New    bool
}

// Plan is the whole effect of one operation on an account.
type Plan struct {
	// Expired is what the operation expires first: lots past their expiry
	// that the expiry job has not reached yet. Correctness never waits for
	// the job.
	Expired int64
	// Delta is the operation's own change of the balance.
	Delta int64
	// Balance is the balance after the plan.
	Balance int64
	// Shortfall is what a reverse of an earn could not take back.
	Shortfall int64
	Lots      []LotChange
}

// BalanceAfterExpiry is the balance between the expiry and the operation.
func (p Plan) BalanceAfterExpiry(before int64) int64 { return before - p.Expired }

// planner applies steps to a working copy of an account's lots.
type planner struct {
	acct   Account
	now    time.Time
	lots   []Lot
	before map[string]Lot
	fresh  map[string]bool
	plan   Plan
}

func newPlanner(a Account, now time.Time) *planner {
	p := &planner{acct: a, now: now, lots: append([]Lot(nil), a.Lots...), before: map[string]Lot{}, fresh: map[string]bool{}}
	sort.Slice(p.lots, func(i, j int) bool { return p.lots[i].ExpiresOn < p.lots[j].ExpiresOn })
	return p
}

func (p *planner) touch(i int) {
	if _, ok := p.before[p.lots[i].ExpiresOn]; !ok {
		p.before[p.lots[i].ExpiresOn] = p.lots[i]
	}
}

// expireDue empties every lot whose points have expired.
func (p *planner) expireDue() {
	for i := range p.lots {
		if p.lots[i].Remaining > 0 && p.lots[i].Expired(p.now) {
			p.touch(i)
			p.plan.Expired += p.lots[i].Remaining
			p.lots[i].Remaining = 0
		}
	}
}

func (p *planner) available() int64 {
	var n int64
	for _, l := range p.lots {
		if !l.Expired(p.now) {
			n += l.Remaining
		}
	}
	return n
}

// take removes up to amount from unexpired lots, the lot dated first (if
// any) before the others, oldest first; it returns what it took.
func (p *planner) take(amount int64, first string) int64 {
	order := make([]int, 0, len(p.lots))
	for i, l := range p.lots {
		if l.ExpiresOn == first {
			order = append([]int{i}, order...)
		} else {
			order = append(order, i)
		}
	}
	var taken int64
	for _, i := range order {
		if taken == amount {
			break
		}
		l := p.lots[i]
		if l.Remaining == 0 || l.Expired(p.now) {
			continue
		}
		n := min(l.Remaining, amount-taken)
		p.touch(i)
		p.lots[i].Remaining -= n
		taken += n
	}
	p.plan.Delta -= taken
	return taken
}

// add puts amount into the lot expiring at at (dated on), creating it.
func (p *planner) add(amount int64, at time.Time, on string) {
	for i := range p.lots {
		if p.lots[i].ExpiresOn == on {
			p.touch(i)
			p.lots[i].Remaining += amount
			p.lots[i].Earned += amount
			p.plan.Delta += amount
			return
		}
	}
	p.lots = append(p.lots, Lot{ExpiresOn: on, ExpiresAt: at, Remaining: amount, Earned: amount})
	p.fresh[on] = true
	p.before[on] = Lot{ExpiresOn: on, ExpiresAt: at}
	p.plan.Delta += amount
}

func (p *planner) finish() Plan {
	for _, l := range p.lots {
		b, ok := p.before[l.ExpiresOn]
		if !ok {
			continue
		}
		p.plan.Lots = append(p.plan.Lots, LotChange{Before: b, After: l, New: p.fresh[l.ExpiresOn]})
	}
	sort.Slice(p.plan.Lots, func(i, j int) bool { return p.plan.Lots[i].After.ExpiresOn < p.plan.Lots[j].After.ExpiresOn })
	p.plan.Balance = p.acct.Balance - p.plan.Expired + p.plan.Delta
	return p.plan
}

// PlanEarn adds amount to the lot of its expiry month.
func PlanEarn(a Account, amount int64, now time.Time, policy Policy) Plan {
	p := newPlanner(a, now)
	p.expireDue()
	at, on := policy.ExpiryFor(now)
	p.add(amount, at, on)
	return p.finish()
}

// PlanSpend takes amount from the oldest unexpired lots, or fails with
// ErrInsufficient.
func PlanSpend(a Account, amount int64, now time.Time) (Plan, error) {
	p := newPlanner(a, now)
	p.expireDue()
	if p.available() < amount {
		return Plan{}, ErrInsufficient
	}
	p.take(amount, "")
	return p.finish(), nil
}

// PlanAdjust adds a positive delta as new points or takes a negative one
// like a spend.
func PlanAdjust(a Account, delta int64, now time.Time, policy Policy) (Plan, error) {
	if delta > 0 {
		return PlanEarn(a, delta, now, policy), nil
	}
	return PlanSpend(a, -delta, now)
}

// PlanReverseEarn takes back amount of an earn whose points went into the
// lot dated lotOn: from that lot first, then from the oldest others, and no
// more than is available. What it cannot take is the shortfall: the points
// were spent or expired, and the balance never goes below zero.
func PlanReverseEarn(a Account, amount int64, lotOn string, now time.Time) Plan {
	p := newPlanner(a, now)
	p.expireDue()
	taken := p.take(min(amount, p.available()), lotOn)
	p.plan.Shortfall = amount - taken
	return p.finish()
}

// PlanReverseSpend gives amount back as new points, expiring as if earned now.
func PlanReverseSpend(a Account, amount int64, now time.Time, policy Policy) Plan {
	return PlanEarn(a, amount, now, policy)
}

// PlanExpire only expires the lots that are due.
func PlanExpire(a Account, now time.Time) Plan {
	p := newPlanner(a, now)
	p.expireDue()
	return p.finish()
}
