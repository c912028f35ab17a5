// Package apperr defines the errors the domain returns: each has a kind, which
// decides the HTTP status, and a stable UPPER_SNAKE code that clients match
// on. Causes are kept for logs and never shown to callers.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error; one place (httpapi) maps kinds to HTTP statuses.
type Kind int

// Kinds of error.
const (
	KindInternal         Kind = iota // a bug or an unexpected fault: 500
	KindInvalid                      // the request is malformed or breaks a rule: 400
	KindTooLarge                     // the body is over the limit: 413
	KindUnsupportedMedia             // the body is not JSON: 415
	KindUnauthorized                 // no or bad credentials: 401
	KindForbidden                    // authenticated but not allowed: 403
	KindNotFound                     // no such thing (or not yours): 404
	KindConflict                     // the state does not allow it: 409
	KindRateLimited                  // slow down: 429
	KindUnavailable                  // a dependency failed; retry later: 503
)

// Stable error codes of the API (API.md, "Error codes").
const (
	CodeValidationFailed    = "VALIDATION_FAILED"
	CodeUnauthorized        = "UNAUTHORIZED"
	CodeForbidden           = "FORBIDDEN"
	CodeNotFound            = "NOT_FOUND"
	CodeRateLimited         = "RATE_LIMITED"
	CodeIdempotencyConflict = "IDEMPOTENCY_CONFLICT"
	CodeMobileTaken         = "MOBILE_TAKEN"
	CodeInvalidCredentials  = "INVALID_CREDENTIALS"
	CodeAccountLocked       = "ACCOUNT_LOCKED"
	CodeMemberFrozen        = "MEMBER_FROZEN"
	CodeConflict            = "CONFLICT"
	CodeUnavailable         = "UNAVAILABLE"
	CodeInternal            = "INTERNAL"
)

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a domain error.
type Error struct {
	Kind    Kind
	Code    string
	Message string // safe to show to the caller
	Fields  []FieldError
	// RetryAfter, when set, becomes the Retry-After header.
	RetryAfter time.Duration
	// Err is the cause, for logs only.
	Err error
	// origin is the error this one was copied from (WithCause and friends),
	// so a copy still matches its sentinel with errors.Is.
	origin *Error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes a copy made with WithCause, WithMessage or WithRetryAfter match
// the error it was copied from. Two distinct sentinels never match, even
// with the same kind and code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && (e == t || e.origin == t || (t.origin != nil && e.origin == t.origin))
}

func (e *Error) copy() *Error {
	c := *e
	if e.origin == nil {
		c.origin = e
	}
	return &c
}

// WithMessage returns a copy of e with another client-facing message.
func (e *Error) WithMessage(format string, args ...any) *Error {
	c := e.copy()
	c.Message = fmt.Sprintf(format, args...)
	return c
}

// WithCause returns a copy of e that wraps cause.
func (e *Error) WithCause(cause error) *Error {
	c := e.copy()
	c.Err = cause
	return c
}

// WithRetryAfter returns a copy of e that asks the caller to wait d.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := e.copy()
	c.RetryAfter = d
	return c
}

// New returns an error of the given kind and code.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalid is a validation failure with per-field messages.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Code: CodeValidationFailed, Message: message, Fields: fields}
}

// NotFound says the named thing does not exist (or is not the caller's).
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: CodeNotFound, Message: what + " not found"}
}

// Conflict is a generic state conflict.
func Conflict(message string) *Error {
	return &Error{Kind: KindConflict, Code: CodeConflict, Message: message}
}

// Unavailable wraps a dependency fault the caller may retry.
func Unavailable(cause error) *Error {
	return &Error{Kind: KindUnavailable, Code: CodeUnavailable, Message: "the service is temporarily unavailable; retry later", RetryAfter: time.Second, Err: cause}
}

// Internal wraps an unexpected fault.
func Internal(cause error) *Error {
	return &Error{Kind: KindInternal, Code: CodeInternal, Message: "internal error", Err: cause}
}

// As returns err as an *Error; anything else becomes an internal error.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// KindOf returns the kind of err (KindInternal for foreign errors).
func KindOf(err error) Kind { return As(err).Kind }
