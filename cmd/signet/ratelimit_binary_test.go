package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
)

// rateLimitConfig is a server with two client_credentials clients and
// the given rateLimits section; storage is extra (SQLite by default).
func rateLimitConfig(limits, storage string) string {
	return `dataDir: data
allowHttp: true
key: {type: Development}
` + storage + `
apiScopes:
  - name: api1
clients:
  - clientId: one
    secrets: [{value: one-secret-0123456789abcdef}]
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
  - clientId: two
    secrets: [{value: two-secret-0123456789abcdef}]
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
rateLimits:
` + limits
}

// tokenAs asks srv for a token as client id with secret.
func tokenAs(t *testing.T, base, id, secret string) binResponse {
	t.Helper()
	return binPost(t, base+"/connect/token", url.Values{"grant_type": {"client_credentials"}}, func(r *http.Request) { r.SetBasicAuth(id, secret) })
}

// wantSlowDown checks a 429 slow_down with Retry-After and no-store.
func wantSlowDown(t *testing.T, what string, resp binResponse) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(resp.body, &body)
	secs, err := strconv.Atoi(resp.header.Get("Retry-After"))
	if resp.status != http.StatusTooManyRequests || body.Error != "slow_down" || err != nil || secs < 1 ||
		resp.header.Get("Cache-Control") != "no-store" || resp.header.Get("Pragma") != "no-cache" {
		t.Fatalf("%s: %d %s, Retry-After %q, Cache-Control %q; want 429 slow_down with Retry-After and no-store",
			what, resp.status, resp.body, resp.header.Get("Retry-After"), resp.header.Get("Cache-Control"))
	}
}

// TestBinaryRateLimits runs the real binary: token requests from one
// address past tokenPerIP's burst get 429 slow_down with Retry-After,
// while discovery and the JWKS, flooded alongside, answer 200; a client
// past tokenPerClient's burst is refused while another is not; an address
// whose client authentication failed clientAuthFailures.maxFailures times
// is refused, the right secret too. The rates are slow enough (one per
// 100 s) that no token comes back while the test runs.
func TestBinaryRateLimits(t *testing.T) {
	bin := binaryTest(t)
	t.Run("per address", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		env := binEnv(dir)
		binWrite(t, dir, "signet.yaml", rateLimitConfig("  tokenPerIP: {rate: 0.01, burst: 5}\n", ""))
		srv := binServe(t, bin, dir, env, "--config", filepath.Join(dir, "signet.yaml"), "--listen", "127.0.0.1:0")
		for i := range 5 {
			if resp := tokenAs(t, srv.url, "one", "one-secret-0123456789abcdef"); resp.status != http.StatusOK {
				t.Fatalf("token request %d of the burst: %d %s", i+1, resp.status, resp.body)
			}
		}
		wantSlowDown(t, "over the address's burst", tokenAs(t, srv.url, "two", "two-secret-0123456789abcdef"))
		wantSlowDown(t, "introspection from the address", binPost(t, srv.url+"/connect/introspect", url.Values{"token": {"x"}}, func(*http.Request) {}))
		for range 50 {
			binGet(t, srv.url+"/.well-known/openid-configuration", http.StatusOK)
			binGet(t, srv.url+"/.well-known/openid-configuration/jwks", http.StatusOK)
			binGet(t, srv.url+"/readyz", http.StatusOK)
		}
		wantSlowDown(t, "still over", tokenAs(t, srv.url, "one", "one-secret-0123456789abcdef"))
	})
	t.Run("per client and failed authentication", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		env := binEnv(dir)
		binWrite(t, dir, "signet.yaml", rateLimitConfig(`  tokenPerIP: {rate: 0}
  tokenPerClient: {rate: 0.01, burst: 2}
  clientAuthFailures: {maxFailures: 3, window: 10m}
`, ""))
		srv := binServe(t, bin, dir, env, "--config", filepath.Join(dir, "signet.yaml"), "--listen", "127.0.0.1:0")
		for range 2 {
			if resp := tokenAs(t, srv.url, "one", "one-secret-0123456789abcdef"); resp.status != http.StatusOK {
				t.Fatalf("client one within its burst: %d %s", resp.status, resp.body)
			}
		}
		wantSlowDown(t, "client one over its burst", tokenAs(t, srv.url, "one", "one-secret-0123456789abcdef"))
		if resp := tokenAs(t, srv.url, "two", "two-secret-0123456789abcdef"); resp.status != http.StatusOK {
			t.Fatalf("client two while one is limited: %d %s", resp.status, resp.body)
		}
		for i := range 3 {
			if resp := tokenAs(t, srv.url, "two", "wrong"); resp.status != http.StatusUnauthorized {
				t.Fatalf("wrong secret %d: %d %s, want 401", i+1, resp.status, resp.body)
			}
		}
		wantSlowDown(t, "after 3 failures, the right secret", tokenAs(t, srv.url, "two", "two-secret-0123456789abcdef"))
		binGet(t, srv.url+"/.well-known/openid-configuration", http.StatusOK)
	})
}

// TestBinaryAuthFailuresShared: two instances on one PostgreSQL database
// count an address's failed client authentications together: two fail on
// the first, one on the second, and the second then refuses the address.
func TestBinaryAuthFailuresShared(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two servers on PostgreSQL")
	}
	t.Parallel()
	db := newPGDB(t)
	bin := builtBinary(t)
	dir := t.TempDir()
	env := binEnv(dir)
	binWrite(t, dir, "signet.yaml", rateLimitConfig("  clientAuthFailures: {maxFailures: 3, window: 10m}\n",
		"storage:\n  driver: postgres\n  dsn: \""+db.dsn+"\"\n"))
	config := filepath.Join(dir, "signet.yaml")
	binRun(t, bin, dir, env, "", "migrate", "--config", config)
	a := binServe(t, bin, dir, env, "--config", config, "--listen", "127.0.0.1:0")
	b := binServe(t, bin, dir, env, "--config", config, "--listen", "127.0.0.1:0")
	for range 2 {
		if resp := tokenAs(t, a.url, "one", "wrong"); resp.status != http.StatusUnauthorized {
			t.Fatalf("wrong secret on a: %d %s", resp.status, resp.body)
		}
	}
	if resp := tokenAs(t, b.url, "one", "wrong"); resp.status != http.StatusUnauthorized {
		t.Fatalf("wrong secret on b: %d %s", resp.status, resp.body)
	}
	wantSlowDown(t, "on b after 3 failures across both, the right secret", tokenAs(t, b.url, "one", "one-secret-0123456789abcdef"))
	if resp := tokenAs(t, b.url, "two", "two-secret-0123456789abcdef"); resp.status != http.StatusTooManyRequests {
		t.Fatalf("on b, another client from the same address: %d, want 429", resp.status)
	}
}
