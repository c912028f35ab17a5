package apitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	miniserver "github.com/truora/minidyn/server"

	"github.com/arkmember/arkmember/internal/keyring"
	"github.com/arkmember/arkmember/internal/testenv"
)

func TestAccounts_ReadmeWalkthrough(t *testing.T) {
	t.Parallel()
	a := New(t)
	reg := a.Must(http.StatusCreated, "POST", "/v1/auth/register", "", map[string]string{"mobile": "13812345678", "password": "s3cret-pass", "nickname": "Lin"})
	if reg.Str("memberId") == "" || reg.Str("tokenType") != "Bearer" || reg.JSON()["expiresIn"] != float64(900) {
		t.Fatalf("register = %s", reg.Body)
	}
	login := a.Must(http.StatusOK, "POST", "/v1/auth/login", "", map[string]string{"mobile": "13812345678", "password": "s3cret-pass"})
	me := a.Must(http.StatusOK, "GET", "/v1/members/me", login.Str("accessToken"), nil).JSON()
	level := me["level"].(map[string]any)
	if me["mobile"] != "138****5678" || me["nickname"] != "Lin" || level["code"] != "BRONZE" || level["rank"] != float64(0) || me["points"] != float64(0) || me["gender"] != "UNKNOWN" {
		t.Fatalf("me = %v", me)
	}
	if strings.Contains(string(a.Call("GET", "/v1/members/me", login.Str("accessToken"), nil).Body), "13812345678") {
		t.Fatal("the full mobile must never be shown")
	}
	refreshed := a.Must(http.StatusOK, "POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": login.Str("refreshToken")})
	if refreshed.Str("refreshToken") == login.Str("refreshToken") || refreshed.Str("memberId") != reg.Str("memberId") {
		t.Fatalf("refresh = %s", refreshed.Body)
	}
	a.Must(http.StatusNoContent, "POST", "/v1/auth/logout", refreshed.Str("accessToken"), map[string]string{"refreshToken": refreshed.Str("refreshToken")})
	if r := a.Call("POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": refreshed.Str("refreshToken")}); r.Status != http.StatusUnauthorized || r.Code() != "UNAUTHORIZED" {
		t.Fatalf("refresh after logout = %d %s", r.Status, r.Body)
	}
}

func TestRegister_ThirtyConcurrentRegistrationsOfOneMobileGiveOneMember(t *testing.T) {
	t.Parallel()
	a := New(t)
	mobile := NextMobile()
	var created, taken atomic.Int32
	parallel(30, func(i int) {
		r := a.Call("POST", "/v1/auth/register", "", map[string]string{"mobile": mobile, "password": fmt.Sprintf("password-%02d", i)})
		switch {
		case r.Status == http.StatusCreated:
			created.Add(1)
		case r.Status == http.StatusConflict && r.Code() == "MOBILE_TAKEN":
			taken.Add(1)
		default:
			t.Errorf("unexpected %d %s", r.Status, r.Body)
		}
	})
	if created.Load() != 1 || taken.Load() != 29 {
		t.Fatalf("created=%d taken=%d", created.Load(), taken.Load())
	}
	found := a.Must(http.StatusOK, "GET", "/v1/admin/members?mobile="+mobile, a.Admin(), nil).JSON()["items"].([]any)
	if len(found) != 1 {
		t.Fatalf("members with the mobile: %d", len(found))
	}
}

