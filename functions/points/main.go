// Command points is the Lambda serving points: earn, spend, reverse,
// adjust, balances and ledgers.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnPoints, func(_ context.Context, p *app.Platform) (any, error) {
		r, err := p.Points()
		if err != nil {
			return nil, err
		}
		return r.Handle, nil
	})
}
