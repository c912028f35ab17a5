package privileges

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/retry"
	"github.com/arkmember/arkmember/internal/validate"
)

// Consumption is one use of a grant.
type Consumption struct {
	ConsumeID     string     `json:"consumeId"`
	GrantID       string     `json:"grantId"`
	MemberID      string     `json:"memberId"`
	PrivilegeCode string     `json:"privilegeCode"`
	Quantity      int64      `json:"quantity"`
	BizNo         string     `json:"bizNo"`
	ConsumedAt    time.Time  `json:"consumedAt"`
	CancelledAt   *time.Time `json:"cancelledAt,omitempty"`
	GrantKey      string     `json:"-"`
}

// GrantCommit creates, reactivates or revokes grants, as one transaction.
type GrantCommit struct {
	MemberID    string
	New         []Grant // created; a REVOKED grant of the same key is reactivated
	Revoke      []Grant // ACTIVE grants to revoke
	Events      []outbox.Event
	Idempotency *idempotency.Record
	Audit       *audit.Entry
	// Consumed marks the event this commit handles, so a redelivered event
	// changes nothing (outbox.ErrDuplicate).
	Consumed *ConsumedMark
}

// ConsumedMark names an event handled by a consumer.
type ConsumedMark struct{ Consumer, EventID string }

// ConsumeCommit takes quantity from a grant.
type ConsumeCommit struct {
	Grant       Grant // as read: its Remaining is the condition
	Consumption Consumption
	Event       outbox.Event
	Idempotency idempotency.Record
}

// CancelCommit cancels a consumption, returning its quantity to the grant
// when Grant is set (the grant is still valid).
type CancelCommit struct {
	Consumption Consumption
	Grant       *Grant
	At          time.Time
	Event       outbox.Event
	Idempotency idempotency.Record
}

// Store keeps privileges, packages, grants and consumptions.
type Store interface {
	Privilege(ctx context.Context, code string) (Privilege, error)
	PutPrivilege(ctx context.Context, p Privilege, expectVersion int64, entry audit.Entry) error
	Privileges(ctx context.Context, limit int, cursor string) ([]Privilege, string, error)
	MissingPrivileges(ctx context.Context, codes []string) ([]string, error)
	Package(ctx context.Context, code string) (Package, error)
	PutPackage(ctx context.Context, p Package, expectVersion int64, entry audit.Entry) error
	Packages(ctx context.Context, limit int, cursor string) ([]Package, string, error)
	// Grants lists a member's grants, of one privilege unless code is "".
	Grants(ctx context.Context, memberID, code string) ([]Grant, error)
	CommitGrants(ctx context.Context, c GrantCommit) (*idempotency.Record, error)
	Consume(ctx context.Context, c ConsumeCommit) (*idempotency.Record, error)
	Consumption(ctx context.Context, consumeID string) (Consumption, error)
	Cancel(ctx context.Context, c CancelCommit) (*idempotency.Record, error)
	Usage(ctx context.Context, memberID string, limit int, cursor string) ([]Consumption, string, error)
	Idempotency(ctx context.Context, scope, bizNo string) (idempotency.Record, bool, error)
	// DueGrants calls fn for grants whose end is not after until (the
	// index may list grants already expired).
	DueGrants(ctx context.Context, until time.Time, fn func(memberID, code, key string) error) error
	// ExpireGrant marks an active grant past its end EXPIRED with ev;
	// ErrStale if it is not (anymore).
	ExpireGrant(ctx context.Context, memberID, code, key string, now time.Time, ev outbox.Event) error
	Standing(ctx context.Context, memberID string) (levels.Standing, error)
	// EachMember calls fn for every member.
	EachMemberID(ctx context.Context, fn func(memberID string) error) error
	PublishEvents(ctx context.Context, evs []outbox.Event) error
}

// Event types.
const (
	EventGranted     = "PRIVILEGE_GRANTED"
	EventConsumed    = "PRIVILEGE_CONSUMED"
	EventCancelled   = "PRIVILEGE_CONSUMPTION_CANCELLED"
	EventExpired     = "PRIVILEGE_EXPIRED"
	EventRevoked     = "PRIVILEGE_REVOKED"
	EventExpiryBatch = "PRIVILEGE_EXPIRY_BATCH"
)

// Idempotency scopes.
const (
	scopeConsume = "privileges.consume"
	scopeCancel  = "privileges.cancel"
	scopeGrant   = "privileges.grant"
)

