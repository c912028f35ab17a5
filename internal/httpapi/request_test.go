package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/arkmember/arkmember/internal/apperr"
)

type decodeTarget struct {
	Name   string  `json:"name"`
	Age    int     `json:"age"`
	Nick   *string `json:"nick"`
	Tags   []string
	Inner  struct{ N int } `json:"inner"`
	Active bool            `json:"active"`
}

func TestRequestDecode(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		jsonType   bool
		wantKind   apperr.Kind // checked when wantErr
		wantErr    bool
		wantField  string // the field named in the error, if any
		wantMsg    string // substring of the field message or error message
		wantResult decodeTarget
	}{
		{name: "valid", body: `{"name":"a","age":3}`, jsonType: true, wantResult: decodeTarget{Name: "a", Age: 3}},
		{name: "surrounding whitespace", body: " \n{\"name\":\"a\"}\n ", jsonType: true, wantResult: decodeTarget{Name: "a"}},
		{name: "empty body", body: "", jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantMsg: "a JSON body is required"},
		{name: "blank body", body: "  \n\t", jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantMsg: "a JSON body is required"},
		{name: "not JSON content type", body: `{"name":"a"}`, jsonType: false, wantErr: true, wantKind: apperr.KindUnsupportedMedia, wantMsg: "application/json"},
		{name: "unknown field", body: `{"name":"a","admin":true}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantField: "admin", wantMsg: "unknown field"},
		{name: "string for an integer", body: `{"age":"3"}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantField: "age", wantMsg: "must be an integer"},
		{name: "number for a pointer to string", body: `{"nick":5}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantField: "nick", wantMsg: "must be a string"},
		{name: "string for a boolean", body: `{"active":"yes"}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantField: "active", wantMsg: "must be a boolean"},
		{name: "object for an array", body: `{"Tags":{}}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantField: "Tags", wantMsg: "must be an array"},
		{name: "nested wrong type", body: `{"inner":{"N":"x"}}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantField: "inner.N", wantMsg: "must be an integer"},
		{name: "array instead of object", body: `[1]`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantField: "body", wantMsg: "must be an object"},
		{name: "trailing value", body: `{"name":"a"} {"name":"b"}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantMsg: "exactly one JSON value"},
		{name: "trailing garbage", body: `{"name":"a"}x`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantMsg: "exactly one JSON value"},
		{name: "truncated", body: `{"name":`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantMsg: "unexpected end of body"},
		{name: "syntax error", body: `{"name" "a"}`, jsonType: true, wantErr: true, wantKind: apperr.KindInvalid, wantMsg: "malformed JSON at byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Body: []byte(tt.body), hasJSONType: tt.jsonType}
			var got decodeTarget
			err := r.Decode(&got)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Decode = %v", err)
				}
				if got.Name != tt.wantResult.Name || got.Age != tt.wantResult.Age {
					t.Fatalf("decoded %+v, want %+v", got, tt.wantResult)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode = %v, want an *apperr.Error", err)
			}
			if e.Kind != tt.wantKind {
				t.Fatalf("kind = %v, want %v (%v)", e.Kind, tt.wantKind, err)
			}
			if tt.wantField == "" {
				if !strings.Contains(e.Message, tt.wantMsg) {
					t.Fatalf("message = %q, want it to contain %q", e.Message, tt.wantMsg)
				}
				return
			}
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.wantField || !strings.Contains(e.Fields[0].Message, tt.wantMsg) {
				t.Fatalf("fields = %+v, want %s %q", e.Fields, tt.wantField, tt.wantMsg)
			}
		})
	}
}

func TestIsJSONContentType(t *testing.T) {
	tests := []struct {
		contentType string
		want        bool
	}{
		{"", true},
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{"application/merge-patch+json", true},
		{"text/plain", false},
		{"application/jsonx", false},
		{"application/x-www-form-urlencoded", false},
		{"application/json; charset", false}, // unparseable parameters
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			if got := isJSONContentType(tt.contentType); got != tt.want {
				t.Fatalf("isJSONContentType(%q) = %v, want %v", tt.contentType, got, tt.want)
			}
		})
	}
}

func TestRequestPage(t *testing.T) {
	longCursor := strings.Repeat("c", 1025)
	tests := []struct {
		name      string
		query     map[string]string
		want      Page
		wantField string // "" means no error
	}{
		{"defaults", map[string]string{}, Page{Limit: DefaultLimit}, ""},
		{"nil query", nil, Page{Limit: DefaultLimit}, ""},
		{"smallest limit", map[string]string{"limit": "1"}, Page{Limit: 1}, ""},
		{"largest limit", map[string]string{"limit": "100"}, Page{Limit: MaxLimit}, ""},
		{"limit and cursor", map[string]string{"limit": "5", "cursor": "abc"}, Page{Limit: 5, Cursor: "abc"}, ""},
		{"cursor at its length limit", map[string]string{"cursor": longCursor[:1024]}, Page{Limit: DefaultLimit, Cursor: longCursor[:1024]}, ""},
		{"zero limit", map[string]string{"limit": "0"}, Page{}, "limit"},
		{"negative limit", map[string]string{"limit": "-1"}, Page{}, "limit"},
		{"limit over the maximum", map[string]string{"limit": "101"}, Page{}, "limit"},
		{"limit not a number", map[string]string{"limit": "ten"}, Page{}, "limit"},
		{"empty limit", map[string]string{"limit": ""}, Page{}, "limit"},
		{"fractional limit", map[string]string{"limit": "2.5"}, Page{}, "limit"},
		{"cursor too long", map[string]string{"cursor": longCursor}, Page{}, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{Query: tt.query}
			got, err := r.Page()
			if tt.wantField == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Page() = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			e := apperr.As(err)
			if err == nil || e.Code != apperr.CodeValidationFailed || len(e.Fields) != 1 || e.Fields[0].Field != tt.wantField {
				t.Fatalf("Page() error = %v (fields %+v), want VALIDATION_FAILED on %s", err, e.Fields, tt.wantField)
			}
		})
	}
}
