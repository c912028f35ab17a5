package privileges

import (
	"encoding/json"

	"github.com/arkmember/arkmember/internal/apperr"
)

// COUPON: a fixed amount off an order of at least minOrderCents.
var _ = Register(coupon{})

type coupon struct{}

func (coupon) Type() Type { return "COUPON" }

func (coupon) Check(raw json.RawMessage) (json.RawMessage, []apperr.FieldError) {
	var p struct {
		AmountCents   int64 `json:"amountCents"`
		MinOrderCents int64 `json:"minOrderCents"`
	}
	if errs := decodeParams(raw, &p); errs != nil {
		return nil, errs
	}
	var errs []apperr.FieldError
	if p.AmountCents < 1 {
		errs = append(errs, apperr.FieldError{Field: "params.amountCents", Message: "must be at least 1"})
	}
	if p.MinOrderCents < 0 {
		errs = append(errs, apperr.FieldError{Field: "params.minOrderCents", Message: "must not be negative"})
	}
	out, _ := json.Marshal(p)
	return out, errs
}
