// Package accounts is who can call the member center: members (mobile and
// password), staff (username and password, with a role) and services (client
// credentials). It registers and signs them in, issues access tokens and
// rotating refresh tokens, locks accounts after repeated failures, and keeps
// member profiles, whose mobile numbers are stored encrypted and shown masked.
package accounts

import (
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/levels"
	"github.com/arkmember/arkmember/internal/validate"
)

// Status is the state of an account.
type Status string

// Account states.
const (
	StatusActive Status = "ACTIVE"
	StatusFrozen Status = "FROZEN"
)

// Gender of a member, as they chose to tell.
type Gender string

// Genders.
const (
	GenderUnknown Gender = "UNKNOWN"
	GenderMale    Gender = "MALE"
	GenderFemale  Gender = "FEMALE"
)

// Member is a member account as stored.
type Member struct {
	ID           string
	MobileCipher string // AES-GCM ciphertext bound to ID
	MobileIndex  string // blind index of the mobile, for lookup and uniqueness
	PasswordHash string
	Nickname     string
	AvatarURL    string
	Gender       Gender
	Birthday     string // YYYY-MM-DD, or ""
	LevelCode    string
	Points       int64
	Growth       int64
	Status       Status
	StatusReason string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Guard        auth.Guard
}

// Staff is an operator, admin or auditor account.
type Staff struct {
	Username     string
	PasswordHash string
	Role         catalog.Role
	Status       Status
	CreatedAt    time.Time
	Guard        auth.Guard
}

// ServiceClient is a server-to-server caller with client credentials.
type ServiceClient struct {
	ClientID   string
	SecretHash string
	Status     Status
	CreatedAt  time.Time
}

// Family is a chain of refresh tokens from one sign-in. Only the token of
// the current generation works; presenting an older one means it was stolen
// or replayed, and the whole family is revoked.
type Family struct {
	ID         string
	Subject    string
	Role       catalog.Role
	Generation int64
	Revoked    bool
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Profile is a member as the API shows it.
type Profile struct {
	MemberID  string     `json:"memberId"`
	Mobile    string     `json:"mobile"` // always masked
	Nickname  string     `json:"nickname"`
	AvatarURL *string    `json:"avatarUrl"`
	Gender    Gender     `json:"gender"`
	Birthday  *string    `json:"birthday"`
	Level     levels.Ref `json:"level"`
	Points    int64      `json:"points"`
	Growth    int64      `json:"growth"`
	CreatedAt time.Time  `json:"createdAt"`
	// Status is shown to staff only.
	Status Status `json:"status,omitempty"`
}

// Session is the answer to a successful sign-in or refresh.
type Session struct {
	MemberID     string `json:"memberId,omitempty"`
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken,omitempty"`
	ExpiresIn    int64  `json:"expiresIn"`
	TokenType    string `json:"tokenType"`
	Role         string `json:"role"`
}

// Domain errors.
var (
	ErrMobileTaken        = apperr.New(apperr.KindConflict, apperr.CodeMobileTaken, "this mobile number is already registered")
	ErrInvalidCredentials = apperr.New(apperr.KindUnauthorized, apperr.CodeInvalidCredentials, "the credentials are not valid")
	ErrAccountLocked      = apperr.New(apperr.KindRateLimited, apperr.CodeAccountLocked, "too many failed sign-ins; the account is locked for a while")
	ErrMemberFrozen       = apperr.New(apperr.KindForbidden, apperr.CodeMemberFrozen, "this member account is frozen")
	ErrMemberNotFound     = apperr.NotFound("member")
	ErrStaffNotFound      = apperr.NotFound("staff account")
	ErrClientNotFound     = apperr.NotFound("service client")
	ErrFamilyNotFound     = apperr.NotFound("refresh token")
	ErrExists             = apperr.Conflict("the account already exists")
	// ErrStale means the record changed since it was read; callers re-read.
	ErrStale = apperr.Conflict("the account changed while the request ran; retry")
	// ErrBusy is returned when contention on one account outlasts the retries.
	ErrBusy = apperr.New(apperr.KindRateLimited, apperr.CodeRateLimited, "too many concurrent requests for this account")
)

// Event types this package emits.
const (
	EventMemberRegistered    = "MEMBER_REGISTERED"
	EventMemberStatusChanged = "MEMBER_STATUS_CHANGED"
)

// RegisterInput is the body of POST /v1/auth/register.
type RegisterInput struct {
	Mobile   string  `json:"mobile"`
	Password string  `json:"password"`
	Nickname *string `json:"nickname"`
}

func (in RegisterInput) validate() error {
	var v validate.Errors
	v.Check(validate.Mobile(in.Mobile), "mobile", "must be an 11-digit mainland China mobile number")
	v.Check(auth.ValidPassword(in.Password), "password", "must be 8 to 128 characters")
	if in.Nickname != nil {
		v.Check(validNickname(*in.Nickname), "nickname", "must be 1 to 32 printable characters")
	}
	return v.Err()
}

// ProfilePatch is the body of PATCH /v1/members/me; absent fields stay.
// An empty avatarUrl or birthday clears it.
type ProfilePatch struct {
	Nickname  *string `json:"nickname"`
	AvatarURL *string `json:"avatarUrl"`
	Gender    *Gender `json:"gender"`
	Birthday  *string `json:"birthday"`
}

func (p ProfilePatch) validate(now time.Time) error {
	var v validate.Errors
	if p.Nickname != nil {
		v.Check(validNickname(*p.Nickname), "nickname", "must be 1 to 32 printable characters")
	}
	if p.AvatarURL != nil && *p.AvatarURL != "" {
		v.Check(validAvatarURL(*p.AvatarURL), "avatarUrl", "must be an http(s) URL of at most 512 characters")
	}
	if p.Gender != nil {
		g := *p.Gender
		v.Check(g == GenderUnknown || g == GenderMale || g == GenderFemale, "gender", "must be UNKNOWN, MALE or FEMALE")
	}
	if p.Birthday != nil && *p.Birthday != "" {
		d, err := time.Parse(time.DateOnly, *p.Birthday)
		v.Check(err == nil && d.Year() >= 1900 && !d.After(now), "birthday", "must be a past date YYYY-MM-DD from 1900")
	}
	return v.Err()
}

func (p ProfilePatch) empty() bool {
	return p.Nickname == nil && p.AvatarURL == nil && p.Gender == nil && p.Birthday == nil
}

func validNickname(s string) bool {
	if !validate.Length(s, 1, 32) || strings.TrimSpace(s) == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validAvatarURL(s string) bool {
	if utf8.RuneCountInString(s) > 512 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Hostname() != "" && u.User == nil
}

// StatusInput is the body of POST /v1/admin/members/{memberId}/status.
type StatusInput struct {
	Status Status `json:"status"`
	Reason string `json:"reason"`
}

func (in StatusInput) validate() error {
	var v validate.Errors
	v.Check(in.Status == StatusActive || in.Status == StatusFrozen, "status", "must be ACTIVE or FROZEN")
	v.Check(validate.Length(in.Reason, 1, 200) && strings.TrimSpace(in.Reason) != "", "reason", "must be 1 to 200 characters, not all blank")
	return v.Err()
}
