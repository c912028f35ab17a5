package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastParams keep most tests quick; one test uses DefaultParams.
var fastParams = Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestHasher_VerifiesTheRightPasswordOnly(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fastParams, 0)
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"same password", "correct horse battery", true},
		{"other password", "correct horse battery!", false},
		{"different case", "Correct horse battery", false},
		{"empty password", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tt.password, enc)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want {
				t.Fatalf("Verify = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestHasher_DefaultParamsProduceOWASPPHCString(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultParams, 1)
	enc, err := h.Hash(ctx, "pa55word-long")
	if err != nil {
		t.Fatal(err)
	}
	m := phc.FindStringSubmatch(enc)
	if m == nil {
		t.Fatalf("%q is not a PHC argon2id string", enc)
	}
	if m[1] != "19456" || m[2] != "2" || m[3] != "1" {
		t.Fatalf("params m=%s,t=%s,p=%s; want m=19456,t=2,p=1", m[1], m[2], m[3])
	}
	// 16 bytes → 22 chars, 32 bytes → 43 chars in unpadded base64.
	if len(m[4]) != 22 || len(m[5]) != 43 {
		t.Fatalf("salt %d chars, hash %d chars; want 22 and 43", len(m[4]), len(m[5]))
	}
	if ok, err := h.Verify(ctx, "pa55word-long", enc); err != nil || !ok {
		t.Fatalf("Verify = %v, %v; want true", ok, err)
	}
}

func TestHasher_SaltsEveryHash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fastParams, 0)
	a, _ := h.Hash(ctx, "same password")
	b, _ := h.Hash(ctx, "same password")
	if a == b {
		t.Fatal("one password hashed twice to the same string")
	}
}

func TestHasher_VerifiesHashesMadeWithOtherParams(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(Params{Memory: 2048, Iterations: 2, Parallelism: 2, SaltLength: 8, KeyLength: 16}, 0)
	enc, err := old.Hash(ctx, "rotated params")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := NewHasher(fastParams, 0).Verify(ctx, "rotated params", enc)
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v; want true", ok, err)
	}
}

// The reference implementation's own vector (phc-winner-argon2 README and
// src/test.c): a hash made by another argon2id implementation must verify,
// which proves we read the standard PHC format, not just our own output.
func TestHasher_VerifiesAStandardPHCString(t *testing.T) {
	const enc = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	h := NewHasher(fastParams, 0)
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"reference password", "password", true},
		{"one letter off", "passwore", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), tt.password, enc)
			if err != nil || ok != tt.want {
				t.Fatalf("Verify = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
}

func TestHasher_RejectsMalformedOrAbsurdHashes(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fastParams, 0)
	good, err := h.Hash(ctx, "password1")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, params, salt, hash
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i variant", with(1, "argon2i")},
		{"old version 16", with(2, "v=16")},
		{"missing version", strings.Replace(good, "$v=19", "", 1)},
		{"memory over 256 MiB", with(3, "m=262145,t=1,p=1")},
		{"iterations over 10", with(3, "m=1024,t=11,p=1")},
		{"parallelism over 16", with(3, "m=1024,t=1,p=17")},
		{"zero iterations", with(3, "m=1024,t=0,p=1")},
		{"zero parallelism", with(3, "m=1024,t=1,p=0")},
		{"memory below 8 KiB per lane", with(3, "m=8,t=1,p=2")},
		{"params out of order", with(3, "t=1,m=1024,p=1")},
		{"missing param", with(3, "m=1024,t=1")},
		{"extra param", with(3, "m=1024,t=1,p=1,k=3")},
		{"signed param", with(3, "m=+1024,t=1,p=1")},
		{"leading zero", with(3, "m=01024,t=1,p=1")},
		{"memory overflows uint32", with(3, "m=4294967296,t=1,p=1")},
		{"salt not base64", with(4, "!!!")},
		{"padded salt", with(4, parts[4]+"==")},
		{"salt too short", with(4, "c2FsdA")},
		{"hash not base64", with(5, "***")},
		{"hash too short", with(5, "AAAA")},
		{"extra field", good + "$x"},
		{"missing hash", strings.Join(parts[:5], "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, "password1", tt.encoded)
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("err = %v, want ErrMalformedHash", err)
			}
			if ok {
				t.Fatal("a malformed hash verified")
			}
		})
	}
}

func TestHasher_HashRejectsOutOfBoundsParams(t *testing.T) {
	tests := []struct {
		name string
		p    Params
	}{
		{"zero params", Params{}},
		{"salt too short", Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32}},
		{"memory too large", Params{Memory: 512 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewHasher(tt.p, 1).Hash(context.Background(), "password1"); err == nil {
				t.Fatal("Hash accepted out-of-bounds params")
			}
		})
	}
}

