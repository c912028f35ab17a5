package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/jobs"
)

// daily is a schedule that fires once a day at a UTC time: the subset of
// EventBridge cron expressions the catalog uses, "cron(M H * * ? *)".
type daily struct {
	job          string
	hour, minute int
}

func parseDaily(s catalog.Schedule) (daily, error) {
	expr := strings.TrimSuffix(strings.TrimPrefix(s.Expression, "cron("), ")")
	f := strings.Fields(expr)
	if len(f) != 6 || f[2] != "*" || f[3] != "*" || f[4] != "?" || f[5] != "*" {
		return daily{}, fmt.Errorf("devserver: schedule %q of %s is not a daily cron(M H * * ? *)", s.Expression, s.Job)
	}
	m, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 23 {
		return daily{}, fmt.Errorf("devserver: bad time in schedule %q", s.Expression)
	}
	return daily{job: s.Job, hour: h, minute: m}, nil
}

// due reports whether a firing time lies in (from, to].
func (d daily) due(from, to time.Time) bool {
	from, to = from.UTC(), to.UTC()
	fire := time.Date(from.Year(), from.Month(), from.Day(), d.hour, d.minute, 0, 0, time.UTC)
	if !fire.After(from) {
		fire = fire.AddDate(0, 0, 1)
	}
	return !fire.After(to)
}

// scheduler fires the jobs of the catalog's schedules on the stack's
// clock, so moving the clock past a firing time (POST /_local/clock) runs
// the job as EventBridge would. Missed days fire once: the jobs catch up.
type scheduler struct {
	stack *Stack
	times []daily
	last  time.Time
}

func newScheduler(st *Stack) (*scheduler, error) {
	s := &scheduler{stack: st, last: st.Clock.Now()}
	for _, sc := range st.Schedules {
		d, err := parseDaily(sc)
		if err != nil {
			return nil, err
		}
		s.times = append(s.times, d)
	}
	return s, nil
}

func (s *scheduler) tick(ctx context.Context) error {
	now := s.stack.Clock.Now()
	if now.Before(s.last) {
		s.last = now // the clock was moved back
		return nil
	}
	for _, d := range s.times {
		if d.due(s.last, now) {
			s.stack.Log.InfoContext(ctx, "scheduled job", slog.String("job", d.job))
			if _, err := s.stack.Jobs.Handle(ctx, jobs.Event{Job: d.job}); err != nil {
				s.stack.Log.ErrorContext(ctx, "scheduled job failed", slog.String("job", d.job), slog.Any("error", err))
			}
		}
	}
	s.last = now
	return nil
}
