package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"regexp"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
)

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

func validUsername(s string) bool { return usernameRE.MatchString(s) }

// EnsureStaff makes sure a staff account exists. With a password it is
// created or its password reset to it; without one an absent account is
// created with a generated password, which is returned (and an existing one
// is left alone, returning "").
func (s *Service) EnsureStaff(ctx context.Context, username string, role catalog.Role, password string) (generated string, err error) {
	if !validUsername(username) || !role.IsStaff() {
		return "", apperr.Invalid("bad staff account")
	}
	existing, err := s.Repo.Staff(ctx, username)
	found := err == nil
	if err != nil && !errors.Is(err, ErrStaffNotFound) {
		return "", err
	}
	if password == "" {
		if found {
			return "", nil
		}
		password = newSecret()
		generated = password
	} else if found {
		if ok, _ := s.Hasher.Verify(ctx, password, existing.PasswordHash); ok && existing.Role == role && existing.Status == StatusActive {
			return "", nil
		}
	}
	hash, err := s.Hasher.Hash(ctx, password)
	if err != nil {
		return "", err
	}
	st := Staff{Username: username, PasswordHash: hash, Role: role, Status: StatusActive, CreatedAt: s.Clock.Now()}
	if found {
		st.CreatedAt = existing.CreatedAt
	}
	if err := s.Repo.PutStaff(ctx, st, !found); err != nil {
		return "", err
	}
	return generated, nil
}

// EnsureServiceClient makes sure a service client exists, like EnsureStaff.
func (s *Service) EnsureServiceClient(ctx context.Context, clientID, secret string) (generated string, err error) {
	existing, err := s.Repo.Client(ctx, clientID)
	found := err == nil
	if err != nil && !errors.Is(err, ErrClientNotFound) {
		return "", err
	}
	if secret == "" {
		if found {
			return "", nil
		}
		secret = newSecret()
		generated = secret
	} else if found {
		if ok, _ := s.Hasher.Verify(ctx, secret, existing.SecretHash); ok && existing.Status == StatusActive {
			return "", nil
		}
	}
	hash, err := s.Hasher.Hash(ctx, secret)
	if err != nil {
		return "", err
	}
	c := ServiceClient{ClientID: clientID, SecretHash: hash, Status: StatusActive, CreatedAt: s.Clock.Now()}
	if found {
		c.CreatedAt = existing.CreatedAt
	}
	if err := s.Repo.PutClient(ctx, c, !found); err != nil {
		return "", err
	}
	return generated, nil
}

// newSecret returns 26 random base32 characters (130 bits).
func newSecret() string { return rand.Text() }
