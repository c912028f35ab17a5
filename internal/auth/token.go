package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
)

// Access token constants. The kid names the signing key so a second key can
// be introduced for rotation while tokens signed with the first still verify.
const (
	TokenIssuer   = "ark-member"
	TokenAudience = "ark-member-api"
	TokenKeyID    = "k1"
	// TokenLeeway absorbs clock skew between the functions of a deployment.
	TokenLeeway = 5 * time.Second
	// MinSigningKeyBytes matches the HS256 output size (RFC 7518 §3.2).
	MinSigningKeyBytes = 32
	// maxTokenBytes stops absurd inputs before any parsing.
	maxTokenBytes = 4096
)

// Principal is who an access token speaks for.
type Principal struct {
	Subject string
	Role    catalog.Role
}

// accessClaims is the payload of an access token.
type accessClaims struct {
	Role catalog.Role `json:"role"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies HS256 access tokens; safe for concurrent use.
type Tokens struct {
	key    []byte
	clock  clock.Clock
	ids    *ids.Generator
	ttl    time.Duration
	parser *jwt.Parser
}

// NewTokens returns Tokens signing with signingKey, reading time from c and
// token ids from g, issuing tokens valid for ttl.
func NewTokens(signingKey []byte, c clock.Clock, g *ids.Generator, ttl time.Duration) *Tokens {
	return &Tokens{
		key:   append([]byte(nil), signingKey...),
		clock: c,
		ids:   g,
		ttl:   ttl,
		parser: jwt.NewParser(
			// Pinning the method is what defeats "alg":"none" and algorithm
			// confusion: the header never chooses how we verify.
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(TokenIssuer),
			jwt.WithAudience(TokenAudience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(c.Now),
			jwt.WithLeeway(TokenLeeway),
		),
	}
}

// Issue returns a signed access token for p and how long it is valid.
func (t *Tokens) Issue(p Principal) (token string, expiresIn time.Duration, err error) {
	if p.Subject == "" || !p.Role.Valid() {
		return "", 0, fmt.Errorf("auth: issue token: principal needs a subject and a known role, got role %q", p.Role)
	}
	if len(t.key) < MinSigningKeyBytes {
		return "", 0, fmt.Errorf("auth: issue token: signing key must hold at least %d bytes", MinSigningKeyBytes)
	}
	if t.ttl <= 0 {
		return "", 0, fmt.Errorf("auth: issue token: ttl %s is not positive", t.ttl)
	}
	now := t.clock.Now()
	claims := accessClaims{
		Role: p.Role,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    TokenIssuer,
			Subject:   p.Subject,
			Audience:  jwt.ClaimStrings{TokenAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			ID:        t.ids.New(),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = TokenKeyID
	signed, err := tok.SignedString(t.key)
	if err != nil {
		return "", 0, fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, t.ttl, nil
}

// Verify checks token and returns its principal. It fails with
// ErrTokenExpired only for a token we signed whose sole fault is its age
// (so the client knows to refresh), and with ErrTokenInvalid for anything
// else.
func (t *Tokens) Verify(token string) (Principal, error) {
	if token == "" || len(token) > maxTokenBytes {
		return Principal{}, ErrTokenInvalid
	}
	var claims accessClaims
	_, err := t.parser.ParseWithClaims(token, &claims, t.key1)
	// The claims are filled in before validation, and the parser checks the
	// signature before the claims, so on an expiry error they are ours.
	p := Principal{Subject: claims.Subject, Role: claims.Role}
	wellFormed := p.Subject != "" && p.Role.Valid() && ids.Valid(claims.ID)
	switch {
	case err == nil && wellFormed:
		return p, nil
	case err != nil && wellFormed && onlyExpired(err):
		return Principal{}, ErrTokenExpired
	default:
		return Principal{}, ErrTokenInvalid
	}
}

// key1 is the jwt.Keyfunc: it hands out the key only for the kid we sign with.
func (t *Tokens) key1(tok *jwt.Token) (any, error) {
	if kid, _ := tok.Header["kid"].(string); kid != TokenKeyID {
		return nil, errors.New("unknown key id")
	}
	return t.key, nil
}

// onlyExpired reports whether err is an expiry and nothing else, so a token
// that is also, say, for another audience is reported as invalid.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{
		jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenRequiredClaimMissing, jwt.ErrTokenInvalidAudience, jwt.ErrTokenUsedBeforeIssued,
		jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidSubject, jwt.ErrTokenNotValidYet,
		jwt.ErrTokenInvalidId,
	} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}
