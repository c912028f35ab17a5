// Package jobs runs the system's batch work — expiry, reconciliation, level
// review and the like — on a schedule or on demand, and records every run.
// Jobs themselves are idempotent (running one twice, or two at once,
// changes nothing the second time); a run record tells operators what a run
// did.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
)

// Status of a run.
type Status string

// Run states.
const (
	StatusQueued    Status = "QUEUED"
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
)

// Run is one execution of a job.
type Run struct {
	RunID      string     `json:"runId"`
	Job        string     `json:"job"`
	Status     Status     `json:"status"`
	CreatedAt  time.Time  `json:"createdAt"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	Processed  int        `json:"processed"`
	Changed    int        `json:"changed"`
	Failed     int        `json:"failed"`
	// Details name what failed or drifted (at most maxDetails lines).
	Details []string `json:"details,omitempty"`
	// Trigger is "schedule" or the staff member who asked for the run.
	Trigger string `json:"trigger"`
}

// Outcome is what a job reports.
type Outcome struct {
	Processed, Changed, Failed int
	Details                    []string
}

// Job does one job's work at now.
type Job func(ctx context.Context, now time.Time) (Outcome, error)

// Event is the payload the jobs function receives: from a schedule rule
// {"job": "..."}; from an on-demand request also the runId.
type Event struct {
	Job   string `json:"job"`
	RunID string `json:"runId,omitempty"`
}

// Store keeps run records.
type Store interface {
	CreateRun(ctx context.Context, r Run, entry *audit.Entry) error
	Run(ctx context.Context, runID string) (Run, error)
	// StartRun moves a queued run to RUNNING; ErrNotQueued if it is not
	// queued (a duplicate delivery of the same request).
	StartRun(ctx context.Context, runID string, at time.Time) error
	FinishRun(ctx context.Context, r Run) error
}

// Invoker starts the jobs function asynchronously.
type Invoker interface {
	InvokeJobs(ctx context.Context, ev Event) error
}

// Errors.
var (
	ErrUnknownJob  = apperr.NotFound("job")
	ErrRunNotFound = apperr.NotFound("job run")
	ErrNotQueued   = apperr.Conflict("the run is not queued")
)

const maxDetails = 100

// Runner runs jobs and keeps their records.
type Runner struct {
	store Store
	clock clock.Clock
	ids   *ids.Generator
	log   *slog.Logger
	jobs  map[string]Job
}

// NewRunner returns a runner of jobs.
func NewRunner(s Store, c clock.Clock, g *ids.Generator, log *slog.Logger, jobs map[string]Job) *Runner {
	return &Runner{store: s, clock: c, ids: g, log: log, jobs: jobs}
}

// Known reports whether job exists.
func (r *Runner) Known(job string) bool { _, ok := r.jobs[job]; return ok }

// Request records an on-demand run, audited, and returns it queued; the
// caller then invokes the jobs function with its id.
func (r *Runner) Request(ctx context.Context, actor audit.Actor, job string) (Run, error) {
	if !r.Known(job) {
		return Run{}, ErrUnknownJob
	}
	now := r.clock.Now()
	run := Run{RunID: r.ids.New(), Job: job, Status: StatusQueued, CreatedAt: now, Trigger: actor.Subject}
	e := audit.NewEntry(r.ids.New(), now, actor, "job.run", "job/"+job, nil, map[string]string{"runId": run.RunID})
	return run, r.store.CreateRun(ctx, run, &e)
}

// Get returns a run.
func (r *Runner) Get(ctx context.Context, runID string) (Run, error) {
	if !ids.Valid(runID) {
		return Run{}, ErrRunNotFound
	}
	return r.store.Run(ctx, runID)
}

// Fail marks a queued run failed, e.g. when the jobs function could not be
// invoked.
func (r *Runner) Fail(ctx context.Context, run Run, cause error) error {
	now := r.clock.Now()
	run.Status, run.FinishedAt, run.Details = StatusFailed, &now, []string{cause.Error()}
	return r.store.FinishRun(ctx, run)
}

// Handle is the handler of the jobs function: it runs ev's job and records
// the run. A repeated delivery of one request runs nothing twice.
func (r *Runner) Handle(ctx context.Context, ev Event) (Run, error) {
	job, ok := r.jobs[ev.Job]
	if !ok {
		return Run{}, fmt.Errorf("jobs: unknown job %q", ev.Job)
	}
	now := r.clock.Now()
	var run Run
	if ev.RunID == "" {
		run = Run{RunID: r.ids.New(), Job: ev.Job, Status: StatusRunning, CreatedAt: now, StartedAt: &now, Trigger: "schedule"}
		if err := r.store.CreateRun(ctx, run, nil); err != nil {
			return Run{}, err
		}
	} else {
		var err error
		if run, err = r.store.Run(ctx, ev.RunID); err != nil {
			return Run{}, err
		}
		if err := r.store.StartRun(ctx, ev.RunID, now); errors.Is(err, ErrNotQueued) {
			r.log.InfoContext(ctx, "job run already started; duplicate delivery ignored", slog.String("runId", ev.RunID))
			return r.store.Run(ctx, ev.RunID)
		} else if err != nil {
			return Run{}, err
		}
		run.Status, run.StartedAt = StatusRunning, &now
	}
	out, err := job(ctx, now)
	finished := r.clock.Now()
	run.FinishedAt = &finished
	run.Processed, run.Changed, run.Failed = out.Processed, out.Changed, out.Failed
	run.Details = out.Details
	if len(run.Details) > maxDetails {
		run.Details = append(slices.Clone(run.Details[:maxDetails]), fmt.Sprintf("... and %d more", len(out.Details)-maxDetails))
	}
	run.Status = StatusSucceeded
	if err != nil {
		run.Status = StatusFailed
		run.Details = append(run.Details, "error: "+err.Error())
	}
	r.log.InfoContext(ctx, "job run", slog.String("job", run.Job), slog.String("runId", run.RunID), slog.String("status", string(run.Status)),
		slog.Int("processed", run.Processed), slog.Int("changed", run.Changed), slog.Int("failed", run.Failed))
	// The record must land even if the job's context ran out.
	if ferr := r.store.FinishRun(context.WithoutCancel(ctx), run); ferr != nil {
		return run, errors.Join(err, ferr)
	}
	return run, err
}
