package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

func TestGauge_WritesAnEMFRecord(t *testing.T) {
	var buf bytes.Buffer
	Gauge(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), time.UnixMilli(1700000000000), "ledger_drift", 3)
	var line struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Drift float64 `json:"ledger_drift"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %s", buf.String())
	}
	m := line.AWS.CloudWatchMetrics
	if line.Drift != 3 || line.AWS.Timestamp != 1700000000000 || len(m) != 1 || m[0].Namespace != "ArkMember" ||
		len(m[0].Dimensions) != 1 || len(m[0].Dimensions[0]) != 0 || m[0].Metrics[0].Name != "ledger_drift" {
		t.Fatalf("EMF record = %s", buf.String())
	}
}
