package points

import (
	"fmt"
	"time"

	"github.com/arkmember/arkmember/internal/clock"
)

// Policy is the expiry policy: earned points expire at the end of the month
// Months months after the month they were earned in, in Location. Keeping
// expiry on month ends bounds a member's live lots to Months+1, which keeps
// every operation's transaction far below DynamoDB's 100 items.
type Policy struct {
	Months   int
	Location *time.Location
}

// MaxPolicyMonths bounds Months, so a transaction touches at most
// MaxPolicyMonths+1 lots.
const MaxPolicyMonths = 36

// ChinaStandardTime is the default zone of expiry dates.
var ChinaStandardTime = clock.ChinaStandardTime

// DefaultPolicy is API.md's: end of the month, 12 months after earning.
var DefaultPolicy = Policy{Months: 12, Location: ChinaStandardTime}

// Validate checks the policy's bounds.
func (p Policy) Validate() error {
	if p.Months < 0 || p.Months > MaxPolicyMonths || p.Location == nil {
		return fmt.Errorf("points: policy months must be 0..%d with a location", MaxPolicyMonths)
	}
	return nil
}

// ExpiryFor returns when points earned at t expire: the first instant of
// the month after the expiry month (so they are spendable through its last
// day), and that last day as the lot's date.
func (p Policy) ExpiryFor(t time.Time) (at time.Time, on string) {
	local := t.In(p.Location)
	next := time.Date(local.Year(), local.Month()+time.Month(p.Months)+1, 1, 0, 0, 0, 0, p.Location)
	return next.UTC(), next.AddDate(0, 0, -1).Format(time.DateOnly)
}

// ExpiryDates lists the lot dates (month ends, in the policy's zone) whose
// date lies from the local date of from to that of to, inclusive: the only
// dates lots can have.
func (p Policy) ExpiryDates(from, to time.Time) []string {
	first, last := from.In(p.Location).Format(time.DateOnly), to.In(p.Location).Format(time.DateOnly)
	f := from.In(p.Location)
	var out []string
	for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, p.Location); m.Format(time.DateOnly) <= last; m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, -1).Format(time.DateOnly)
		if end >= first && end <= last {
			out = append(out, end)
		}
	}
	return out
}
