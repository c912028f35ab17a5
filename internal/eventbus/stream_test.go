package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/outbox"
	"github.com/arkmember/arkmember/internal/store"
)

// recordingPublisher publishes one event per call, failing for failID.
type recordingPublisher struct {
	published []string
	failID    string
}

func (p *recordingPublisher) Publish(_ context.Context, evs []outbox.Event) error {
	for _, ev := range evs {
		if ev.ID == p.failID {
			return errors.New("bus down")
		}
		p.published = append(p.published, ev.ID)
	}
	return nil
}

type recordingDeleter struct {
	calls [][]string
	err   error
}

func (d *recordingDeleter) DeleteEvents(_ context.Context, ids []string) error {
	d.calls = append(d.calls, ids)
	return d.err
}

func (d *recordingDeleter) deleted() []string {
	var out []string
	for _, c := range d.calls {
		out = append(out, c...)
	}
	return out
}

// outboxImage is the stream image of the outbox item of event id, as the
// store writes it.
func outboxImage(id string) map[string]events.DynamoDBAttributeValue {
	s := events.NewStringAttribute
	return map[string]events.DynamoDBAttributeValue{
		"pk": s("OUTBOX#" + id), "sk": s("OUTBOX"), "kind": s("OUTBOX"),
		"gsi1pk": s("OUTBOX#3"), "gsi1sk": s(id), "ttl": events.NewNumberAttribute("1796112000"),
		"eventId": s(id), "type": s("POINTS_EARNED"), "occurredAt": s("2026-11-24T08:00:00.000Z"),
		"memberId": s("m1"), "data": s(`{"points":10}`),
	}
}

func memberImage(id string) map[string]events.DynamoDBAttributeValue {
	s := events.NewStringAttribute
	return map[string]events.DynamoDBAttributeValue{"pk": s("MEMBER#" + id), "sk": s("PROFILE"), "kind": s("MEMBER")}
}

func record(seq, name string, img map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventName: name, Change: events.DynamoDBStreamRecord{SequenceNumber: seq, NewImage: img}}
}

func sequences(resp events.DynamoDBEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func TestStreamRelay_PublishesOnlyOutboxInserts(t *testing.T) {
	noKind := outboxImage("e-nokind")
	delete(noKind, "kind")
	numericKind := outboxImage("e-numkind")
	numericKind["kind"] = events.NewNumberAttribute("1")
	recs := []events.DynamoDBEventRecord{
		record("1", "INSERT", outboxImage("e1")),
		record("2", "MODIFY", outboxImage("e-modified")),
		record("3", "REMOVE", outboxImage("e-removed")),
		record("4", "INSERT", memberImage("m1")),
		record("5", "INSERT", noKind),
		record("6", "INSERT", numericKind),
		record("7", "INSERT", outboxImage("e2")),
	}
	pub, del := &recordingPublisher{}, &recordingDeleter{}
	resp, err := NewStreamRelay(pub, store.EventFromItem, del, discard).Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %v, %v; want no failures", sequences(resp), err)
	}
	if want := []string{"e1", "e2"}; !reflect.DeepEqual(pub.published, want) {
		t.Fatalf("published = %v, want %v in stream order", pub.published, want)
	}
	if want := []string{"e1", "e2"}; !reflect.DeepEqual(del.deleted(), want) {
		t.Fatalf("deleted = %v, want %v", del.deleted(), want)
	}
}

func TestStreamRelay_PublishesTheDecodedEvent(t *testing.T) {
	var got outbox.Event
	pub := publisherFunc(func(_ context.Context, evs []outbox.Event) error { got = evs[0]; return nil })
	_, _ = NewStreamRelay(pub, store.EventFromItem, &recordingDeleter{}, discard).Handle(context.Background(),
		events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record("1", "INSERT", outboxImage("e1"))}})
	if got.ID != "e1" || got.Type != "POINTS_EARNED" || got.MemberID != "m1" || !got.OccurredAt.Equal(testNow) || string(got.Data) != `{"points":10}` {
		t.Fatalf("published %+v", got)
	}
}

type publisherFunc func(ctx context.Context, evs []outbox.Event) error

func (f publisherFunc) Publish(ctx context.Context, evs []outbox.Event) error { return f(ctx, evs) }

