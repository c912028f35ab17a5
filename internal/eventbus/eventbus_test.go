package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/outbox"
)

var testNow = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

var discard = slog.New(slog.DiscardHandler)

func event(id, typ string) outbox.Event {
	return outbox.New(id, typ, testNow, "m-"+id, map[string]string{"id": id})
}

// bridgeMessage is the SQS body EventBridge delivers for ev.
func bridgeMessage(t *testing.T, ev outbox.Event) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"detail-type": ev.Type, "source": catalog.EventSource, "detail": ev})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSQSConsumer_ReportsOnlyTheFailedMessages(t *testing.T) {
	var mu sync.Mutex
	var consumed []string
	d := outbox.NewDispatcher()
	d.On("T", "recorder", func(_ context.Context, ev outbox.Event) error {
		mu.Lock()
		defer mu.Unlock()
		consumed = append(consumed, ev.ID)
		switch ev.ID {
		case "fails":
			return errors.New("consumer down")
		case "dup":
			return fmt.Errorf("wrapped: %w", outbox.ErrDuplicate)
		}
		return nil
	})
	noID := event("", "T")
	noType := event("x", "")
	records := []events.SQSMessage{
		{MessageId: "m-ok", Body: bridgeMessage(t, event("ok", "T"))},
		{MessageId: "m-malformed", Body: "{not json"},
		{MessageId: "m-no-detail", Body: `{"detail-type":"T","source":"ark.member"}`},
		{MessageId: "m-no-id", Body: bridgeMessage(t, noID)},
		{MessageId: "m-no-type", Body: bridgeMessage(t, noType)},
		{MessageId: "m-fails", Body: bridgeMessage(t, event("fails", "T"))},
		{MessageId: "m-dup", Body: bridgeMessage(t, event("dup", "T"))},
		{MessageId: "m-unconsumed-type", Body: bridgeMessage(t, event("other", "NOBODY_LISTENS"))},
		{MessageId: "m-ok-after-failures", Body: bridgeMessage(t, event("ok2", "T"))},
	}
	resp, err := NewSQSConsumer(d, discard).Handle(context.Background(), events.SQSEvent{Records: records})
	if err != nil {
		t.Fatalf("Handle error = %v; one bad message must not fail the batch", err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	want := []string{"m-malformed", "m-no-detail", "m-no-id", "m-no-type", "m-fails"}
	if !reflect.DeepEqual(failed, want) {
		t.Fatalf("failed = %v, want %v", failed, want)
	}
	if wantConsumed := []string{"ok", "fails", "dup", "ok2"}; !reflect.DeepEqual(consumed, wantConsumed) {
		t.Fatalf("consumed = %v, want %v", consumed, wantConsumed)
	}
}

func TestSQSConsumer_DeliversTheDetailUnchanged(t *testing.T) {
	var got outbox.Event
	d := outbox.NewDispatcher()
	d.On("T", "c", func(_ context.Context, ev outbox.Event) error { got = ev; return nil })
	want := event("e1", "T")
	resp, _ := NewSQSConsumer(d, discard).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "1", Body: bridgeMessage(t, want)}}})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures = %v", resp.BatchItemFailures)
	}
	if got.ID != want.ID || got.Type != want.Type || got.MemberID != want.MemberID || !got.OccurredAt.Equal(want.OccurredAt) || string(got.Data) != string(want.Data) {
		t.Fatalf("consumer got %+v, want %+v", got, want)
	}
}

// fakePutEvents records PutEvents calls; failAt (1-based) makes that call
// report failed entries, errAt makes it fail outright.
type fakePutEvents struct {
	calls         []*eventbridge.PutEventsInput
	failAt, errAt int
}

func (f *fakePutEvents) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.calls = append(f.calls, in)
	n := len(f.calls)
	if n == f.errAt {
		return nil, errors.New("throttled")
	}
	if n == f.failAt {
		return &eventbridge.PutEventsOutput{FailedEntryCount: 1}, nil
	}
	return &eventbridge.PutEventsOutput{}, nil
}

func someEvents(n int) []outbox.Event {
	out := make([]outbox.Event, n)
	for i := range out {
		out[i] = event(fmt.Sprintf("e%02d", i), "T")
	}
	return out
}

func TestEventBridgePublish_SplitsIntoBatchesOfTen(t *testing.T) {
	tests := []struct {
		events    int
		wantSizes []int
	}{
		{0, nil},
		{1, []int{1}},
		{10, []int{10}},
		{11, []int{10, 1}},
		{25, []int{10, 10, 5}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.events, " events"), func(t *testing.T) {
			api := &fakePutEvents{}
			evs := someEvents(tt.events)
			if err := NewEventBridge(api, "bus-1").Publish(context.Background(), evs); err != nil {
				t.Fatalf("Publish = %v", err)
			}
			var sizes []int
			var ids []string
			for _, c := range api.calls {
				sizes = append(sizes, len(c.Entries))
				for _, e := range c.Entries {
					var ev outbox.Event
					if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &ev); err != nil {
						t.Fatalf("detail %q: %v", aws.ToString(e.Detail), err)
					}
					ids = append(ids, ev.ID)
				}
			}
			if !reflect.DeepEqual(sizes, tt.wantSizes) {
				t.Fatalf("batch sizes = %v, want %v", sizes, tt.wantSizes)
			}
			for i, ev := range evs {
				if ids[i] != ev.ID {
					t.Fatalf("published ids = %v; want every event once, in order", ids)
				}
			}
		})
	}
}

