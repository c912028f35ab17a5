// Command accounts is the Lambda serving registration, sign-in, tokens and
// member profiles (the accounts routes of the route table).
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnAccounts, func(_ context.Context, p *app.Platform) (any, error) {
		r, err := p.Accounts()
		if err != nil {
			return nil, err
		}
		return r.Handle, nil
	})
}
