// Package auth holds the credential and session rules of ARK Member Center:
// password hashing and policy, signed access tokens, opaque refresh tokens
// and the login lockout policy. It does no I/O; callers store what it returns.
package auth

import (
	"errors"

	"github.com/arkmember/arkmember/internal/apperr"
)

// Errors callers return to clients. ErrTokenExpired and ErrTokenInvalid share
// kind and code (clients see UNAUTHORIZED either way) but are distinct
// sentinels: errors.Is or TokenExpired tells them apart.
var (
	ErrTokenExpired   = apperr.New(apperr.KindUnauthorized, apperr.CodeUnauthorized, "the access token has expired")
	ErrTokenInvalid   = apperr.New(apperr.KindUnauthorized, apperr.CodeUnauthorized, "the access token is invalid")
	ErrRefreshInvalid = apperr.New(apperr.KindUnauthorized, apperr.CodeUnauthorized, "the refresh token is invalid")
)

// TokenExpired reports whether err (or an error it wraps) is ErrTokenExpired
// rather than another unauthorized error.
func TokenExpired(err error) bool { return errors.Is(err, ErrTokenExpired) }