func TestStreamRelay_FailureReportsThatRecordAndEveryLaterOne(t *testing.T) {
	undecodable := outboxImage("e-bad")
	delete(undecodable, "eventId")
	tests := []struct {
		name          string
		recs          []events.DynamoDBEventRecord
		failID        string
		wantPublished []string
		wantFailed    []string
	}{
		{
			name: "publish fails in the middle",
			recs: []events.DynamoDBEventRecord{
				record("1", "INSERT", outboxImage("e1")),
				record("2", "INSERT", outboxImage("e2")),
				record("3", "INSERT", memberImage("m1")), // not outbox, still after the failure
				record("4", "MODIFY", outboxImage("e3")),
				record("5", "INSERT", outboxImage("e4")),
			},
			failID:        "e2",
			wantPublished: []string{"e1"},
			wantFailed:    []string{"2", "3", "4", "5"},
		},
		{
			name: "publish fails on the first record",
			recs: []events.DynamoDBEventRecord{
				record("1", "INSERT", outboxImage("e1")),
				record("2", "INSERT", outboxImage("e2")),
			},
			failID:     "e1",
			wantFailed: []string{"1", "2"},
		},
		{
			name: "undecodable outbox item",
			recs: []events.DynamoDBEventRecord{
				record("1", "INSERT", outboxImage("e1")),
				record("2", "INSERT", undecodable),
				record("3", "INSERT", outboxImage("e3")),
			},
			wantPublished: []string{"e1"},
			wantFailed:    []string{"2", "3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, del := &recordingPublisher{failID: tt.failID}, &recordingDeleter{}
			resp, err := NewStreamRelay(pub, store.EventFromItem, del, discard).Handle(context.Background(), events.DynamoDBEvent{Records: tt.recs})
			if err != nil {
				t.Fatalf("Handle error = %v; failures go in the response", err)
			}
			if got := sequences(resp); !reflect.DeepEqual(got, tt.wantFailed) {
				t.Fatalf("failed sequences = %v, want %v", got, tt.wantFailed)
			}
			if !reflect.DeepEqual(pub.published, tt.wantPublished) {
				t.Fatalf("published = %v, want %v", pub.published, tt.wantPublished)
			}
			// Only published items may be deleted: the rest must stay for
			// the retry.
			for _, id := range del.deleted() {
				if !contains(pub.published, id) {
					t.Fatalf("deleted %s, which was not published", id)
				}
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

func TestStreamRelay_DeleteFailureDoesNotFailTheBatch(t *testing.T) {
	pub, del := &recordingPublisher{}, &recordingDeleter{err: errors.New("throttled")}
	resp, err := NewStreamRelay(pub, store.EventFromItem, del, discard).Handle(context.Background(),
		events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record("1", "INSERT", outboxImage("e1"))}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %v, %v; a failed delete must not republish what was delivered", sequences(resp), err)
	}
	if len(del.calls) != 1 || !reflect.DeepEqual(del.calls[0], []string{"e1"}) {
		t.Fatalf("delete calls = %v", del.calls)
	}
}

func TestFromStreamValue_ConvertsEveryType(t *testing.T) {
	tests := []struct {
		name string
		in   events.DynamoDBAttributeValue
		want types.AttributeValue
	}{
		{"string", events.NewStringAttribute("a"), &types.AttributeValueMemberS{Value: "a"}},
		{"empty string", events.NewStringAttribute(""), &types.AttributeValueMemberS{Value: ""}},
		{"number", events.NewNumberAttribute("-12.50"), &types.AttributeValueMemberN{Value: "-12.50"}},
		{"true", events.NewBooleanAttribute(true), &types.AttributeValueMemberBOOL{Value: true}},
		{"false", events.NewBooleanAttribute(false), &types.AttributeValueMemberBOOL{Value: false}},
		{"null", events.NewNullAttribute(), &types.AttributeValueMemberNULL{Value: true}},
		{"binary", events.NewBinaryAttribute([]byte{0, 1, 0xff}), &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}}},
		{"string set", events.NewStringSetAttribute([]string{"a", "b"}), &types.AttributeValueMemberSS{Value: []string{"a", "b"}}},
		{"number set", events.NewNumberSetAttribute([]string{"1", "2.5"}), &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}}},
		{"binary set", events.NewBinarySetAttribute([][]byte{{1}, {2, 3}}), &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}}},
		{
			"map with nested values",
			events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
				"n":     events.NewNumberAttribute("1"),
				"inner": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"s": events.NewStringAttribute("x")}),
			}),
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"n":     &types.AttributeValueMemberN{Value: "1"},
				"inner": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"s": &types.AttributeValueMemberS{Value: "x"}}},
			}},
		},
		{
			"list of mixed values in order",
			events.NewListAttribute([]events.DynamoDBAttributeValue{
				events.NewStringAttribute("x"), events.NewNullAttribute(),
				events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewBooleanAttribute(true)}),
			}),
			&types.AttributeValueMemberL{Value: []types.AttributeValue{
				&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberNULL{Value: true},
				&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true}}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fromStreamValue(tt.in)
			if err != nil {
				t.Fatalf("fromStreamValue = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("fromStreamValue = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// A stream record arrives as JSON; every type must survive that too.
func TestFromStreamImage_DecodesAStreamRecordFromJSON(t *testing.T) {
	raw := `{"eventName":"INSERT","dynamodb":{"SequenceNumber":"9","NewImage":{
		"s":{"S":"a"},"n":{"N":"1"},"b":{"B":"AAH/"},"t":{"BOOL":true},"z":{"NULL":true},
		"ss":{"SS":["a"]},"ns":{"NS":["2"]},"bs":{"BS":["AQ=="]},
		"m":{"M":{"k":{"S":"v"}}},"l":{"L":[{"N":"3"}]}}}}`
	var rec events.DynamoDBEventRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		t.Fatal(err)
	}
	img, err := fromStreamImage(rec.Change.NewImage)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.AttributeValue{
		"s":  &types.AttributeValueMemberS{Value: "a"},
		"n":  &types.AttributeValueMemberN{Value: "1"},
		"b":  &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}},
		"t":  &types.AttributeValueMemberBOOL{Value: true},
		"z":  &types.AttributeValueMemberNULL{Value: true},
		"ss": &types.AttributeValueMemberSS{Value: []string{"a"}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"2"}},
		"bs": &types.AttributeValueMemberBS{Value: [][]byte{{1}}},
		"m":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}}},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "3"}}},
	}
	if !reflect.DeepEqual(img, want) {
		t.Fatalf("image = %#v\nwant %#v", img, want)
	}
}
