package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
)

// MaxBodyBytes is the largest request body accepted (API.md: 64 KiB).
const MaxBodyBytes = 64 << 10

// Request is what a handler sees of an HTTP request.
type Request struct {
	Route       catalog.Route
	PathParams  map[string]string
	Query       map[string]string
	Headers     map[string]string // lower-case names
	Body        []byte
	Principal   auth.Principal // the caller; zero on public routes
	RequestID   string
	SourceIP    string
	UserAgent   string
	hasJSONType bool
}

// Param returns a path parameter.
func (r *Request) Param(name string) string { return r.PathParams[name] }

// Decode reads the JSON body into dst strictly: unknown fields, trailing
// data, wrong types and a missing body are validation failures.
func (r *Request) Decode(dst any) error {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return apperr.Invalid("a JSON body is required")
	}
	if !r.hasJSONType {
		return apperr.New(apperr.KindUnsupportedMedia, apperr.CodeValidationFailed, "the body must be application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.Invalid("the body must hold exactly one JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var domain *apperr.Error
	switch {
	case errors.As(err, &domain):
		return domain // a field's own decoder explained what is wrong
	case errors.As(err, &syntax):
		return apperr.Invalid(fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return apperr.Invalid("a field has the wrong type", apperr.FieldError{Field: field, Message: "must be " + jsonKind(typ.Type.Kind().String())})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Invalid("malformed JSON: unexpected end of body")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid("the body has an unknown field", apperr.FieldError{Field: name, Message: "unknown field"})
	default:
		return apperr.Invalid("malformed JSON")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// Page is the paging of a list request.
type Page struct {
	Limit  int
	Cursor string
}

// Default and maximum page sizes (API.md).
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Page reads ?limit= and ?cursor=.
func (r *Request) Page() (Page, error) {
	p := Page{Limit: DefaultLimit, Cursor: r.Query["cursor"]}
	if raw, ok := r.Query["limit"]; ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > MaxLimit {
			return Page{}, apperr.Invalid("bad paging", apperr.FieldError{Field: "limit", Message: fmt.Sprintf("must be an integer from 1 to %d", MaxLimit)})
		}
		p.Limit = n
	}
	if len(p.Cursor) > 1024 {
		return Page{}, apperr.Invalid("bad paging", apperr.FieldError{Field: "cursor", Message: "is not a cursor of this list"})
	}
	return p, nil
}

func isJSONContentType(v string) bool {
	if v == "" {
		return true // API Gateway clients often omit it; the body must still parse
	}
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
