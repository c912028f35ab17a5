package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestNew_AddsRequestIDFromContext(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo).With("function", "accounts")
	log.InfoContext(WithRequestID(context.Background(), "req-1"), "request", "status", 200)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %s", buf.String())
	}
	if line["request_id"] != "req-1" || line["function"] != "accounts" || line["status"] != float64(200) {
		t.Fatalf("line = %v", line)
	}
}