func TestHasher_VerifyDummyDoesTheWorkAndNeverMatches(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fastParams, 0)
	if err := h.VerifyDummy(ctx, "whatever1"); err != nil {
		t.Fatal(err)
	}
	// The dummy has the hasher's params, so it costs what a real Verify costs.
	m := phc.FindStringSubmatch(h.dummy)
	if m == nil || m[1] != "1024" || m[2] != "1" || m[3] != "1" {
		t.Fatalf("dummy %q does not use the hasher's params", h.dummy)
	}
	if ok, err := h.Verify(ctx, "", h.dummy); ok || err != nil {
		t.Fatalf("Verify against the dummy = %v, %v; want false, nil", ok, err)
	}
}

func TestHasher_VerifyDummyTakesAsLongAsVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	ctx := context.Background()
	h := NewHasher(Params{Memory: 8 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1)
	enc, _ := h.Hash(ctx, "password1")
	timeIt := func(f func()) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 5 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	known := timeIt(func() { _, _ = h.Verify(ctx, "wrong-password", enc) })
	dummy := timeIt(func() { _ = h.VerifyDummy(ctx, "wrong-password") })
	// Generous bounds: the point is "same order of work", not a benchmark.
	if dummy < known/3 || dummy > known*3 {
		t.Fatalf("dummy took %s, real verify %s", dummy, known)
	}
}

func TestHasher_WaitingForASlotRespectsCancellation(t *testing.T) {
	h := NewHasher(fastParams, 1)
	h.slots <- struct{}{} // occupy the only slot, as a long argon2 run would
	defer func() { <-h.slots }()

	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"hash", func(ctx context.Context) error { _, err := h.Hash(ctx, "password1"); return err }},
		{"verify", func(ctx context.Context) error {
			_, err := h.Verify(ctx, "password1", h.dummy)
			return err
		}},
		{"verify dummy", func(ctx context.Context) error { return h.VerifyDummy(ctx, "password1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" returns the ctx error when cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tt.call(ctx) }()
			select {
			case err := <-done:
				t.Fatalf("returned %v while the slot was taken", err)
			case <-time.After(20 * time.Millisecond):
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("did not return after cancellation")
			}
		})
		t.Run(tt.name+" returns the deadline error when it passes", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			if err := tt.call(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
		})
	}
}

func TestHasher_AlreadyCancelledContextDoesNoWork(t *testing.T) {
	h := NewHasher(fastParams, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "password1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestHasher_BoundsConcurrentDerivations(t *testing.T) {
	const limit, callers = 3, 40
	h := NewHasher(fastParams, limit)
	enc, err := h.Hash(context.Background(), "password1")
	if err != nil {
		t.Fatal(err)
	}
	// Sample the semaphore while many logins run: it must never hold more
	// than limit, and with 40 callers it should reach it.
	var peak atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				if n := int64(len(h.slots)); n > peak.Load() {
					peak.Store(n)
				}
			}
		}
	})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if ok, err := h.Verify(context.Background(), "password1", enc); err != nil || !ok {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	if p := peak.Load(); p > limit || p == 0 {
		t.Fatalf("peak concurrent derivations = %d, want 1..%d", p, limit)
	}
	if cap(h.slots) != limit {
		t.Fatalf("cap = %d, want %d", cap(h.slots), limit)
	}
}

func TestNewHasher_DefaultsConcurrencyToTwicePerCPU(t *testing.T) {
	for _, n := range []int{0, -1} {
		h := NewHasher(fastParams, n)
		if cap(h.slots) < 2 {
			t.Fatalf("maxConcurrent %d gave %d slots", n, cap(h.slots))
		}
	}
}

func TestValidPassword(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"eight characters", "abcdefgh", true},
		{"seven characters", "abcdefg", false},
		{"empty", "", false},
		{"128 characters", strings.Repeat("a", 128), true},
		{"129 characters", strings.Repeat("a", 129), false},
		{"eight multibyte characters count as eight", "密码密码密码密码", true},
		{"seven multibyte characters despite 21 bytes", "密码密码密码密", false},
		{"128 multibyte characters", strings.Repeat("密", 128), true},
		{"all spaces", "          ", false},
		{"all mixed whitespace", " \t\n\u3000 \u00a0\r\v", false},
		{"spaces around words allowed", "  pass word  ", true},
		{"invalid UTF-8", "abcdefg\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidPassword(tt.in); got != tt.want {
				t.Fatalf("ValidPassword(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
