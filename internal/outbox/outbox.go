// Package outbox carries domain events from the transaction that caused them
// to their consumers without losing any: an event is written as an outbox
// item in the same DynamoDB transaction as its change, a relay publishes it
// (from the table stream in AWS, by polling locally) and consumers, which may
// see an event more than once, are idempotent on its id.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is a domain event.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurredAt"`
	MemberID   string          `json:"memberId,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// New builds an event; data is encoded as JSON.
func New(id, eventType string, at time.Time, memberID string, data any) Event {
	raw, err := json.Marshal(data)
	if err != nil {
		// Event payloads are plain structs; failing here is a programming error.
		panic(fmt.Sprintf("outbox: encode %s: %v", eventType, err))
	}
	return Event{ID: id, Type: eventType, OccurredAt: at.UTC(), MemberID: memberID, Data: raw}
}

// Publisher delivers events to the bus.
type Publisher interface {
	Publish(ctx context.Context, events []Event) error
}

// ErrDuplicate is returned by a consumer that has already handled an event;
// the dispatcher counts it as success.
var ErrDuplicate = errors.New("outbox: event already consumed")

// Handler consumes one event. It must be idempotent on ev.ID, typically by
// writing a consumed marker in the same transaction as its effect.
type Handler func(ctx context.Context, ev Event) error

type consumer struct {
	name string
	fn   Handler
}

// Dispatcher routes events to the consumers registered for their type.
type Dispatcher struct {
	consumers map[string][]consumer
}

// NewDispatcher returns an empty dispatcher.
func NewDispatcher() *Dispatcher { return &Dispatcher{consumers: map[string][]consumer{}} }

// On registers consumer name for events of eventType.
func (d *Dispatcher) On(eventType, name string, h Handler) {
	d.consumers[eventType] = append(d.consumers[eventType], consumer{name: name, fn: h})
}

// Types lists the event types with consumers.
func (d *Dispatcher) Types() []string {
	out := make([]string, 0, len(d.consumers))
	for t := range d.consumers {
		out = append(out, t)
	}
	return out
}

// Dispatch hands ev to every consumer of its type. Events nobody consumes are
// ignored. A failure of any consumer fails the dispatch so the event is
// redelivered; consumers that already succeeded see it as a duplicate.
func (d *Dispatcher) Dispatch(ctx context.Context, ev Event) error {
	var errs []error
	for _, c := range d.consumers[ev.Type] {
		if err := c.fn(ctx, ev); err != nil && !errors.Is(err, ErrDuplicate) {
			errs = append(errs, fmt.Errorf("consumer %s of %s %s: %w", c.name, ev.Type, ev.ID, err))
		}
	}
	return errors.Join(errs...)
}
