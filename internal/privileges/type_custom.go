package privileges

import (
	"bytes"
	"encoding/json"

	"github.com/arkmember/arkmember/internal/apperr"
)

// CUSTOM: any JSON object up to 4 KiB, interpreted by the caller.
var _ = Register(custom{})

type custom struct{}

func (custom) Type() Type { return "CUSTOM" }

func (custom) Check(raw json.RawMessage) (json.RawMessage, []apperr.FieldError) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, []apperr.FieldError{{Field: "params", Message: "must be a JSON object"}}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil || buf.Len() > 4096 {
		return nil, []apperr.FieldError{{Field: "params", Message: "must be a JSON object of at most 4 KiB"}}
	}
	return buf.Bytes(), nil
}
