package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
)

// item is one DynamoDB item.
type item = map[string]types.AttributeValue

// cond is a condition expression with its placeholders.
type cond struct {
	expr   string
	names  map[string]string
	values item
}

var (
	condAbsent = cond{expr: "attribute_not_exists(pk)"}
	condExists = cond{expr: "attribute_exists(pk)"}
)

// txn collects the writes of one TransactWriteItems and, per write, the
// domain error its failed condition means.
type txn struct {
	table string
	items []types.TransactWriteItem
	fails []error
}

func (s *Store) newTxn() *txn { return &txn{table: s.table} }

// put writes a whole item; onFail is returned when c fails.
func (t *txn) put(it item, c cond, onFail error) {
	p := &types.Put{TableName: aws.String(t.table), Item: it}
	if c.expr != "" {
		p.ConditionExpression = aws.String(c.expr)
		p.ExpressionAttributeNames = nilIfEmpty(c.names)
		p.ExpressionAttributeValues = nilIfEmptyItem(c.values)
	}
	t.items = append(t.items, types.TransactWriteItem{Put: p})
	t.fails = append(t.fails, onFail)
}

// update applies an update expression; names and values of the update and
// the condition share one placeholder space.
func (t *txn) update(k key, update string, c cond, onFail error) {
	u := &types.Update{
		TableName:                 aws.String(t.table),
		Key:                       k.av(),
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  nilIfEmpty(c.names),
		ExpressionAttributeValues: nilIfEmptyItem(c.values),
	}
	if c.expr != "" {
		u.ConditionExpression = aws.String(c.expr)
	}
	t.items = append(t.items, types.TransactWriteItem{Update: u})
	t.fails = append(t.fails, onFail)
}

// Retry policy for TransactionConflict: bounded, with full jitter.
const (
	txnMaxAttempts = 8
	txnBaseBackoff = 5 * time.Millisecond
	txnMaxBackoff  = 200 * time.Millisecond
)

// errConditionUnexplained is used when a condition fails that the writer
// gave no domain meaning to; it means concurrent change.
var errConditionUnexplained = apperr.Conflict("the data changed while the request ran; retry")

// commit runs the transaction. A failed condition returns the domain error
// given for that write; conflicts with other transactions are retried a
// bounded number of times; faults become UNAVAILABLE.
func (s *Store) commit(ctx context.Context, t *txn) error {
	if len(t.items) == 0 {
		return nil
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: t.items}
	for attempt := 1; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) {
			conflict := false
			for i, r := range tce.CancellationReasons {
				switch aws.ToString(r.Code) {
				case "ConditionalCheckFailed":
					if i < len(t.fails) && t.fails[i] != nil {
						return t.fails[i]
					}
					return errConditionUnexplained
				case "TransactionConflict":
					conflict = true
				}
			}
			if !conflict {
				return classify(err)
			}
		} else if !isRetryableConflict(err) {
			return classify(err)
		}
		if attempt >= txnMaxAttempts {
			return apperr.Unavailable(err)
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

func isRetryableConflict(err error) bool {
	var inProgress *types.TransactionInProgressException
	var conflict *types.TransactionConflictException
	return errors.As(err, &inProgress) || errors.As(err, &conflict)
}

func backoff(attempt int) time.Duration {
	d := txnBaseBackoff << (attempt - 1)
	if d > txnMaxBackoff || d <= 0 {
		d = txnMaxBackoff
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return apperr.Unavailable(ctx.Err())
	case <-t.C:
		return nil
	}
}

// classify turns an SDK error into a domain error: faults a caller may
// retry become UNAVAILABLE (503), anything else is internal.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return apperr.Unavailable(err)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"InternalServerError", "ServiceUnavailable", "TransactionConflict", "TransactionConflictException",
			"TransactionInProgressException", "LimitExceededException":
			return apperr.Unavailable(err)
		}
		if api.ErrorFault() == smithy.FaultServer {
			return apperr.Unavailable(err)
		}
		return apperr.Internal(err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return apperr.Unavailable(err)
	}
	return apperr.Unavailable(err)
}

// isConditionFailed reports whether a single-item write failed its condition.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func (k key) av() item {
	return item{catalog.AttrPK: &types.AttributeValueMemberS{Value: k.pk}, catalog.AttrSK: &types.AttributeValueMemberS{Value: k.sk}}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmptyItem(m item) item {
	if len(m) == 0 {
		return nil
	}
	return m
}
