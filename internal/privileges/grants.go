package privileges

import (
	"sort"
	"time"
)

// GrantStatus is the state of a grant as members see it.
type GrantStatus string

// Grant states. EXHAUSTED is derived (no quota left); the others are stored.
const (
	GrantActive    GrantStatus = "ACTIVE"
	GrantExhausted GrantStatus = "EXHAUSTED"
	GrantExpired   GrantStatus = "EXPIRED"
	GrantRevoked   GrantStatus = "REVOKED"
)

// Sources of grants.
const (
	SourceLevel  = "LEVEL"
	SourceManual = "MANUAL"
)

// Grant is a quota of one privilege given to a member for a window.
type Grant struct {
	GrantID       string
	MemberID      string
	PrivilegeCode string
	PackageCode   string
	Source        string
	// Key identifies the grant among the member's grants of the privilege:
	// "<package>#<period>" for level grants, "MANUAL#<bizNo>#<package>" for
	// staff grants. A grant with a key is never created twice.
	Key       string
	Quota     int64
	Remaining int64
	Start     time.Time
	End       time.Time
	Status    GrantStatus // ACTIVE, EXPIRED or REVOKED as stored
}

// StatusAt is the grant's state at now: an active grant past its end is
// expired and one without quota exhausted, whether or not a job noticed.
func (g Grant) StatusAt(now time.Time) GrantStatus {
	switch {
	case g.Status != GrantActive:
		return g.Status
	case !now.Before(g.End):
		return GrantExpired
	case g.Remaining == 0:
		return GrantExhausted
	}
	return GrantActive
}

// Usable reports whether quantity can be taken from g at now.
func (g Grant) Usable(now time.Time, quantity int64) bool {
	return g.Status == GrantActive && !now.Before(g.Start) && now.Before(g.End) && g.Remaining >= quantity
}

// Pick chooses the grant a consumption of quantity takes from at now: the
// usable one ending soonest (then the oldest), so quota that would expire
// first is used first. When none is usable it says why, in the order a
// member needs to hear it: not granted, exhausted, expired.
func Pick(grants []Grant, now time.Time, quantity int64) (Grant, error) {
	if len(grants) == 0 {
		return Grant{}, ErrNotGranted
	}
	usable := make([]Grant, 0, len(grants))
	valid, started := false, false
	for _, g := range grants {
		if g.Status == GrantActive && now.Before(g.End) {
			valid = true
			if !now.Before(g.Start) {
				started = true
			}
		}
		if g.Usable(now, quantity) {
			usable = append(usable, g)
		}
	}
	if len(usable) == 0 {
		switch {
		case valid && started:
			return Grant{}, ErrExhausted
		case valid:
			return Grant{}, ErrExpired.WithMessage("the member's grants of this privilege are not valid yet")
		default:
			hasRevokedOnly := true
			for _, g := range grants {
				if g.Status != GrantRevoked {
					hasRevokedOnly = false
				}
			}
			if hasRevokedOnly {
				return Grant{}, ErrNotGranted
			}
			return Grant{}, ErrExpired
		}
	}
	sort.Slice(usable, func(i, j int) bool {
		if !usable[i].End.Equal(usable[j].End) {
			return usable[i].End.Before(usable[j].End)
		}
		return usable[i].GrantID < usable[j].GrantID
	})
	return usable[0], nil
}
