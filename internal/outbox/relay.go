package outbox

import (
	"context"
	"fmt"
)

// Pending is where the relay finds events not yet published.
type Pending interface {
	PendingEvents(ctx context.Context, limit int) ([]Event, error)
	DeleteEvents(ctx context.Context, ids []string) error
}

// Relay publishes pending outbox items in order and deletes them once
// published. An event is deleted only after Publish succeeded, so a crash in
// between publishes it again (at least once); consumers are idempotent.
type Relay struct {
	pending   Pending
	publisher Publisher
	batch     int
}

// NewRelay returns a relay from pending to publisher.
func NewRelay(pending Pending, publisher Publisher) *Relay {
	return &Relay{pending: pending, publisher: publisher, batch: 25}
}

// Drain publishes until nothing is pending and returns how many it published.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		evs, err := r.pending.PendingEvents(ctx, r.batch)
		if err != nil {
			return total, fmt.Errorf("outbox: read pending: %w", err)
		}
		if len(evs) == 0 {
			return total, nil
		}
		if err := r.publisher.Publish(ctx, evs); err != nil {
			return total, fmt.Errorf("outbox: publish: %w", err)
		}
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
		}
		if err := r.pending.DeleteEvents(ctx, ids); err != nil {
			return total, fmt.Errorf("outbox: delete published: %w", err)
		}
		total += len(evs)
	}
}
