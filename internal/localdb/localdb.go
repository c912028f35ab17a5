// Package localdb runs the embedded DynamoDB-compatible engine
// (github.com/truora/minidyn/server) in process, creates the catalog's
// tables on any DynamoDB endpoint, and dumps and loads table contents as
// DynamoDB JSON lines, which is how the dev server keeps its data across
// restarts and how `arkmember export`/`import` move it.
package localdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	miniserver "github.com/truora/minidyn/server"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/store"
)

// Engine is an embedded DynamoDB-compatible server on a loopback port.
type Engine struct {
	// Mini is the engine itself, for failure emulation in tests.
	Mini   *miniserver.Server
	URL    string
	Client *dynamodb.Client
	http   *http.Server
	done   chan error
}

// Start runs a new, empty engine on 127.0.0.1 and a client for it.
func Start(ctx context.Context) (*Engine, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("localdb: listen: %w", err)
	}
	e := &Engine{Mini: miniserver.NewServer(), URL: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	e.http = &http.Server{Handler: e.Mini, ReadHeaderTimeout: 10 * time.Second}
	go func() { e.done <- e.http.Serve(ln) }()
	e.Client, err = store.NewClient(ctx, store.ClientOptions{Region: "local", Endpoint: e.URL, StaticCredentials: true})
	if err != nil {
		_ = e.http.Close()
		return nil, err
	}
	return e, nil
}

// Close stops the engine; its data is gone.
func (e *Engine) Close() error {
	err := e.http.Close()
	if serveErr := <-e.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// CreateTable creates a table of definition t named name, unless it exists.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string, t catalog.Table) error {
	if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); err == nil {
		return nil
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(t.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(t.SortKey), KeyType: types.KeyTypeRange},
		},
	}
	seen := map[string]bool{}
	attr := func(name string) {
		if !seen[name] {
			seen[name] = true
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS})
		}
	}
	attr(t.PartitionKey)
	attr(t.SortKey)
	for _, g := range t.GSIs {
		attr(g.PartitionKey)
		attr(g.SortKey)
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(g.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(g.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionType(g.Projection)},
		})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("localdb: create table %s: %w", name, err)
	}
	return nil
}
