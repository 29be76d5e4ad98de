package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBinaryIntrospection runs the real binary: a client_credentials JWT
// introspected by its API resource with plain net/http calls, as curl
// would make them: active for its resource (named by a URL, so that Basic
// needs its name form-encoded), inactive for another resource and once
// expired; a resource of the database with a secret from signet resource
// secret add; IdentityServer's apiSecrets; signet token introspect; and
// 401 without authentication.
func TestBinaryIntrospection(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	env := binEnv(dir)
	const (
		orders       = "https://api.example.com/orders"
		ordersSecret = "orders-api-secret-0123456789"
		otherSecret  = "other-api-secret-0123456789"
		clientSecret = "machine-secret-0123456789"
	)
	isHash := sha256.Sum256([]byte(otherSecret))
	cfg := filepath.Join(dir, "signet.yaml")
	binWrite(t, dir, "signet.yaml", `dataDir: data
allowHttp: true
key: {type: Development}
apiScopes:
  - name: orders.read
  - name: other
  - name: db.scope
apiResources:
  - name: `+orders+`
    scopes: [orders.read]
    secrets:
      - value: `+ordersSecret+`
  - name: other-api
    scopes: [other]
    apiSecrets:
      - value: `+base64.StdEncoding.EncodeToString(isHash[:])+`
clients:
  - clientId: machine
    secrets:
      - value: `+clientSecret+`
    allowedGrantTypes: [client_credentials]
    allowedScopes: [orders.read, other, db.scope]
    accessTokenLifetime: 4
  - clientId: refclient
    secrets:
      - value: `+clientSecret+`
    allowedGrantTypes: [client_credentials]
    allowedScopes: [orders.read]
    accessTokenType: Reference
`)
	// A resource of the database, with a secret made by the CLI.
	binRun(t, bin, dir, env, "", "resource", "add", "db-api", "--scope", "db.scope", "--config", cfg)
	dbSecret := strings.TrimSpace(binRun(t, bin, dir, env, "", "resource", "secret", "add", "db-api", "--description", "test", "--config", cfg))
	if len(dbSecret) < 40 {
		t.Fatalf("signet resource secret add printed %q; want the secret alone", dbSecret)
	}
	if out := binRun(t, bin, dir, env, "", "resource", "show", "db-api", "--config", cfg); !strings.Contains(out, "Secrets") || !strings.Contains(out, "test") || strings.Contains(out, dbSecret) {
		t.Errorf("signet resource show db-api:\n%s", out)
	}

	srv := binServe(t, bin, dir, env, "--config", cfg, "--listen", "127.0.0.1:0")
	var doc map[string]any
	if err := json.Unmarshal([]byte(binGet(t, srv.url+"/.well-known/openid-configuration", http.StatusOK)), &doc); err != nil {
		t.Fatal(err)
	}
	endpoint, _ := doc["introspection_endpoint"].(string)
	if endpoint != srv.url+"/connect/introspect" || doc["introspection_endpoint_auth_methods_supported"] == nil {
		t.Fatalf("discovery: introspection_endpoint %q, methods %v", endpoint, doc["introspection_endpoint_auth_methods_supported"])
	}
	tokenOf := func(clientID, scope string) string {
		resp := binPost(t, srv.url+"/connect/token", url.Values{"grant_type": {"client_credentials"}, "scope": {scope}},
			func(r *http.Request) { r.SetBasicAuth(clientID, clientSecret) })
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(resp.body, &tr); resp.status != http.StatusOK || err != nil {
			t.Fatalf("token: %d %s", resp.status, resp.body)
		}
		return tr.AccessToken
	}
	token := func(scope string) string { return tokenOf("machine", scope) }
	introspect := func(tok, id, secret string) (int, map[string]any) {
		t.Helper()
		resp := binPost(t, endpoint, url.Values{"token": {tok}}, func(r *http.Request) {
			if id != "" {
				r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
			}
		})
		var m map[string]any
		if err := json.Unmarshal(resp.body, &m); err != nil {
			t.Fatalf("introspection answer %d %s: %v", resp.status, resp.body, err)
		}
		return resp.status, m
	}
	start := time.Now()
	tok := token("orders.read")
	if status, a := introspect(tok, orders, ordersSecret); status != http.StatusOK || a["active"] != true || a["client_id"] != "machine" ||
		a["scope"] != "orders.read" || a["iss"] != srv.url || a["token_type"] != "Bearer" {
		t.Errorf("as its resource: %d %v; want active", status, a)
	}
	if status, a := introspect(tok, "other-api", otherSecret); status != http.StatusOK || len(a) != 1 || a["active"] != false {
		t.Errorf("as another resource (apiSecrets): %d %v; want {active: false}", status, a)
	}
	if status, a := introspect(token("other"), "other-api", otherSecret); status != http.StatusOK || a["active"] != true {
		t.Errorf("as other-api, its token: %d %v; want active", status, a)
	}
	if status, a := introspect(token("db.scope"), "db-api", dbSecret); status != http.StatusOK || a["active"] != true || a["scope"] != "db.scope" {
		t.Errorf("as db-api (a database resource): %d %v; want active", status, a)
	}
	if status, a := introspect(tok, "", ""); status != http.StatusUnauthorized || a["error"] != "invalid_client" {
		t.Errorf("without authentication: %d %v; want 401 invalid_client", status, a)
	}

	// A reference token: active for its resource, inactive for another,
	// and once its client revokes it (RFC 7009).
	ref := tokenOf("refclient", "orders.read")
	if strings.Count(ref, ".") == 2 {
		t.Fatalf("refclient got a JWT, not a reference token: %.40s...", ref)
	}
	if status, a := introspect(ref, orders, ordersSecret); status != http.StatusOK || a["active"] != true || a["client_id"] != "refclient" || a["scope"] != "orders.read" {
		t.Errorf("reference token as its resource: %d %v; want active", status, a)
	}
	if status, a := introspect(ref, "other-api", otherSecret); status != http.StatusOK || len(a) != 1 || a["active"] != false {
		t.Errorf("reference token as another resource: %d %v; want {active: false}", status, a)
	}
	if resp := binPost(t, srv.url+"/connect/revocation", url.Values{"token": {ref}}, func(r *http.Request) { r.SetBasicAuth("refclient", clientSecret) }); resp.status != http.StatusOK {
		t.Fatalf("revocation: %d %s", resp.status, resp.body)
	}
	if status, a := introspect(ref, orders, ordersSecret); status != http.StatusOK || len(a) != 1 || a["active"] != false {
		t.Errorf("revoked reference token: %d %v; want {active: false}", status, a)
	}

	// signet token introspect, the secret from the environment.
	out := binRun(t, bin, dir, append(env, "ORDERS_SECRET="+ordersSecret), "", "token", "introspect", tok, "--issuer", srv.url,
		"--resource", orders, "--secret-env", "ORDERS_SECRET")
	if !strings.Contains(out, `"active": true`) || !strings.Contains(out, `"scope": "orders.read"`) {
		t.Errorf("signet token introspect:\n%s", out)
	}

	// Expired: accessTokenLifetime is 4 s.
	time.Sleep(time.Until(start.Add(5 * time.Second)))
	if status, a := introspect(tok, orders, ordersSecret); status != http.StatusOK || len(a) != 1 || a["active"] != false {
		t.Errorf("expired: %d %v; want {active: false}", status, a)
	}
	srv.stop()
	srv.noSecrets(tok, ref, ordersSecret, otherSecret, dbSecret, clientSecret)
}
