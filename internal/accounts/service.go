package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/pii"
	"github.com/arkmember/arkmember/internal/validate"
)

// Repository stores accounts; internal/store implements it on DynamoDB.
type Repository interface {
	// CreateMember stores a new member, claims its mobile index, starts its
	// first refresh-token family and records ev, all at once; ErrMobileTaken
	// if the mobile is registered.
	CreateMember(ctx context.Context, m Member, first Family, ev outbox.Event) error
	Member(ctx context.Context, id string) (Member, error)
	MemberIDByMobile(ctx context.Context, mobileIndex string) (string, error)
	UpdateProfile(ctx context.Context, id string, p ProfilePatch, at time.Time) (Member, error)
	// SetMemberStatus changes the status if it is still from; ErrStale if not.
	SetMemberStatus(ctx context.Context, id string, from, to Status, reason string, at time.Time, entry audit.Entry, ev outbox.Event) error
	// SaveMemberGuard stores g if the stored guard is still at expectVersion.
	SaveMemberGuard(ctx context.Context, id string, g auth.Guard, expectVersion int64) error

	Staff(ctx context.Context, username string) (Staff, error)
	PutStaff(ctx context.Context, s Staff, onlyIfAbsent bool) error
	SaveStaffGuard(ctx context.Context, username string, g auth.Guard, expectVersion int64) error

	Client(ctx context.Context, id string) (ServiceClient, error)
	PutClient(ctx context.Context, c ServiceClient, onlyIfAbsent bool) error

	CreateFamily(ctx context.Context, f Family) error
	Family(ctx context.Context, id string) (Family, error)
	// RotateFamily moves the family from generation from to from+1;
	// ErrStale if it is no longer at from or is revoked.
	RotateFamily(ctx context.Context, id string, from int64, expiresAt time.Time) error
	RevokeFamily(ctx context.Context, id string) error
}

// LadderSource gives the current level ladder.
type LadderSource interface {
	Ladder(ctx context.Context) (levels.Ladder, error)
}

// Deps are what the service is built from.
type Deps struct {
	Repo         Repository
	Ladder       LadderSource
	Hasher       *auth.Hasher
	Tokens       *auth.Tokens
	RefreshCodec *auth.RefreshCodec
	Cipher       *pii.Cipher
	Blind        *pii.BlindIndex
	Clock        clock.Clock
	IDs          *ids.Generator
	Lockout      auth.LockoutPolicy
	RefreshTTL   time.Duration
	Log          *slog.Logger
}

// Service implements the account use cases.
type Service struct{ Deps }

// NewService returns the account service.
func NewService(d Deps) *Service { return &Service{d} }

// guardAttempts bounds the optimistic retries of a sign-in attempt counter
// under contention on one account.
const guardAttempts = 10

// Register creates a member at the lowest level and signs it in.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Session, error) {
	if err := in.validate(); err != nil {
		return Session{}, err
	}
	ladder, err := s.Ladder.Ladder(ctx)
	if err != nil {
		return Session{}, err
	}
	hash, err := s.Hasher.Hash(ctx, in.Password)
	if err != nil {
		return Session{}, err
	}
	now := s.Clock.Now()
	id := s.IDs.New()
	enc, err := s.Cipher.Encrypt(in.Mobile, id)
	if err != nil {
		return Session{}, apperr.Internal(err)
	}
	nickname := "member-" + id[len(id)-6:]
	if in.Nickname != nil {
		nickname = *in.Nickname
	}
	m := Member{
		ID: id, MobileCipher: enc, MobileIndex: s.Blind.Of(in.Mobile), PasswordHash: hash,
		Nickname: nickname, Gender: GenderUnknown, LevelCode: ladder.Lowest().Code,
		Status: StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	fam := s.newFamily(m.ID, catalog.RoleMember, now)
	ev := outbox.New(s.IDs.New(), EventMemberRegistered, now, id, map[string]any{
		"memberId": id, "levelCode": m.LevelCode, "registeredAt": now,
	})
	if err := s.Repo.CreateMember(ctx, m, fam, ev); err != nil {
		return Session{}, err
	}
	return s.session(fam, m.ID)
}

