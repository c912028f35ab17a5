package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/arkmember/arkmember/internal/apperr"
	"github.com/arkmember/arkmember/internal/catalog"
	"github.com/arkmember/arkmember/internal/clock"
	"github.com/arkmember/arkmember/internal/ids"
)

var (
	tokenKey = bytes.Repeat([]byte{0x42}, 32)
	epoch    = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
)

const ttl = 15 * time.Minute

func newTestTokens(key []byte) (*Tokens, *clock.Fixed) {
	c := clock.NewFixed(epoch)
	return NewTokens(key, c, ids.New(c), ttl), c
}

// b64 is the JWT segment encoding.
func b64(v []byte) string { return base64.RawURLEncoding.EncodeToString(v) }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validClaims are the claims Issue would write at epoch, for hand-built tokens.
func validClaims(g *ids.Generator) map[string]any {
	return map[string]any{
		"iss": TokenIssuer, "aud": []string{TokenAudience}, "sub": "01HZX3J5Q8K2M4N6P8R0S2T4V6",
		"role": "member", "iat": epoch.Unix(), "nbf": epoch.Unix(), "exp": epoch.Add(ttl).Unix(), "jti": g.New(),
	}
}

// sign signs claims with method and key, with the given kid (none if "").
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokens_IssueAndVerifyRoundTrip(t *testing.T) {
	for _, role := range []catalog.Role{catalog.RoleMember, catalog.RoleService, catalog.RoleOperator, catalog.RoleAdmin, catalog.RoleAuditor} {
		t.Run(string(role), func(t *testing.T) {
			tk, _ := newTestTokens(tokenKey)
			want := Principal{Subject: "01HZX3J5Q8K2M4N6P8R0S2T4V6", Role: role}
			tok, expiresIn, err := tk.Issue(want)
			if err != nil {
				t.Fatal(err)
			}
			if expiresIn != ttl {
				t.Fatalf("expiresIn = %s, want %s", expiresIn, ttl)
			}
			got, err := tk.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestTokens_IssueWritesTheAgreedHeaderAndClaims(t *testing.T) {
	tk, _ := newTestTokens(tokenKey)
	tok, _, err := tk.Issue(Principal{Subject: "sub-1", Role: catalog.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%d segments", len(parts))
	}
	var header map[string]any
	var claims map[string]any
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	if header["alg"] != "HS256" || header["kid"] != "k1" || header["typ"] != "JWT" {
		t.Fatalf("header = %v", header)
	}
	aud, _ := claims["aud"].([]any)
	tests := []struct {
		claim string
		got   any
		want  any
	}{
		{"iss", claims["iss"], "ark-member"},
		{"aud is an array", len(aud) == 1 && aud[0] == "ark-member-api", true},
		{"sub", claims["sub"], "sub-1"},
		{"role", claims["role"], "admin"},
		{"iat", claims["iat"], float64(epoch.Unix())},
		{"nbf", claims["nbf"], float64(epoch.Unix())},
		{"exp", claims["exp"], float64(epoch.Add(ttl).Unix())},
		{"jti is a ULID", ids.Valid(claims["jti"].(string)), true},
	}
	for _, tt := range tests {
		t.Run(tt.claim, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestTokens_IssueGivesEachTokenItsOwnID(t *testing.T) {
	tk, _ := newTestTokens(tokenKey)
	p := Principal{Subject: "s", Role: catalog.RoleMember}
	a, _, _ := tk.Issue(p)
	b, _, _ := tk.Issue(p)
	if a == b {
		t.Fatal("two tokens issued in the same instant are identical")
	}
}

func TestTokens_IssueRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		p    Principal
	}{
		{"empty subject", tokenKey, Principal{Role: catalog.RoleMember}},
		{"unknown role", tokenKey, Principal{Subject: "s", Role: "root"}},
		{"empty role", tokenKey, Principal{Subject: "s"}},
		{"short signing key", tokenKey[:31], Principal{Subject: "s", Role: catalog.RoleMember}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, _ := newTestTokens(tt.key)
			if tok, _, err := tk.Issue(tt.p); err == nil {
				t.Fatalf("issued %q", tok)
			}
		})
	}
}

func TestTokens_VerifyRejectsBadTokens(t *testing.T) {
	tk, _ := newTestTokens(tokenKey)
	g := ids.New(clock.NewFixed(epoch))
	good, _, err := tk.Issue(Principal{Subject: "01HZX3J5Q8K2M4N6P8R0S2T4V6", Role: catalog.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")

	// Swapping the role keeps the original signature, as an attacker would.
	var payload map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(raw, &payload)
	payload["role"] = "admin"
	escalated := parts[0] + "." + b64(mustJSON(t, payload)) + "." + parts[2]

	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 0x01
	badSig := parts[0] + "." + parts[1] + "." + b64(sig)

	noneHeader := b64([]byte(`{"alg":"none","typ":"JWT"}`))
	algNone := noneHeader + "." + b64(mustJSON(t, validClaims(g))) + "."

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	claimsWith := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims(validClaims(g))
		change(c)
		return c
	}
	hs256 := func(change func(jwt.MapClaims)) string {
		return sign(t, jwt.SigningMethodHS256, tokenKey, "k1", claimsWith(change))
	}
	same := func(jwt.MapClaims) {}

	tests := []struct {
		name  string
		token string
	}{
		{"alg none", algNone},
		{"alg none with kid", b64([]byte(`{"alg":"none","typ":"JWT","kid":"k1"}`)) + "." + b64(mustJSON(t, validClaims(g))) + "."},
		{"HS512 with the same key", sign(t, jwt.SigningMethodHS512, tokenKey, "k1", claimsWith(same))},
		{"RS256 signed with an RSA key", sign(t, jwt.SigningMethodRS256, rsaKey, "k1", claimsWith(same))},
		{"RS256 header over an HMAC signature", b64([]byte(`{"alg":"RS256","typ":"JWT","kid":"k1"}`)) + "." + parts[1] + "." + parts[2]},
		{"tampered payload (role swapped to admin)", escalated},
		{"tampered signature", badSig},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"wrong key", sign(t, jwt.SigningMethodHS256, bytes.Repeat([]byte{0x43}, 32), "k1", claimsWith(same))},
		{"unknown kid", sign(t, jwt.SigningMethodHS256, tokenKey, "k2", claimsWith(same))},
		{"no kid", sign(t, jwt.SigningMethodHS256, tokenKey, "", claimsWith(same))},
		{"garbage", "not-a-token"},
		{"three garbage segments", "a.b.c"},
		{"empty", ""},
		{"oversized", strings.Repeat("a", maxTokenBytes+1)},
		{"missing sub", hs256(func(c jwt.MapClaims) { delete(c, "sub") })},
		{"empty sub", hs256(func(c jwt.MapClaims) { c["sub"] = "" })},
		{"unknown role", hs256(func(c jwt.MapClaims) { c["role"] = "root" })},
		{"missing role", hs256(func(c jwt.MapClaims) { delete(c, "role") })},
		{"role of the wrong type", hs256(func(c jwt.MapClaims) { c["role"] = 1 })},
		{"wrong issuer", hs256(func(c jwt.MapClaims) { c["iss"] = "someone-else" })},
		{"missing issuer", hs256(func(c jwt.MapClaims) { delete(c, "iss") })},
		{"wrong audience", hs256(func(c jwt.MapClaims) { c["aud"] = []string{"other-api"} })},
		{"missing audience", hs256(func(c jwt.MapClaims) { delete(c, "aud") })},
		{"missing exp", hs256(func(c jwt.MapClaims) { delete(c, "exp") })},
		{"missing jti", hs256(func(c jwt.MapClaims) { delete(c, "jti") })},
		{"issued in the future", hs256(func(c jwt.MapClaims) { c["iat"] = epoch.Add(time.Minute).Unix() })},
		{"not valid yet", hs256(func(c jwt.MapClaims) { c["nbf"] = epoch.Add(time.Minute).Unix() })},
		{"expired and for another audience", hs256(func(c jwt.MapClaims) {
			c["exp"] = epoch.Add(-time.Minute).Unix()
			c["aud"] = []string{"other-api"}
		})},
		{"expired and wrongly signed", sign(t, jwt.SigningMethodHS256, bytes.Repeat([]byte{0x43}, 32), "k1",
			claimsWith(func(c jwt.MapClaims) { c["exp"] = epoch.Add(-time.Minute).Unix() }))},
		{"expired with an unknown role", hs256(func(c jwt.MapClaims) {
			c["exp"] = epoch.Add(-time.Minute).Unix()
			c["role"] = "root"
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tk.Verify(tt.token)
			if err != ErrTokenInvalid {
				t.Fatalf("err = %v, want ErrTokenInvalid", err)
			}
			if p != (Principal{}) {
				t.Fatalf("returned principal %+v with the error", p)
			}
		})
	}
}

func TestTokens_HandBuiltValidTokenVerifies(t *testing.T) {
	// Guards the table above: its hand-built tokens fail for the one reason
	// each names, not because the helper builds broken tokens.
	tk, _ := newTestTokens(tokenKey)
	tok := sign(t, jwt.SigningMethodHS256, tokenKey, "k1", jwt.MapClaims(validClaims(ids.New(clock.NewFixed(epoch)))))
	if _, err := tk.Verify(tok); err != nil {
		t.Fatalf("a correct hand-built token failed: %v", err)
	}
}

func TestTokens_VerifyHonoursLifetimeAndLeeway(t *testing.T) {
	tests := []struct {
		name    string
		advance time.Duration
		wantErr error
	}{
		{"fresh", 0, nil},
		{"just before expiry", ttl - time.Second, nil},
		{"within leeway after expiry", ttl + TokenLeeway - time.Second, nil},
		{"past ttl plus leeway is expired", ttl + TokenLeeway + time.Second, ErrTokenExpired},
		{"long expired", 24 * time.Hour, ErrTokenExpired},
		{"within leeway before issue", -TokenLeeway, nil},
		{"before issue beyond leeway is invalid, not expired", -TokenLeeway - time.Second, ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk, c := newTestTokens(tokenKey)
			want := Principal{Subject: "s", Role: catalog.RoleMember}
			tok, _, err := tk.Issue(want)
			if err != nil {
				t.Fatal(err)
			}
			c.Advance(tt.advance)
			got, err := tk.Verify(tok)
			if err != tt.wantErr {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestTokenErrors_AreUnauthorizedAndDistinguishable(t *testing.T) {
	tests := []struct {
		name        string
		err         *apperr.Error
		message     string
		wantExpired bool
	}{
		{"expired", ErrTokenExpired, "the access token has expired", true},
		{"invalid", ErrTokenInvalid, "the access token is invalid", false},
		{"refresh invalid", ErrRefreshInvalid, "the refresh token is invalid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Kind != apperr.KindUnauthorized || tt.err.Code != apperr.CodeUnauthorized || tt.err.Message != tt.message {
				t.Fatalf("got %+v", tt.err)
			}
			if TokenExpired(tt.err) != tt.wantExpired {
				t.Fatalf("TokenExpired = %v, want %v", !tt.wantExpired, tt.wantExpired)
			}
			wrapped := errors.Join(errors.New("context"), tt.err)
			if TokenExpired(wrapped) != tt.wantExpired {
				t.Fatal("TokenExpired changed its answer through wrapping")
			}
			if apperr.KindOf(wrapped) != apperr.KindUnauthorized {
				t.Fatal("wrapped error lost its kind")
			}
		})
	}
	if TokenExpired(nil) || TokenExpired(errors.New("x")) {
		t.Fatal("TokenExpired true for a non-token error")
	}
}
