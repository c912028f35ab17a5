package accounts

import (
	"context"
	"net/http"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ids"
)

// Handlers returns the HTTP handlers of the accounts function by route key.
func Handlers(s *Service) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{
		"POST /v1/auth/register": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in RegisterInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.Register(ctx, in)
			return httpapi.Result(http.StatusCreated, out, err)
		},
		"POST /v1/auth/login": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in struct {
				Mobile   string `json:"mobile"`
				Password string `json:"password"`
			}
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.Login(ctx, in.Mobile, in.Password)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"POST /v1/auth/staff-login": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in struct {
				Username string `json:"username"`
				Password string `json:"password"`
			}
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.StaffLogin(ctx, in.Username, in.Password)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"POST /v1/auth/token": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in struct {
				ClientID     string `json:"clientId"`
				ClientSecret string `json:"clientSecret"`
			}
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.ServiceToken(ctx, in.ClientID, in.ClientSecret)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"POST /v1/auth/refresh": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in struct {
				RefreshToken string `json:"refreshToken"`
			}
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.Refresh(ctx, in.RefreshToken)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"POST /v1/auth/logout": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in struct {
				RefreshToken string `json:"refreshToken"`
			}
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			if err := s.Logout(ctx, r.Principal, in.RefreshToken); err != nil {
				return nil, err
			}
			return httpapi.NoContent(), nil
		},
		"GET /v1/members/me": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			out, err := s.Profile(ctx, r.Principal.Subject)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"PATCH /v1/members/me": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			var in ProfilePatch
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.UpdateProfile(ctx, r.Principal.Subject, in)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"GET /v1/admin/members/{memberId}": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			id, err := memberIDParam(r)
			if err != nil {
				return nil, err
			}
			out, err := s.AdminMember(ctx, id)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"GET /v1/admin/members": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			out, err := s.FindByMobile(ctx, r.Query["mobile"])
			return httpapi.Result(http.StatusOK, httpapi.List[Profile]{Items: out}, err)
		},
		"POST /v1/admin/members/{memberId}/status": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			id, err := memberIDParam(r)
			if err != nil {
				return nil, err
			}
			var in StatusInput
			if err := r.Decode(&in); err != nil {
				return nil, err
			}
			out, err := s.SetStatus(ctx, actorOf(r), id, in)
			return httpapi.Result(http.StatusOK, out, err)
		},
	}
}

// memberIDParam reads {memberId}; a malformed id cannot exist, so it is 404.
func memberIDParam(r *httpapi.Request) (string, error) {
	id := r.Param("memberId")
	if !ids.Valid(id) {
		return "", ErrMemberNotFound
	}
	return id, nil
}

func actorOf(r *httpapi.Request) audit.Actor {
	return audit.Actor{Subject: r.Principal.Subject, Role: string(r.Principal.Role), RequestID: r.RequestID}
}
