// Package dynamometer measures what DynamoDB work an operation costs: it
// wraps the client, counts round trips and items, and computes read and
// write capacity units from item sizes with DynamoDB's sizing rules (the
// embedded engine reports no ConsumedCapacity). It is a measuring tool for
// benchmarks, not a production component.
package dynamometer

import (
	"context"
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/store"
)

// Usage is the DynamoDB work counted so far.
type Usage struct {
	RoundTrips   int
	ItemsRead    int
	ItemsWritten int
	RCU          float64
	WCU          float64
	// LastTransactionItems is the size in bytes of each item of the last
	// TransactWriteItems (the after-image), for a baseline of equal size.
	LastTransactionItems []int
}

// Meter is a store.DB that counts what passes through it. Sizes of updated
// items are read back from the table without being counted.
type Meter struct {
	db store.DB

	mu sync.Mutex
	u  Usage
	// updated holds the updates whose size is read back at Reset, outside
	// any timed region: items whose write units wait for their after-image.
	updated []pendingUpdate
}

type pendingUpdate struct {
	table       string
	key         map[string]types.AttributeValue
	factor      float64 // 2 inside a transaction
	transaction bool
}

var _ store.DB = (*Meter)(nil)

// New wraps db.
func New(db store.DB) *Meter { return &Meter{db: db} }

// Reset zeroes the counters and returns what they held, after reading
// back the sizes of updated items.
func (m *Meter) Reset() Usage {
	m.mu.Lock()
	pending := m.updated
	m.updated = nil
	m.mu.Unlock()
	var wcu float64
	var sizes []int
	for _, p := range pending {
		size := Size(m.afterImage(context.Background(), p.table, p.key))
		wcu += p.factor * writeUnits(size)
		if p.transaction {
			sizes = append(sizes, size)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.u
	u.WCU += wcu
	u.LastTransactionItems = append(u.LastTransactionItems, sizes...)
	m.u = Usage{}
	return u
}

func (m *Meter) add(f func(u *Usage)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(&m.u)
}

// Size is an item's size by DynamoDB's rules: attribute name lengths plus
// value sizes (strings by UTF-8 length, numbers about one byte per two
// significant digits plus one, 3 bytes of overhead for lists and maps plus
// one per element).
func Size(it map[string]types.AttributeValue) int {
	n := 0
	for k, v := range it {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		digits := strings.Trim(strings.TrimLeft(strings.ReplaceAll(strings.TrimPrefix(v.Value, "-"), ".", ""), "0"), "0")
		return (utf8.RuneCountInString(digits)+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberM:
		return 3 + Size(v.Value) + len(v.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueSize(e) + 1
		}
		return n
	}
	return 0
}

func readUnits(bytes int, consistent bool) float64 {
	u := math.Ceil(float64(max(bytes, 1)) / 4096)
	if !consistent {
		u /= 2
	}
	return u
}

func writeUnits(bytes int) float64 { return math.Ceil(float64(max(bytes, 1)) / 1024) }

// indexWrites is the capacity the indexes of an item cost: each index whose
// keys the item has receives a write (keys-only gsi2: the keys only).
func indexWrites(it map[string]types.AttributeValue, size int) float64 {
	var w float64
	if _, ok := it["gsi1pk"]; ok {
		w += writeUnits(size)
	}
	if _, ok := it["gsi2pk"]; ok {
		keys := 0
		for _, k := range []string{"pk", "sk", "gsi2pk", "gsi2sk"} {
			if v, ok := it[k]; ok {
				keys += len(k) + valueSize(v)
			}
		}
		w += writeUnits(keys)
	}
	return w
}

func (m *Meter) afterImage(ctx context.Context, table string, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	out, err := m.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return key
	}
	return out.Item
}

// GetItem implements store.DB.
func (m *Meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := m.db.GetItem(ctx, in, opts...)
	m.add(func(u *Usage) {
		u.RoundTrips++
		if err == nil && out.Item != nil {
			u.ItemsRead++
			u.RCU += readUnits(Size(out.Item), aws.ToBool(in.ConsistentRead))
		} else {
			u.RCU += readUnits(0, aws.ToBool(in.ConsistentRead))
		}
	})
	return out, err
}

// PutItem implements store.DB.
func (m *Meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := m.db.PutItem(ctx, in, opts...)
	size := Size(in.Item)
	m.add(func(u *Usage) {
		u.RoundTrips++
		u.ItemsWritten++
		u.WCU += writeUnits(size) + indexWrites(in.Item, size)
	})
	return out, err
}

// UpdateItem implements store.DB.
func (m *Meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := m.db.UpdateItem(ctx, in, opts...)
	m.add(func(u *Usage) {
		u.RoundTrips++
		u.ItemsWritten++
		m.updated = append(m.updated, pendingUpdate{table: aws.ToString(in.TableName), key: in.Key, factor: 1})
	})
	return out, err
}

// DeleteItem implements store.DB.
func (m *Meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	before := m.afterImage(ctx, aws.ToString(in.TableName), in.Key)
	out, err := m.db.DeleteItem(ctx, in, opts...)
	size := Size(before)
	m.add(func(u *Usage) {
		u.RoundTrips++
		u.ItemsWritten++
		u.WCU += writeUnits(size) + indexWrites(before, size)
	})
	return out, err
}

// Query implements store.DB.
func (m *Meter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := m.db.Query(ctx, in, opts...)
	if err != nil {
		m.read(nil, false)
		return out, err
	}
	m.read(out.Items, aws.ToBool(in.ConsistentRead))
	return out, err
}

// Scan implements store.DB.
func (m *Meter) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	out, err := m.db.Scan(ctx, in, opts...)
	if err != nil {
		m.read(nil, false)
		return out, err
	}
	m.read(out.Items, aws.ToBool(in.ConsistentRead))
	return out, err
}

// read counts one round trip returning items: a query or scan is charged
// for the total size of what it read, rounded up once.
func (m *Meter) read(items []map[string]types.AttributeValue, consistent bool) {
	m.add(func(u *Usage) {
		u.RoundTrips++
		if items == nil {
			return
		}
		bytes := 0
		for _, it := range items {
			bytes += Size(it)
		}
		u.ItemsRead += len(items)
		u.RCU += readUnits(bytes, consistent)
	})
}

// BatchGetItem implements store.DB.
func (m *Meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := m.db.BatchGetItem(ctx, in, opts...)
	m.add(func(u *Usage) {
		u.RoundTrips++
		if err != nil {
			return
		}
		for table, items := range out.Responses {
			consistent := aws.ToBool(in.RequestItems[table].ConsistentRead)
			for _, it := range items {
				u.ItemsRead++
				u.RCU += readUnits(Size(it), consistent)
			}
		}
	})
	return out, err
}

// BatchWriteItem implements store.DB.
func (m *Meter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	out, err := m.db.BatchWriteItem(ctx, in, opts...)
	m.add(func(u *Usage) {
		u.RoundTrips++
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				u.ItemsWritten++
				if r.PutRequest != nil {
					size := Size(r.PutRequest.Item)
					u.WCU += writeUnits(size) + indexWrites(r.PutRequest.Item, size)
				} else {
					u.WCU++
				}
			}
		}
	})
	return out, err
}

