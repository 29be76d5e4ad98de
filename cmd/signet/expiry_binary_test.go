package main

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBinaryKeyExpiry: a signing certificate made by signet cert create to
// expire within keyExpiryWarning is a WARN line at serve startup, with
// what to do; a validation certificate that has expired is an ERROR line.
func TestBinaryKeyExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := builtBinary(t)
	dir := t.TempDir()
	env := binEnv(dir)
	binWrite(t, dir, "pw.txt", "correct-horse-battery-staple\n")
	soon := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	binRun(t, bin, dir, env, "", "cert", "create", "--subject", "CN=expires-soon", "--not-after", soon, "--out", "signing.pfx", "--password-file", "pw.txt")
	binRun(t, bin, dir, env, "", "cert", "create", "--subject", "CN=long-gone", "--not-before", "2020-01-01", "--not-after", "2021-01-01", "--out", "old.pfx", "--password-file", "pw.txt")
	binWrite(t, dir, "signet.yaml", `listen: 127.0.0.1:0
allowHttp: true
key:
  type: File
  filePath: signing.pfx
  passwordFile: pw.txt
validationKeys:
  - type: File
    filePath: old.pfx
    passwordFile: pw.txt
keyExpiryWarning: 14d
`)
	s := binServe(t, bin, dir, env, "--config", "signet.yaml")
	s.waitFor(`level=WARN msg="a signing certificate expires soon: make its successor now \(signet cert create\)[^"]*" kid=\w+ role=signing subject="CN=expires-soon" thumbprint=\w+ not_after=` + soon + `T\S+ days_left=9\n`)
	s.waitFor(`level=ERROR msg="a validation certificate has expired and is still configured: [^"]*" kid=\w+ role=validation subject="CN=long-gone" thumbprint=\w+ not_after=2021-01-01`)
	s.stop()
}

// TestBinaryClientSecretExpiry: client secrets are warned about as
// certificates are. A file's secret expiring within keyExpiryWarning is a
// warning of signet config check, flagged by signet client list and show,
// and a WARN line at serve startup; an expired one an ERROR line; a
// database client's secret too, by its id. No line holds a secret.
func TestBinaryClientSecretExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := builtBinary(t)
	dir := t.TempDir()
	env := binEnv(dir)
	const current, old = "orders-current-secret-0123456789abcdef", "orders-old-secret-0123456789abcdef01"
	soon := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
	binWrite(t, dir, "signet.yaml", binConfig+`apiScopes:
  - name: api1
clients:
  - clientId: orders
    secrets:
      - value: `+current+`
        description: CI 2026
        expiration: `+soon+`
      - value: `+old+`
        expiration: 2021-01-01
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
keyExpiryWarning: 14d
`)
	cmd := exec.Command(bin, "config", "check", "--config", "signet.yaml")
	cmd.Dir, cmd.Env = dir, env
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("signet config check: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`warning: client orders: its secret "CI 2026" expires on `+soon+`, in 9 days \(keyExpiryWarning\): add its successor`).MatchString(out) ||
		!strings.Contains(out, "this secret expired on 2021-01-01") {
		t.Errorf("signet config check does not flag the expiring and expired secrets:\n%s", out)
	}
	binRun(t, bin, dir, env, "", "client", "add", "db-app", "--scope", "api1", "--no-secret", "--config", "signet.yaml")
	added := binRun(t, bin, dir, env, "", "client", "secret", "add", "db-app", "--expires", soon, "--description", "rotate me", "--json", "--config", "signet.yaml")
	var secret struct {
		ID     string `json:"secretId"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(added), &secret); err != nil || secret.ID == "" {
		t.Fatalf("client secret add --json: %v\n%s", err, added)
	}
	list := binRun(t, bin, dir, env, "", "client", "list", "--config", "signet.yaml")
	if !regexp.MustCompile(`(?m)^db-app\s.*1 secret \(1 expiring\)`).MatchString(list) || !regexp.MustCompile(`(?m)^orders\s.*1 secret \(1 expiring\), 1 expired`).MatchString(list) {
		t.Errorf("signet client list does not flag the expiring secrets:\n%s", list)
	}
	show := binRun(t, bin, dir, env, "", "client", "show", "orders", "--config", "signet.yaml")
	if !regexp.MustCompile(soon + ` 00:00:00 UTC \(expires in 9 days\)\s+CI 2026`).MatchString(show) {
		t.Errorf("signet client show does not flag the expiring secret:\n%s", show)
	}

	s := binServe(t, bin, dir, env, "--config", "signet.yaml", "--listen", "127.0.0.1:0")
	s.waitFor(`level=WARN msg="a client secret expires soon: add its successor [^"]*" client_id=orders secret="CI 2026" expires=` + soon + `T00:00:00.000Z days_left=9\n`)
	s.waitFor(`level=ERROR msg="a client secret has expired and is still configured: [^"]*" client_id=orders secret=#2 expires=2021-01-01T00:00:00.000Z\n`)
	s.waitFor(`level=WARN msg="a client secret expires soon: [^"]*" client_id=db-app secret=` + secret.ID + ` expires=` + soon + `T00:00:00.000Z days_left=9\n`)
	s.stop()
	s.noSecrets(current, old, secret.Secret)
}
