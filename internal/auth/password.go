package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// DefaultParams are OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane).
var DefaultParams = Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Bounds on parameters read from a stored hash: a corrupted or planted hash
// must not make one login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB   = 256 * 1024
	maxIterations  = 10
	maxParallelism = 16
	minSaltBytes   = 8
	maxSaltBytes   = 64
	minKeyBytes    = 16
	maxKeyBytes    = 64
)

// Password policy bounds, in characters.
const (
	MinPasswordChars = 8
	MaxPasswordChars = 128
)

// ErrMalformedHash is returned by Verify for an encoding it cannot use.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// Hasher hashes and verifies passwords with argon2id. Each run allocates
// Params.Memory, so a semaphore bounds how many run at once; safe for
// concurrent use.
type Hasher struct {
	params Params
	slots  chan struct{}
	dummy  string // encoded hash VerifyDummy checks against
}

// NewHasher returns a Hasher with params p that runs at most maxConcurrent
// derivations at once (2*GOMAXPROCS if maxConcurrent ≤ 0).
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if maxConcurrent <= 0 {
		maxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	// The dummy uses the hasher's own params so an unknown account costs the
	// same as a known one; its hash bytes never match anything real.
	dummy := encode(p, make([]byte, max(p.SaltLength, minSaltBytes)), make([]byte, max(p.KeyLength, minKeyBytes)))
	return &Hasher{params: p, slots: make(chan struct{}, maxConcurrent), dummy: dummy}
}

// Hash returns the PHC string of password:
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>, both base64
// standard encoding without padding.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := checkParams(h.params); err != nil {
		return "", fmt.Errorf("auth: hasher params: %w", err)
	}
	salt := make([]byte, h.params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: read salt: %w", err)
	}
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches encoded, using the parameters
// stored in encoded so hashes made with older params still verify. A wrong
// password is (false, nil); a malformed hash or a cancelled ctx is an error.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy does the work of one Verify with the hasher's params and
// discards the result. Call it when the account does not exist so the
// response time does not tell whether it does. It fails only if ctx ends
// or the hasher's params are out of bounds (as Hash would).
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, err := h.Verify(ctx, password, h.dummy)
	return err
}

// derive runs argon2id once a slot is free, giving up if ctx ends first.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.slots }()
	// A cancellation that raced with getting the slot still wins: the caller
	// has gone, so the 19 MiB run would be wasted.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength), nil
}

func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(encoded string) (Params, []byte, []byte, error) {
	// "$argon2id$v=19$m=..,t=..,p=..$salt$hash" splits into 6 with a leading "".
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	m, errM := paramValue(fields[0], "m=", 32)
	t, errT := paramValue(fields[1], "t=", 32)
	l, errL := paramValue(fields[2], "p=", 8)
	if errM != nil || errT != nil || errL != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	p.Memory, p.Iterations, p.Parallelism = uint32(m), uint32(t), uint8(l)
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if err := checkParams(p); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// paramValue parses "<prefix><decimal>" with no sign or leading zeros.
func paramValue(field, prefix string, bits int) (uint64, error) {
	digits, ok := strings.CutPrefix(field, prefix)
	if !ok || digits == "" || digits[0] < '1' || digits[0] > '9' {
		return 0, ErrMalformedHash
	}
	return strconv.ParseUint(digits, 10, bits)
}

func checkParams(p Params) error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations %d not in 1..%d", p.Iterations, maxIterations)
	case p.Parallelism < 1 || p.Parallelism > maxParallelism:
		return fmt.Errorf("parallelism %d not in 1..%d", p.Parallelism, maxParallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		// argon2 needs at least 8 KiB per lane.
		return fmt.Errorf("memory %d KiB not in %d..%d", p.Memory, 8*uint32(p.Parallelism), maxMemoryKiB)
	case p.SaltLength < minSaltBytes || p.SaltLength > maxSaltBytes:
		return fmt.Errorf("salt length %d not in %d..%d", p.SaltLength, minSaltBytes, maxSaltBytes)
	case p.KeyLength < minKeyBytes || p.KeyLength > maxKeyBytes:
		return fmt.Errorf("key length %d not in %d..%d", p.KeyLength, minKeyBytes, maxKeyBytes)
	}
	return nil
}

// ValidPassword reports whether p meets the password policy: valid UTF-8,
// 8 to 128 characters, and not only whitespace. It does not judge strength
// beyond that, following NIST SP 800-63B's advice against composition rules.
func ValidPassword(p string) bool {
	if !utf8.ValidString(p) {
		return false
	}
	n := utf8.RuneCountInString(p)
	if n < MinPasswordChars || n > MaxPasswordChars {
		return false
	}
	return strings.IndexFunc(p, func(r rune) bool { return !unicode.IsSpace(r) }) >= 0
}
