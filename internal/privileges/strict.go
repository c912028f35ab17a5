package privileges

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typ):
		return errors.New(typ.Field + " has the wrong type")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errors.New(strings.TrimPrefix(err.Error(), "json: ") + " for this type")
	}
	return errors.New("must be a JSON object")
}
