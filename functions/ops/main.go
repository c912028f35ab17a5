// Command ops is the Lambda serving health, the audit log and on-demand job
// runs (which it starts by invoking the jobs function asynchronously).
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnOps, func(ctx context.Context, p *app.Platform) (any, error) {
		inv, err := p.LambdaInvoker(ctx)
		if err != nil {
			return nil, err
		}
		r, err := p.Ops(inv)
		if err != nil {
			return nil, err
		}
		return r.Handle, nil
	})
}