func TestBadInput_GetsProblemAndChangesNothing(t *testing.T) {
	t.Parallel()
	a := New(t)
	m := a.Register()
	admin := a.Admin()
	big := `{"mobile":"13800000000","password":"` + strings.Repeat("x", 200<<10) + `"}`
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       any
		header     map[string]string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"malformed JSON", "POST", "/v1/auth/register", "", `{"mobile": "13800000001",`, nil, 400, "VALIDATION_FAILED", ""},
		{"not JSON at all", "POST", "/v1/auth/register", "", `mobile=13800000001`, nil, 400, "VALIDATION_FAILED", ""},
		{"unknown field", "POST", "/v1/auth/register", "", `{"mobile":"13800000001","password":"password-1","admin":true}`, nil, 400, "VALIDATION_FAILED", "admin"},
		{"two JSON values", "POST", "/v1/auth/register", "", `{"mobile":"13800000001","password":"password-1"}{}`, nil, 400, "VALIDATION_FAILED", ""},
		{"200 KiB body", "POST", "/v1/auth/register", "", big, nil, 413, "VALIDATION_FAILED", ""},
		{"empty body", "POST", "/v1/auth/register", "", "", nil, 400, "VALIDATION_FAILED", ""},
		{"bad mobile", "POST", "/v1/auth/register", "", `{"mobile":"12345","password":"password-1"}`, nil, 400, "VALIDATION_FAILED", "mobile"},
		{"empty password", "POST", "/v1/auth/register", "", `{"mobile":"13800000001","password":""}`, nil, 400, "VALIDATION_FAILED", "password"},
		{"short password", "POST", "/v1/auth/register", "", `{"mobile":"13800000001","password":"short"}`, nil, 400, "VALIDATION_FAILED", "password"},
		{"mobile as number", "POST", "/v1/auth/register", "", `{"mobile":13800000001,"password":"password-1"}`, nil, 400, "VALIDATION_FAILED", "mobile"},
		{"password as array", "POST", "/v1/auth/register", "", `{"mobile":"13800000001","password":["a"]}`, nil, 400, "VALIDATION_FAILED", "password"},
		{"nickname too long", "POST", "/v1/auth/register", "", `{"mobile":"13800000001","password":"password-1","nickname":"` + strings.Repeat("名", 33) + `"}`, nil, 400, "VALIDATION_FAILED", "nickname"},
		{"xml content type", "POST", "/v1/auth/register", "", `{"mobile":"13800000001","password":"password-1"}`, map[string]string{"Content-Type": "application/xml"}, 415, "VALIDATION_FAILED", ""},
		{"login with bad mobile", "POST", "/v1/auth/login", "", `{"mobile":"1","password":"x"}`, nil, 400, "VALIDATION_FAILED", "mobile"},
		{"patch with bad gender", "PATCH", "/v1/members/me", m.Access, `{"gender":"OTHER"}`, nil, 400, "VALIDATION_FAILED", "gender"},
		{"patch with future birthday", "PATCH", "/v1/members/me", m.Access, `{"birthday":"2999-01-01"}`, nil, 400, "VALIDATION_FAILED", "birthday"},
		{"patch with javascript avatar", "PATCH", "/v1/members/me", m.Access, `{"avatarUrl":"javascript:alert(1)"}`, nil, 400, "VALIDATION_FAILED", "avatarUrl"},
		{"freeze without reason", "POST", "/v1/admin/members/" + m.ID + "/status", admin, `{"status":"FROZEN","reason":""}`, nil, 400, "VALIDATION_FAILED", "reason"},
		{"freeze with bad status", "POST", "/v1/admin/members/" + m.ID + "/status", admin, `{"status":"BANNED","reason":"x"}`, nil, 400, "VALIDATION_FAILED", "status"},
		{"lookup with bad mobile", "GET", "/v1/admin/members?mobile=abc", admin, nil, nil, 400, "VALIDATION_FAILED", "mobile"},
		{"audit with bad time", "GET", "/v1/admin/audit?from=yesterday", admin, nil, nil, 400, "VALIDATION_FAILED", "from"},
		{"audit with bad limit", "GET", "/v1/admin/audit?limit=0", admin, nil, nil, 400, "VALIDATION_FAILED", "limit"},
		{"audit with huge limit", "GET", "/v1/admin/audit?limit=101", admin, nil, nil, 400, "VALIDATION_FAILED", "limit"},
		{"unknown member", "GET", "/v1/admin/members/01ARZ3NDEKTSV4RRFFQ69G5FAV", admin, nil, nil, 404, "NOT_FOUND", ""},
		{"malformed member id", "GET", "/v1/admin/members/..%2F..%2Fetc", admin, nil, nil, 404, "NOT_FOUND", ""},
		{"unknown route", "GET", "/v1/nope", "", nil, nil, 404, "NOT_FOUND", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.Do(Request{Method: tt.method, Path: tt.path, Token: tt.token, Body: tt.body, Header: tt.header, SkipRequest: true})
			assertProblem(t, r, tt.wantStatus, tt.wantCode)
			if tt.wantField != "" && !hasField(r, tt.wantField) {
				t.Fatalf("errors do not name %q: %s", tt.wantField, r.Body)
			}
		})
	}
	// Nothing changed: no member for any of the mobiles tried, the profile
	// and status as they were, no audit entry.
	if items := a.Must(200, "GET", "/v1/admin/members?mobile=13800000001", admin, nil).JSON()["items"].([]any); len(items) != 0 {
		t.Fatalf("a bad request registered a member: %v", items)
	}
	me := a.Must(200, "GET", "/v1/members/me", m.Access, nil).JSON()
	if me["gender"] != "UNKNOWN" || me["birthday"] != nil || me["avatarUrl"] != nil {
		t.Fatalf("a bad patch changed the profile: %v", me)
	}
	if items := a.Must(200, "GET", "/v1/admin/audit", admin, nil).JSON()["items"].([]any); len(items) != 0 {
		t.Fatalf("a bad request was audited: %v", items)
	}
}

