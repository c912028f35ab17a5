package store

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/outbox"
)

var _ outbox.Pending = (*Store)(nil)

// outboxShards spreads pending events over this many gsi1 partitions, so
// the index is no hot partition: each takes ~1,000 writes/s.
const outboxShards = 8

// outboxRetention is how long an unpublished event stays before DynamoDB
// drops it; the relay normally deletes it within seconds.
const outboxRetention = 7 * 24 * 3600

// consumedRetention outlives any redelivery (SQS keeps messages ≤ 14 days).
const consumedRetention = 30 * 24 * 3600

type outboxItem struct {
	base
	EventID    string `dynamodbav:"eventId"`
	Type       string `dynamodbav:"type"`
	OccurredAt string `dynamodbav:"occurredAt"`
	MemberID   string `dynamodbav:"memberId,omitempty"`
	Data       string `dynamodbav:"data"`
}

func outboxShard(eventID string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(eventID))
	return int(h.Sum32() % outboxShards)
}

// event adds an outbox item for ev to the transaction.
func (t *txn) event(ev outbox.Event) {
	g := outboxGSI(outboxShard(ev.ID), ev.ID)
	it := outboxItem{
		base:    baseOf(outboxKey(ev.ID), kindOutbox),
		EventID: ev.ID, Type: ev.Type, OccurredAt: ts(ev.OccurredAt), MemberID: ev.MemberID, Data: string(ev.Data),
	}
	it.GSI1PK, it.GSI1SK = g.pk, g.sk
	it.TTL = ev.OccurredAt.Unix() + outboxRetention
	t.put(marshal(it), condAbsent, apperr.Internal(fmt.Errorf("event id %s reused", ev.ID)))
}

// consumed adds the marker that consumer handled eventID; a second handling
// fails the transaction with outbox.ErrDuplicate, so nothing happens twice.
func (t *txn) consumed(consumer, eventID string, now int64) {
	it := base{PK: consumedKey(consumer, eventID).pk, SK: consumedKey(consumer, eventID).sk, Kind: kindConsumed, TTL: now + consumedRetention}
	t.put(marshal(it), condAbsent, outbox.ErrDuplicate)
}

// EventFromItem decodes an outbox item (from a query or a stream image).
func EventFromItem(it map[string]types.AttributeValue) (outbox.Event, error) {
	var o outboxItem
	if err := unmarshal(it, &o); err != nil {
		return outbox.Event{}, err
	}
	if o.Kind != kindOutbox || o.EventID == "" {
		return outbox.Event{}, apperr.Internal(fmt.Errorf("store: not an outbox item: %s/%s", o.PK, o.SK))
	}
	return outbox.Event{ID: o.EventID, Type: o.Type, OccurredAt: parseTS(o.OccurredAt), MemberID: o.MemberID, Data: json.RawMessage(o.Data)}, nil
}

// PendingEvents implements outbox.Pending: the oldest unpublished events of
// every shard.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]outbox.Event, error) {
	var out []outbox.Event
	for shard := 0; shard < outboxShards && len(out) < limit; shard++ {
		items, _, err := s.query(ctx, pageQuery{index: catalog.IndexGSI1, partition: outboxGSI(shard, "").pk, limit: limit - len(out)})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			// The index may lag a delete (and the embedded engine keeps
			// removed keys); re-check the item's kind.
			ev, err := EventFromItem(it)
			if err != nil {
				continue
			}
			out = append(out, ev)
		}
	}
	return out, nil
}

// DeleteEvents implements outbox.Pending.
func (s *Store) DeleteEvents(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += 25 {
		var reqs []types.WriteRequest
		for _, id := range ids[start:min(start+25, len(ids))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: outboxKey(id).av()}})
		}
		if err := s.batchWrite(ctx, reqs); err != nil {
			return err
		}
	}
	return nil
}

// batchWrite writes up to 25 requests, retrying unprocessed ones a bounded
// number of times.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for attempt := 1; len(reqs) > 0; attempt++ {
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: reqs}})
		if err != nil {
			return classify(err)
		}
		reqs = out.UnprocessedItems[s.table]
		if len(reqs) == 0 {
			return nil
		}
		if attempt >= txnMaxAttempts {
			return apperr.Unavailable(fmt.Errorf("store: %d writes left unprocessed", len(reqs)))
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
	return nil
}
