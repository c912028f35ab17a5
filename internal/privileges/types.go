package privileges

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/arkmember/arkmember/internal/apperr"
)

// Type is a kind of privilege. Each type validates its own parameters; a
// new type is one new file that calls Register.
type Type string

// TypeSpec validates and normalizes the params of one type.
type TypeSpec interface {
	Type() Type
	// Check returns the params in canonical form, or a message per bad field.
	Check(params json.RawMessage) (json.RawMessage, []apperr.FieldError)
}

var (
	registryMu sync.RWMutex
	registry   = map[Type]TypeSpec{}
)

// Register adds a privilege type; it returns true so a type file can
// register itself with `var _ = privileges.Register(...)`.
func Register(spec TypeSpec) bool {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[spec.Type()]; dup {
		panic(fmt.Sprintf("privileges: type %s registered twice", spec.Type()))
	}
	registry[spec.Type()] = spec
	return true
}

// Types lists the registered types.
func Types() []Type {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Type, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func specOf(t Type) (TypeSpec, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[t]
	return s, ok
}

// decodeParams reads params strictly into v, naming bad fields.
func decodeParams(params json.RawMessage, v any) []apperr.FieldError {
	if len(params) == 0 || string(params) == "null" {
		params = json.RawMessage("{}")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(params, &probe); err != nil {
		return []apperr.FieldError{{Field: "params", Message: "must be a JSON object"}}
	}
	if err := strictUnmarshal(params, v); err != nil {
		return []apperr.FieldError{{Field: "params", Message: err.Error()}}
	}
	return nil
}
