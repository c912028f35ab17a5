// Command relay is the Lambda on the table's stream: it publishes outbox
// items to the EventBridge bus.
package main

import (
	"context"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/catalog"
)

func main() {
	app.Start(catalog.FnRelay, func(ctx context.Context, p *app.Platform) (any, error) {
		pub, err := p.EventBridgePublisher(ctx)
		if err != nil {
			return nil, err
		}
		return p.Relay(pub).Handle, nil
	})
}
