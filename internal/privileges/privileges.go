// Package privileges is what membership is for: privilege definitions of
// pluggable types, packages of privileges with quotas and periods, grants
// of packages to members (by level, or by staff), consumption of a grant's
// quota with validity checks, expiry and renewal.
package privileges

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/validate"
)

// Status of a definition or package.
type Status string

// Definition states.
const (
	StatusActive   Status = "ACTIVE"
	StatusDisabled Status = "DISABLED"
)

// Privilege is a privilege definition.
type Privilege struct {
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	Type      Type            `json:"type"`
	Params    json.RawMessage `json:"params"`
	Status    Status          `json:"status"`
	Version   int64           `json:"version"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// Period is how often a package item's quota is granted anew.
type Period string

// Periods.
const (
	PeriodOnce    Period = "ONCE"
	PeriodDaily   Period = "DAILY"
	PeriodMonthly Period = "MONTHLY"
	PeriodYearly  Period = "YEARLY"
)

// Item is one privilege of a package.
type Item struct {
	PrivilegeCode string `json:"privilegeCode"`
	Quota         int64  `json:"quota"`
	Period        Period `json:"period"`
	// ValidDays bounds a grant's validity: how long a ONCE grant lasts, and
	// at most how long into its period a periodic grant lasts (0: the whole
	// period).
	ValidDays int `json:"validDays"`
}

// Package is a named set of privileges.
type Package struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Items     []Item    `json:"items"`
	Status    Status    `json:"status"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Limits of configuration, which bound the transactions of grants.
const (
	MaxItems     = 20
	MaxQuota     = 1_000_000
	MaxValidDays = 3660
)

// Errors.
var (
	ErrNotGranted        = apperr.New(apperr.KindConflict, "PRIVILEGE_NOT_GRANTED", "the member has no grant of this privilege")
	ErrExpired           = apperr.New(apperr.KindConflict, "PRIVILEGE_EXPIRED", "the member's grants of this privilege are not valid now")
	ErrExhausted         = apperr.New(apperr.KindConflict, "PRIVILEGE_EXHAUSTED", "the member's grants of this privilege have no quota left")
	ErrPrivilegeNotFound = apperr.NotFound("privilege")
	ErrPackageNotFound   = apperr.NotFound("privilege package")
	ErrConsumeNotFound   = apperr.NotFound("consumption")
	ErrMemberNotFound    = apperr.NotFound("member")
	ErrChanged           = apperr.Conflict("the configuration was changed by someone else meanwhile; read it and try again")
	ErrStale             = apperr.Conflict("the grant changed while the request ran; retry")
)

// PrivilegeInput is the body of PUT /v1/admin/privileges/{code}.
type PrivilegeInput struct {
	Name   string          `json:"name"`
	Type   Type            `json:"type"`
	Params json.RawMessage `json:"params"`
	Status Status          `json:"status"`
}

// Check validates the input with its type's rules and returns the
// canonical params.
func (in PrivilegeInput) Check(code string) (json.RawMessage, error) {
	var v validate.Errors
	v.Check(validate.Code(code), "code", "must be 1 to 64 of A-Z a-z 0-9 _ -")
	v.Check(validate.Length(in.Name, 1, 64), "name", "must be 1 to 64 characters")
	v.Check(in.Status == StatusActive || in.Status == StatusDisabled, "status", "must be ACTIVE or DISABLED")
	spec, ok := specOf(in.Type)
	if !ok {
		v.Add("type", fmt.Sprintf("must be one of %v", Types()))
		return nil, v.Err()
	}
	params, errs := spec.Check(in.Params)
	for _, e := range errs {
		v.Add(e.Field, e.Message)
	}
	return params, v.Err()
}

// PackageInput is the body of PUT /v1/admin/privilege-packages/{code}.
type PackageInput struct {
	Name   string `json:"name"`
	Items  []Item `json:"items"`
	Status Status `json:"status"`
}

// Check validates a package (not yet that its privileges exist).
func (in PackageInput) Check(code string) error {
	var v validate.Errors
	v.Check(validate.Code(code), "code", "must be 1 to 64 of A-Z a-z 0-9 _ -")
	v.Check(validate.Length(in.Name, 1, 64), "name", "must be 1 to 64 characters")
	v.Check(in.Status == StatusActive || in.Status == StatusDisabled, "status", "must be ACTIVE or DISABLED")
	v.Check(len(in.Items) <= MaxItems, "items", fmt.Sprintf("must hold at most %d privileges", MaxItems))
	seen := map[string]bool{}
	for i, it := range in.Items {
		f := func(n string) string { return fmt.Sprintf("items[%d].%s", i, n) }
		v.Check(validate.Code(it.PrivilegeCode), f("privilegeCode"), "must be a privilege code")
		v.Check(!seen[it.PrivilegeCode], f("privilegeCode"), "is in the package twice")
		seen[it.PrivilegeCode] = true
		v.Check(it.Quota >= 1 && it.Quota <= MaxQuota, f("quota"), fmt.Sprintf("must be from 1 to %d", MaxQuota))
		v.Check(it.Period == PeriodOnce || it.Period == PeriodDaily || it.Period == PeriodMonthly || it.Period == PeriodYearly, f("period"), "must be ONCE, DAILY, MONTHLY or YEARLY")
		v.Check(it.ValidDays >= 0 && it.ValidDays <= MaxValidDays, f("validDays"), fmt.Sprintf("must be from 0 to %d", MaxValidDays))
		v.Check(it.Period != PeriodOnce || it.ValidDays > 0, f("validDays"), "must be set for a ONCE privilege")
	}
	return v.Err()
}

// Window is when a grant of item is valid if granted at now, and the key
// of its period: grants of one member, package item and period share the
// key, so one period is never granted twice.
func (it Item) Window(now time.Time, validDays int) (start, end time.Time, period string) {
	local := now.In(clock.ChinaStandardTime)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, clock.ChinaStandardTime)
	if validDays == 0 {
		validDays = it.ValidDays
	}
	switch it.Period {
	case PeriodDaily:
		start, end, period = day, day.AddDate(0, 0, 1), "D"+day.Format("2006-01-02")
	case PeriodMonthly:
		m := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, clock.ChinaStandardTime)
		start, end, period = m, m.AddDate(0, 1, 0), "M"+m.Format("2006-01")
	case PeriodYearly:
		y := time.Date(local.Year(), 1, 1, 0, 0, 0, 0, clock.ChinaStandardTime)
		start, end, period = y, y.AddDate(1, 0, 0), "Y"+y.Format("2006")
	default:
		return now.UTC(), now.AddDate(0, 0, validDays).UTC(), "ONCE"
	}
	if validDays > 0 && start.AddDate(0, 0, validDays).Before(end) {
		end = start.AddDate(0, 0, validDays)
	}
	return start.UTC(), end.UTC(), period
}
