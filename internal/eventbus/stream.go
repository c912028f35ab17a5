package eventbus

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/outbox"
)

// Decoder turns an outbox item image into an event (store.EventFromItem).
type Decoder func(map[string]types.AttributeValue) (outbox.Event, error)

// Deleter removes published outbox items.
type Deleter interface {
	DeleteEvents(ctx context.Context, ids []string) error
}

// StreamRelay is the handler of the relay function: it publishes the outbox
// items inserted in the table stream and deletes them once published.
type StreamRelay struct {
	publisher outbox.Publisher
	decode    Decoder
	deleter   Deleter
	log       *slog.Logger
}

// NewStreamRelay returns the stream relay.
func NewStreamRelay(p outbox.Publisher, decode Decoder, d Deleter, log *slog.Logger) *StreamRelay {
	return &StreamRelay{publisher: p, decode: decode, deleter: d, log: log}
}

// Handle publishes the batch in order; on the first failure it reports that
// record and every later one, so the stream retries from there (records of
// a shard must not overtake each other).
func (r *StreamRelay) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	var published []string
	for i, rec := range ev.Records {
		if rec.EventName != string(events.DynamoDBOperationTypeInsert) {
			continue
		}
		img, err := fromStreamImage(rec.Change.NewImage)
		if err != nil {
			return failFrom(ev.Records, i, resp), nil
		}
		if kind, _ := img[catalog.AttrKind].(*types.AttributeValueMemberS); kind == nil || kind.Value != catalog.KindOutbox {
			continue
		}
		e, err := r.decode(img)
		if err == nil {
			err = r.publisher.Publish(ctx, []outbox.Event{e})
		}
		if err != nil {
			r.log.ErrorContext(ctx, "relay failed", slog.String("sequence", rec.Change.SequenceNumber), slog.Any("error", err))
			return failFrom(ev.Records, i, resp), nil
		}
		published = append(published, e.ID)
	}
	// Deleting is housekeeping (items also expire by TTL); a failure here
	// must not republish what was delivered.
	if err := r.deleter.DeleteEvents(ctx, published); err != nil {
		r.log.WarnContext(ctx, "published outbox items not deleted", slog.Any("error", err))
	}
	return resp, nil
}

func failFrom(recs []events.DynamoDBEventRecord, i int, resp events.DynamoDBEventResponse) events.DynamoDBEventResponse {
	for _, rec := range recs[i:] {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
	}
	return resp
}

// fromStreamImage converts a stream image to SDK attribute values.
func fromStreamImage(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromStreamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeMap:
		m, err := fromStreamImage(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, e := range v.List() {
			av, err := fromStreamValue(e)
			if err != nil {
				return nil, err
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	}
	return nil, fmt.Errorf("unsupported stream type %v", v.DataType())
}
