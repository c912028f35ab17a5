// Package testenv gives tests a real (embedded) DynamoDB: one engine per
// test binary and a fresh, uniquely named table set per test, so tests run
// in parallel without seeing each other's data, and fault injection can be
// scoped to one test's table.
package testenv

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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

var (
	once    sync.Once
	engine  *localdb.Engine
	errOnce error
	tables  atomic.Int64
)

// Engine returns the embedded engine shared by the tests of this binary.
func Engine(t testing.TB) *localdb.Engine {
	t.Helper()
	once.Do(func() { engine, errOnce = localdb.Start(context.Background()) })
	if errOnce != nil {
		t.Fatalf("start embedded DynamoDB: %v", errOnce)
	}
	return engine
}

// Table creates a fresh main table for this test and returns its name.
func Table(t testing.TB) string {
	t.Helper()
	e := Engine(t)
	name := fmt.Sprintf("t%d-%s", tables.Add(1), sanitize(t.Name()))
	if err := localdb.CreateTable(context.Background(), e.Client, name, catalog.MainTable); err != nil {
		t.Fatal(err)
	}
	return name
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

// Store returns a store on a fresh table, with the clock given.
func Store(t testing.TB, c clock.Clock) (*store.Store, string) {
	t.Helper()
	name := Table(t)
	return store.New(Engine(t).Client, name, c), name
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

// Platform builds function on a fresh table with clock c. Logs go to the
// test log when ARK_TEST_LOGS is set.
func Platform(t testing.TB, function string, c clock.Clock) *app.Platform {
	t.Helper()
	return PlatformOn(t, function, Table(t), c)
}

// PlatformOn builds function on an existing table.
func PlatformOn(t testing.TB, function, table string, c clock.Clock) *app.Platform {
	t.Helper()
	cfg, err := config.Load(function, Env(table))
	if err != nil {
		t.Fatal(err)
	}
	parts := app.Parts{Clock: c, DB: Engine(t).Client, HashParams: &FastHash}
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
