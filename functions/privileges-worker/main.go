// Command privileges-worker is the SQS consumer granting level packages on
// registration and level changes, and expiring grants in batches.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnPrivilegesWorker, func(_ context.Context, p *app.Platform) (any, error) {
		w, err := p.Worker(catalog.FnPrivilegesWorker)
		if err != nil {
			return nil, err
		}
		return w.Handle, nil
	})
}
