// Command jobs is the Lambda running scheduled and on-demand jobs (points
// expiry, reconciliation, ...): it receives {"job": "...", "runId": "..."}.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnJobs, func(_ context.Context, p *app.Platform) (any, error) {
		return p.Jobs().Handle, nil
	})
}
