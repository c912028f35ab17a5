package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/arkmember/arkmember/internal/apperr"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Code      string              `json:"code"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"requestId,omitempty"`
}

// ProblemContentType is the media type of error bodies.
const ProblemContentType = "application/problem+json"

// problemTypeBase prefixes the problem type URI; the suffix is the code.
const problemTypeBase = "https://arkmember.dev/problems/"

// StatusOf maps an error kind to its HTTP status. It is the only such map.
func StatusOf(kind apperr.Kind) int {
	switch kind {
	case apperr.KindInvalid:
		return http.StatusBadRequest
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.KindUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case apperr.KindUnauthorized:
		return http.StatusUnauthorized
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindRateLimited:
		return http.StatusTooManyRequests
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// ProblemOf turns any error into the response a caller sees. Internal errors
// get a generic detail; their cause stays in the log.
func ProblemOf(err error, requestID string) *Response {
	e := apperr.As(err)
	status := StatusOf(e.Kind)
	detail := e.Message
	code := e.Code
	if status >= 500 && e.Kind != apperr.KindUnavailable {
		detail, code = "internal error; quote the request id when reporting it", apperr.CodeInternal
	}
	p := Problem{
		Type:      problemTypeBase + strings.ToLower(strings.ReplaceAll(code, "_", "-")),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Code:      code,
		Errors:    e.Fields,
		RequestID: requestID,
	}
	r := &Response{Status: status, Body: p, Header: map[string]string{"Content-Type": ProblemContentType}}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + 999_999_999) / 1_000_000_000)
		r.Header["Retry-After"] = strconv.Itoa(secs)
	} else if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		r.Header["Retry-After"] = "1"
	}
	return r
}
