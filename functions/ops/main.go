// Command ops is the Lambda serving health and the audit log.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnOps, func(_ context.Context, p *app.Platform) (any, error) {
		r, err := p.Ops()
		if err != nil {
			return nil, err
		}
		return r.Handle, nil
	})
}