// Service implements the privileges use cases.
type Service struct {
	store  Store
	ladder levels.Source
	clock  clock.Clock
	ids    *ids.Generator
}

// NewService returns the privileges service.
func NewService(s Store, ladder levels.Source, c clock.Clock, g *ids.Generator) *Service {
	return &Service{store: s, ladder: ladder, clock: c, ids: g}
}

func (s *Service) now() time.Time { return s.clock.Now().Truncate(time.Millisecond) }

// SetPrivilege creates or replaces a privilege definition, audited.
func (s *Service) SetPrivilege(ctx context.Context, actor audit.Actor, code string, in PrivilegeInput) (Privilege, error) {
	params, err := in.Check(code)
	if err != nil {
		return Privilege{}, err
	}
	old, err := s.store.Privilege(ctx, code)
	if err != nil && !errors.Is(err, ErrPrivilegeNotFound) {
		return Privilege{}, err
	}
	now := s.now()
	p := Privilege{Code: code, Name: in.Name, Type: in.Type, Params: params, Status: in.Status, Version: old.Version + 1, UpdatedAt: now}
	var before any
	if old.Version > 0 {
		before = old
	}
	e := audit.NewEntry(s.ids.New(), now, actor, "privilege.set", "privilege/"+code, before, p)
	return p, s.store.PutPrivilege(ctx, p, old.Version, e)
}

// SetPackage creates or replaces a package, audited; its privileges must exist.
func (s *Service) SetPackage(ctx context.Context, actor audit.Actor, code string, in PackageInput) (Package, error) {
	if err := in.Check(code); err != nil {
		return Package{}, err
	}
	if in.Items == nil {
		in.Items = []Item{}
	}
	codes := make([]string, len(in.Items))
	for i, it := range in.Items {
		codes[i] = it.PrivilegeCode
	}
	missing, err := s.store.MissingPrivileges(ctx, codes)
	if err != nil {
		return Package{}, err
	}
	if len(missing) > 0 {
		var v validate.Errors
		for i, it := range in.Items {
			for _, m := range missing {
				if it.PrivilegeCode == m {
					v.Add(fmt.Sprintf("items[%d].privilegeCode", i), "is not a privilege")
				}
			}
		}
		return Package{}, v.Err()
	}
	old, err := s.store.Package(ctx, code)
	if err != nil && !errors.Is(err, ErrPackageNotFound) {
		return Package{}, err
	}
	now := s.now()
	p := Package{Code: code, Name: in.Name, Items: in.Items, Status: in.Status, Version: old.Version + 1, UpdatedAt: now}
	var before any
	if old.Version > 0 {
		before = old
	}
	e := audit.NewEntry(s.ids.New(), now, actor, "privilege-package.set", "privilege-package/"+code, before, p)
	return p, s.store.PutPackage(ctx, p, old.Version, e)
}

// Privileges lists the definitions.
func (s *Service) Privileges(ctx context.Context, limit int, cursor string) ([]Privilege, string, error) {
	return s.store.Privileges(ctx, limit, cursor)
}

// Packages lists the packages.
func (s *Service) Packages(ctx context.Context, limit int, cursor string) ([]Package, string, error) {
	return s.store.Packages(ctx, limit, cursor)
}

// GrantView is a grant as the API shows it.
type GrantView struct {
	GrantID       string      `json:"grantId"`
	PrivilegeCode string      `json:"privilegeCode"`
	Name          string      `json:"name"`
	Type          Type        `json:"type"`
	Params        any         `json:"params"`
	PackageCode   string      `json:"packageCode"`
	Source        string      `json:"source"`
	Quota         int64       `json:"quota"`
	Remaining     int64       `json:"remaining"`
	StartTime     time.Time   `json:"startTime"`
	EndTime       time.Time   `json:"endTime"`
	Status        GrantStatus `json:"status"`
}

