// Command orders is the Lambda turning order events into points and growth
// by the earning rules.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnOrders, func(_ context.Context, p *app.Platform) (any, error) {
		r, err := p.Orders()
		if err != nil {
			return nil, err
		}
		return r.Handle, nil
	})
}
