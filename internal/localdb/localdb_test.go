package localdb_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/localdb"
)

// engine starts an embedded engine for this test with the main table.
func engine(t *testing.T) *localdb.Engine {
	t.Helper()
	e, err := localdb.Start(context.Background())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := localdb.CreateTable(context.Background(), e.Client, "main", catalog.MainTable); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return e
}

func TestCreateTable_CreatesTheCatalogDefinition(t *testing.T) {
	t.Parallel()
	e := engine(t)
	out, err := e.Client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("main")})
	if err != nil {
		t.Fatal(err)
	}
	td := out.Table
	if got := keySchema(td.KeySchema); got != "pk HASH, sk RANGE" {
		t.Errorf("key schema = %s", got)
	}
	// The embedded engine's DescribeTable leaves out attribute definitions,
	// so the key types are checked by the puts of the other tests.
	gsis := map[string]string{}
	for _, g := range td.GlobalSecondaryIndexes {
		proj := ""
		if g.Projection != nil {
			proj = string(g.Projection.ProjectionType)
		}
		gsis[aws.ToString(g.IndexName)] = keySchema(g.KeySchema) + " / " + proj
	}
	want := map[string]string{}
	for _, g := range catalog.MainTable.GSIs {
		want[g.Name] = g.PartitionKey + " HASH, " + g.SortKey + " RANGE / " + g.Projection
	}
	if !reflect.DeepEqual(gsis, want) {
		t.Errorf("indexes = %v, want %v", gsis, want)
	}
	if want["gsi1"] != "gsi1pk HASH, gsi1sk RANGE / ALL" || want["gsi2"] != "gsi2pk HASH, gsi2sk RANGE / KEYS_ONLY" {
		t.Errorf("the catalog changed its indexes: %v; update this test with docs/data-model.md", want)
	}
}

func keySchema(ks []types.KeySchemaElement) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(parts, ", ")
}

func TestCreateTable_IsIdempotent(t *testing.T) {
	t.Parallel()
	e := engine(t)
	ctx := context.Background()
	put(t, e, item("a", "1", nil))
	for i := range 2 {
		if err := localdb.CreateTable(ctx, e.Client, "main", catalog.MainTable); err != nil {
			t.Fatalf("CreateTable again (%d): %v", i+1, err)
		}
	}
	if got := scan(t, e, "main"); len(got) != 1 {
		t.Fatalf("%d items after re-creating; an existing table must be left alone", len(got))
	}
}

func item(pk, sk string, extra map[string]types.AttributeValue) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}
	for k, v := range extra {
		it[k] = v
	}
	return it
}

func put(t *testing.T, e *localdb.Engine, it map[string]types.AttributeValue) {
	t.Helper()
	if _, err := e.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("main"), Item: it}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

func scan(t *testing.T, e *localdb.Engine, table string) map[string]map[string]types.AttributeValue {
	t.Helper()
	out, err := e.Client.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]map[string]types.AttributeValue{}
	for _, it := range out.Items {
		byKey[it["pk"].(*types.AttributeValueMemberS).Value+"|"+it["sk"].(*types.AttributeValueMemberS).Value] = normalize(it)
	}
	return byKey
}

// normalize sorts sets, whose order DynamoDB does not keep.
func normalize(it map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for k, v := range it {
		out[k] = normalizeValue(v)
	}
	return out
}

func normalizeValue(v types.AttributeValue) types.AttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), v.Value...)
		sort.Strings(s)
		return &types.AttributeValueMemberSS{Value: s}
	case *types.AttributeValueMemberNS:
		s := append([]string(nil), v.Value...)
		sort.Strings(s)
		return &types.AttributeValueMemberNS{Value: s}
	case *types.AttributeValueMemberBS:
		s := append([][]byte(nil), v.Value...)
		sort.Slice(s, func(i, j int) bool { return bytes.Compare(s[i], s[j]) < 0 })
		return &types.AttributeValueMemberBS{Value: s}
	case *types.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: normalize(v.Value)}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = normalizeValue(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	}
	return v
}

// everyType holds one attribute of every DynamoDB type, nested ones too.
func everyType() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"s":     &types.AttributeValueMemberS{Value: "会员 \"quoted\"\n"},
		"n":     &types.AttributeValueMemberN{Value: "-12.5"},
		"big":   &types.AttributeValueMemberN{Value: "12345678901234567890123456789012345678"},
		"b":     &types.AttributeValueMemberB{Value: []byte{0, 1, 0xfe, 0xff}},
		"yes":   &types.AttributeValueMemberBOOL{Value: true},
		"no":    &types.AttributeValueMemberBOOL{Value: false},
		"null":  &types.AttributeValueMemberNULL{Value: true},
		"ss":    &types.AttributeValueMemberSS{Value: []string{"b", "a", "c"}},
		"ns":    &types.AttributeValueMemberNS{Value: []string{"3", "1.5", "-2"}},
		"bs":    &types.AttributeValueMemberBS{Value: [][]byte{{2}, {0, 1}}},
		"empty": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"inner": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": &types.AttributeValueMemberN{Value: "1"}}},
			"list":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "y"}}},
		}},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "first"},
			&types.AttributeValueMemberNULL{Value: true},
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberBOOL{Value: true}}},
			&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberB{Value: []byte("z")}}},
		}},
	}
}

