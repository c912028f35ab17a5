package orders

import (
	"context"

	"github.com/arkmember/arkmember/internal/httpapi"
)

// Handlers returns the HTTP handlers of the orders function by route key.
func Handlers(s *Service) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{
		"POST /v1/orders/events": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in EventInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			res, err := s.Apply(ctx, in)
			if err != nil {
				return nil, err
			}
			if res.Replayed {
				return httpapi.Replay(res.Status, res.Body), nil
			}
			return httpapi.Raw(res.Status, res.Body), nil
		},
	}
}
