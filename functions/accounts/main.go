// Command accounts is the Lambda serving registration, sign-in, tokens and
// member profiles (the accounts routes of the route table).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/config"
)

func main() {
	ctx := context.Background()
	cfg, err := config.Load(catalog.FnAccounts, os.Getenv)
	if err != nil {
		app.Fail(catalog.FnAccounts, err)
	}
	p, err := app.NewPlatform(ctx, cfg, app.Parts{LogWriter: os.Stdout})
	if err != nil {
		app.Fail(catalog.FnAccounts, err)
	}
	h, err := p.Accounts()
	if err != nil {
		app.Fail(catalog.FnAccounts, err)
	}
	lambda.Start(h.Handle)
}
