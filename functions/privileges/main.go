// Command privileges is the Lambda serving privilege definitions, packages,
// grants, consumption and usage.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnPrivileges, func(_ context.Context, p *app.Platform) (any, error) {
		r, err := p.Privileges()
		if err != nil {
			return nil, err
		}
		return r.Handle, nil
	})
}
