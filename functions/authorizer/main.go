// Command authorizer is the Lambda authorizer of the HTTP API: it verifies
// the access token and passes the caller's subject and role to the function.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnAuthorizer, func(_ context.Context, p *app.Platform) (any, error) {
		a, err := p.Authorizer()
		if err != nil {
			return nil, err
		}
		return a.Handle, nil
	})
}
