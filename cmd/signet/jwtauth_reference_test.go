package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/signetid/signet/jwtauth"
)

// An API protected by jwtauth accepts a reference token through
// introspection, and stops accepting it within IntrospectionCacheTTL once
// it is revoked: revoked on one instance, it is inactive on the other at
// once (issue 15). Two signet serve on one PostgreSQL database, behind one
// configured issuer as behind a load balancer.
func TestJWTAuthReferenceTokenRevokedAcrossInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two servers on PostgreSQL")
	}
	t.Parallel()
	const (
		issuer         = "http://signet.test"
		audience       = "https://orders.example.com"
		resourceSecret = "orders-api-secret-for-the-introspection-test-0123"
		clientSecret   = "reporting-secret-for-the-reference-test-0123456789"
		ttl            = 2 * time.Second
	)
	pg := newPGDB(t)
	bin := builtBinary(t)
	dir := t.TempDir()
	env := binEnv(dir)
	binWrite(t, dir, "signet.yaml", `issuer: `+issuer+`
allowHttp: true
dataDir: data
key: {type: Development}
storage:
  driver: postgres
  dsn: "`+pg.dsn+`"
apiScopes:
  - name: orders.read
apiResources:
  - name: `+audience+`
    scopes: [orders.read]
    secrets:
      - value: `+resourceSecret+`
clients:
  - clientId: reporting
    secrets:
      - value: `+clientSecret+`
    allowedGrantTypes: [client_credentials]
    allowedScopes: [orders.read]
    accessTokenType: Reference
`)
	// The configured issuer names no host here: each instance is reached
	// at the address it listens on.
	a := binServe(t, bin, dir, env, "--config", dir+"/signet.yaml", "--listen", "127.0.0.1:0")
	a.url = "http://" + a.waitFor(`addr=(127\.0\.0\.1:\d+)`)[1]
	b := binServe(t, bin, dir, env, "--config", dir+"/signet.yaml", "--listen", "127.0.0.1:0")
	b.url = "http://" + b.waitFor(`addr=(127\.0\.0\.1:\d+)`)[1]

	// The token, from instance a.
	cc := clientcredentials.Config{ClientID: "reporting", ClientSecret: clientSecret, TokenURL: a.url + "/connect/token", Scopes: []string{"orders.read"}}
	tok, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(tok.AccessToken, ".") != 0 || len(tok.AccessToken) != 43 {
		t.Fatalf("the reference client got %q, want a 43-character handle", tok.AccessToken)
	}

	// The API introspects at instance b.
	v, err := jwtauth.New(t.Context(), jwtauth.Options{
		Issuer:                issuer,
		Audience:              audience,
		RequiredScopes:        []string{"orders.read"},
		JWKSURI:               b.url + "/.well-known/openid-configuration/jwks",
		UnsafeAllowHTTP:       true,
		Introspection:         &jwtauth.Introspection{ClientID: audience, ClientSecret: resourceSecret, Endpoint: b.url + "/connect/introspect"},
		IntrospectionCacheTTL: ttl,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	api := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFromContext(r.Context())
		_, _ = w.Write([]byte(c.ClientID))
	})))
	t.Cleanup(api.Close)
	call := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := call(); status != http.StatusOK || body != "reporting" {
		t.Fatalf("API with a live reference token: %d %q, want 200 reporting", status, body)
	}

	// Revoked at instance a...
	res := binPost(t, a.url+"/connect/revocation", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}},
		func(r *http.Request) { r.SetBasicAuth("reporting", clientSecret) })
	if res.status != http.StatusOK {
		t.Fatalf("revocation at a: %d %s", res.status, res.body)
	}
	revoked := time.Now()
	// ... is inactive at instance b at once.
	res = binPost(t, b.url+"/connect/introspect", url.Values{"token": {tok.AccessToken}},
		func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(audience), url.QueryEscape(resourceSecret)) })
	var answer map[string]any
	if err := json.Unmarshal(res.body, &answer); err != nil || res.status != http.StatusOK || answer["active"] != false || len(answer) != 1 {
		t.Fatalf("introspection at b right after the revocation at a: %d %s, want 200 {\"active\":false}", res.status, res.body)
	}
	// The API refuses it once its cached answer is older than the TTL.
	ctx, cancel := context.WithTimeout(t.Context(), ttl+3*time.Second)
	defer cancel()
	for {
		status, _ := call()
		if status == http.StatusUnauthorized {
			if since := time.Since(revoked); since > ttl+time.Second {
				t.Errorf("the API accepted the revoked token for %v, more than IntrospectionCacheTTL (%v)", since, ttl)
			}
			break
		}
		if status != http.StatusOK {
			t.Fatalf("API during the cache's lifetime: %d, want 200 or 401", status)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the API still accepts the token %v after its revocation (IntrospectionCacheTTL %v)", time.Since(revoked), ttl)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
