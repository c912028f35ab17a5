package privileges

import (
	"context"
	"net/http"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ids"
)

// Handlers returns the HTTP handlers of the privileges function by route key.
func Handlers(s *Service) map[string]httpapi.HandlerFunc {
	actor := func(r *httpapi.Request) audit.Actor {
		return audit.Actor{Subject: r.Principal.Subject, Role: string(r.Principal.Role), RequestID: r.RequestID}
	}
	stored := func(res Result, err error) (*httpapi.Response, error) {
		if err != nil {
			return nil, err
		}
		if res.Replayed {
			return httpapi.Replay(res.Status, res.Body), nil
		}
		return httpapi.Raw(res.Status, res.Body), nil
	}
	grants := func(ctx context.Context, memberID string) (*httpapi.Response, error) {
		if !ids.Valid(memberID) {
			return nil, ErrMemberNotFound
		}
		items, err := s.MemberGrants(ctx, memberID)
		return httpapi.Result(http.StatusOK, httpapi.List[GrantView]{Items: items}, err)
	}
	usage := func(ctx context.Context, r *httpapi.Request, memberID string) (*httpapi.Response, error) {
		page, err := r.Page()
		if err != nil {
			return nil, err
		}
		if !ids.Valid(memberID) {
			return nil, ErrMemberNotFound
		}
		items, next, err := s.Usage(ctx, memberID, page.Limit, page.Cursor)
		return httpapi.Result(http.StatusOK, httpapi.List[Consumption]{Items: items, NextCursor: next}, err)
	}
	return map[string]httpapi.HandlerFunc{
		"PUT /v1/admin/privileges/{code}": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in PrivilegeInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			p, err := s.SetPrivilege(ctx, actor(r), r.Param("code"), in)
			return httpapi.Result(http.StatusOK, p, err)
		},
		"GET /v1/admin/privileges": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			page, err := r.Page()
			if err != nil {
				return nil, err
			}
			items, next, err := s.Privileges(ctx, page.Limit, page.Cursor)
			return httpapi.Result(http.StatusOK, httpapi.List[Privilege]{Items: items, NextCursor: next}, err)
		},
		"PUT /v1/admin/privilege-packages/{code}": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in PackageInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			p, err := s.SetPackage(ctx, actor(r), r.Param("code"), in)
			return httpapi.Result(http.StatusOK, p, err)
		},
		"GET /v1/admin/privilege-packages": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			page, err := r.Page()
			if err != nil {
				return nil, err
			}
			items, next, err := s.Packages(ctx, page.Limit, page.Cursor)
			return httpapi.Result(http.StatusOK, httpapi.List[Package]{Items: items, NextCursor: next}, err)
		},
		"POST /v1/admin/members/{memberId}/privileges": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in GrantInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			return stored(s.GrantManually(ctx, actor(r), r.Param("memberId"), in))
		},
		"GET /v1/admin/members/{memberId}/privileges": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			return grants(ctx, r.Param("memberId"))
		},
		"GET /v1/admin/members/{memberId}/privileges/usage": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			return usage(ctx, r, r.Param("memberId"))
		},
		"GET /v1/members/me/privileges": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			return grants(ctx, r.Principal.Subject)
		},
		"GET /v1/members/me/privileges/usage": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			return usage(ctx, r, r.Principal.Subject)
		},
		"POST /v1/privileges/consume": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in ConsumeInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			return stored(s.Consume(ctx, r.Principal, in))
		},
		"POST /v1/privileges/consumptions/{consumeId}/cancel": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in struct {
				BizNo string `json:"bizNo"`
			}
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			return stored(s.Cancel(ctx, r.Param("consumeId"), in.BizNo))
		},
	}
}
