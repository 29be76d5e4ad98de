package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// End to end: clients, scopes and resources managed with the CLI while
// `signet serve` runs on the same configuration (in process, on SQLite),
// and the changes seen by the running server within storage.pollInterval.

// catalogPoll is the poll interval of these tests' configuration.
const catalogPoll = 100 * time.Millisecond

// catalogBound is how long a test waits for a change to reach the server.
// A change arrives within a poll or two (the tests poll for it every 10
// ms and go on at once); the bound only ends the wait of a server that
// never sees it, and is long so that a machine busy with this package's
// other tests (minutes of them) is not taken for one.
const catalogBound = 30 * time.Second

// cliOn runs signet command lines on the host's environment (the host's
// configuration), as an administrator would beside the running server.
func (h *host) cliOn(args ...string) (stdout, stderr string) {
	h.t.Helper()
	var out, errOut bytes.Buffer
	a := &app{
		stdin:  strings.NewReader(""),
		stdout: &out,
		stderr: &errOut,
		lookupEnv: func(k string) (string, bool) {
			v, ok := h.env[k]
			return v, ok
		},
		term: noTerminal(h.t),
		now:  time.Now,
	}
	if code := a.main(h.t.Context(), args); code != exitOK {
		h.t.Fatalf("signet %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// within polls cond until it holds, and returns how long that took; it
// fails the test after bound.
func within(t *testing.T, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			took := time.Since(start)
			t.Logf("%s after %v", what, took.Round(time.Millisecond))
			return took
		}
		if time.Since(start) > bound {
			t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (i *instance) scopesSupported() []string {
	i.t.Helper()
	var doc struct {
		Scopes []string `json:"scopes_supported"`
	}
	if err := json.Unmarshal(i.get("/.well-known/openid-configuration"), &doc); err != nil {
		i.t.Fatal(err)
	}
	return doc.Scopes
}

// tryToken asks for a token as clientID, and returns the OAuth error code
// ("" on success).
func (i *instance) tryToken(clientID, secret string, scopes ...string) (*oauth2.Token, string) {
	i.t.Helper()
	cfg := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: i.base + "/connect/token", Scopes: scopes, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cfg.Token(context.Background())
	if err == nil {
		return tok, ""
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		i.t.Fatalf("token request: %v", err)
	}
	return nil, re.ErrorCode
}

func TestCatalogCommandsEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	cfg := h.config(fileKey(t, "rsa-openssl3.pfx"), fmt.Sprintf("storage:\n  pollInterval: %v\n", catalogPoll))
	srv := h.serve(cfg, "")

	// A scope added through the CLI appears in the discovery document.
	h.cliOn("scope", "add", "orders", "--display-name", "Orders", "--config", cfg)
	within(t, catalogBound, "the new scope in scopes_supported", func() bool {
		return slices.Contains(srv.scopesSupported(), "orders")
	})
	h.cliOn("resource", "add", "https://orders.example.com", "--scope", "orders", "--config", cfg)

	// A client added through the CLI gets a token with the printed secret.
	stdout, stderr := h.cliOn("client", "add", "svc", "--name", "Service", "--scope", "orders", "--lifetime", "15m", "--config", cfg)
	secret := strings.TrimSuffix(stdout, "\n")
	if len(secret) != 43 || strings.ContainsAny(secret, " \n") {
		t.Fatalf("stdout is not just the secret: %q (stderr %q)", stdout, stderr)
	}
	contains(t, "client add's stderr", stderr, "shown once: store it now")
	var tok *oauth2.Token
	within(t, catalogBound, "the new client gets a token", func() bool {
		var code string
		tok, code = srv.tryToken("svc", secret, "orders")
		return code == ""
	})
	claims, _ := srv.verify(tok.AccessToken)
	if claims["client_id"] != "svc" || claims["scope"] != "orders" || claims["aud"] != "https://orders.example.com" {
		t.Errorf("claims %v: want client_id svc, scope orders, aud https://orders.example.com", claims)
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 900 {
		t.Errorf("token lives %vs; want 900 (--lifetime 15m)", exp-iat)
	}
	if _, code := srv.tryToken("svc", secret, "api1"); code != "invalid_scope" {
		t.Errorf("a scope the client does not have: %q, want invalid_scope", code)
	}

	// A scope added to the client, and a second secret, work too; the first
	// secret, removed, is refused.
	h.cliOn("client", "update", "svc", "--add-scope", "api1", "--config", cfg)
	within(t, catalogBound, "the added scope is granted", func() bool {
		_, code := srv.tryToken("svc", secret, "api1")
		return code == ""
	})
	var added struct {
		SecretID string `json:"secretId"`
		Secret   string `json:"secret"`
	}
	stdout, _ = h.cliOn("client", "secret", "add", "svc", "--description", "rotation", "--json", "--config", cfg)
	if err := json.Unmarshal([]byte(stdout), &added); err != nil || added.Secret == "" {
		t.Fatalf("client secret add --json: %v\n%s", err, stdout)
	}
	within(t, catalogBound, "the second secret works", func() bool {
		_, code := srv.tryToken("svc", added.Secret, "orders")
		return code == ""
	})
	var shown clientView
	stdout, _ = h.cliOn("client", "show", "svc", "--json", "--config", cfg)
	if err := json.Unmarshal([]byte(stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout, "sha256") || strings.Contains(stdout, secret) || strings.Contains(stdout, added.Secret) {
		t.Errorf("client show prints a secret or a hash:\n%s", stdout)
	}
	first := shown.Secrets[0].ID
	h.cliOn("client", "secret", "remove", "svc", first, "--config", cfg)
	within(t, catalogBound, "the removed secret is refused", func() bool {
		_, code := srv.tryToken("svc", secret, "orders")
		return code == "invalid_client"
	})
	if _, code := srv.tryToken("svc", added.Secret, "orders"); code != "" {
		t.Errorf("the remaining secret: %q", code)
	}

	// A client removed is refused within the poll interval.
	h.cliOn("client", "remove", "svc", "--yes", "--config", cfg)
	within(t, catalogBound, "the removed client is refused", func() bool {
		_, code := srv.tryToken("svc", added.Secret, "orders")
		return code == "invalid_client"
	})

	// A scope removed leaves the discovery document; the file's client
	// still works.
	h.cliOn("resource", "remove", "https://orders.example.com", "--yes", "--config", cfg)
	h.cliOn("scope", "remove", "orders", "--yes", "--config", cfg)
	within(t, catalogBound, "the removed scope leaves scopes_supported", func() bool {
		return !slices.Contains(srv.scopesSupported(), "orders")
	})
	srv.token(oauth2.AuthStyleInHeader, "api1")
}

// catalogCLI is a CLI whose configuration ($SIGNET_CONFIG) keeps its
// database in the test's directory and defines the client app and the scope
// api1.
func catalogCLI(t *testing.T) *cli {
	c := newCLI(t)
	c.env["SIGNET_CONFIG"] = c.write("signet.yaml", `dataDir: data
apiScopes:
  - name: api1
clients:
  - clientId: app
    secrets:
      - value: a-client-secret-long-enough-for-tests
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
`)
	return c
}

// TestCatalogRemoveAsksOnTerminal: remove asks on a terminal, and removes
// only on "yes".
func TestCatalogRemoveAsksOnTerminal(t *testing.T) {
	t.Parallel()
	c := catalogCLI(t)
	c.mustRun("scope", "add", "orders")
	c.mustRun("resource", "add", "orders-api", "--scope", "orders")
	c.mustRun("client", "add", "svc", "--scope", "orders")

	for _, cmd := range [][]string{{"client", "remove", "svc"}, {"resource", "remove", "orders-api"}, {"scope", "remove", "orders", "--force"}} {
		t.Run(strings.Join(cmd[:2], " "), func(t *testing.T) {
			ty := newTypist(t, "no")
			c.term = ty.terminal()
			code, _, stderr := c.run(cmd...)
			if code != exitError || !strings.Contains(stderr, "not confirmed: nothing was changed") {
				t.Errorf("answered no: exit %d, %q", code, stderr)
			}
			if got := ty.asked(); len(got) != 1 || !strings.HasSuffix(got[0], "? Type yes: ") {
				t.Errorf("prompts %q", got)
			}
			ty = newTypist(t, "yes")
			c.term = ty.terminal()
			c.mustRun(cmd...)
			c.term = noTerminal(t)
			code, _, stderr = c.run(append(cmd, "--yes")...)
			if code != exitError || !strings.Contains(stderr, "no ") {
				t.Errorf("removed twice: exit %d, %q", code, stderr)
			}
		})
	}
}

// TestCatalogExitCodes: usage errors are 2, refusals 1.
func TestCatalogExitCodes(t *testing.T) {
	t.Parallel()
	c := catalogCLI(t)
	c.mustRun("scope", "add", "orders")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"group help", []string{"client"}, exitOK},
		{"unknown subcommand", []string{"client", "ad"}, exitUsage},
		{"unknown secret subcommand", []string{"client", "secret", "rotate"}, exitUsage},
		{"add without id", []string{"client", "add"}, exitUsage},
		{"id with a space", []string{"client", "add", "my app"}, exitUsage},
		{"unsupported grant type", []string{"client", "add", "x", "--grant-type", "password"}, exitUsage},
		{"bad lifetime", []string{"client", "add", "x", "--lifetime", "2d"}, exitUsage},
		{"unknown scope", []string{"client", "add", "x", "--scope", "nope"}, exitError},
		{"both key flags", []string{"client", "add", "x", "--jwks-file", "a", "--jwks-uri", "https://x"}, exitUsage},
		{"update nothing", []string{"client", "update", "x"}, exitUsage},
		{"update missing", []string{"client", "update", "x", "--name", "X"}, exitError},
		{"remove without --yes", []string{"scope", "remove", "orders"}, exitUsage},
		{"secret remove one argument", []string{"client", "secret", "remove", "x"}, exitUsage},
		{"past expiry", []string{"client", "secret", "add", "x", "--expires", "2001-01-01"}, exitUsage},
		{"bad scope name", []string{"scope", "add", `a"b`}, exitUsage},
		{"resource without scope", []string{"resource", "add", "api"}, exitUsage},
		{"the file's client", []string{"client", "remove", "app", "--yes"}, exitError},
		{"the file's scope", []string{"scope", "add", "api1"}, exitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code, stdout, stderr := c.run(tc.args...); code != tc.want {
				t.Errorf("signet %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.want, stdout, stderr)
			}
		})
	}
}