// MemberGrants lists a member's grants with their state now, valid ones
// first, then by end.
func (s *Service) MemberGrants(ctx context.Context, memberID string) ([]GrantView, error) {
	if _, err := s.store.Standing(ctx, memberID); err != nil {
		return nil, err
	}
	grants, err := s.store.Grants(ctx, memberID, "")
	if err != nil {
		return nil, err
	}
	now := s.now()
	defs := map[string]Privilege{}
	out := make([]GrantView, 0, len(grants))
	for _, g := range grants {
		def, ok := defs[g.PrivilegeCode]
		if !ok {
			if def, err = s.store.Privilege(ctx, g.PrivilegeCode); err != nil && !errors.Is(err, ErrPrivilegeNotFound) {
				return nil, err
			}
			defs[g.PrivilegeCode] = def
		}
		out = append(out, GrantView{
			GrantID: g.GrantID, PrivilegeCode: g.PrivilegeCode, Name: def.Name, Type: def.Type, Params: paramsOf(def),
			PackageCode: g.PackageCode, Source: g.Source, Quota: g.Quota, Remaining: g.Remaining,
			StartTime: g.Start, EndTime: g.End, Status: g.StatusAt(now),
		})
	}
	order := map[GrantStatus]int{GrantActive: 0, GrantExhausted: 1, GrantExpired: 2, GrantRevoked: 3}
	sortGrantViews(out, order)
	return out, nil
}

func paramsOf(def Privilege) any {
	if len(def.Params) == 0 {
		return map[string]any{}
	}
	return def.Params
}

// GrantInput is the body of POST /v1/admin/members/{memberId}/privileges.
type GrantInput struct {
	PackageCode string `json:"packageCode"`
	BizNo       string `json:"bizNo"`
	ValidDays   *int   `json:"validDays,omitempty"`
}

// Granted is the body of 201 to a manual grant.
type Granted struct {
	Items []GrantView `json:"items"`
}

// GrantManually grants a package to a member by staff decision, audited and
// idempotent on bizNo.
func (s *Service) GrantManually(ctx context.Context, actor audit.Actor, memberID string, in GrantInput) (Result, error) {
	var v validate.Errors
	v.Check(validate.Code(in.PackageCode), "packageCode", "must be a package code")
	v.Check(validate.BizNo(in.BizNo), "bizNo", "must be 1 to 64 of A-Z a-z 0-9 _ . : -")
	if in.ValidDays != nil {
		v.Check(*in.ValidDays >= 1 && *in.ValidDays <= MaxValidDays, "validDays", fmt.Sprintf("must be from 1 to %d", MaxValidDays))
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	if !ids.Valid(memberID) {
		return Result{}, ErrMemberNotFound
	}
	rec := idempotency.Record{Scope: scopeGrant, BizNo: in.BizNo, RequestHash: idempotency.Hash(struct {
		MemberID string
		In       GrantInput
	}{memberID, in}), Status: http.StatusCreated}
	if stored, found, err := s.store.Idempotency(ctx, scopeGrant, in.BizNo); err != nil {
		return Result{}, err
	} else if found {
		return replay(stored, rec.RequestHash)
	}
	if _, err := s.store.Standing(ctx, memberID); err != nil {
		return Result{}, err
	}
	pkg, err := s.store.Package(ctx, in.PackageCode)
	if err != nil {
		return Result{}, err
	}
	if pkg.Status != StatusActive {
		return Result{}, apperr.Conflict("the package is disabled")
	}
	now := s.now()
	days := 0
	if in.ValidDays != nil {
		days = *in.ValidDays
	}
	c := GrantCommit{MemberID: memberID}
	views := make([]GrantView, 0, len(pkg.Items))
	for _, it := range pkg.Items {
		def, err := s.store.Privilege(ctx, it.PrivilegeCode)
		if err != nil {
			return Result{}, err
		}
		// The request's validDays, else the item's, else the item's period.
		start, end := now, now.AddDate(0, 0, days)
		switch {
		case days > 0:
		case it.ValidDays > 0:
			end = now.AddDate(0, 0, it.ValidDays)
		default:
			_, end, _ = it.Window(now, 0)
		}
		g := Grant{GrantID: s.ids.New(), MemberID: memberID, PrivilegeCode: it.PrivilegeCode, PackageCode: pkg.Code, Source: SourceManual,
			Key: "MANUAL#" + in.BizNo + "#" + pkg.Code, Quota: it.Quota, Remaining: it.Quota, Start: start, End: end, Status: GrantActive}
		c.New = append(c.New, g)
		views = append(views, GrantView{GrantID: g.GrantID, PrivilegeCode: g.PrivilegeCode, Name: def.Name, Type: def.Type, Params: paramsOf(def),
			PackageCode: g.PackageCode, Source: g.Source, Quota: g.Quota, Remaining: g.Remaining, StartTime: g.Start, EndTime: g.End, Status: GrantActive})
	}
	s.grantedEvent(&c, now, "manual")
	body, _ := json.Marshal(Granted{Items: views})
	rec.Body, rec.CreatedAt = body, now
	c.Idempotency = &rec
	e := audit.NewEntry(s.ids.New(), now, actor, "privilege.grant", "member/"+memberID, nil, map[string]any{"packageCode": pkg.Code, "bizNo": in.BizNo, "grants": len(c.New)})
	c.Audit = &e
	stored, err := s.store.CommitGrants(ctx, c)
	if err != nil {
		return Result{}, err
	}
	if stored != nil {
		return replay(*stored, rec.RequestHash)
	}
	return Result{Status: http.StatusCreated, Body: body}, nil
}

func (s *Service) grantedEvent(c *GrantCommit, now time.Time, reason string) {
	if len(c.New) == 0 {
		return
	}
	var grants []map[string]any
	for _, g := range c.New {
		grants = append(grants, map[string]any{"grantId": g.GrantID, "privilegeCode": g.PrivilegeCode, "packageCode": g.PackageCode, "quota": g.Quota, "endTime": g.End})
	}
	c.Events = append(c.Events, outbox.New(s.ids.New(), EventGranted, now, c.MemberID, map[string]any{"memberId": c.MemberID, "reason": reason, "grants": grants}))
}

// Result is a stored response of an idempotent write.
type Result struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
}

