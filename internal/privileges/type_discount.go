package privileges

import (
	"encoding/json"

	"github.com/arkmember/arkmember/internal/apperr"
)

// DISCOUNT: a percentage off an order, optionally capped.
var _ = Register(discount{})

type discount struct{}

func (discount) Type() Type { return "DISCOUNT" }

func (discount) Check(raw json.RawMessage) (json.RawMessage, []apperr.FieldError) {
	var p struct {
		Percent       int   `json:"percent"`
		MaxOffInCents int64 `json:"maxOffCents,omitempty"`
	}
	if errs := decodeParams(raw, &p); errs != nil {
		return nil, errs
	}
	var errs []apperr.FieldError
	if p.Percent < 1 || p.Percent > 99 {
		errs = append(errs, apperr.FieldError{Field: "params.percent", Message: "must be a whole percent from 1 to 99"})
	}
	if p.MaxOffInCents < 0 {
		errs = append(errs, apperr.FieldError{Field: "params.maxOffCents", Message: "must not be negative"})
	}
	out, _ := json.Marshal(p)
	return out, errs
}
