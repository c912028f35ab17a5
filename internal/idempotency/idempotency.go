// Package idempotency makes money-like writes safe to retry: each carries the
// caller's business number (bizNo); the first request stores its response in
// the same transaction as its change, a replay of the same request gets that
// response back, and the same bizNo with another payload is refused.
package idempotency

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/arkmember/arkmember/internal/apperr"
)

// Record is the stored outcome of the first request with a bizNo.
type Record struct {
	Scope       string          // the operation, e.g. "points.earn"
	BizNo       string          // the caller's business number
	RequestHash string          // hash of the request that created it
	Status      int             // HTTP status of the original response
	Body        json.RawMessage // the original response body
	CreatedAt   time.Time
}

// ErrConflict is returned for a known bizNo with a different payload.
var ErrConflict = apperr.New(apperr.KindConflict, apperr.CodeIdempotencyConflict,
	"this bizNo was already used for a different request")

// Hash returns a stable hash of a request payload. Encoding a struct gives
// fields in declaration order, so equal requests hash equally.
func Hash(payload any) string {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("idempotency: encode %T: %v", payload, err))
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Replay checks a stored record against a new request's hash: the same
// request replays, another is a conflict.
func (r Record) Replay(requestHash string) error {
	if r.RequestHash != requestHash {
		return ErrConflict
	}
	return nil
}
