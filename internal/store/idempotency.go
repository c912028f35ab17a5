package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/idempotency"
)

type idemItem struct {
	base
	Scope       string `dynamodbav:"scope"`
	BizNo       string `dynamodbav:"bizNo"`
	RequestHash string `dynamodbav:"requestHash"`
	Status      int    `dynamodbav:"status"`
	Body        string `dynamodbav:"body"`
	CreatedAt   string `dynamodbav:"createdAt"`
}

// errIdempotencyHit marks a transaction cancelled because its bizNo is known.
var errIdempotencyHit = errors.New("store: idempotency record exists")

// idempotency adds the record of this request. Put it first in the
// transaction: when the bizNo is known, that is the answer, whatever else
// would fail.
func (t *txn) idempotency(r idempotency.Record) { t.idempotencyWith(r, nil) }

// idempotencyWith adds the record with extra attributes of the operation
// (what a later reverse of it needs).
func (t *txn) idempotencyWith(r idempotency.Record, extra item) {
	it := marshal(idemItem{
		base:  baseOf(idemKey(r.Scope, r.BizNo), kindIdem),
		Scope: r.Scope, BizNo: r.BizNo, RequestHash: r.RequestHash, Status: r.Status, Body: string(r.Body), CreatedAt: ts(r.CreatedAt),
	})
	for k, v := range extra {
		it[k] = v
	}
	t.put(it, condAbsent, errIdempotencyHit)
}

// commitIdempotent commits a transaction holding an idempotency record for
// r. If the bizNo was used before it commits nothing and returns the stored
// record when the request is the same (a replay), or
// idempotency.ErrConflict when it differs.
func (s *Store) commitIdempotent(ctx context.Context, t *txn, r idempotency.Record) (replay *idempotency.Record, err error) {
	err = s.commit(ctx, t)
	if !errors.Is(err, errIdempotencyHit) {
		return nil, err
	}
	stored, found, err := s.Idempotency(ctx, r.Scope, r.BizNo)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, apperr.Internal(fmt.Errorf("store: idempotency record %s/%s vanished", r.Scope, r.BizNo))
	}
	if err := stored.Replay(r.RequestHash); err != nil {
		return nil, err
	}
	return &stored, nil
}

// commitOptionallyIdempotent commits t as commitIdempotent when r is set
// (a request with a bizNo) and plainly when not (a system change).
func (s *Store) commitOptionallyIdempotent(ctx context.Context, t *txn, r *idempotency.Record) (*idempotency.Record, error) {
	if r == nil {
		return nil, s.commit(ctx, t)
	}
	return s.commitIdempotent(ctx, t, *r)
}

// Idempotency reads the record of scope and bizNo.
func (s *Store) Idempotency(ctx context.Context, scope, bizNo string) (idempotency.Record, bool, error) {
	var it idemItem
	found, err := s.get(ctx, idemKey(scope, bizNo), &it)
	if err != nil || !found {
		return idempotency.Record{}, found, err
	}
	return idempotency.Record{
		Scope: it.Scope, BizNo: it.BizNo, RequestHash: it.RequestHash, Status: it.Status, Body: []byte(it.Body), CreatedAt: parseTS(it.CreatedAt),
	}, true, nil
}
