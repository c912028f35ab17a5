package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
	"github.com/arkmember/arkmember/internal/jobs"
	"github.com/arkmember/arkmember/internal/store"
	"github.com/arkmember/arkmember/internal/testenv"
)

var admin = audit.Actor{Subject: "admin-1", Role: "admin", RequestID: "req-1"}

type fixture struct {
	store *store.Store
	db    testenv.DB
	clock *clock.Fixed
	ids   *ids.Generator
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	t.Parallel()
	c := clock.NewFixed(testenv.Now)
	s, db := testenv.Store(t, c)
	return fixture{store: s, db: db, clock: c, ids: ids.New(c)}
}

func (f fixture) runner(js map[string]jobs.Job) *jobs.Runner {
	return jobs.NewRunner(f.store, f.clock, f.ids, slog.New(slog.DiscardHandler), js)
}

// storedRuns reads every run record straight from the table.
func (f fixture) storedRuns(t *testing.T) []map[string]types.AttributeValue {
	t.Helper()
	out, err := f.db.Engine.Client.Scan(context.Background(), &dynamodb.ScanInput{
		TableName:                 aws.String(f.db.Table),
		FilterExpression:          aws.String("kind = :k"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "JOBRUN"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func sAttr(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// countingJob returns a job that counts its runs and reports out.
func countingJob(n *atomic.Int32, out jobs.Outcome, err error) jobs.Job {
	return func(context.Context, time.Time) (jobs.Outcome, error) {
		n.Add(1)
		return out, err
	}
}

func TestHandle_ScheduledRunIsRecordedRunningThenSucceeded(t *testing.T) {
	f := newFixture(t)
	var during []map[string]types.AttributeValue
	var sawNow time.Time
	r := f.runner(map[string]jobs.Job{"expire": func(_ context.Context, now time.Time) (jobs.Outcome, error) {
		sawNow = now
		during = f.storedRuns(t)
		f.clock.Advance(3 * time.Second) // the job takes a while
		return jobs.Outcome{Processed: 7, Changed: 3, Failed: 1, Details: []string{"member m1 failed"}}, nil
	}})
	run, err := r.Handle(context.Background(), jobs.Event{Job: "expire"})
	if err != nil {
		t.Fatalf("Handle = %v", err)
	}
	if !sawNow.Equal(testenv.Now) {
		t.Errorf("job ran at %v, want the clock's now %v", sawNow, testenv.Now)
	}
	if len(during) != 1 || sAttr(during[0], "status") != string(jobs.StatusRunning) || sAttr(during[0], "trigger") != "schedule" {
		t.Fatalf("while the job ran, the table held %v; want one RUNNING scheduled run", during)
	}
	if run.Status != jobs.StatusSucceeded || run.Trigger != "schedule" || run.Job != "expire" || !ids.Valid(run.RunID) ||
		run.Processed != 7 || run.Changed != 3 || run.Failed != 1 || len(run.Details) != 1 {
		t.Fatalf("run = %+v", run)
	}
	if run.StartedAt == nil || !run.StartedAt.Equal(testenv.Now) || run.FinishedAt == nil || !run.FinishedAt.Equal(testenv.Now.Add(3*time.Second)) {
		t.Fatalf("started %v, finished %v", run.StartedAt, run.FinishedAt)
	}
	stored, err := r.Get(context.Background(), run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != jobs.StatusSucceeded || stored.Processed != 7 || stored.Changed != 3 || stored.Failed != 1 ||
		strings.Join(stored.Details, "|") != "member m1 failed" || !stored.FinishedAt.Equal(*run.FinishedAt) || !stored.CreatedAt.Equal(testenv.Now) {
		t.Fatalf("stored run = %+v", stored)
	}
}

func TestHandle_ScheduledRunsAreSeparateRecords(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	r := f.runner(map[string]jobs.Job{"expire": countingJob(&n, jobs.Outcome{}, nil)})
	a, err1 := r.Handle(context.Background(), jobs.Event{Job: "expire"})
	b, err2 := r.Handle(context.Background(), jobs.Event{Job: "expire"})
	if err1 != nil || err2 != nil || a.RunID == b.RunID || n.Load() != 2 || len(f.storedRuns(t)) != 2 {
		t.Fatalf("runs %s and %s (%v, %v), job ran %d times, %d records", a.RunID, b.RunID, err1, err2, n.Load(), len(f.storedRuns(t)))
	}
}

func TestRequest_QueuesAnAuditedRun(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	r := f.runner(map[string]jobs.Job{"reconcile": countingJob(&n, jobs.Outcome{}, nil)})
	run, err := r.Request(context.Background(), admin, "reconcile")
	if err != nil {
		t.Fatalf("Request = %v", err)
	}
	if run.Status != jobs.StatusQueued || run.Trigger != "admin-1" || run.Job != "reconcile" || run.StartedAt != nil || n.Load() != 0 {
		t.Fatalf("run = %+v (job ran %d times); want queued, not run", run, n.Load())
	}
	stored, err := r.Get(context.Background(), run.RunID)
	if err != nil || stored.Status != jobs.StatusQueued || stored.Trigger != "admin-1" {
		t.Fatalf("stored = %+v, %v", stored, err)
	}
	entries, _, err := f.store.ListAudit(context.Background(), audit.Filter{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("audit entries = %+v, want one", entries)
	}
	e := entries[0]
	var after map[string]string
	_ = json.Unmarshal(e.After, &after)
	if e.Action != "job.run" || e.Target != "job/reconcile" || e.Actor != "admin-1" || e.Role != "admin" || e.RequestID != "req-1" ||
		after["runId"] != run.RunID || !e.At.Equal(testenv.Now) {
		t.Fatalf("audit entry = %+v", e)
	}
}

func TestRequest_UnknownJobIsNotFoundAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	r := f.runner(map[string]jobs.Job{"reconcile": countingJob(new(atomic.Int32), jobs.Outcome{}, nil)})
	_, err := r.Request(context.Background(), admin, "drop-tables")
	if !errors.Is(err, jobs.ErrUnknownJob) || apperr.As(err).Code != apperr.CodeNotFound || apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("Request = %v, want ErrUnknownJob (NOT_FOUND)", err)
	}
	entries, _, _ := f.store.ListAudit(context.Background(), audit.Filter{}, 10, "")
	if len(entries) != 0 || len(f.storedRuns(t)) != 0 {
		t.Fatalf("an unknown job left %d audit entries and %d runs", len(entries), len(f.storedRuns(t)))
	}
}

func TestHandle_OnDemandRunStartsOnceDespiteDuplicateDeliveries(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	r := f.runner(map[string]jobs.Job{"reconcile": countingJob(&n, jobs.Outcome{Processed: 2}, nil)})
	queued, err := r.Request(context.Background(), admin, "reconcile")
	if err != nil {
		t.Fatal(err)
	}
	ev := jobs.Event{Job: "reconcile", RunID: queued.RunID}
	first, err := r.Handle(context.Background(), ev)
	if err != nil || first.Status != jobs.StatusSucceeded || first.RunID != queued.RunID || first.Trigger != "admin-1" || first.Processed != 2 {
		t.Fatalf("first delivery = %+v, %v", first, err)
	}
	f.clock.Advance(time.Minute)
	second, err := r.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("duplicate delivery = %v, want it ignored without error", err)
	}
	if n.Load() != 1 {
		t.Fatalf("job ran %d times, want once", n.Load())
	}
	if second.Status != jobs.StatusSucceeded || !second.FinishedAt.Equal(*first.FinishedAt) {
		t.Fatalf("duplicate delivery returned %+v, want the recorded run unchanged", second)
	}
}

func TestHandle_ConcurrentDuplicateDeliveriesRunTheJobOnce(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	r := f.runner(map[string]jobs.Job{"reconcile": countingJob(&n, jobs.Outcome{}, nil)})
	queued, err := r.Request(context.Background(), admin, "reconcile")
	if err != nil {
		t.Fatal(err)
	}
	const deliveries = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := r.Handle(context.Background(), jobs.Event{Job: "reconcile", RunID: queued.RunID}); err != nil {
				t.Errorf("Handle = %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("job ran %d times for %d deliveries of one run, want once", n.Load(), deliveries)
	}
	if got, _ := r.Get(context.Background(), queued.RunID); got.Status != jobs.StatusSucceeded {
		t.Fatalf("run = %+v", got)
	}
}

func TestHandle_JobErrorFinishesFailed(t *testing.T) {
	f := newFixture(t)
	r := f.runner(map[string]jobs.Job{"expire": countingJob(new(atomic.Int32),
		jobs.Outcome{Processed: 5, Changed: 2, Failed: 3, Details: []string{"lot x failed"}}, errors.New("table throttled"))})
	run, err := r.Handle(context.Background(), jobs.Event{Job: "expire"})
	if err == nil || !strings.Contains(err.Error(), "table throttled") {
		t.Fatalf("Handle error = %v, want the job's error", err)
	}
	stored, gerr := r.Get(context.Background(), run.RunID)
	if gerr != nil {
		t.Fatal(gerr)
	}
	for _, got := range []jobs.Run{run, stored} {
		if got.Status != jobs.StatusFailed || got.Processed != 5 || got.Changed != 2 || got.Failed != 3 ||
			strings.Join(got.Details, "|") != "lot x failed|error: table throttled" || got.FinishedAt == nil {
			t.Fatalf("run = %+v", got)
		}
	}
}

func TestHandle_RecordsTheRunEvenWhenTheContextIsCancelled(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := f.runner(map[string]jobs.Job{"expire": func(ctx context.Context, _ time.Time) (jobs.Outcome, error) {
		cancel() // the Lambda deadline passes mid-job
		return jobs.Outcome{Processed: 1}, ctx.Err()
	}})
	run, err := r.Handle(ctx, jobs.Event{Job: "expire"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Handle = %v, want the cancellation", err)
	}
	stored, gerr := r.Get(context.Background(), run.RunID)
	if gerr != nil || stored.Status != jobs.StatusFailed || stored.Processed != 1 {
		t.Fatalf("stored run = %+v, %v; want FAILED with the outcome", stored, gerr)
	}
}

func TestHandle_CapsDetails(t *testing.T) {
	lines := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("detail %d", i)
		}
		return out
	}
	tests := []struct {
		name      string
		details   int
		jobErr    error
		wantLen   int
		wantLast  string
		wantExtra []string // lines after the first 100
	}{
		{"under the cap", 3, nil, 3, "detail 2", nil},
		{"exactly the cap", 100, nil, 100, "detail 99", nil},
		{"one over the cap", 101, nil, 101, "... and 1 more", []string{"... and 1 more"}},
		{"far over the cap", 250, nil, 101, "... and 150 more", []string{"... and 150 more"}},
		{"over the cap with an error", 250, errors.New("boom"), 102, "error: boom", []string{"... and 150 more", "error: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.runner(map[string]jobs.Job{"expire": countingJob(new(atomic.Int32), jobs.Outcome{Details: lines(tt.details)}, tt.jobErr)})
			run, _ := r.Handle(context.Background(), jobs.Event{Job: "expire"})
			stored, err := r.Get(context.Background(), run.RunID)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range [][]string{run.Details, stored.Details} {
				if len(got) != tt.wantLen || got[len(got)-1] != tt.wantLast {
					t.Fatalf("details: %d lines ending %q, want %d ending %q", len(got), got[len(got)-1], tt.wantLen, tt.wantLast)
				}
				for i := range min(len(got), 100) {
					if i < tt.details && got[i] != fmt.Sprintf("detail %d", i) {
						t.Fatalf("line %d = %q, want the job's line", i, got[i])
					}
				}
				if tt.wantExtra != nil && strings.Join(got[100:], "|") != strings.Join(tt.wantExtra, "|") {
					t.Fatalf("lines after the cap = %q, want %q", got[100:], tt.wantExtra)
				}
			}
		})
	}
}

func TestHandle_LeavesTheJobsDetailsAlone(t *testing.T) {
	f := newFixture(t)
	details := make([]string, 150)
	for i := range details {
		details[i] = fmt.Sprintf("detail %d", i)
	}
	r := f.runner(map[string]jobs.Job{"expire": func(context.Context, time.Time) (jobs.Outcome, error) {
		return jobs.Outcome{Details: details}, nil
	}})
	if _, err := r.Handle(context.Background(), jobs.Event{Job: "expire"}); err != nil {
		t.Fatal(err)
	}
	if details[100] != "detail 100" {
		t.Fatalf("the job's details[100] became %q", details[100])
	}
}

func TestHandle_UnknownJobFailsWithoutARecord(t *testing.T) {
	f := newFixture(t)
	r := f.runner(map[string]jobs.Job{"expire": countingJob(new(atomic.Int32), jobs.Outcome{}, nil)})
	for _, ev := range []jobs.Event{{Job: "nope"}, {Job: ""}, {Job: "nope", RunID: f.ids.New()}} {
		if _, err := r.Handle(context.Background(), ev); err == nil || !strings.Contains(err.Error(), "unknown job") {
			t.Fatalf("Handle(%+v) = %v, want unknown job", ev, err)
		}
	}
	if n := len(f.storedRuns(t)); n != 0 {
		t.Fatalf("%d run records for unknown jobs", n)
	}
}

func TestHandle_OnDemandRunThatDoesNotExist(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	r := f.runner(map[string]jobs.Job{"expire": countingJob(&n, jobs.Outcome{}, nil)})
	_, err := r.Handle(context.Background(), jobs.Event{Job: "expire", RunID: f.ids.New()})
	if !errors.Is(err, jobs.ErrRunNotFound) || n.Load() != 0 {
		t.Fatalf("Handle = %v (job ran %d times), want ErrRunNotFound without running", err, n.Load())
	}
}

func TestFail_MarksTheQueuedRunFailedAndALateDeliveryDoesNotRunIt(t *testing.T) {
	f := newFixture(t)
	var n atomic.Int32
	r := f.runner(map[string]jobs.Job{"reconcile": countingJob(&n, jobs.Outcome{}, nil)})
	queued, err := r.Request(context.Background(), admin, "reconcile")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	if err := r.Fail(context.Background(), queued, errors.New("invoke: access denied")); err != nil {
		t.Fatalf("Fail = %v", err)
	}
	stored, _ := r.Get(context.Background(), queued.RunID)
	if stored.Status != jobs.StatusFailed || strings.Join(stored.Details, "|") != "invoke: access denied" ||
		stored.FinishedAt == nil || !stored.FinishedAt.Equal(testenv.Now.Add(time.Second)) || stored.Trigger != "admin-1" {
		t.Fatalf("stored = %+v", stored)
	}
	if _, err := r.Handle(context.Background(), jobs.Event{Job: "reconcile", RunID: queued.RunID}); err != nil {
		t.Fatalf("late delivery = %v", err)
	}
	if n.Load() != 0 {
		t.Fatalf("job ran %d times for a run already failed", n.Load())
	}
}

func TestGet(t *testing.T) {
	f := newFixture(t)
	r := f.runner(map[string]jobs.Job{"expire": countingJob(new(atomic.Int32), jobs.Outcome{}, nil)})
	run, err := r.Handle(context.Background(), jobs.Event{Job: "expire"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"existing run", run.RunID, nil},
		{"well-formed id of no run", f.ids.New(), jobs.ErrRunNotFound},
		{"malformed id", "not-a-ulid", jobs.ErrRunNotFound},
		{"key injection attempt", run.RunID + "#x", jobs.ErrRunNotFound},
		{"empty id", "", jobs.ErrRunNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Get(context.Background(), tt.id)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Get(%q) = %v, want %v", tt.id, err, tt.wantErr)
			}
			if tt.wantErr == nil && got.RunID != run.RunID {
				t.Fatalf("Get = %+v", got)
			}
		})
	}
}

func TestKnown(t *testing.T) {
	r := jobs.NewRunner(nil, clock.NewFixed(testenv.Now), nil, slog.New(slog.DiscardHandler), map[string]jobs.Job{"expire": nil})
	if !r.Known("expire") || r.Known("Expire") || r.Known("") {
		t.Fatal("Known must match job names exactly")
	}
}
