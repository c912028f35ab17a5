package store

import (
	"context"

	"github.com/arkmember/arkmember/internal/audit"
	"github.com/arkmember/arkmember/internal/idempotency"
	"github.com/arkmember/arkmember/internal/outbox"
)

// CommitProbe commits a transaction of an idempotency record, an outbox
// event and an audit entry: enough to test the transaction machinery from
// the external test package.
func (s *Store) CommitProbe(ctx context.Context, rec idempotency.Record, ev outbox.Event, entry audit.Entry) (*idempotency.Record, error) {
	t := s.newTxn()
	t.idempotency(rec)
	t.event(ev)
	t.audit(entry)
	return s.commitIdempotent(ctx, t, rec)
}

// MarkConsumed commits a consumed marker alone.
func (s *Store) MarkConsumed(ctx context.Context, consumer, eventID string) error {
	t := s.newTxn()
	t.consumed(consumer, eventID, s.clock.Now().Unix())
	return s.commit(ctx, t)
}
