// Package eventbus moves outbox events between DynamoDB, EventBridge and
// SQS: the stream relay publishes outbox inserts to the bus, the SQS
// consumer hands bus messages to a dispatcher, and LocalBus does both in
// process for the dev server.
package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/outbox"
)

// PutEventsAPI is the part of EventBridge the publisher uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ PutEventsAPI = (*eventbridge.Client)(nil)

// EventBridge publishes events to a bus, ten per call (the API's limit).
type EventBridge struct {
	api PutEventsAPI
	bus string
}

var _ outbox.Publisher = (*EventBridge)(nil)

// NewEventBridge returns a publisher to bus.
func NewEventBridge(api PutEventsAPI, bus string) *EventBridge {
	return &EventBridge{api: api, bus: bus}
}

// Publish implements outbox.Publisher. Any entry that fails fails the call;
// the relay then publishes the batch again and consumers drop duplicates.
func (p *EventBridge) Publish(ctx context.Context, evs []outbox.Event) error {
	for start := 0; start < len(evs); start += 10 {
		batch := evs[start:min(start+10, len(evs))]
		entries := make([]ebtypes.PutEventsRequestEntry, len(batch))
		for i, ev := range batch {
			detail, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			entries[i] = ebtypes.PutEventsRequestEntry{
				EventBusName: aws.String(p.bus),
				Source:       aws.String(catalog.EventSource),
				DetailType:   aws.String(ev.Type),
				Detail:       aws.String(string(detail)),
				Time:         aws.Time(ev.OccurredAt),
			}
		}
		out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("eventbus: put events: %w", err)
		}
		if out.FailedEntryCount > 0 {
			return fmt.Errorf("eventbus: %d of %d events not accepted", out.FailedEntryCount, len(entries))
		}
	}
	return nil
}

// SQSConsumer is the handler of a queue function: each message is an
// EventBridge event whose detail is an outbox event.
type SQSConsumer struct {
	dispatcher *outbox.Dispatcher
	log        *slog.Logger
}

// NewSQSConsumer returns a consumer dispatching to d.
func NewSQSConsumer(d *outbox.Dispatcher, log *slog.Logger) *SQSConsumer {
	return &SQSConsumer{dispatcher: d, log: log}
}

type bridgeEnvelope struct {
	DetailType string       `json:"detail-type"`
	Source     string       `json:"source"`
	Detail     outbox.Event `json:"detail"`
}

// Handle reports only the messages that failed, so SQS redelivers those
// (and, after the redrive count, moves them to the DLQ) and not the batch.
func (c *SQSConsumer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, msg := range ev.Records {
		var env bridgeEnvelope
		err := json.Unmarshal([]byte(msg.Body), &env)
		if err == nil && (env.Detail.ID == "" || env.Detail.Type == "") {
			err = errors.New("message holds no outbox event")
		}
		if err == nil {
			err = c.dispatcher.Dispatch(ctx, env.Detail)
		}
		if err != nil {
			c.log.ErrorContext(ctx, "event not consumed", slog.String("messageId", msg.MessageId), slog.Any("error", err))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp, nil
}

// LocalBus stands in for EventBridge and SQS in the dev server: publishing
// dispatches at once. Like an SQS queue with a DLQ, an event failing
// maxAttempts times is dead-lettered (logged) instead of blocking the rest.
type LocalBus struct {
	dispatcher  *outbox.Dispatcher
	log         *slog.Logger
	maxAttempts int

	mu       sync.Mutex
	attempts map[string]int
	dead     []outbox.Event
}

var _ outbox.Publisher = (*LocalBus)(nil)

// NewLocalBus returns a bus delivering to d.
func NewLocalBus(d *outbox.Dispatcher, log *slog.Logger) *LocalBus {
	return &LocalBus{dispatcher: d, log: log, maxAttempts: 5, attempts: map[string]int{}}
}

// Publish implements outbox.Publisher.
func (b *LocalBus) Publish(ctx context.Context, evs []outbox.Event) error {
	var failed error
	for _, ev := range evs {
		err := b.dispatcher.Dispatch(ctx, ev)
		b.mu.Lock()
		switch {
		case err == nil:
			delete(b.attempts, ev.ID)
		case b.attempts[ev.ID]+1 >= b.maxAttempts:
			delete(b.attempts, ev.ID)
			b.dead = append(b.dead, ev)
			b.log.ErrorContext(ctx, "event dead-lettered", slog.String("eventId", ev.ID), slog.String("type", ev.Type), slog.Any("error", err))
		default:
			b.attempts[ev.ID]++
			failed = errors.Join(failed, err)
		}
		b.mu.Unlock()
	}
	return failed
}

// DeadLetters returns the events given up on.
func (b *LocalBus) DeadLetters() []outbox.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]outbox.Event(nil), b.dead...)
}
