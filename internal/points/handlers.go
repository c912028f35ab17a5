package points

import (
	"context"
	"net/http"
	"time"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ids"
)

// Balance is the body of GET /v1/members/me/points.
type Balance struct {
	Available int64      `json:"available"`
	Expiring  []Expiring `json:"expiring"`
}

// Expiring is points that expire together.
type Expiring struct {
	Amount    int64     `json:"amount"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Balance returns what a member can spend and when it expires, soonest
// first.
func (s *Service) Balance(ctx context.Context, memberID string) (Balance, error) {
	acct, err := s.store.Account(ctx, memberID)
	if err != nil {
		return Balance{}, err
	}
	now := s.clock.Now()
	b := Balance{Available: acct.Available(now), Expiring: []Expiring{}}
	for _, l := range acct.Lots {
		if l.Remaining > 0 && !l.Expired(now) {
			b.Expiring = append(b.Expiring, Expiring{Amount: l.Remaining, ExpiresAt: l.ExpiresAt})
		}
	}
	return b, nil
}

// Ledger lists a member's entries, newest first.
func (s *Service) Ledger(ctx context.Context, memberID string, page httpapi.Page) (httpapi.List[Entry], error) {
	if !ids.Valid(memberID) {
		return httpapi.List[Entry]{}, ErrMemberNotFound
	}
	if _, err := s.store.Account(ctx, memberID); err != nil {
		return httpapi.List[Entry]{}, err
	}
	items, next, err := s.store.Ledger(ctx, memberID, page.Limit, page.Cursor)
	return httpapi.List[Entry]{Items: items, NextCursor: next}, err
}

// Handlers returns the HTTP handlers of the points function by route key.
func Handlers(s *Service) map[string]httpapi.HandlerFunc {
	write := func(op func(ctx context.Context, r *httpapi.Request) (Result, error)) httpapi.HandlerFunc {
		return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			res, err := op(ctx, r)
			if err != nil {
				return nil, err
			}
			if res.Replayed {
				return httpapi.Replay(res.Status, res.Body), nil
			}
			return httpapi.Raw(res.Status, res.Body), nil
		}
	}
	return map[string]httpapi.HandlerFunc{
		"POST /v1/points/earn": write(func(ctx context.Context, r *httpapi.Request) (Result, error) {
			var in EarnInput
			if err := r.Decode(&in); err != nil {
				return Result{}, err
			}
			return s.Earn(ctx, in)
		}),
		"POST /v1/points/spend": write(func(ctx context.Context, r *httpapi.Request) (Result, error) {
			var in SpendInput
			if err := r.Decode(&in); err != nil {
				return Result{}, err
			}
			return s.Spend(ctx, r.Principal, in)
		}),
		"POST /v1/points/reverse": write(func(ctx context.Context, r *httpapi.Request) (Result, error) {
			var in ReverseInput
			if err := r.Decode(&in); err != nil {
				return Result{}, err
			}
			return s.Reverse(ctx, in)
		}),
		"POST /v1/admin/points/adjust": write(func(ctx context.Context, r *httpapi.Request) (Result, error) {
			var in AdjustInput
			if err := r.Decode(&in); err != nil {
				return Result{}, err
			}
			return s.Adjust(ctx, audit.Actor{Subject: r.Principal.Subject, Role: string(r.Principal.Role), RequestID: r.RequestID}, in)
		}),
		"GET /v1/members/me/points": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			out, err := s.Balance(ctx, r.Principal.Subject)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"GET /v1/members/me/points/ledger": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			page, err := r.Page()
			if err != nil {
				return nil, err
			}
			out, err := s.Ledger(ctx, r.Principal.Subject, page)
			return httpapi.Result(http.StatusOK, out, err)
		},
		"GET /v1/admin/members/{memberId}/points/ledger": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			page, err := r.Page()
			if err != nil {
				return nil, err
			}
			out, err := s.Ledger(ctx, r.Param("memberId"), page)
			return httpapi.Result(http.StatusOK, out, err)
		},
	}
}
