package devserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/arkmember/arkmember/internal/auth"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/config"
	"github.com/arkmember/arkmember/internal/localdb"
)

// Options configure the dev server (see API.md, "Local mode").
type Options struct {
	Addr          string // ARK_ADDR, default 127.0.0.1:8080
	DataDir       string // ARK_DATA_DIR, default .arkmember
	AdminPassword string // ARK_ADMIN_PASSWORD
	ServiceSecret string // ARK_SERVICE_SECRET
	MasterKey     []byte // ARK_MASTER_KEY; else kept in DataDir/master.key
	RateLimit     float64
	Burst         int
	LogLevel      slog.Level
	// Out receives the startup banner and generated credentials.
	Out io.Writer
	// LogWriter receives the JSON logs of every function.
	LogWriter io.Writer
	// RelayInterval and SnapshotInterval default to 250ms and 10s.
	RelayInterval    time.Duration
	SnapshotInterval time.Duration
	HashParams       *auth.Params
}

// Environment variables of the dev server.
const (
	EnvAddr          = "ARK_ADDR"
	EnvDataDir       = "ARK_DATA_DIR"
	EnvAdminPassword = "ARK_ADMIN_PASSWORD"
	EnvServiceSecret = "ARK_SERVICE_SECRET"
	EnvRateLimit     = "ARK_RATE_LIMIT"
	EnvRateBurst     = "ARK_RATE_BURST"
)

// Defaults of the dev server: the rate limit lets 200 concurrent requests
// from one client through and still stops a runaway loop.
const (
	DefaultAddr      = "127.0.0.1:8080"
	DefaultDataDir   = ".arkmember"
	DefaultRateLimit = 200
	DefaultRateBurst = 400
	snapshotFile     = "table.jsonl"
	masterKeyFile    = "master.key"
	lockFile         = "lock"
	tableName        = "ark-member-local"
)

// Server is a running dev server.
type Server struct {
	Stack  *Stack
	Engine *localdb.Engine
	URL    string

	opts     Options
	http     *http.Server
	lock     *os.File
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	snapMu   sync.Mutex
	closed   bool
	serveErr chan error
}

// Start starts the dev server and returns once it accepts requests.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.RelayInterval == 0 {
		o.RelayInterval = 250 * time.Millisecond
	}
	if o.SnapshotInterval == 0 {
		o.SnapshotInterval = 10 * time.Second
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("devserver: data dir: %w", err)
	}
	lock, err := lockDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, lock: lock, serveErr: make(chan error, 1)}
	ok := false
	defer func() {
		if !ok {
			s.release()
		}
	}()

	master := o.MasterKey
	if master == nil {
		if master, err = loadOrCreateMaster(filepath.Join(o.DataDir, masterKeyFile)); err != nil {
			return nil, err
		}
	}
	if s.Engine, err = localdb.Start(ctx); err != nil {
		return nil, err
	}
	if err := localdb.CreateTable(ctx, s.Engine.Client, tableName, catalog.MainTable); err != nil {
		return nil, err
	}
	n, err := s.restore(ctx)
	if err != nil {
		return nil, err
	}
	s.Stack, err = NewStack(ctx, StackOptions{
		DB: s.Engine.Client, Table: tableName, Master: master, LogWriter: o.LogWriter, LogLevel: o.LogLevel,
		RateLimit: o.RateLimit, Burst: o.Burst, HashParams: o.HashParams,
	})
	if err != nil {
		return nil, err
	}
	if err := s.Stack.Bootstrap(ctx, o.AdminPassword, o.ServiceSecret, o.Out); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("devserver: listen on %s: %w", o.Addr, err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: s.Stack.Gateway, ReadHeaderTimeout: 10 * time.Second}
	go func() { s.serveErr <- s.http.Serve(ln) }()

	sched, err := newScheduler(s.Stack)
	if err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(3)
	go func() { defer s.wg.Done(); every(bg, time.Second, s.Stack.Log, "scheduler", sched.tick) }()
	go func() {
		defer s.wg.Done()
		every(bg, o.RelayInterval, s.Stack.Log, "outbox relay", func(ctx context.Context) error {
			_, err := s.Stack.Relay.Drain(ctx)
			return err
		})
	}()
	go func() { defer s.wg.Done(); every(bg, o.SnapshotInterval, s.Stack.Log, "periodic snapshot", s.Snapshot) }()

	fmt.Fprintf(o.Out, "ARK Member Center serving on %s (data in %s, %d items restored)\n", s.URL, o.DataDir, n)
	ok = true
	return s, nil
}

// Done is closed with the server's error when it stops serving on its own.
func (s *Server) Done() <-chan error { return s.serveErr }

// Close stops accepting requests, lets those in flight finish, relays what
// is pending, writes the final snapshot and releases the data dir.
func (s *Server) Close(ctx context.Context) error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.http.Shutdown(ctx)
	s.cancel()
	s.wg.Wait()
	s.Stack.WaitForRuns()
	if _, rerr := s.Stack.Relay.Drain(ctx); rerr != nil {
		s.Stack.Log.WarnContext(ctx, "final relay", slog.Any("error", rerr))
	}
	err = errors.Join(err, s.Snapshot(ctx))
	s.release()
	return err
}

func (s *Server) release() {
	if s.Engine != nil {
		_ = s.Engine.Close()
	}
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		_ = s.lock.Close()
	}
}

// Snapshot writes all data to the data dir atomically (temp file, fsync,
// rename), so a crash mid-write keeps the previous snapshot.
func (s *Server) Snapshot(ctx context.Context) error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	path := filepath.Join(s.opts.DataDir, snapshotFile)
	tmp, err := os.CreateTemp(s.opts.DataDir, snapshotFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("devserver: snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := localdb.Dump(ctx, s.Engine.Client, tableName, tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("devserver: snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (s *Server) restore(ctx context.Context) (int, error) {
	f, err := os.Open(filepath.Join(s.opts.DataDir, snapshotFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := localdb.Load(ctx, s.Engine.Client, tableName, f)
	if err != nil {
		return n, fmt.Errorf("devserver: restore snapshot: %w", err)
	}
	return n, nil
}

// every runs fn each interval until ctx ends, logging its failures.
func every(ctx context.Context, interval time.Duration, log *slog.Logger, what string, fn func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, what, slog.Any("error", err))
			}
		}
	}
}

// lockDir takes an exclusive lock on the data dir, so two servers (or a
// server and `arkmember invoke`) never write one snapshot.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, ErrLocked
	}
	return f, nil
}

// ErrLocked means another process holds the data dir.
var ErrLocked = errors.New("devserver: the data dir is in use by another arkmember process")

// loadOrCreateMaster keeps the local master key in the data dir: without
// it the encrypted mobiles of the snapshot could not be read after restart.
func loadOrCreateMaster(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		return config.DecodeMasterKey(strings.TrimSpace(string(raw)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}
