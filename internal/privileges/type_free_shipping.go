package privileges

import (
	"encoding/json"

	"github.com/arkmember/arkmember/internal/apperr"
)

// FREE_SHIPPING: shipping is free on orders of at least minOrderCents.
var _ = Register(freeShipping{})

type freeShipping struct{}

func (freeShipping) Type() Type { return "FREE_SHIPPING" }

func (freeShipping) Check(raw json.RawMessage) (json.RawMessage, []apperr.FieldError) {
	var p struct {
		MinOrderCents int64 `json:"minOrderCents"`
	}
	if errs := decodeParams(raw, &p); errs != nil {
		return nil, errs
	}
	var errs []apperr.FieldError
	if p.MinOrderCents < 0 {
		errs = append(errs, apperr.FieldError{Field: "params.minOrderCents", Message: "must not be negative"})
	}
	out, _ := json.Marshal(p)
	return out, errs
}
