package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBinaryUsers: signet serve writes the configuration's users to the
// database at start (signet user show then sees them), refuses to start
// when one's username is a database user's, and in development mode
// prints how to sign in as the development user, whose callback page is
// served.
func TestBinaryUsers(t *testing.T) {
	bin := binaryTest(t)
	t.Run("config", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		env := binEnv(dir)
		cfg := filepath.Join(dir, "signet.yaml")
		if err := os.WriteFile(cfg, []byte(`dataDir: data
allowHttp: true
key: {type: Development}
users:
  - subjectId: "1"
    username: alice
    password: alices-password
    claims: {name: Alice Smith, given_name: Alice}
`), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := binServe(t, bin, dir, env, "--config", cfg, "--listen", "127.0.0.1:0")
		srv.waitFor(`msg="users of the configuration written to the database" created=1 updated=0 unchanged=0`)
		srv.stop()
		srv.noSecrets("alices-password")
		out := binRun(t, bin, dir, env, "", "user", "show", "alice", "--config", cfg)
		if !strings.Contains(out, "Alice Smith") || !strings.Contains(out, `{"given_name":"Alice"}`) {
			t.Errorf("signet user show after serve:\n%s", out)
		}
		// A database user takes the name of a new user of the file.
		binRun(t, bin, dir, env, "another-password\n", "user", "add", "--username", "Bob", "--subject", "db-bob", "--password-stdin", "--config", cfg)
		f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.WriteString("  - {subjectId: \"2\", username: BOB, password: x}\n")
		f.Close()
		srv = binStart(t, bin, dir, env, "", "--config", cfg, "--listen", "127.0.0.1:0")
		srv.waitFor(`users\[1\].username: username "BOB" is taken in the database by another user \(Bob, subject db-bob\): rename one of them, or remove the database's \(signet user remove db-bob\)`)
		<-srv.exited
		if srv.waitErr == nil {
			t.Error("serve started with a user of the file clashing with one of the database")
		}
	})
	t.Run("development", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		env := binEnv(dir)
		srv := binServe(t, bin, dir, env, "--listen", "127.0.0.1:0")
		m := srv.waitFor(`(?m)^Sign in as alice \(password: cat (\S+)\) by opening in a browser:\n\n  (\S+)\n`)
		binMode(t, m[1], 0o600)
		password, err := os.ReadFile(m[1])
		if err != nil || len(strings.TrimSpace(string(password))) != 22 {
			t.Fatalf("password file: %q %v", password, err)
		}
		u, err := url.Parse(m[2])
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if want := srv.url + "/connect/authorize"; u.Scheme+"://"+u.Host+u.Path != want || q.Get("redirect_uri") != srv.url+"/dev/callback" {
			t.Errorf("sign-in URL %s; want %s with redirect_uri %s/dev/callback", m[2], want, srv.url)
		}
		resp := binDo(t, mustRequest(t, srv.url+"/dev/callback?code=abc&state="+url.QueryEscape(q.Get("state"))))
		if resp.status != http.StatusOK || !regexp.MustCompile(`code_verifier=[A-Za-z0-9_-]{43} `).Match(resp.body) {
			t.Errorf("callback page: %d\n%s", resp.status, resp.body)
		}
		srv.stop()
		srv.noSecrets(strings.TrimSpace(string(password)))
		out := binRun(t, bin, dir, env, "", "user", "show", "alice")
		if !regexp.MustCompile(`(?m)^  Subject +signet-dev-alice$`).MatchString(out) {
			t.Errorf("the development user:\n%s", out)
		}
	})
}

func mustRequest(t *testing.T, target string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
