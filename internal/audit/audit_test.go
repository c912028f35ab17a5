package audit

import (
	"testing"
	"time"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		name                    string
		actor, action, from, to string
		wantErr                 bool
	}{
		{"empty", "", "", "", "", false},
		{"range", "admin", "member.status", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", false},
		{"bad from", "", "", "yesterday", "", true},
		{"reversed", "", "", "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFilter(tt.actor, tt.action, tt.from, tt.to)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestNewEntry_EncodesBeforeAndAfter(t *testing.T) {
	e := NewEntry("id", time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)), Actor{"admin", "admin", "r1"}, "member.status", "member/1",
		map[string]string{"status": "ACTIVE"}, nil)
	if string(e.Before) != `{"status":"ACTIVE"}` || e.After != nil || e.At.Location() != time.UTC {
		t.Fatalf("entry = %+v", e)
	}
}