func assertProblem(t *testing.T, r Resp, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	p := r.JSON()
	if p["type"] == "" || p["title"] == "" || p["status"] != float64(status) || p["detail"] == "" {
		t.Fatalf("not a complete problem: %s", r.Body)
	}
}

func hasField(r Resp, field string) bool {
	errs, _ := r.JSON()["errors"].([]any)
	for _, e := range errs {
		if e.(map[string]any)["field"] == field {
			return true
		}
	}
	return false
}

func TestTokens_BadOnesGet401AndWrongRolesGet403(t *testing.T) {
	t.Parallel()
	a := New(t)
	m := a.Register()
	keys, err := keyring.Derive(testenv.MasterKey)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := a.Stack.Clock.Now()
	claims := func(role string, exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"iss": "ark-member", "aud": []string{"ark-member-api"}, "sub": m.ID, "role": role, "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "jti": "x"}
	}
	b64 := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims("admin", now.Add(time.Hour)))
	algNone := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(payload) + "."
	parts := strings.Split(m.Access, ".")
	tampered := parts[0] + "." + b64(payload) + "." + parts[2]

	tests := []struct {
		name, token string
		path        string
		status      int
		code        string
	}{
		{"no token", "", "/v1/members/me", 401, "UNAUTHORIZED"},
		{"garbage", "not-a-token", "/v1/members/me", 401, "UNAUTHORIZED"},
		{"alg none", algNone, "/v1/members/me", 401, "UNAUTHORIZED"},
		{"payload swapped to admin", tampered, "/v1/admin/audit", 401, "UNAUTHORIZED"},
		{"signed with another key", sign(jwt.SigningMethodHS256, []byte("another-key-of-at-least-32-bytes!!"), claims("member", now.Add(time.Hour))), "/v1/members/me", 401, "UNAUTHORIZED"},
		{"HS512 with the right key", sign(jwt.SigningMethodHS512, keys.Signing, claims("member", now.Add(time.Hour))), "/v1/members/me", 401, "UNAUTHORIZED"},
		{"expired", sign(jwt.SigningMethodHS256, keys.Signing, claims("member", now.Add(-time.Minute))), "/v1/members/me", 401, "UNAUTHORIZED"},
		{"member on an admin route", m.Access, "/v1/admin/audit", 403, "FORBIDDEN"},
		{"member on a staff route", m.Access, "/v1/admin/members/" + m.ID, 403, "FORBIDDEN"},
		{"service on a member route", a.Service(), "/v1/members/me", 403, "FORBIDDEN"},
		{"operator on the audit log", a.Staff("op1", "operator"), "/v1/admin/audit", 403, "FORBIDDEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.Call("GET", tt.path, tt.token, nil)
			assertProblem(t, r, tt.status, tt.code)
		})
	}
	t.Run("a token expires with the clock", func(t *testing.T) {
		a.Stack.Clock.Set(now.Add(16 * time.Minute))
		defer a.Stack.Clock.Reset()
		r := a.Call("GET", "/v1/members/me", m.Access, nil)
		assertProblem(t, r, 401, "UNAUTHORIZED")
		if !strings.Contains(r.Str("detail"), "expired") {
			t.Fatalf("detail should say expired: %s", r.Body)
		}
	})
}

