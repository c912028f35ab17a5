package localdb

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Dump writes every item of table to w, one DynamoDB-JSON object per line,
// and returns how many it wrote. On the embedded engine one Scan call sees a
// consistent table (the engine serialises all operations).
func Dump(ctx context.Context, db *dynamodb.Client, table string, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	in := &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)}
	for {
		out, err := db.Scan(ctx, in)
		if err != nil {
			return n, fmt.Errorf("localdb: scan %s: %w", table, err)
		}
		for _, it := range out.Items {
			line, err := json.Marshal(encodeItem(it))
			if err != nil {
				return n, err
			}
			if _, err := bw.Write(append(line, '\n')); err != nil {
				return n, err
			}
			n++
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return n, bw.Flush()
}

// Load puts every item of r (as written by Dump) into table and returns how
// many it loaded. Items are put one by one: batch writes on the embedded
// engine do not maintain secondary indexes the way puts do.
func Load(ctx context.Context, db *dynamodb.Client, table string, r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n, line := 0, 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var raw map[string]map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return n, fmt.Errorf("localdb: line %d: %w", line, err)
		}
		it, err := decodeItem(raw)
		if err != nil {
			return n, fmt.Errorf("localdb: line %d: %w", line, err)
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			return n, fmt.Errorf("localdb: put line %d: %w", line, err)
		}
		n++
	}
	return n, sc.Err()
}

func encodeItem(it map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(it))
	for k, v := range it {
		out[k] = encodeValue(v)
	}
	return out
}

func encodeValue(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), v.Value...)
		sort.Strings(s)
		return map[string]any{"SS": s}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *types.AttributeValueMemberBS:
		var bs []string
		for _, b := range v.Value {
			bs = append(bs, base64.StdEncoding.EncodeToString(b))
		}
		return map[string]any{"BS": bs}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": encodeItem(v.Value)}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = encodeValue(e)
		}
		return map[string]any{"L": l}
	}
	panic(fmt.Sprintf("localdb: unknown attribute value %T", v))
}

func decodeItem(raw map[string]map[string]json.RawMessage) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(raw))
	for k, v := range raw {
		av, err := decodeValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func decodeValue(v map[string]json.RawMessage) (types.AttributeValue, error) {
	if len(v) != 1 {
		return nil, fmt.Errorf("a value must have exactly one type")
	}
	for typ, raw := range v {
		switch typ {
		case "S":
			var s string
			err := json.Unmarshal(raw, &s)
			return &types.AttributeValueMemberS{Value: s}, err
		case "N":
			var s string
			err := json.Unmarshal(raw, &s)
			return &types.AttributeValueMemberN{Value: s}, err
		case "B":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			b, err := base64.StdEncoding.DecodeString(s)
			return &types.AttributeValueMemberB{Value: b}, err
		case "BOOL":
			var b bool
			err := json.Unmarshal(raw, &b)
			return &types.AttributeValueMemberBOOL{Value: b}, err
		case "NULL":
			return &types.AttributeValueMemberNULL{Value: true}, nil
		case "SS":
			var s []string
			err := json.Unmarshal(raw, &s)
			return &types.AttributeValueMemberSS{Value: s}, err
		case "NS":
			var s []string
			err := json.Unmarshal(raw, &s)
			return &types.AttributeValueMemberNS{Value: s}, err
		case "BS":
			var s []string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			var bs [][]byte
			for _, e := range s {
				b, err := base64.StdEncoding.DecodeString(e)
				if err != nil {
					return nil, err
				}
				bs = append(bs, b)
			}
			return &types.AttributeValueMemberBS{Value: bs}, nil
		case "M":
			var m map[string]map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, err
			}
			inner, err := decodeItem(m)
			return &types.AttributeValueMemberM{Value: inner}, err
		case "L":
			var l []map[string]json.RawMessage
			if err := json.Unmarshal(raw, &l); err != nil {
				return nil, err
			}
			out := make([]types.AttributeValue, len(l))
			for i, e := range l {
				av, err := decodeValue(e)
				if err != nil {
					return nil, err
				}
				out[i] = av
			}
			return &types.AttributeValueMemberL{Value: out}, nil
		default:
			return nil, fmt.Errorf("unknown type %q", typ)
		}
	}
	return nil, nil
}
