// Package metrics publishes custom CloudWatch metrics the cheapest way a
// Lambda can: as Embedded Metric Format log lines, which CloudWatch turns
// into metrics without any API call or IAM grant.
package metrics

import (
	"context"
	"log/slog"
	"time"
)

// Namespace of every custom metric of the system.
const Namespace = "ArkMember"

// Gauge logs one EMF record of name = value, without dimensions (so alarms
// match it by namespace and name alone).
func Gauge(ctx context.Context, log *slog.Logger, at time.Time, name string, value float64) {
	log.InfoContext(ctx, "metric",
		slog.Group("_aws",
			slog.Int64("Timestamp", at.UnixMilli()),
			slog.Any("CloudWatchMetrics", []map[string]any{{
				"Namespace":  Namespace,
				"Dimensions": [][]string{{}},
				"Metrics":    []map[string]string{{"Name": name, "Unit": "Count"}},
			}}),
		),
		slog.Float64(name, value),
	)
}
