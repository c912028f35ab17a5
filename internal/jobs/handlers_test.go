package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/httpapi"
	"github.com/arkmember/arkmember/internal/jobs"
)

// fakeInvoker records the events it would send to the jobs function.
type fakeInvoker struct {
	sent []jobs.Event
	err  error
}

func (i *fakeInvoker) InvokeJobs(_ context.Context, ev jobs.Event) error {
	i.sent = append(i.sent, ev)
	return i.err
}

var _ jobs.Invoker = (*fakeInvoker)(nil)

func adminRequest(params map[string]string) *httpapi.Request {
	return &httpapi.Request{
		PathParams: params,
		Principal:  auth.Principal{Subject: "admin-1", Role: catalog.RoleAdmin},
		RequestID:  "req-7",
	}
}

func TestHandlers_ServeExactlyTheJobRoutesOfOps(t *testing.T) {
	h := jobs.Handlers(nil, nil)
	for key := range h {
		r, ok := catalog.RouteByKey(key)
		if !ok || r.Function != catalog.FnOps {
			t.Errorf("%s is not a route of the ops function", key)
		}
	}
	if len(h) != 2 {
		t.Fatalf("got %d handlers, want 2", len(h))
	}
}

func TestRunJobHandler_QueuesAndInvokes(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	r := f.runner(map[string]jobs.Job{catalog.JobReconcile: countingJob(&n, jobs.Outcome{}, nil)})
	inv := &fakeInvoker{}
	resp, err := jobs.Handlers(r, inv)["POST /v1/admin/jobs/{job}/run"](context.Background(), adminRequest(map[string]string{"job": catalog.JobReconcile}))
	if err != nil {
		t.Fatalf("handler = %v", err)
	}
	started, ok := resp.Body.(jobs.Started)
	if resp.Status != http.StatusAccepted || !ok {
		t.Fatalf("response = %d %#v, want 202 Started", resp.Status, resp.Body)
	}
	if len(inv.sent) != 1 || inv.sent[0] != (jobs.Event{Job: catalog.JobReconcile, RunID: started.RunID}) {
		t.Fatalf("invoked with %+v, want the queued run", inv.sent)
	}
	run, err := r.Get(context.Background(), started.RunID)
	if err != nil || run.Status != jobs.StatusQueued || run.Trigger != "admin-1" || n.Load() != 0 {
		t.Fatalf("run = %+v, %v (job ran %d times); want it queued for the jobs function", run, err, n.Load())
	}
}

func TestRunJobHandler_InvokeFailureIsUnavailableAndFailsTheRun(t *testing.T) {
	f := newFixture(t)
	r := f.runner(map[string]jobs.Job{catalog.JobReconcile: countingJob(new(atomic.Int32), jobs.Outcome{}, nil)})
	inv := &fakeInvoker{err: errors.New("lambda: TooManyRequestsException")}
	_, err := jobs.Handlers(r, inv)["POST /v1/admin/jobs/{job}/run"](context.Background(), adminRequest(map[string]string{"job": catalog.JobReconcile}))
	if apperr.KindOf(err) != apperr.KindUnavailable {
		t.Fatalf("handler = %v, want UNAVAILABLE", err)
	}
	runs := f.storedRuns(t)
	if len(runs) != 1 || sAttr(runs[0], "status") != string(jobs.StatusFailed) {
		t.Fatalf("stored runs = %v, want the one run FAILED", runs)
	}
}

func TestRunJobHandler_UnknownJobIsNotFoundAndInvokesNothing(t *testing.T) {
	f := newFixture(t)
	r := f.runner(map[string]jobs.Job{catalog.JobReconcile: countingJob(new(atomic.Int32), jobs.Outcome{}, nil)})
	inv := &fakeInvoker{}
	_, err := jobs.Handlers(r, inv)["POST /v1/admin/jobs/{job}/run"](context.Background(), adminRequest(map[string]string{"job": "nope"}))
	if !errors.Is(err, jobs.ErrUnknownJob) || len(inv.sent) != 0 {
		t.Fatalf("handler = %v, invoked %d times", err, len(inv.sent))
	}
}

func TestGetRunHandler(t *testing.T) {
	f := newFixture(t)
	r := f.runner(map[string]jobs.Job{catalog.JobReconcile: countingJob(new(atomic.Int32), jobs.Outcome{Processed: 4}, nil)})
	run, err := r.Handle(context.Background(), jobs.Event{Job: catalog.JobReconcile})
	if err != nil {
		t.Fatal(err)
	}
	get := jobs.Handlers(r, &fakeInvoker{})["GET /v1/admin/jobs/runs/{runId}"]
	tests := []struct {
		name       string
		runID      string
		wantStatus int
	}{
		{"existing run", run.RunID, http.StatusOK},
		{"unknown run", f.ids.New(), http.StatusNotFound},
		{"malformed id", "../../etc", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := get(context.Background(), adminRequest(map[string]string{"runId": tt.runID}))
			if err != nil {
				if got := httpapi.StatusOf(apperr.KindOf(err)); got != tt.wantStatus {
					t.Fatalf("status = %d (%v), want %d", got, err, tt.wantStatus)
				}
				return
			}
			got, _ := resp.Body.(jobs.Run)
			if resp.Status != tt.wantStatus || got.RunID != run.RunID || got.Processed != 4 {
				t.Fatalf("response = %d %+v", resp.Status, resp.Body)
			}
		})
	}
}
