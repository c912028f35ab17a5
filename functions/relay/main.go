// Command relay is the Lambda on the table's stream: it publishes outbox
// items to the EventBridge bus.
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
	cfg, err := config.Load(catalog.FnRelay, os.Getenv)
	if err != nil {
		app.Fail(catalog.FnRelay, err)
	}
	p, err := app.NewPlatform(ctx, cfg, app.Parts{LogWriter: os.Stdout})
	if err != nil {
		app.Fail(catalog.FnRelay, err)
	}
	pub, err := p.EventBridgePublisher(ctx)
	if err != nil {
		app.Fail(catalog.FnRelay, err)
	}
	lambda.Start(p.Relay(pub).Handle)
}