func replay(stored idempotency.Record, hash string) (Result, error) {
	if err := stored.Replay(hash); err != nil {
		return Result{}, err
	}
	return Result{Status: stored.Status, Body: stored.Body, Replayed: true}, nil
}

// ConsumeInput is the body of POST /v1/privileges/consume.
type ConsumeInput struct {
	MemberID      string `json:"memberId,omitempty"`
	PrivilegeCode string `json:"privilegeCode"`
	BizNo         string `json:"bizNo"`
	Quantity      *int64 `json:"quantity,omitempty"`
}

// Consumed is the body of 201 to a consumption.
type Consumed struct {
	ConsumeID string `json:"consumeId"`
	GrantID   string `json:"grantId"`
	Remaining int64  `json:"remaining"`
}

// Consume takes quantity (default 1) of a privilege from the member's grant
// that ends soonest. The transaction re-checks the grant is active, inside
// its window at the clock's now and has the quota, so correctness never
// depends on the expiry job.
func (s *Service) Consume(ctx context.Context, caller auth.Principal, in ConsumeInput) (Result, error) {
	if caller.Role == catalog.RoleMember {
		if in.MemberID != "" && in.MemberID != caller.Subject {
			return Result{}, ErrMemberNotFound
		}
		in.MemberID = caller.Subject
	}
	q := int64(1)
	if in.Quantity != nil {
		q = *in.Quantity
	}
	var v validate.Errors
	v.Check(ids.Valid(in.MemberID), "memberId", "must be a member id")
	v.Check(validate.Code(in.PrivilegeCode), "privilegeCode", "must be a privilege code")
	v.Check(validate.BizNo(in.BizNo), "bizNo", "must be 1 to 64 of A-Z a-z 0-9 _ . : -")
	v.Check(q >= 1 && q <= MaxQuota, "quantity", fmt.Sprintf("must be from 1 to %d", MaxQuota))
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	in.Quantity = &q
	rec := idempotency.Record{Scope: scopeConsume, BizNo: in.BizNo, RequestHash: idempotency.Hash(in), Status: http.StatusCreated}
	return s.retry(ctx, rec, func(now time.Time) (func() (*idempotency.Record, error), []byte, error) {
		st, err := s.store.Standing(ctx, in.MemberID)
		if errors.Is(err, levels.ErrMemberNotFound) {
			return nil, nil, ErrMemberNotFound
		}
		if err != nil {
			return nil, nil, err
		}
		if !st.Active {
			return nil, nil, levels.ErrMemberFrozen
		}
		def, err := s.store.Privilege(ctx, in.PrivilegeCode)
		if errors.Is(err, ErrPrivilegeNotFound) {
			return nil, nil, ErrNotGranted
		}
		if err != nil {
			return nil, nil, err
		}
		if def.Status != StatusActive {
			return nil, nil, ErrNotGranted.WithMessage("the privilege is disabled")
		}
		grants, err := s.store.Grants(ctx, in.MemberID, in.PrivilegeCode)
		if err != nil {
			return nil, nil, err
		}
		g, err := Pick(grants, now, q)
		if err != nil {
			return nil, nil, err
		}
		cons := Consumption{ConsumeID: s.ids.New(), GrantID: g.GrantID, MemberID: in.MemberID, PrivilegeCode: in.PrivilegeCode, Quantity: q, BizNo: in.BizNo, ConsumedAt: now, GrantKey: g.Key}
		body, _ := json.Marshal(Consumed{ConsumeID: cons.ConsumeID, GrantID: g.GrantID, Remaining: g.Remaining - q})
		ev := outbox.New(s.ids.New(), EventConsumed, now, in.MemberID, map[string]any{
			"memberId": in.MemberID, "consumeId": cons.ConsumeID, "grantId": g.GrantID, "privilegeCode": in.PrivilegeCode, "quantity": q, "remaining": g.Remaining - q, "bizNo": in.BizNo,
		})
		r := rec
		r.Body, r.CreatedAt = body, now
		return func() (*idempotency.Record, error) {
			return s.store.Consume(ctx, ConsumeCommit{Grant: g, Consumption: cons, Event: ev, Idempotency: r})
		}, body, nil
	})
}

