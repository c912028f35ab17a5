// Command levels is the Lambda serving the level ladder, members' levels and
// their history, and growth value.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnLevels, func(_ context.Context, p *app.Platform) (any, error) {
		r, err := p.Levels()
		if err != nil {
			return nil, err
		}
		return r.Handle, nil
	})
}
