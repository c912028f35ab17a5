package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "arkmember-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "arkmember")
	if out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build arkmember: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running `arkmember serve` process.
type server struct {
	cmd    *exec.Cmd
	url    string
	stdout *syncBuffer
}

// syncBuffer is a buffer the process writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServer(t *testing.T, dataDir, addr string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "ARK_ADDR="+addr, "ARK_DATA_DIR="+dataDir, "LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	s := &server{cmd: cmd, url: "http://" + addr, stdout: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = s.stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(s.url + "/v1/health"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server did not start; output:\n%s", s.stdout)
	return nil
}

// stop sends SIGTERM, as an operator's Ctrl-C would, and waits.
func (s *server) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exited with %v; output:\n%s", err, s.stdout)
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("server did not stop on SIGTERM")
	}
}

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestServe_ReadmeWalkthroughRunsVerbatim runs the README's curl
// walkthrough, unchanged, against a fresh server.
func TestServe_ReadmeWalkthroughRunsVerbatim(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; TestServe_FlowOverHTTP covers the same flow")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- walkthrough -->\\s*```bash\\n(.*?)```\\s*<!-- /walkthrough -->").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no walkthrough block")
	}
	s := startServer(t, t.TempDir(), freeAddr(t))
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(m[1]))
	cmd.Env = append(os.Environ(), "ARK="+s.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{`"memberId":"`, `"mobile":"138****5678"`, `"nickname":"Lin"`, "logout: 204", `"code":"UNAUTHORIZED"`} {
		if !strings.Contains(text, want) {
			t.Errorf("walkthrough output lacks %s:\n%s", want, text)
		}
	}
}

// TestServe_FlowOverHTTP walks register → login → me → refresh → logout
// against the real binary, and checks the bootstrap accounts work.
func TestServe_FlowOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir(), freeAddr(t), "ARK_ADMIN_PASSWORD=admin-pass-123", "ARK_SERVICE_SECRET=svc-secret-123")
	st, reg := call(t, "POST", s.url+"/v1/auth/register", "", map[string]string{"mobile": "13812345678", "password": "s3cret-pass"})
	if st != 201 {
		t.Fatalf("register = %d %v", st, reg)
	}
	st, login := call(t, "POST", s.url+"/v1/auth/login", "", map[string]string{"mobile": "13812345678", "password": "s3cret-pass"})
	if st != 200 {
		t.Fatalf("login = %d %v", st, login)
	}
	st, me := call(t, "GET", s.url+"/v1/members/me", login["accessToken"].(string), nil)
	if st != 200 || me["mobile"] != "138****5678" || me["memberId"] != reg["memberId"] {
		t.Fatalf("me = %d %v", st, me)
	}
	st, fresh := call(t, "POST", s.url+"/v1/auth/refresh", "", map[string]any{"refreshToken": login["refreshToken"]})
	if st != 200 {
		t.Fatalf("refresh = %d %v", st, fresh)
	}
	if st, _ := call(t, "POST", s.url+"/v1/auth/logout", fresh["accessToken"].(string), map[string]any{"refreshToken": fresh["refreshToken"]}); st != 204 {
		t.Fatalf("logout = %d", st)
	}
	if st, _ := call(t, "POST", s.url+"/v1/auth/staff-login", "", map[string]string{"username": "admin", "password": "admin-pass-123"}); st != 200 {
		t.Fatalf("admin login = %d", st)
	}
	if st, _ := call(t, "POST", s.url+"/v1/auth/token", "", map[string]string{"clientId": "local-service", "clientSecret": "svc-secret-123"}); st != 200 {
		t.Fatalf("service token = %d", st)
	}
	t.Run("the clock can be moved and restored", func(t *testing.T) {
		st, body := call(t, "POST", s.url+"/_local/clock", "", map[string]string{"now": "2030-01-01T00:00:00Z"})
		if st != 200 || !strings.HasPrefix(body["now"].(string), "2030-01-01T00:00:0") {
			t.Fatalf("set clock = %d %v", st, body)
		}
		// The access token issued in 2026 has expired in 2030.
		if st, _ := call(t, "GET", s.url+"/v1/members/me", login["accessToken"].(string), nil); st != 401 {
			t.Fatalf("old token in 2030 = %d", st)
		}
		if st, _ := call(t, "DELETE", s.url+"/_local/clock", "", nil); st != 200 {
			t.Fatalf("reset clock = %d", st)
		}
	})
}

