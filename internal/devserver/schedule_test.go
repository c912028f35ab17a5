package devserver

import (
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/catalog"
)

func TestParseDaily(t *testing.T) {
	for _, sc := range catalog.Functions() {
		for _, s := range sc.Schedules {
			if _, err := parseDaily(s); err != nil {
				t.Errorf("the dev server cannot run %s: %v", s.Job, err)
			}
		}
	}
	for _, bad := range []string{"rate(1 day)", "cron(0 16 * * MON *)", "cron(61 1 * * ? *)", "cron(0 16 * *)"} {
		if _, err := parseDaily(catalog.Schedule{Job: "x", Expression: bad}); err == nil {
			t.Errorf("%q must be refused", bad)
		}
	}
}

func TestDaily_Due(t *testing.T) {
	d := daily{hour: 16, minute: 5}
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	tests := []struct {
		from, to string
		want     bool
	}{
		{"2026-11-24T16:00:00Z", "2026-11-24T16:05:00Z", true},
		{"2026-11-24T16:05:00Z", "2026-11-24T16:10:00Z", false},
		{"2026-11-24T17:00:00Z", "2026-11-25T16:04:59Z", false},
		{"2026-11-24T17:00:00Z", "2026-12-30T00:00:00Z", true},
	}
	for _, tt := range tests {
		if got := d.due(at(tt.from), at(tt.to)); got != tt.want {
			t.Errorf("due(%s, %s) = %v", tt.from, tt.to, got)
		}
	}
}