func TestEventBridgePublish_BuildsEntriesForTheBus(t *testing.T) {
	api := &fakePutEvents{}
	ev := event("e1", "POINTS_EARNED")
	if err := NewEventBridge(api, "ark-bus").Publish(context.Background(), []outbox.Event{ev}); err != nil {
		t.Fatal(err)
	}
	e := api.calls[0].Entries[0]
	detail, _ := json.Marshal(ev)
	if aws.ToString(e.EventBusName) != "ark-bus" || aws.ToString(e.Source) != catalog.EventSource ||
		aws.ToString(e.DetailType) != "POINTS_EARNED" || aws.ToString(e.Detail) != string(detail) || !aws.ToTime(e.Time).Equal(testNow) {
		t.Fatalf("entry = bus %q source %q type %q detail %s time %v", aws.ToString(e.EventBusName), aws.ToString(e.Source),
			aws.ToString(e.DetailType), aws.ToString(e.Detail), aws.ToTime(e.Time))
	}
}

func TestEventBridgePublish_FailsWhenAnyEntryIsRejected(t *testing.T) {
	tests := []struct {
		name      string
		api       *fakePutEvents
		wantCalls int
		wantErr   string
	}{
		{"failed entries in the first batch", &fakePutEvents{failAt: 1}, 1, "1 of 10 events not accepted"},
		{"failed entries in the last batch", &fakePutEvents{failAt: 3}, 3, "1 of 5 events not accepted"},
		{"call error", &fakePutEvents{errAt: 2}, 2, "throttled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewEventBridge(tt.api, "bus").Publish(context.Background(), someEvents(25))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Publish = %v, want an error containing %q", err, tt.wantErr)
			}
			if len(tt.api.calls) != tt.wantCalls {
				t.Fatalf("calls = %d, want %d (stop at the first failure)", len(tt.api.calls), tt.wantCalls)
			}
		})
	}
}

func TestLocalBus_DeadLettersAfterFiveFailedAttempts(t *testing.T) {
	var attempts int
	d := outbox.NewDispatcher()
	d.On("T", "c", func(_ context.Context, ev outbox.Event) error {
		if ev.ID == "poison" {
			attempts++
			return errors.New("cannot handle")
		}
		return nil
	})
	bus := NewLocalBus(d, discard)
	poison := event("poison", "T")
	for i := 1; i <= 4; i++ {
		if err := bus.Publish(context.Background(), []outbox.Event{poison, event(fmt.Sprint("good", i), "T")}); err == nil {
			t.Fatalf("attempt %d: Publish = nil, want the failure so the relay retries", i)
		}
		if n := len(bus.DeadLetters()); n != 0 {
			t.Fatalf("attempt %d: %d dead letters, want none yet", i, n)
		}
	}
	if err := bus.Publish(context.Background(), []outbox.Event{poison}); err != nil {
		t.Fatalf("fifth attempt: Publish = %v, want nil: the event is given up on", err)
	}
	dead := bus.DeadLetters()
	if len(dead) != 1 || dead[0].ID != "poison" || attempts != 5 {
		t.Fatalf("dead letters = %v after %d attempts, want the poison event after 5", dead, attempts)
	}
	// The returned slice is a copy.
	dead[0].ID = "changed"
	if bus.DeadLetters()[0].ID != "poison" {
		t.Fatal("DeadLetters must return a copy")
	}
}

func TestLocalBus_SuccessResetsTheAttemptCount(t *testing.T) {
	failing := true
	d := outbox.NewDispatcher()
	d.On("T", "c", func(context.Context, outbox.Event) error {
		if failing {
			return errors.New("flaky")
		}
		return nil
	})
	bus := NewLocalBus(d, discard)
	ev := event("flaky", "T")
	publish := func(n int) {
		for range n {
			_ = bus.Publish(context.Background(), []outbox.Event{ev})
		}
	}
	publish(4)
	failing = false
	publish(1)
	failing = true
	publish(4)
	if n := len(bus.DeadLetters()); n != 0 {
		t.Fatalf("%d dead letters; a success must reset the count of failures", n)
	}
	if err := bus.Publish(context.Background(), []outbox.Event{ev}); err != nil {
		t.Fatalf("fifth failure in a row: Publish = %v, want dead-lettered", err)
	}
	if n := len(bus.DeadLetters()); n != 1 {
		t.Fatalf("%d dead letters, want 1", n)
	}
}