// TestServe_RestartKeepsData registers, stops the server, starts it again
// on the same data dir and logs in.
func TestServe_RestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	s := startServer(t, dir, addr)
	if st, body := call(t, "POST", s.url+"/v1/auth/register", "", map[string]string{"mobile": "13700000001", "password": "persist-me-1"}); st != 201 {
		t.Fatalf("register = %d %v", st, body)
	}
	generated := regexp.MustCompile(`password (\S+)`).FindStringSubmatch(s.stdout.String())
	if generated == nil {
		t.Fatalf("the generated admin password was not printed:\n%s", s.stdout)
	}
	s.stop(t)

	s = startServer(t, dir, addr)
	if st, body := call(t, "POST", s.url+"/v1/auth/login", "", map[string]string{"mobile": "13700000001", "password": "persist-me-1"}); st != 200 {
		t.Fatalf("login after restart = %d %v", st, body)
	}
	if st, _ := call(t, "POST", s.url+"/v1/auth/staff-login", "", map[string]string{"username": "admin", "password": generated[1]}); st != 200 {
		t.Fatalf("the generated admin password must survive the restart, got %d", st)
	}
	if strings.Contains(s.stdout.String(), "created staff account") {
		t.Fatal("a restart must not generate a new admin password")
	}
}

// TestInvoke_RunsASampleEventAgainstTheDataDir runs `arkmember invoke`
// without a server, then with one running on the data dir.
func TestInvoke_RunsASampleEventAgainstTheDataDir(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	run := func() string {
		cmd := exec.CommandContext(context.Background(), binary, "invoke", "accounts", filepath.Join("..", "..", "events", "accounts", "register.json"))
		cmd.Env = append(os.Environ(), "ARK_DATA_DIR="+dir, "ARK_ADDR="+addr)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var resp struct {
			StatusCode int `json:"statusCode"`
		}
		if err := json.NewDecoder(bufio.NewReader(bytes.NewReader(out))).Decode(&resp); err != nil {
			t.Fatalf("invoke printed %s", out)
		}
		return fmt.Sprint(resp.StatusCode)
	}
	if got := run(); got != "201" {
		t.Fatalf("first invoke = %s, want 201", got)
	}
	startServer(t, dir, addr)
	if got := run(); got != "409" {
		t.Fatalf("invoke through the running server = %s, want 409 (the member exists)", got)
	}
}

// TestVerify_ReportsNoDriftOnTheDataDir earns and spends through a server,
// stops it and verifies the data dir offline, then through a running server.
func TestVerify_ReportsNoDriftOnTheDataDir(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	s := startServer(t, dir, addr, "ARK_SERVICE_SECRET=svc-secret-123")
	_, reg := call(t, "POST", s.url+"/v1/auth/register", "", map[string]string{"mobile": "13700000002", "password": "verify-me-1"})
	_, svc := call(t, "POST", s.url+"/v1/auth/token", "", map[string]string{"clientId": "local-service", "clientSecret": "svc-secret-123"})
	if st, body := call(t, "POST", s.url+"/v1/points/earn", svc["accessToken"].(string), map[string]any{"memberId": reg["memberId"], "amount": 70, "bizNo": "E-1", "source": "ORDER"}); st != 201 {
		t.Fatalf("earn = %d %v", st, body)
	}
	if st, body := call(t, "POST", s.url+"/v1/points/spend", reg["accessToken"].(string), map[string]any{"amount": 20, "bizNo": "S-1"}); st != 201 {
		t.Fatalf("spend = %d %v", st, body)
	}
	verify := func() string {
		cmd := exec.Command(binary, "verify")
		cmd.Env = append(os.Environ(), "ARK_DATA_DIR="+dir, "ARK_ADDR="+addr)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := verify(); !strings.Contains(out, "checked 1 members: balances, ledgers and lots agree") {
		t.Fatalf("verify through the running server = %s", out)
	}
	s.stop(t)
	if out := verify(); !strings.Contains(out, "checked 1 members: balances, ledgers and lots agree") {
		t.Fatalf("verify offline = %s", out)
	}
}
