package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// auditLine is a line of the audit log as JSON: the server's log line or
// a line of the audit file (whose Scopes is an array, Attrs an object).
type auditLine map[string]any

func (l auditLine) str(key string) string { s, _ := l[key].(string); return s }

// auditLines reads the JSON lines of s that are audit events: those with
// logger=audit in a log, every line of the audit file.
func auditLines(t *testing.T, s string, logOnly bool) []auditLine {
	t.Helper()
	var out []auditLine
	for line := range strings.Lines(s) {
		var l auditLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			if logOnly {
				continue
			}
			t.Fatalf("not a JSON line: %q", line)
		}
		if logOnly && l.str("logger") != "audit" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// find returns the lines of event, where each of want's keys has its value.
func find(lines []auditLine, event string, want map[string]string) []auditLine {
	var out []auditLine
	for _, l := range lines {
		if l.str("event") != event {
			continue
		}
		ok := true
		for k, v := range want {
			ok = ok && l.str(k) == v
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// TestBinaryAudit runs the binary with audit.sink file and the log as
// JSON: a client added with signet client add, a token issued, a bad
// secret refused, a key rotated with signet keys rotate --now; each act is
// an audit event, in the server's log (logger=audit) for the server's acts
// and in the audit file for every one, the CLI's with the operating
// system user and host. No secret, token or key-encryption key appears
// in either.
func TestBinaryAudit(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	kek := newKEK(t)
	env := append(binEnv(dir), "SIGNET_KEK="+kek)
	const configSecret = "the-config-clients-secret-0123456789"
	binWrite(t, dir, "signet.yaml", `dataDir: data
issuer: http://127.0.0.1
allowHttp: true
log:
  format: json
  level: warn
key:
  type: Managed
  keyEncryptionKey: ${SIGNET_KEK}
  signingAlgorithms: [ES256]
`+resourcesYAML+`clients:
  - clientId: app
    secrets:
      - value: `+configSecret+`
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1, api2]
audit:
  sink: file
  file: audit/signet-audit.jsonl
  maxSize: 1
  maxFiles: 2
`)
	if err := os.Mkdir(filepath.Join(dir, "audit"), 0o700); err != nil {
		t.Fatal(err)
	}
	auditFile := filepath.Join(dir, "audit", "signet-audit.jsonl")

	// An operator adds a client: its secret is printed once, never audited.
	added := strings.TrimSpace(binRun(t, bin, dir, env, "", "client", "add", "audited", "--scope", "api1", "--config", "signet.yaml"))
	if len(added) < 20 {
		t.Fatalf("client add printed %q, not a secret", added)
	}
	data, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	binMode(t, auditFile, 0o600)
	osUser, _ := user.Current()
	host, _ := os.Hostname()
	changed := find(auditLines(t, string(data), false), "client.changed", map[string]string{"subject": "audited", "result": "success"})
	if len(changed) != 1 {
		t.Fatalf("audit file after client add:\n%s", data)
	}
	attrs, _ := changed[0]["attrs"].(map[string]any)
	if attrs["action"] != "added" || attrs["os_user"] != osUser.Username || attrs["host"] != host {
		t.Errorf("client.changed attrs %v; want action added, os_user %s, host %s", attrs, osUser.Username, host)
	}

	// log.level warn hides the listening line, not the audit's.
	addr := freePort(t)
	srv := binStart(t, bin, dir, env, "", "--config", "signet.yaml", "--listen", addr)
	srv.waitFor(`"logger":"audit","event":"key.loaded"`)
	srv.url = "http://" + addr
	for range 500 {
		if resp, err := http.Get(srv.url + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	token := srv.url + "/connect/token"
	basicAuth := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
	}
	ok := binPost(t, token, url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}, basicAuth("audited", added))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if ok.status != http.StatusOK || json.Unmarshal(ok.body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", ok.status, ok.body)
	}
	wrongSecret := "a-wrong-secret-" + added[:10]
	bad := binPost(t, token, url.Values{"grant_type": {"client_credentials"}}, basicAuth("app", wrongSecret))
	if bad.status != http.StatusUnauthorized {
		t.Fatalf("a wrong secret: %d %s", bad.status, bad.body)
	}
	// Sent in the form too: still never audited.
	binPost(t, token, url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {wrongSecret + "-post"}}, func(*http.Request) {})

	// A key rotated at once by the operator, while the server runs.
	binRun(t, bin, dir, env, "", "keys", "rotate", "--now", "--config", "signet.yaml")
	// Stopped (its "stopped" line is INFO, hidden by log.level warn).
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	if srv.waitErr != nil {
		t.Errorf("serve ended with %v", srv.waitErr)
	}

	log := auditLines(t, srv.out.String(), true)
	data, err = os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	file := auditLines(t, string(data), false)

	// The server's acts are in its log (at INFO, though log.level is warn)
	// and in the file alike.
	for name, lines := range map[string][]auditLine{"log": log, "file": file} {
		issued := find(lines, "token.issued", map[string]string{"client": "audited", "grant_type": "client_credentials", "result": "success", "alg": "ES256"})
		if len(issued) != 1 || issued[0].str("kid") == "" || issued[0].str("remote") == "" || issued[0].str("request_id") == "" {
			t.Errorf("%s: token.issued %v", name, issued)
		}
		if name == "log" && (issued[0].str("level") != "INFO" || issued[0].str("scopes") != "api1") {
			t.Errorf("log: token.issued %v; want level INFO and scopes api1", issued[0])
		}
		if name == "file" && !slices.Equal(issued[0]["scopes"].([]any), []any{"api1"}) {
			t.Errorf("file: token.issued scopes %v", issued[0]["scopes"])
		}
		if got := find(lines, "client.auth_failed", map[string]string{"client": "app", "result": "invalid_client"}); len(got) != 2 {
			t.Errorf("%s: client.auth_failed %v; want 2", name, got)
		}
		if got := find(lines, "token.refused", map[string]string{"client": "app", "result": "invalid_client", "grant_type": "client_credentials"}); len(got) != 2 {
			t.Errorf("%s: token.refused %v; want 2", name, got)
		}
		if got := find(lines, "key.loaded", map[string]string{"alg": "ES256"}); len(got) < 1 {
			t.Errorf("%s: no key.loaded", name)
		}
	}
	if got := find(log, "client.changed", nil); len(got) != 0 {
		t.Errorf("the server logged the CLI's change: %v", got)
	}
	rotated := find(file, "key.rotated", map[string]string{"alg": "ES256"})
	var byCLI []auditLine
	for _, l := range rotated {
		if a, _ := l["attrs"].(map[string]any); a["os_user"] == osUser.Username && a["host"] == host {
			byCLI = append(byCLI, l)
		}
	}
	if len(byCLI) != 1 {
		t.Errorf("key.rotated by signet keys rotate --now: %v", rotated)
	}
	// The server took the key in (key.loaded) when it synced.
	if len(byCLI) == 1 && len(find(file, "key.loaded", map[string]string{"kid": byCLI[0].str("kid")})) == 0 {
		t.Logf("the server stopped before it loaded the rotated key %s", byCLI[0].str("kid"))
	}

	// No secret, token or key in the log or the file.
	everything := srv.out.String() + string(data)
	for what, s := range map[string]string{
		"the added client's secret": added, "the configured secret": configSecret, "the wrong secret": wrongSecret,
		"the access token": tok.AccessToken, "the key-encryption key": kek,
	} {
		if strings.Contains(everything, s) {
			t.Errorf("%s appears in the audit log or file", what)
		}
	}
}
