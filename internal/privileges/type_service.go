package privileges

import (
	"encoding/json"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/validate"
)

// SERVICE: a service the member may call on (priority support, a lounge...).
var _ = Register(service{})

type service struct{}

func (service) Type() Type { return "SERVICE" }

func (service) Check(raw json.RawMessage) (json.RawMessage, []apperr.FieldError) {
	var p struct {
		Service     string `json:"service"`
		Description string `json:"description,omitempty"`
	}
	if errs := decodeParams(raw, &p); errs != nil {
		return nil, errs
	}
	var errs []apperr.FieldError
	if !validate.Length(p.Service, 1, 64) {
		errs = append(errs, apperr.FieldError{Field: "params.service", Message: "must be 1 to 64 characters"})
	}
	if !validate.Length(p.Description, 0, 500) {
		errs = append(errs, apperr.FieldError{Field: "params.description", Message: "must be at most 500 characters"})
	}
	out, _ := json.Marshal(p)
	return out, errs
}
