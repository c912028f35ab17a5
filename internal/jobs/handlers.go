package jobs

import (
	"context"
	"net/http"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/httpapi"
)

// Started is the body of 202 to POST /v1/admin/jobs/{job}/run.
type Started struct {
	RunID string `json:"runId"`
}

// Handlers returns the jobs routes of the ops function.
func Handlers(r *Runner, inv Invoker) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{
		"POST /v1/admin/jobs/{job}/run": func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
			actor := audit.Actor{Subject: req.Principal.Subject, Role: string(req.Principal.Role), RequestID: req.RequestID}
			run, err := r.Request(ctx, actor, req.Param("job"))
			if err != nil {
				return nil, err
			}
			if err := inv.InvokeJobs(ctx, Event{Job: run.Job, RunID: run.RunID}); err != nil {
				_ = r.Fail(context.WithoutCancel(ctx), run, err)
				return nil, apperr.Unavailable(err)
			}
			return httpapi.JSON(http.StatusAccepted, Started{RunID: run.RunID}), nil
		},
		"GET /v1/admin/jobs/runs/{runId}": func(ctx context.Context, req *httpapi.Request) (*httpapi.Response, error) {
			run, err := r.Get(ctx, req.Param("runId"))
			return httpapi.Result(http.StatusOK, run, err)
		},
	}
}
