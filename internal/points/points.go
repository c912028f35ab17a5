// Package points is the money of the member center: earning, spending,
// reversing and adjusting points, and their expiry. Earned points form lots
// bucketed by the month they expire in; spending and expiry take the oldest
// lots first. Every change is planned here, as pure arithmetic over the
// member's account, and committed by the store as one conditional
// transaction with its ledger entry, so the balance, the lots and the ledger
// always agree.
package points

import (
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
)

// EntryType is the kind of a ledger entry.
type EntryType string

// Ledger entry types.
const (
	TypeEarn    EntryType = "EARN"
	TypeSpend   EntryType = "SPEND"
	TypeReverse EntryType = "REVERSE"
	TypeAdjust  EntryType = "ADJUST"
	TypeExpire  EntryType = "EXPIRE"
)

// Source says where earned points come from.
type Source string

// Sources of points. SYSTEM marks entries the system makes itself (expiry).
const (
	SourceOrder    Source = "ORDER"
	SourceSignIn   Source = "SIGN_IN"
	SourceTask     Source = "TASK"
	SourceActivity Source = "ACTIVITY"
	SourceManual   Source = "MANUAL"
	SourceSystem   Source = "SYSTEM"
)

// Valid reports whether s may be given in an earn.
func (s Source) Valid() bool {
	switch s {
	case SourceOrder, SourceSignIn, SourceTask, SourceActivity, SourceManual:
		return true
	}
	return false
}

// MaxAmount bounds one operation (API.md: 1..10^9).
const MaxAmount = 1_000_000_000

// Entry is one line of a member's points ledger.
type Entry struct {
	EntryID      string     `json:"entryId"`
	MemberID     string     `json:"memberId"`
	Delta        int64      `json:"delta"`
	BalanceAfter int64      `json:"balanceAfter"`
	Type         EntryType  `json:"type"`
	Source       Source     `json:"source"`
	BizNo        string     `json:"bizNo"`
	Reason       string     `json:"reason"`
	CreatedAt    time.Time  `json:"createdAt"`
	ExpiresAt    *time.Time `json:"expiresAt,omitempty"`
	// OriginalBizNo is the operation a REVERSE undoes.
	OriginalBizNo string `json:"originalBizNo,omitempty"`
	// Requested and Shortfall describe a REVERSE of an earn whose points
	// were partly spent: Requested was asked, Requested-Shortfall taken.
	Requested int64 `json:"requested,omitempty"`
	Shortfall int64 `json:"shortfall,omitempty"`
}

// Lot is the points of a member that expire at the same instant.
type Lot struct {
	ExpiresOn string    // the local date of expiry, YYYY-MM-DD: the lot's key
	ExpiresAt time.Time // the instant the points expire
	Remaining int64
	Earned    int64 // all points ever put in the lot
	Warned    bool  // POINTS_EXPIRING was sent for it
}

// Expired reports whether the lot's points have expired at now.
func (l Lot) Expired(now time.Time) bool { return !now.Before(l.ExpiresAt) }

// Account is a member's points as read, the input of every plan.
type Account struct {
	MemberID string
	Active   bool  // not frozen
	Balance  int64 // sum of every lot's remaining, expired or not
	Version  int64 // changes with every balance change
	Lots     []Lot // soonest expiry first
}

// Available is what the member can spend at now: lots not yet expired.
func (a Account) Available(now time.Time) int64 {
	var n int64
	for _, l := range a.Lots {
		if !l.Expired(now) {
			n += l.Remaining
		}
	}
	return n
}

// Domain errors.
var (
	ErrInsufficient     = apperr.New(apperr.KindConflict, "INSUFFICIENT_POINTS", "the member has not enough points")
	ErrMemberNotFound   = apperr.NotFound("member")
	ErrOriginalNotFound = apperr.NotFound("original operation")
	ErrNotReversible    = apperr.Conflict("only earns and spends can be reversed")
	ErrFullyReversed    = apperr.Conflict("the original operation is already fully reversed")
	ErrReverseTooLarge  = apperr.Conflict("the amount is more than what remains of the original operation")
	ErrMemberFrozen     = apperr.New(apperr.KindForbidden, apperr.CodeMemberFrozen, "this member account is frozen")
	// ErrStale means the account changed since it was read; plan again.
	ErrStale = apperr.Conflict("the account changed while the request ran; retry")
)

// Event types this package emits.
const (
	EventEarned   = "POINTS_EARNED"
	EventSpent    = "POINTS_SPENT"
	EventReversed = "POINTS_REVERSED"
	EventAdjusted = "POINTS_ADJUSTED"
	EventExpired  = "POINTS_EXPIRED"
	EventExpiring = "POINTS_EXPIRING"
)