// Login signs a member in by mobile and password.
func (s *Service) Login(ctx context.Context, mobile, password string) (Session, error) {
	var v validate.Errors
	v.Check(validate.Mobile(mobile), "mobile", "must be an 11-digit mainland China mobile number")
	v.Check(password != "", "password", "is required")
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	id, err := s.Repo.MemberIDByMobile(ctx, s.Blind.Of(mobile))
	if errors.Is(err, ErrMemberNotFound) {
		_ = s.Hasher.VerifyDummy(ctx, password)
		return Session{}, ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, err
	}
	var m Member
	err = s.attempt(ctx, password,
		func(ctx context.Context) (auth.Guard, string, error) {
			m, err = s.Repo.Member(ctx, id)
			return m.Guard, m.PasswordHash, err
		},
		func(ctx context.Context, g auth.Guard, expect int64) error {
			return s.Repo.SaveMemberGuard(ctx, id, g, expect)
		})
	if errors.Is(err, ErrMemberNotFound) {
		return Session{}, ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, err
	}
	if m.Status == StatusFrozen {
		return Session{}, ErrMemberFrozen
	}
	fam := s.newFamily(id, catalog.RoleMember, s.Clock.Now())
	if err := s.Repo.CreateFamily(ctx, fam); err != nil {
		return Session{}, err
	}
	return s.session(fam, id)
}

// StaffLogin signs a staff member in; the token carries the account's role.
func (s *Service) StaffLogin(ctx context.Context, username, password string) (Session, error) {
	var v validate.Errors
	v.Check(validUsername(username), "username", "must be 3 to 64 of a-z 0-9 . _ -")
	v.Check(password != "", "password", "is required")
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	var st Staff
	err := s.attempt(ctx, password,
		func(ctx context.Context) (auth.Guard, string, error) {
			var err error
			st, err = s.Repo.Staff(ctx, username)
			return st.Guard, st.PasswordHash, err
		},
		func(ctx context.Context, g auth.Guard, expect int64) error {
			return s.Repo.SaveStaffGuard(ctx, username, g, expect)
		})
	if errors.Is(err, ErrStaffNotFound) {
		return Session{}, ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, err
	}
	if st.Status != StatusActive {
		return Session{}, ErrInvalidCredentials
	}
	fam := s.newFamily(st.Username, st.Role, s.Clock.Now())
	if err := s.Repo.CreateFamily(ctx, fam); err != nil {
		return Session{}, err
	}
	return s.session(fam, "")
}

// attempt checks a password against an account under the lockout policy.
// The attempt is counted before the password is checked, so a burst of
// parallel guesses gets at most MaxFailures checks per window; a success
// clears the count.
func (s *Service) attempt(ctx context.Context, password string,
	load func(context.Context) (auth.Guard, string, error),
	save func(context.Context, auth.Guard, int64) error,
) error {
	for try := 0; ; try++ {
		if try == guardAttempts {
			return ErrBusy
		}
		g, hash, err := load(ctx)
		if errors.Is(err, ErrMemberNotFound) || errors.Is(err, ErrStaffNotFound) {
			_ = s.Hasher.VerifyDummy(ctx, password)
			return err
		}
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		if locked, wait := s.Lockout.Locked(g, now); locked {
			return ErrAccountLocked.WithRetryAfter(wait)
		}
		counted := s.Lockout.Fail(g, now)
		if err := save(ctx, counted, g.Version); errors.Is(err, ErrStale) {
			continue
		} else if err != nil {
			return err
		}
		ok, err := s.Hasher.Verify(ctx, password, hash)
		if err != nil {
			return apperr.Internal(err)
		}
		if !ok {
			if locked, wait := s.Lockout.Locked(counted, now); locked {
				return ErrAccountLocked.WithRetryAfter(wait)
			}
			return ErrInvalidCredentials
		}
		// A concurrent attempt may have counted meanwhile; the reset is then
		// skipped and the next success clears it.
		if err := save(ctx, s.Lockout.Succeed(counted), counted.Version); err != nil && !errors.Is(err, ErrStale) {
			return err
		}
		return nil
	}
}

// ServiceToken issues an access token to a service client.
func (s *Service) ServiceToken(ctx context.Context, clientID, secret string) (Session, error) {
	var v validate.Errors
	v.Check(validate.Code(clientID), "clientId", "must be 1..64 of A-Z a-z 0-9 _ -")
	v.Check(secret != "" && len(secret) <= 256, "clientSecret", "is required")
	if err := v.Err(); err != nil {
		return Session{}, err
	}
	c, err := s.Repo.Client(ctx, clientID)
	if errors.Is(err, ErrClientNotFound) {
		_ = s.Hasher.VerifyDummy(ctx, secret)
		return Session{}, ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, err
	}
	ok, err := s.Hasher.Verify(ctx, secret, c.SecretHash)
	if err != nil {
		return Session{}, apperr.Internal(err)
	}
	if !ok || c.Status != StatusActive {
		return Session{}, ErrInvalidCredentials
	}
	access, ttl, err := s.Tokens.Issue(auth.Principal{Subject: c.ClientID, Role: catalog.RoleService})
	if err != nil {
		return Session{}, apperr.Internal(err)
	}
	return Session{AccessToken: access, ExpiresIn: int64(ttl / time.Second), TokenType: "Bearer", Role: string(catalog.RoleService)}, nil
}

