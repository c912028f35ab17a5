// Package validate collects field errors of a request and turns them into one
// VALIDATION_FAILED error, and holds the format rules shared by every API.
package validate

import (
	"regexp"
	"unicode/utf8"

	"github.com/arkmember/arkmember/internal/apperr"
)

// Errors collects field errors.
type Errors struct {
	fields []apperr.FieldError
}

// Add records a field error.
func (v *Errors) Add(field, message string) {
	v.fields = append(v.fields, apperr.FieldError{Field: field, Message: message})
}

// Check records a field error unless ok.
func (v *Errors) Check(ok bool, field, message string) {
	if !ok {
		v.Add(field, message)
	}
}

// Err returns a VALIDATION_FAILED error naming every field, or nil.
func (v *Errors) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return apperr.Invalid("the request has invalid fields", v.fields...)
}

var (
	mobileRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	bizNoRE  = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	codeRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// Mobile reports whether s is an 11-digit mainland China mobile number.
func Mobile(s string) bool { return mobileRE.MatchString(s) }

// BizNo reports whether s is a valid business number (1..64 of [A-Za-z0-9_.:-]).
func BizNo(s string) bool { return bizNoRE.MatchString(s) }

// Code reports whether s is a valid configuration code (1..64 of [A-Za-z0-9_-]).
func Code(s string) bool { return codeRE.MatchString(s) }

// Length reports whether s has min..max characters (runes) and is valid UTF-8.
func Length(s string, min, max int) bool {
	if !utf8.ValidString(s) {
		return false
	}
	n := utf8.RuneCountInString(s)
	return n >= min && n <= max
}
