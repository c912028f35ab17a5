// Package ops serves the operational endpoints: health and the audit log.
package ops

import (
	"context"
	"net/http"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/httpapi"
)

// AuditLog reads audit entries.
type AuditLog interface {
	ListAudit(ctx context.Context, f audit.Filter, limit int, cursor string) ([]audit.Entry, string, error)
}

// Health is the body of GET /v1/health.
type Health struct {
	Status string `json:"status"`
}

// Handlers returns the HTTP handlers of the ops function by route key.
func Handlers(log AuditLog) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{
		"GET /v1/health": func(context.Context, *httpapi.Request) (*httpapi.Response, error) {
			return httpapi.OK(Health{Status: "ok"}), nil
		},
		"GET /v1/admin/audit": func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
			page, err := r.Page()
			if err != nil {
				return nil, err
			}
			f, err := audit.ParseFilter(r.Query["actor"], r.Query["action"], r.Query["from"], r.Query["to"])
			if err != nil {
				return nil, err
			}
			items, next, err := log.ListAudit(ctx, f, page.Limit, page.Cursor)
			return httpapi.Result(http.StatusOK, httpapi.List[audit.Entry]{Items: items, NextCursor: next}, err)
		},
	}
}