// Refresh exchanges a refresh token for new tokens. The presented token stops
// working; presenting an already-rotated token revokes the whole family.
func (s *Service) Refresh(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, apperr.Invalid("the request has invalid fields", apperr.FieldError{Field: "refreshToken", Message: "is required"})
	}
	famID, gen, err := s.RefreshCodec.Decode(token)
	if err != nil {
		return Session{}, auth.ErrRefreshInvalid
	}
	fam, err := s.Repo.Family(ctx, famID)
	if errors.Is(err, ErrFamilyNotFound) {
		return Session{}, auth.ErrRefreshInvalid
	}
	if err != nil {
		return Session{}, err
	}
	now := s.Clock.Now()
	if fam.Revoked || !now.Before(fam.ExpiresAt) || gen > fam.Generation {
		return Session{}, auth.ErrRefreshInvalid
	}
	if gen < fam.Generation {
		return Session{}, s.revokeReused(ctx, fam)
	}
	if err := s.checkActive(ctx, fam); err != nil {
		return Session{}, err
	}
	if err := s.Repo.RotateFamily(ctx, fam.ID, gen, now.Add(s.RefreshTTL)); errors.Is(err, ErrStale) {
		// Someone used the same token a moment ago: it was copied.
		return Session{}, s.revokeReused(ctx, fam)
	} else if err != nil {
		return Session{}, err
	}
	fam.Generation = gen + 1
	memberID := ""
	if fam.Role == catalog.RoleMember {
		memberID = fam.Subject
	}
	return s.session(fam, memberID)
}

func (s *Service) revokeReused(ctx context.Context, fam Family) error {
	s.Log.WarnContext(ctx, "refresh token reuse; family revoked", slog.String("family", fam.ID), slog.String("role", string(fam.Role)))
	if err := s.Repo.RevokeFamily(ctx, fam.ID); err != nil {
		return err
	}
	return auth.ErrRefreshInvalid
}

// checkActive refuses a refresh for an account frozen or disabled since sign-in.
func (s *Service) checkActive(ctx context.Context, fam Family) error {
	switch {
	case fam.Role == catalog.RoleMember:
		m, err := s.Repo.Member(ctx, fam.Subject)
		if err != nil {
			return err
		}
		if m.Status == StatusFrozen {
			if err := s.Repo.RevokeFamily(ctx, fam.ID); err != nil {
				return err
			}
			return ErrMemberFrozen
		}
	case fam.Role.IsStaff():
		st, err := s.Repo.Staff(ctx, fam.Subject)
		if errors.Is(err, ErrStaffNotFound) {
			return auth.ErrRefreshInvalid
		}
		if err != nil {
			return err
		}
		if st.Status != StatusActive || st.Role != fam.Role {
			_ = s.Repo.RevokeFamily(ctx, fam.ID)
			return auth.ErrRefreshInvalid
		}
	}
	return nil
}