// TransactWriteItems implements store.DB: every item costs twice its
// write units (transactions prepare and commit), condition checks twice
// their read units.
func (m *Meter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := m.db.TransactWriteItems(ctx, in, opts...)
	var sizes []int
	var updates []pendingUpdate
	var wcu, rcu float64
	written := 0
	for _, ti := range in.TransactItems {
		switch {
		case ti.Put != nil:
			size := Size(ti.Put.Item)
			sizes = append(sizes, size)
			wcu += 2 * (writeUnits(size) + indexWrites(ti.Put.Item, size))
			written++
		case ti.Update != nil:
			updates = append(updates, pendingUpdate{table: aws.ToString(ti.Update.TableName), key: ti.Update.Key, factor: 2, transaction: true})
			written++
		case ti.Delete != nil:
			wcu += 2
			written++
		case ti.ConditionCheck != nil:
			rcu += 2
		}
	}
	m.add(func(u *Usage) {
		u.RoundTrips++
		if err == nil {
			u.ItemsWritten += written
			u.WCU += wcu
			u.RCU += rcu
			m.updated = append(m.updated, updates...)
		}
		u.LastTransactionItems = sizes
	})
	return out, err
}

// TransactGetItems implements store.DB.
func (m *Meter) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	out, err := m.db.TransactGetItems(ctx, in, opts...)
	m.add(func(u *Usage) {
		u.RoundTrips++
		if err != nil {
			return
		}
		for _, r := range out.Responses {
			u.ItemsRead++
			u.RCU += 2 * readUnits(Size(r.Item), true)
		}
	})
	return out, err
}
