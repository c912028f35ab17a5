// Package audit records who changed what: every write by staff appends an
// entry in the same transaction as the change, so the log cannot miss one.
package audit

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
)

// Entry is one audited change.
type Entry struct {
	ID        string          `json:"entryId"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	Role      string          `json:"role"`
	Action    string          `json:"action"`
	Target    string          `json:"target"`
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	RequestID string          `json:"requestId"`
}

// Actor is who made a change, and under which request.
type Actor struct {
	Subject   string
	Role      string
	RequestID string
}

// NewEntry builds an entry; before and after are encoded as JSON (nil omits).
func NewEntry(id string, at time.Time, actor Actor, action, target string, before, after any) Entry {
	return Entry{
		ID: id, At: at.UTC(), Actor: actor.Subject, Role: actor.Role, Action: action, Target: target,
		Before: encode(before), After: encode(after), RequestID: actor.RequestID,
	}
}

func encode(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("audit: encode %T: %v", v, err))
	}
	return raw
}

// Filter selects entries; zero fields match everything.
type Filter struct {
	Actor  string
	Action string
	From   time.Time
	To     time.Time
}

// ParseFilter reads a filter from query values (from and to are RFC 3339).
func ParseFilter(actor, action, from, to string) (Filter, error) {
	f := Filter{Actor: actor, Action: action}
	var fields []apperr.FieldError
	if len(actor) > 128 {
		fields = append(fields, apperr.FieldError{Field: "actor", Message: "must be at most 128 characters"})
	}
	if len(action) > 64 {
		fields = append(fields, apperr.FieldError{Field: "action", Message: "must be at most 64 characters"})
	}
	parse := func(name, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fields = append(fields, apperr.FieldError{Field: name, Message: "must be an RFC 3339 time"})
		}
		return t.UTC()
	}
	f.From, f.To = parse("from", from), parse("to", to)
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		fields = append(fields, apperr.FieldError{Field: "to", Message: "must not be before from"})
	}
	if len(fields) > 0 {
		return Filter{}, apperr.Invalid("bad audit filter", fields...)
	}
	return f, nil
}