// Logout revokes the caller's refresh-token family. It is idempotent: an
// unknown, expired or someone else's token changes nothing and still
// succeeds, so logout reveals nothing about tokens.
func (s *Service) Logout(ctx context.Context, caller auth.Principal, token string) error {
	if token == "" {
		return apperr.Invalid("the request has invalid fields", apperr.FieldError{Field: "refreshToken", Message: "is required"})
	}
	famID, _, err := s.RefreshCodec.Decode(token)
	if err != nil {
		return nil
	}
	fam, err := s.Repo.Family(ctx, famID)
	if errors.Is(err, ErrFamilyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if fam.Subject != caller.Subject || fam.Revoked {
		return nil
	}
	if err := s.Repo.RevokeFamily(ctx, fam.ID); err != nil && !errors.Is(err, ErrFamilyNotFound) {
		return err
	}
	return nil
}

// Profile returns a member's own profile.
func (s *Service) Profile(ctx context.Context, memberID string) (Profile, error) {
	m, err := s.Repo.Member(ctx, memberID)
	if err != nil {
		return Profile{}, err
	}
	return s.profile(ctx, m, false)
}

// UpdateProfile changes the fields given in p.
func (s *Service) UpdateProfile(ctx context.Context, memberID string, p ProfilePatch) (Profile, error) {
	now := s.Clock.Now()
	if err := p.validate(now); err != nil {
		return Profile{}, err
	}
	if p.empty() {
		return s.Profile(ctx, memberID)
	}
	m, err := s.Repo.UpdateProfile(ctx, memberID, p, now)
	if err != nil {
		return Profile{}, err
	}
	return s.profile(ctx, m, false)
}

// AdminMember returns a member for staff, with its status.
func (s *Service) AdminMember(ctx context.Context, memberID string) (Profile, error) {
	m, err := s.Repo.Member(ctx, memberID)
	if err != nil {
		return Profile{}, err
	}
	return s.profile(ctx, m, true)
}

// FindByMobile returns the member with exactly this mobile, if any.
func (s *Service) FindByMobile(ctx context.Context, mobile string) ([]Profile, error) {
	if !validate.Mobile(mobile) {
		return nil, apperr.Invalid("the request has invalid fields", apperr.FieldError{Field: "mobile", Message: "must be an 11-digit mainland China mobile number"})
	}
	id, err := s.Repo.MemberIDByMobile(ctx, s.Blind.Of(mobile))
	if errors.Is(err, ErrMemberNotFound) {
		return []Profile{}, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := s.AdminMember(ctx, id)
	if errors.Is(err, ErrMemberNotFound) {
		return []Profile{}, nil
	}
	if err != nil {
		return nil, err
	}
	return []Profile{p}, nil
}

// SetStatus freezes or unfreezes a member, audited. Setting the status a
// member already has changes nothing.
func (s *Service) SetStatus(ctx context.Context, actor audit.Actor, memberID string, in StatusInput) (Profile, error) {
	if err := in.validate(); err != nil {
		return Profile{}, err
	}
	m, err := s.Repo.Member(ctx, memberID)
	if err != nil {
		return Profile{}, err
	}
	if m.Status == in.Status {
		return s.profile(ctx, m, true)
	}
	now := s.Clock.Now()
	entry := audit.NewEntry(s.IDs.New(), now, actor, "member.status.set", "member/"+memberID,
		map[string]any{"status": m.Status},
		map[string]any{"status": in.Status, "reason": in.Reason})
	ev := outbox.New(s.IDs.New(), EventMemberStatusChanged, now, memberID, map[string]any{
		"memberId": memberID, "from": m.Status, "to": in.Status, "reason": in.Reason,
	})
	if err := s.Repo.SetMemberStatus(ctx, memberID, m.Status, in.Status, in.Reason, now, entry, ev); err != nil {
		return Profile{}, err
	}
	m.Status, m.StatusReason, m.UpdatedAt = in.Status, in.Reason, now
	return s.profile(ctx, m, true)
}

func (s *Service) profile(ctx context.Context, m Member, withStatus bool) (Profile, error) {
	mobile, err := s.Cipher.Decrypt(m.MobileCipher, m.ID)
	if err != nil {
		return Profile{}, apperr.Internal(fmt.Errorf("decrypt mobile of %s: %w", m.ID, err))
	}
	ladder, err := s.Ladder.Ladder(ctx)
	if err != nil {
		return Profile{}, err
	}
	// A level the ladder no longer has shows as the level the growth
	// reaches, as the level routes show it.
	level := ladder.ForGrowth(m.Growth).Ref()
	if lv, ok := ladder.ByCode(m.LevelCode); ok {
		level = lv.Ref()
	}
	p := Profile{
		MemberID: m.ID, Mobile: pii.MaskMobile(mobile), Nickname: m.Nickname, Gender: m.Gender,
		Level: level, Points: m.Points, Growth: m.Growth, CreatedAt: m.CreatedAt,
		AvatarURL: optional(m.AvatarURL), Birthday: optional(m.Birthday),
	}
	if withStatus {
		p.Status = m.Status
	}
	return p, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Service) newFamily(subject string, role catalog.Role, now time.Time) Family {
	return Family{ID: s.IDs.New(), Subject: subject, Role: role, Generation: 1, CreatedAt: now, ExpiresAt: now.Add(s.RefreshTTL)}
}

func (s *Service) session(fam Family, memberID string) (Session, error) {
	access, ttl, err := s.Tokens.Issue(auth.Principal{Subject: fam.Subject, Role: fam.Role})
	if err != nil {
		return Session{}, apperr.Internal(err)
	}
	return Session{
		MemberID: memberID, AccessToken: access, RefreshToken: s.RefreshCodec.Encode(fam.ID, fam.Generation),
		ExpiresIn: int64(ttl / time.Second), TokenType: "Bearer", Role: string(fam.Role),
	}, nil
}
