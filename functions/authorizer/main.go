// Command authorizer is the Lambda authorizer of the HTTP API: it verifies
// the access token and passes the caller's subject and role to the function.
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
	cfg, err := config.Load(catalog.FnAuthorizer, os.Getenv)
	if err != nil {
		app.Fail(catalog.FnAuthorizer, err)
	}
	p, err := app.NewPlatform(ctx, cfg, app.Parts{LogWriter: os.Stdout})
	if err != nil {
		app.Fail(catalog.FnAuthorizer, err)
	}
	h, err := p.Authorizer()
	if err != nil {
		app.Fail(catalog.FnAuthorizer, err)
	}
	lambda.Start(h.Handle)
}
