package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/jobs"
)

var _ jobs.Store = (*Store)(nil)

// runRetention keeps run records for 90 days.
const runRetention = 90 * 24 * time.Hour

type runItem struct {
	base
	RunID      string `dynamodbav:"runId"`
	Job        string `dynamodbav:"job"`
	Status     string `dynamodbav:"status"`
	CreatedAt  string `dynamodbav:"createdAt"`
	StartedAt  string `dynamodbav:"startedAt,omitempty"`
	FinishedAt string `dynamodbav:"finishedAt,omitempty"`
	Processed  int    `dynamodbav:"processed"`
	Changed    int    `dynamodbav:"changed"`
	Failed     int    `dynamodbav:"failed"`
	Details    string `dynamodbav:"details,omitempty"` // JSON array
	Trigger    string `dynamodbav:"trigger"`
}

func newRunItem(r jobs.Run) runItem {
	it := runItem{
		base:  baseOf(runKey(r.RunID), kindRun),
		RunID: r.RunID, Job: r.Job, Status: string(r.Status), CreatedAt: ts(r.CreatedAt),
		Processed: r.Processed, Changed: r.Changed, Failed: r.Failed, Trigger: r.Trigger,
	}
	if r.StartedAt != nil {
		it.StartedAt = ts(*r.StartedAt)
	}
	if r.FinishedAt != nil {
		it.FinishedAt = ts(*r.FinishedAt)
	}
	if len(r.Details) > 0 {
		b, _ := json.Marshal(r.Details)
		it.Details = string(b)
	}
	it.TTL = r.CreatedAt.Add(runRetention).Unix()
	return it
}

func (it runItem) run() jobs.Run {
	r := jobs.Run{
		RunID: it.RunID, Job: it.Job, Status: jobs.Status(it.Status), CreatedAt: parseTS(it.CreatedAt),
		Processed: it.Processed, Changed: it.Changed, Failed: it.Failed, Trigger: it.Trigger,
	}
	if it.StartedAt != "" {
		t := parseTS(it.StartedAt)
		r.StartedAt = &t
	}
	if it.FinishedAt != "" {
		t := parseTS(it.FinishedAt)
		r.FinishedAt = &t
	}
	if it.Details != "" {
		_ = json.Unmarshal([]byte(it.Details), &r.Details)
	}
	return r
}

// CreateRun implements jobs.Store; with an audit entry both land together.
func (s *Store) CreateRun(ctx context.Context, r jobs.Run, entry *audit.Entry) error {
	t := s.newTxn()
	t.put(marshal(newRunItem(r)), condAbsent, apperr.Conflict("run id reused"))
	if entry != nil {
		t.audit(*entry)
	}
	return s.commit(ctx, t)
}

// Run implements jobs.Store.
func (s *Store) Run(ctx context.Context, runID string) (jobs.Run, error) {
	var it runItem
	found, err := s.get(ctx, runKey(runID), &it)
	if err != nil {
		return jobs.Run{}, err
	}
	if !found {
		return jobs.Run{}, jobs.ErrRunNotFound
	}
	return it.run(), nil
}

// StartRun implements jobs.Store.
func (s *Store) StartRun(ctx context.Context, runID string, at time.Time) error {
	t := s.newTxn()
	t.update(runKey(runID), "SET #status = :running, startedAt = :at", cond{
		expr:   "#status = :queued",
		names:  map[string]string{"#status": "status"},
		values: item{":running": str(string(jobs.StatusRunning)), ":queued": str(string(jobs.StatusQueued)), ":at": str(ts(at))},
	}, jobs.ErrNotQueued)
	return s.commit(ctx, t)
}

// FinishRun implements jobs.Store.
func (s *Store) FinishRun(ctx context.Context, r jobs.Run) error {
	return s.putMaybeNew(ctx, newRunItem(r), false)
}
