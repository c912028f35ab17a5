// Command ops is the Lambda serving health and the audit log.
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
	cfg, err := config.Load(catalog.FnOps, os.Getenv)
	if err != nil {
		app.Fail(catalog.FnOps, err)
	}
	p, err := app.NewPlatform(ctx, cfg, app.Parts{LogWriter: os.Stdout})
	if err != nil {
		app.Fail(catalog.FnOps, err)
	}
	h, err := p.Ops()
	if err != nil {
		app.Fail(catalog.FnOps, err)
	}
	lambda.Start(h.Handle)
}
