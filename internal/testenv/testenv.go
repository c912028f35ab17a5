// Package testenv gives tests a real (embedded) DynamoDB: each test gets its
// own engine with a fresh table, so tests run in parallel without seeing each
// other's data and fault injection touches only the test that asks for it.
// (One engine per test also sidesteps a data race inside minidyn v0.8.2,
// whose CreateTable does not take the engine's lock.)
package testenv

import (
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/arkmember/arkmember/internal/app"
	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/config"
	"github.com/arkmember/arkmember/internal/localdb"
	"github.com/arkmember/arkmember/internal/store"
)

// DB is an embedded engine with one main table.
type DB struct {
	Engine *localdb.Engine
	Table  string
}

// New starts an engine for this test, stopped when the test ends, and
// creates the main table in it.
func New(t testing.TB) DB {
	t.Helper()
	e, err := localdb.Start(context.Background())
	if err != nil {
		t.Fatalf("start embedded DynamoDB: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	name := "ark-" + sanitize(t.Name())
	if err := localdb.CreateTable(context.Background(), e.Client, name, catalog.MainTable); err != nil {
		t.Fatal(err)
	}
	return DB{Engine: e, Table: name}
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Store returns a store on a fresh engine and table, with the clock given.
func Store(t testing.TB, c clock.Clock) (*store.Store, DB) {
	t.Helper()
	db := New(t)
	return store.New(db.Engine.Client, db.Table, c), db
}

// MasterKey is the fixed master key of tests.
var MasterKey = []byte("test-master-key-0123456789abcdef-0123456789")

// FastHash makes password hashing cheap in tests that hash a lot; tests of
// the hashing itself use the production parameters.
var FastHash = auth.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Env is the environment of a function under test.
func Env(table string) func(string) string {
	env := map[string]string{
		catalog.EnvStage:        "local",
		catalog.EnvTableName:    table,
		catalog.EnvEventBusName: "test-bus",
		config.EnvMasterKey:     base64.StdEncoding.EncodeToString(MasterKey),
	}
	return func(k string) string { return env[k] }
}

// Platform builds function on db with clock c. Logs go to standard error
// when ARK_TEST_LOGS is set.
func Platform(t testing.TB, function string, db DB, c clock.Clock) *app.Platform {
	t.Helper()
	cfg, err := config.Load(function, Env(db.Table))
	if err != nil {
		t.Fatal(err)
	}
	parts := app.Parts{Clock: c, DB: db.Engine.Client, HashParams: &FastHash}
	if os.Getenv("ARK_TEST_LOGS") != "" {
		parts.LogWriter = os.Stderr
	}
	p, err := app.NewPlatform(context.Background(), cfg, parts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Now is the fixed start time of tests.
var Now = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