// Cancelled is the body of 200 to a cancellation.
type Cancelled struct {
	ConsumeID     string    `json:"consumeId"`
	CancelledAt   time.Time `json:"cancelledAt"`
	QuotaReturned bool      `json:"quotaReturned"`
	Remaining     *int64    `json:"remaining,omitempty"`
}

// Cancel undoes a consumption: the quantity goes back to the grant if the
// grant is still valid. Cancelling twice is a replay.
func (s *Service) Cancel(ctx context.Context, consumeID, bizNo string) (Result, error) {
	var v validate.Errors
	v.Check(validate.BizNo(bizNo), "bizNo", "must be 1 to 64 of A-Z a-z 0-9 _ . : -")
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	if !ids.Valid(consumeID) {
		return Result{}, ErrConsumeNotFound
	}
	rec := idempotency.Record{Scope: scopeCancel, BizNo: bizNo, RequestHash: idempotency.Hash([]string{consumeID, bizNo}), Status: http.StatusOK}
	return s.retry(ctx, rec, func(now time.Time) (func() (*idempotency.Record, error), []byte, error) {
		cons, err := s.store.Consumption(ctx, consumeID)
		if err != nil {
			return nil, nil, err
		}
		if cons.CancelledAt != nil {
			return nil, nil, apperr.Conflict("the consumption was already cancelled")
		}
		grants, err := s.store.Grants(ctx, cons.MemberID, cons.PrivilegeCode)
		if err != nil {
			return nil, nil, err
		}
		c := CancelCommit{Consumption: cons, At: now}
		out := Cancelled{ConsumeID: consumeID, CancelledAt: now}
		for _, g := range grants {
			if g.GrantID == cons.GrantID && g.Status == GrantActive && now.Before(g.End) {
				gg := g
				c.Grant = &gg
				left := g.Remaining + cons.Quantity
				out.QuotaReturned, out.Remaining = true, &left
			}
		}
		c.Event = outbox.New(s.ids.New(), EventCancelled, now, cons.MemberID, map[string]any{
			"memberId": cons.MemberID, "consumeId": consumeID, "grantId": cons.GrantID, "quotaReturned": out.QuotaReturned,
		})
		body, _ := json.Marshal(out)
		r := rec
		r.Body, r.CreatedAt = body, now
		c.Idempotency = r
		return func() (*idempotency.Record, error) { return s.store.Cancel(ctx, c) }, body, nil
	})
}

// Usage lists a member's consumptions, newest first.
func (s *Service) Usage(ctx context.Context, memberID string, limit int, cursor string) ([]Consumption, string, error) {
	if _, err := s.store.Standing(ctx, memberID); err != nil {
		return nil, "", err
	}
	return s.store.Usage(ctx, memberID, limit, cursor)
}

// retry plans and commits, planning again while the grant changed; a
// request whose bizNo is known is answered from its record.
func (s *Service) retry(ctx context.Context, rec idempotency.Record, plan func(now time.Time) (func() (*idempotency.Record, error), []byte, error)) (Result, error) {
	var out Result
	err := retry.Stale(ctx, isStale, func() error {
		commit, body, err := plan(s.now())
		if err != nil {
			if stored, found, rerr := s.store.Idempotency(ctx, rec.Scope, rec.BizNo); rerr == nil && found {
				out, err = replay(stored, rec.RequestHash)
			}
			return err
		}
		stored, err := commit()
		switch {
		case err != nil:
			return err
		case stored != nil:
			out, err = replay(*stored, rec.RequestHash)
			return err
		}
		out = Result{Status: rec.Status, Body: body}
		return nil
	})
	return out, err
}

func isStale(err error) bool { return errors.Is(err, ErrStale) }
