package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
)

// Store is the DynamoDB-backed repository of every capability.
type Store struct {
	db    DB
	table string
	clock clock.Clock
}

// New returns a store on table.
func New(db DB, table string, c clock.Clock) *Store {
	return &Store{db: db, table: table, clock: c}
}

// base holds the attributes every item has.
type base struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Kind   string `dynamodbav:"kind"`
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK string `dynamodbav:"gsi2sk,omitempty"`
	TTL    int64  `dynamodbav:"ttl,omitempty"`
}

func baseOf(k key, kind string) base { return base{PK: k.pk, SK: k.sk, Kind: kind} }

func marshal(v any) item {
	it, err := attributevalue.MarshalMap(v)
	if err != nil {
		// Only programming errors reach here: every record is a plain struct.
		panic(fmt.Sprintf("store: marshal %T: %v", v, err))
	}
	return it
}

func unmarshal(it item, v any) error {
	if err := attributevalue.UnmarshalMap(it, v); err != nil {
		return apperr.Internal(fmt.Errorf("store: unmarshal %T: %w", v, err))
	}
	return nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

// get reads one item strongly consistently; found is false when absent.
func (s *Store) get(ctx context.Context, k key, v any) (found bool, err error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            k.av(),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, classify(err)
	}
	if out.Item == nil {
		return false, nil
	}
	return true, unmarshal(out.Item, v)
}

// putNew creates an item that must not exist yet.
func (s *Store) putNew(ctx context.Context, v any, onExists error) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                marshal(v),
		ConditionExpression: aws.String(condAbsent.expr),
	})
	if isConditionFailed(err) {
		return onExists
	}
	return classify(err)
}

// pageQuery is one page of a query over a partition of the table or of gsi1.
type pageQuery struct {
	index     string // "" for the table, else the index name
	partition string
	// skFrom and skTo bound the sort key (inclusive) when set.
	skFrom, skTo string
	newestFirst  bool
	filter       *cond
	limit        int
	cursor       string
}

// cursorKey is the decoded form of a list cursor: the key of the last item
// of the previous page.
type cursorKey struct {
	PK      string `json:"pk"`
	SK      string `json:"sk"`
	IndexPK string `json:"ip,omitempty"`
	IndexSK string `json:"is,omitempty"`
}

var errBadCursor = apperr.Invalid("bad paging", apperr.FieldError{Field: "cursor", Message: "is not a cursor of this list"})

// query returns up to q.limit items and the cursor of the next page ("" on
// the last). With a filter it keeps reading until the page is full, so a
// page is never short unless it is the last.
func (s *Store) query(ctx context.Context, q pageQuery) ([]item, string, error) {
	pkAttr, skAttr := indexKeys(q.index)
	names := map[string]string{"#p": pkAttr}
	values := item{":p": str(q.partition)}
	keyExpr := "#p = :p"
	switch {
	case q.skFrom != "" && q.skTo != "":
		keyExpr += " AND #s BETWEEN :from AND :to"
		names["#s"], values[":from"], values[":to"] = skAttr, str(q.skFrom), str(q.skTo)
	case q.skFrom != "":
		keyExpr += " AND #s >= :from"
		names["#s"], values[":from"] = skAttr, str(q.skFrom)
	case q.skTo != "":
		keyExpr += " AND #s <= :to"
		names["#s"], values[":to"] = skAttr, str(q.skTo)
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String(keyExpr),
		ScanIndexForward:       aws.Bool(!q.newestFirst),
	}
	if q.index != "" {
		in.IndexName = aws.String(q.index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	if q.filter != nil {
		in.FilterExpression = aws.String(q.filter.expr)
		for k, v := range q.filter.names {
			names[k] = v
		}
		for k, v := range q.filter.values {
			values[k] = v
		}
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = names, values
	if q.cursor != "" {
		start, err := decodeCursor(q.cursor, q.index, q.partition)
		if err != nil {
			return nil, "", err
		}
		// A cursor of another list of the same partition would point
		// outside this query's range, which DynamoDB refuses.
		if sk := sOf(start[skAttr]); (q.skFrom != "" && sk < q.skFrom) || (q.skTo != "" && sk > q.skTo) {
			return nil, "", errBadCursor
		}
		in.ExclusiveStartKey = start
	}

	// One item more than the page tells whether another page exists, so the
	// last page never carries a cursor to an empty one.
	in.Limit = aws.Int32(int32(q.limit + 1))
	var out []item
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, "", classify(err)
		}
		out = append(out, res.Items...)
		if len(out) > q.limit {
			return out[:q.limit], encodeCursor(out[q.limit-1], q.index), nil
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// indexKeys names the key attributes of the table ("") or an index.
func indexKeys(index string) (pk, sk string) {
	switch index {
	case catalog.IndexGSI1:
		return catalog.AttrGSI1PK, catalog.AttrGSI1SK
	case catalog.IndexGSI2:
		return catalog.AttrGSI2PK, catalog.AttrGSI2SK
	}
	return catalog.AttrPK, catalog.AttrSK
}

func encodeCursor(it item, index string) string {
	c := cursorKey{PK: sOf(it[catalog.AttrPK]), SK: sOf(it[catalog.AttrSK])}
	if index != "" {
		pk, sk := indexKeys(index)
		c.IndexPK, c.IndexSK = sOf(it[pk]), sOf(it[sk])
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor rejects a cursor that points outside the queried partition,
// so a caller cannot page into someone else's data.
func decodeCursor(s, index, partition string) (item, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errBadCursor
	}
	var c cursorKey
	if err := json.Unmarshal(b, &c); err != nil || c.PK == "" || c.SK == "" {
		return nil, errBadCursor
	}
	k := item{catalog.AttrPK: str(c.PK), catalog.AttrSK: str(c.SK)}
	if index != "" {
		if c.IndexPK != partition || c.IndexSK == "" {
			return nil, errBadCursor
		}
		pk, sk := indexKeys(index)
		k[pk], k[sk] = str(c.IndexPK), str(c.IndexSK)
	} else if c.PK != partition {
		return nil, errBadCursor
	}
	return k, nil
}

func sOf(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// eachShard pages through the same query on every shard of a sharded index
// partition, calling fn for each item.
func (s *Store) eachShard(ctx context.Context, shards int, query func(shard int) pageQuery, fn func(item) error) error {
	for shard := 0; shard < shards; shard++ {
		q := query(shard)
		q.limit = 100
		for {
			items, next, err := s.query(ctx, q)
			if err != nil {
				return err
			}
			for _, it := range items {
				if err := fn(it); err != nil {
					return err
				}
			}
			if next == "" {
				break
			}
			q.cursor = next
		}
	}
	return nil
}