func TestDumpLoad_ReproducesEveryItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := engine(t)
	put(t, src, item("ALL", "TYPES", everyType()))
	put(t, src, item("OUTBOX#e1", "OUTBOX", map[string]types.AttributeValue{
		"gsi1pk": &types.AttributeValueMemberS{Value: "OUTBOX#3"}, "gsi1sk": &types.AttributeValueMemberS{Value: "e1"},
	}))
	for i := range 30 {
		put(t, src, item(fmt.Sprintf("MEMBER#%02d", i), "PROFILE", map[string]types.AttributeValue{"points": &types.AttributeValueMemberN{Value: fmt.Sprint(i * 10)}}))
	}

	var buf bytes.Buffer
	n, err := localdb.Dump(ctx, src.Client, "main", &buf)
	if err != nil || n != 32 {
		t.Fatalf("Dump = %d, %v; want 32 items", n, err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != 32 {
		t.Fatalf("dump has %d lines, want one per item", lines)
	}

	dst := engine(t)
	loaded, err := localdb.Load(ctx, dst.Client, "main", bytes.NewReader(buf.Bytes()))
	if err != nil || loaded != 32 {
		t.Fatalf("Load = %d, %v; want 32 items", loaded, err)
	}
	want, got := scan(t, src, "main"), scan(t, dst, "main")
	if len(got) != len(want) {
		t.Fatalf("loaded %d items, want %d", len(got), len(want))
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("item %s:\n got %#v\nwant %#v", k, got[k], w)
		}
	}

	// Loaded items are in the indexes too.
	q, err := dst.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String("main"), IndexName: aws.String(catalog.IndexGSI1),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "OUTBOX#3"}},
	})
	if err != nil || len(q.Items) != 1 {
		t.Fatalf("gsi1 query after Load = %v, %v; want the outbox item", q, err)
	}
}

func TestDump_IsDeterministicForSets(t *testing.T) {
	t.Parallel()
	e := engine(t)
	put(t, e, item("a", "1", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"z", "a", "m"}}}))
	var buf bytes.Buffer
	if _, err := localdb.Dump(context.Background(), e.Client, "main", &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"SS":["a","m","z"]`) {
		t.Fatalf("dump = %s, want string sets sorted", buf.String())
	}
}

func TestDump_EmptyTable(t *testing.T) {
	t.Parallel()
	e := engine(t)
	var buf bytes.Buffer
	n, err := localdb.Dump(context.Background(), e.Client, "main", &buf)
	if err != nil || n != 0 || buf.Len() != 0 {
		t.Fatalf("Dump = %d, %v, %q; want nothing", n, err, buf.String())
	}
}

func TestDump_MissingTableFails(t *testing.T) {
	t.Parallel()
	e := engine(t)
	if _, err := localdb.Dump(context.Background(), e.Client, "nope", &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "scan nope") {
		t.Fatalf("Dump = %v, want a scan error naming the table", err)
	}
}

func TestLoad_RejectsMalformedLines(t *testing.T) {
	t.Parallel()
	good := `{"pk":{"S":"a"},"sk":{"S":"1"}}`
	tests := []struct {
		name       string
		input      string
		wantLoaded int
		wantErr    string
	}{
		{"not JSON", good + "\n{bad\n", 1, "line 2"},
		{"unknown type", good + "\n" + good + "\n" + `{"pk":{"S":"b"},"sk":{"S":"1"},"x":{"Q":"1"}}` + "\n", 2, `line 3: attribute x: unknown type "Q"`},
		{"two types in a value", `{"pk":{"S":"b","N":"1"},"sk":{"S":"1"}}`, 0, "line 1: attribute pk: a value must have exactly one type"},
		{"bad base64", `{"pk":{"S":"b"},"sk":{"S":"1"},"b":{"B":"!!"}}`, 0, "line 1: attribute b"},
		{"bad base64 in a set", `{"pk":{"S":"b"},"sk":{"S":"1"},"b":{"BS":["AA==","!!"]}}`, 0, "line 1: attribute b"},
		{"string where a number is expected", `{"pk":{"S":"b"},"sk":{"S":"1"},"n":{"N":1}}`, 0, "line 1: attribute n"},
		{"bad nested value", `{"pk":{"S":"b"},"sk":{"S":"1"},"m":{"M":{"k":{"Z":"1"}}}}`, 0, "line 1: attribute m: attribute k"},
		{"bad list element", `{"pk":{"S":"b"},"sk":{"S":"1"},"l":{"L":[{"S":"ok"},{}]}}`, 0, "line 1: attribute l"},
		{"item the table refuses", `{"pk":{"S":"b"}}`, 0, "put line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := engine(t)
			n, err := localdb.Load(context.Background(), e.Client, "main", strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
			}
			if n != tt.wantLoaded {
				t.Fatalf("Load = %d, want %d loaded before the bad line", n, tt.wantLoaded)
			}
		})
	}
}

func TestLoad_SkipsBlankLines(t *testing.T) {
	t.Parallel()
	e := engine(t)
	in := "\n" + `{"pk":{"S":"a"},"sk":{"S":"1"}}` + "\n\n" + `{"pk":{"S":"b"},"sk":{"S":"1"}}` + "\n\n"
	n, err := localdb.Load(context.Background(), e.Client, "main", strings.NewReader(in))
	if err != nil || n != 2 {
		t.Fatalf("Load = %d, %v; want 2", n, err)
	}
}

func TestLoad_NamesTheLineOfTheInputAfterBlankLines(t *testing.T) {
	t.Parallel()
	e := engine(t)
	in := `{"pk":{"S":"a"},"sk":{"S":"1"}}` + "\n\n\n{bad\n" // the bad line is line 4
	_, err := localdb.Load(context.Background(), e.Client, "main", strings.NewReader(in))
	if err == nil || !strings.Contains(err.Error(), "line 4:") {
		t.Fatalf("Load error = %v, want it to name line 4", err)
	}
}