func TestRefresh_ReuseOfARotatedTokenRevokesTheFamily(t *testing.T) {
	t.Parallel()
	a := New(t)
	m := a.Register()
	first := a.Must(200, "POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": m.Refresh})
	// The rotated token is replayed (stolen): the whole family dies.
	assertProblem(t, a.Call("POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": m.Refresh}), 401, "UNAUTHORIZED")
	assertProblem(t, a.Call("POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": first.Str("refreshToken")}), 401, "UNAUTHORIZED")
	// Other sign-ins are unaffected.
	other := a.Must(200, "POST", "/v1/auth/login", "", map[string]string{"mobile": m.Mobile, "password": m.Password})
	a.Must(200, "POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": other.Str("refreshToken")})

	t.Run("concurrent use of one token rotates once", func(t *testing.T) {
		s := a.Must(200, "POST", "/v1/auth/login", "", map[string]string{"mobile": m.Mobile, "password": m.Password})
		var ok atomic.Int32
		parallel(10, func(_ int) {
			if a.Call("POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": s.Str("refreshToken")}).Status == 200 {
				ok.Add(1)
			}
		})
		if ok.Load() > 1 {
			t.Fatalf("%d refreshes succeeded with one token", ok.Load())
		}
	})
	t.Run("tampered tokens are refused", func(t *testing.T) {
		tok := other.Str("refreshToken")
		for _, bad := range []string{tok + "x", strings.Replace(tok, ".1.", ".2.", 1), "rt1.x.1.y", ""} {
			r := a.Do(Request{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refreshToken": bad}, SkipRequest: true})
			if r.Status != 401 && r.Status != 400 {
				t.Fatalf("%q: %d %s", bad, r.Status, r.Body)
			}
		}
	})
}

func TestLogin_LocksAfterFiveFailuresEvenUnderABurst(t *testing.T) {
	t.Parallel()
	a := New(t)
	m := a.Register()
	wrong := map[string]string{"mobile": m.Mobile, "password": "wrong-password"}
	var unauthorized, locked atomic.Int32
	parallel(25, func(_ int) {
		r := a.Call("POST", "/v1/auth/login", "", wrong)
		switch {
		case r.Status == 401 && r.Code() == "INVALID_CREDENTIALS":
			unauthorized.Add(1)
		case r.Status == 429 && (r.Code() == "ACCOUNT_LOCKED" || r.Code() == "RATE_LIMITED"):
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			locked.Add(1)
		default:
			t.Errorf("unexpected %d %s", r.Status, r.Body)
		}
	})
	if unauthorized.Load() > 4 {
		t.Fatalf("%d guesses were checked; at most 4 may fail before the lock", unauthorized.Load())
	}
	right := map[string]string{"mobile": m.Mobile, "password": m.Password}
	r := a.Call("POST", "/v1/auth/login", "", right)
	assertProblem(t, r, 429, "ACCOUNT_LOCKED")
	a.Stack.Clock.Set(a.Stack.Clock.Now().Add(16 * time.Minute))
	a.Must(200, "POST", "/v1/auth/login", "", right)
}

func TestLogin_UnknownMobileAndWrongPasswordLookTheSame(t *testing.T) {
	t.Parallel()
	a := New(t)
	m := a.Register()
	r1 := a.Call("POST", "/v1/auth/login", "", map[string]string{"mobile": NextMobile(), "password": m.Password})
	r2 := a.Call("POST", "/v1/auth/login", "", map[string]string{"mobile": m.Mobile, "password": "wrong-password"})
	assertProblem(t, r1, 401, "INVALID_CREDENTIALS")
	assertProblem(t, r2, 401, "INVALID_CREDENTIALS")
	if r1.Str("detail") != r2.Str("detail") {
		t.Fatal("the two failures must be indistinguishable")
	}
}

func TestFreeze_BlocksSignInAndRefreshAndIsAudited(t *testing.T) {
	t.Parallel()
	a := New(t)
	m := a.Register()
	admin := a.Admin()
	auditor := a.Staff("audit1", "auditor")
	assertProblem(t, a.Call("POST", "/v1/admin/members/"+m.ID+"/status", auditor, map[string]string{"status": "FROZEN", "reason": "x"}), 403, "FORBIDDEN")

	frozen := a.Must(200, "POST", "/v1/admin/members/"+m.ID+"/status", a.Staff("op2", "operator"), map[string]string{"status": "FROZEN", "reason": "chargeback fraud"})
	if frozen.Str("status") != "FROZEN" || frozen.Str("mobile") != m.Mobile[:3]+"****"+m.Mobile[7:] {
		t.Fatalf("freeze = %s", frozen.Body)
	}
	assertProblem(t, a.Call("POST", "/v1/auth/login", "", map[string]string{"mobile": m.Mobile, "password": m.Password}), 403, "MEMBER_FROZEN")
	assertProblem(t, a.Call("POST", "/v1/auth/refresh", "", map[string]string{"refreshToken": m.Refresh}), 403, "MEMBER_FROZEN")
	if got := a.Must(200, "GET", "/v1/admin/members/"+m.ID, auditor, nil).Str("status"); got != "FROZEN" {
		t.Fatalf("status = %s", got)
	}
	// Setting the same status again changes and audits nothing.
	a.Must(200, "POST", "/v1/admin/members/"+m.ID+"/status", admin, map[string]string{"status": "FROZEN", "reason": "again"})
	a.Must(200, "POST", "/v1/admin/members/"+m.ID+"/status", admin, map[string]string{"status": "ACTIVE", "reason": "cleared by support"})
	a.Must(200, "POST", "/v1/auth/login", "", map[string]string{"mobile": m.Mobile, "password": m.Password})

	entries := a.Must(200, "GET", "/v1/admin/audit?action=member.status.set", auditor, nil).JSON()["items"].([]any)
	if len(entries) != 2 {
		t.Fatalf("audit entries = %d, want 2", len(entries))
	}
	newest := entries[0].(map[string]any)
	if newest["actor"] != "admin" || newest["role"] != "admin" || newest["target"] != "member/"+m.ID || newest["requestId"] == "" {
		t.Fatalf("entry = %v", newest)
	}
	if before := newest["before"].(map[string]any); before["status"] != "FROZEN" {
		t.Fatalf("before = %v", before)
	}
	byOp := a.Must(200, "GET", "/v1/admin/audit?actor=op2", admin, nil).JSON()["items"].([]any)
	if len(byOp) != 1 {
		t.Fatalf("entries by op2 = %d", len(byOp))
	}
}

func TestProfile_PatchAndRead(t *testing.T) {
	t.Parallel()
	a := New(t)
	m := a.Register()
	p := a.Must(200, "PATCH", "/v1/members/me", m.Access, map[string]string{"nickname": "小王", "gender": "FEMALE", "birthday": "1995-05-20", "avatarUrl": "https://cdn.example.com/a.png"}).JSON()
	if p["nickname"] != "小王" || p["gender"] != "FEMALE" || p["birthday"] != "1995-05-20" || p["avatarUrl"] != "https://cdn.example.com/a.png" {
		t.Fatalf("patched = %v", p)
	}
	p = a.Must(200, "PATCH", "/v1/members/me", m.Access, map[string]string{"avatarUrl": ""}).JSON()
	if p["avatarUrl"] != nil || p["nickname"] != "小王" {
		t.Fatalf("cleared avatar = %v", p)
	}
	if _, ok := p["status"]; ok {
		t.Fatal("members do not see their status field")
	}
}

func TestRateLimit_ThrottlesPerClientWithRetryAfter(t *testing.T) {
	t.Parallel()
	a := NewWith(t, Options{RateLimit: 1, Burst: 3})
	var limited Resp
	for range 5 {
		if r := a.Call("GET", "/v1/health", "", nil); r.Status == 429 {
			limited = r
		}
	}
	assertProblem(t, limited, 429, "RATE_LIMITED")
	if limited.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestRateLimit_DefaultLets200ConcurrentRequestsThrough(t *testing.T) {
	t.Parallel()
	a := NewWith(t, Options{RateLimit: 200, Burst: 400})
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a.Call("GET", "/v1/health", "", nil).Status != 200 {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of 200 concurrent requests failed", bad.Load())
	}
}

func TestRegister_DynamoDBFaultLeavesNothingAndRetrySucceeds(t *testing.T) {
	t.Parallel()
	a := New(t)
	body := map[string]string{"mobile": NextMobile(), "password": "password-1"}
	a.DB.Engine.Mini.EmulateFailureForTable(a.DB.Table, miniserver.FailureConditionInternalServerError)
	r := a.Call("POST", "/v1/auth/register", "", body)
	a.DB.Engine.Mini.EmulateFailureForTable(a.DB.Table, miniserver.FailureConditionNone)
	assertProblem(t, r, 503, "UNAVAILABLE")
	if r.Header.Get("Retry-After") == "" || strings.Contains(string(r.Body), "emulated") {
		t.Fatalf("503 must carry Retry-After and no internals: %v %s", r.Header, r.Body)
	}
	if items := a.Must(200, "GET", "/v1/admin/members?mobile="+body["mobile"], a.Admin(), nil).JSON()["items"].([]any); len(items) != 0 {
		t.Fatal("a failed registration left a member")
	}
	a.Must(201, "POST", "/v1/auth/register", "", body)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	a := New(t)
	if r := a.Must(200, "GET", "/v1/health", "", nil); r.Str("status") != "ok" || r.Header.Get("X-Request-Id") == "" {
		t.Fatalf("health = %s %v", r.Body, r.Header)
	}
}
