package ops_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/ops"
)

// fakeAuditLog records the query it is asked and answers entries.
type fakeAuditLog struct {
	calls   int
	filter  audit.Filter
	limit   int
	cursor  string
	entries []audit.Entry
	next    string
	err     error
}

func (f *fakeAuditLog) ListAudit(_ context.Context, flt audit.Filter, limit int, cursor string) ([]audit.Entry, string, error) {
	f.calls++
	f.filter, f.limit, f.cursor = flt, limit, cursor
	return f.entries, f.next, f.err
}

var _ ops.AuditLog = (*fakeAuditLog)(nil)

func TestHandlers_ServeOnlyRoutesOfOps(t *testing.T) {
	for key := range ops.Handlers(&fakeAuditLog{}) {
		if r, ok := catalog.RouteByKey(key); !ok || r.Function != catalog.FnOps {
			t.Errorf("%s is not a route of the ops function", key)
		}
	}
}

func TestHealth(t *testing.T) {
	resp, err := ops.Handlers(&fakeAuditLog{})["GET /v1/health"](context.Background(), &httpapi.Request{})
	if err != nil || resp.Status != http.StatusOK || resp.Body != (ops.Health{Status: "ok"}) {
		t.Fatalf("health = %+v, %v", resp, err)
	}
}

func TestListAudit(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	entry := audit.Entry{ID: "e1", Actor: "admin-1", Action: "member.status.set"}
	tests := []struct {
		name       string
		query      map[string]string
		log        *fakeAuditLog
		wantFilter audit.Filter
		wantLimit  int
		wantCursor string
		wantField  string // a validation failure on this field; the log is not read
		wantErr    error
	}{
		{name: "defaults", query: map[string]string{}, log: &fakeAuditLog{entries: []audit.Entry{entry}}, wantLimit: httpapi.DefaultLimit},
		{
			name:       "every filter and paging",
			query:      map[string]string{"actor": "admin-1", "action": "job.run", "from": "2026-11-01T08:00:00+08:00", "to": "2026-11-02T00:00:00Z", "limit": "5", "cursor": "abc"},
			log:        &fakeAuditLog{entries: []audit.Entry{entry}, next: "next-page"},
			wantFilter: audit.Filter{Actor: "admin-1", Action: "job.run", From: from, To: to},
			wantLimit:  5, wantCursor: "abc",
		},
		{name: "bad limit", query: map[string]string{"limit": "1000"}, log: &fakeAuditLog{}, wantField: "limit"},
		{name: "bad from", query: map[string]string{"from": "yesterday"}, log: &fakeAuditLog{}, wantField: "from"},
		{name: "reversed range", query: map[string]string{"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, log: &fakeAuditLog{}, wantField: "to"},
		{name: "store failure", query: map[string]string{}, log: &fakeAuditLog{err: apperr.Unavailable(errors.New("throttled"))}, wantLimit: httpapi.DefaultLimit, wantErr: apperr.Unavailable(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ops.Handlers(tt.log)["GET /v1/admin/audit"](context.Background(), &httpapi.Request{Query: tt.query})
			if tt.wantField != "" {
				e := apperr.As(err)
				if err == nil || e.Code != apperr.CodeValidationFailed || len(e.Fields) == 0 || e.Fields[0].Field != tt.wantField {
					t.Fatalf("error = %v (fields %+v), want VALIDATION_FAILED on %s", err, e.Fields, tt.wantField)
				}
				if tt.log.calls != 0 {
					t.Fatal("the log was read for an invalid request")
				}
				return
			}
			if tt.log.calls != 1 || tt.log.limit != tt.wantLimit || tt.log.cursor != tt.wantCursor ||
				tt.log.filter.Actor != tt.wantFilter.Actor || tt.log.filter.Action != tt.wantFilter.Action ||
				!tt.log.filter.From.Equal(tt.wantFilter.From) || !tt.log.filter.To.Equal(tt.wantFilter.To) {
				t.Fatalf("log asked filter %+v limit %d cursor %q", tt.log.filter, tt.log.limit, tt.log.cursor)
			}
			if tt.wantErr != nil {
				if apperr.KindOf(err) != apperr.KindOf(tt.wantErr) || resp != nil {
					t.Fatalf("handler = %+v, %v; want %v", resp, err, tt.wantErr)
				}
				return
			}
			list, ok := resp.Body.(httpapi.List[audit.Entry])
			if err != nil || resp.Status != http.StatusOK || !ok || len(list.Items) != 1 || list.Items[0].ID != "e1" || list.NextCursor != tt.log.next {
				t.Fatalf("handler = %+v, %v", resp, err)
			}
		})
	}
}
