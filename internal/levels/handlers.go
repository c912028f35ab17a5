package levels

import (
	"context"
	"net/http"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/httpapi"
)

// Handlers returns the HTTP handlers of the levels function by route key.
func Handlers(s *Service) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{
		"GET /v1/levels": func(ctx context.Context, _ *httpapi.Request) (*httpapi.Response, error) {
			l, err := s.Ladder(ctx)
			return httpapi.Result(http.StatusOK, l, err)
		},
		"PUT /v1/admin/levels": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			// The body is what GET /v1/levels returns; a version, when given,
			// must be the current one (so two admins cannot overwrite each other).
			var in struct {
				Items   []Level `json:"items"`
				Version *int64  `json:"version"`
			}
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			l, err := s.SetLadder(ctx, actorOf(r), Ladder{Levels: in.Items}, in.Version)
			return httpapi.Result(http.StatusOK, l, err)
		},
		"GET /v1/members/me/level": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			out, err := s.Level(ctx, r.Principal.Subject)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"GET /v1/members/me/level/history": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			page, err := r.Page()
			if err != nil {
				return nil, err
			}
			items, next, err := s.History(ctx, r.Principal.Subject, page.Limit, page.Cursor)
			return httpapi.Result(http.StatusOK, httpapi.List[History]{Items: items, NextCursor: next}, err)
		},
		"POST /v1/admin/members/{memberId}/level": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in SetInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.SetLevel(ctx, actorOf(r), r.Param("memberId"), in)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"POST /v1/growth/earn": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in EarnInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			res, err := s.Earn(ctx, in)
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

func actorOf(r *httpapi.Request) audit.Actor {
	return audit.Actor{Subject: r.Principal.Subject, Role: string(r.Principal.Role), RequestID: r.RequestID}
}
