package server_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/discovery"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/health"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/welcome"
	"github.com/signetid/signet/storage/memory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	fixtures = "../certs/testdata/"
	password = "test-password"
)

// load reads one credential as a key section would.
func load(t testing.TB, spec signing.Spec, validation bool) []*signing.Key {
	t.Helper()
	got, err := signing.Loader{DataDir: t.TempDir()}.Load(spec, validation)
	if err != nil {
		t.Fatal(err)
	}
	return got.Keys
}

// fixtureRing signs with rsa-openssl3.pfx and publishes ec-openssl3.pfx as a
// validation key: both from fixed files, so their JWKS is stable.
func fixtureRing(t testing.TB) *signing.Ring {
	t.Helper()
	sign := load(t, signing.Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: password}, false)
	validate := load(t, signing.Spec{Type: "File", FilePath: fixtures + "ec-openssl3.pfx", Password: password}, true)
	r, err := signing.NewRing(sign, validate, signing.RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// devRing signs with a Development key made in dataDir.
func devRing(t testing.TB, dataDir string) *signing.Ring {
	t.Helper()
	got, err := signing.Loader{DataDir: dataDir}.Load(signing.Spec{Type: "Development"}, false)
	if err != nil {
		t.Fatal(err)
	}
	r, err := signing.NewRing(got.Keys, nil, signing.RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// syncBuffer is a log destination that the server's goroutines may write
// while the test reads it.
type syncBuffer = testsupport.LogBuffer

// setup is what a test server is made of: the server's options, and those
// of the endpoints it mounts, as cmd/signet mounts them.
type setup struct {
	Issuer     string
	TrustProxy bool
	HSTS       *server.HSTS
	Logger     *slog.Logger
	Middleware []endpoint.Middleware
	// Ring holds the keys; default fixtureRing.
	Ring *signing.Ring
	// Scopes are the scopes published; default api1 and api2.
	Scopes []string
	// NoScopes publishes none (Scopes nil is the default).
	NoScopes bool
	// NoToken mounts no token endpoint.
	NoToken bool
	// TokenOrigin reports whether a browser origin may call the token
	// endpoint.
	TokenOrigin func(origin string) bool
	// Ready is the probes' check of dependencies.
	Ready       func(context.Context) error
	Version     string
	Development *welcome.Development
	// Probe mounts probePath, which answers the request's issuer and id
	// as the chain gave them to the endpoints.
	Probe bool
}

// probePath answers "issuer request_id" (see setup.Probe).
const probePath = "/test/probe"

type probe struct{}

func (probe) Describe(*endpoint.Metadata) {}

func (probe) Routes() []endpoint.Route {
	return []endpoint.Route{{Method: http.MethodGet, Path: probePath, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, endpoint.Issuer(r.Context())+" "+endpoint.RequestID(r.Context()))
	})}}
}

// newServer builds a server as serve does, whose token endpoint is the
// real one with a secret client "app".
func newServer(t testing.TB, opts setup) *server.Server {
	t.Helper()
	if opts.Ring == nil {
		opts.Ring = fixtureRing(t)
	}
	if opts.Logger == nil {
		if tt, ok := t.(*testing.T); ok {
			opts.Logger = slog.New(slog.NewTextHandler(tt.Output(), nil))
		}
	}
	scopes := opts.Scopes
	if scopes == nil {
		scopes = []string{"api1", "api2"}
	}
	d := discovery.Options{Keys: opts.Ring, VaryForwarded: opts.TrustProxy && opts.Issuer == ""}
	if !opts.NoScopes {
		d.Scopes = func() ([]string, int64) { return scopes, 0 }
	}
	endpoints := []endpoint.Endpoint{discovery.New(d)}
	if !opts.NoToken {
		endpoints = append(endpoints, tokenEndpoint(t, opts.Ring, opts.Logger, opts.TokenOrigin))
	}
	endpoints = append(endpoints,
		&health.Endpoint{Keys: opts.Ring, Ready: opts.Ready, Logger: opts.Logger},
		welcome.New(welcome.Options{Keys: opts.Ring, Version: opts.Version, Development: opts.Development}))
	if opts.Probe {
		endpoints = append(endpoints, probe{})
	}
	return server.New(server.Options{
		Issuer:     opts.Issuer,
		TrustProxy: opts.TrustProxy,
		HSTS:       opts.HSTS,
		Endpoints:  endpoints,
		Middleware: opts.Middleware,
		Logger:     opts.Logger,
	})
}

// tokenEndpoint is the token endpoint as serve mounts it, with a secret
// client "app".
func tokenEndpoint(t testing.TB, ring *signing.Ring, logger *slog.Logger, origin func(string) bool) *grant.Endpoint {
	t.Helper()
	h, err := secret.Parse(secret.Hash(appSecret))
	if err != nil {
		t.Fatal(err)
	}
	return grant.New(grant.Options{
		Auth: &clientauth.Authenticator{
			Clients: client.Static{
				"app": {ID: "app", Secrets: []client.Secret{{Hash: h}}, GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1"}},
			},
			Replay:     memory.New(memory.Options{}),
			RemoteKeys: &clientauth.RemoteKeys{},
			Logger:     logger,
		},
		Tokens: &tokens.Service{
			Signer: ring,
			Resources: func() tokens.Resources {
				return tokens.Resources{Scopes: []string{"api1"}, ByScope: map[string][]string{"api1": {"https://api.example.com"}}}
			},
		},
		Origins: origin,
		Logger:  logger,
	})
}

const appSecret = "app-secret-0123456789-abcdefghijklmnopqrstuv"

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func do(h http.Handler, r *http.Request) response {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	return response{status: w.Code, header: w.Header(), body: body}
}

func get(h http.Handler, target string, headers ...string) response {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			r.Host = headers[i+1]
			continue
		}
		r.Header.Set(headers[i], headers[i+1])
	}
	return do(h, r)
}

// golden compares got (JSON) with testdata/name, indented; -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, buf.Bytes(), want)
	}
}

// The discovery document advertises what is implemented, and nothing else:
// what the mounted token endpoint describes of itself, the scopes, the
// keys' algorithms.
func TestDiscoveryDocument(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{Issuer: "https://auth.example.com"})
	res := get(srv, discovery.Path, "Host", "ignored.example")
	if res.status != http.StatusOK {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	golden(t, "discovery.json", res.body)

	var token endpoint.Metadata
	tokenEndpoint(t, fixtureRing(t), nil, nil).Describe(&token)
	if len(token.Claims) == 0 || len(token.GrantTypes) == 0 || len(token.AuthMethods) == 0 || len(token.AuthSigningAlgs) == 0 {
		t.Fatalf("the token endpoint describes too little: %+v", token)
	}
	doc := res.json(t)
	want := map[string]any{
		"issuer":                                "https://auth.example.com",
		"jwks_uri":                              "https://auth.example.com/.well-known/openid-configuration/jwks",
		"token_endpoint":                        "https://auth.example.com/connect/token",
		"grant_types_supported":                 token.GrantTypes,
		"scopes_supported":                      []any{"api1", "api2"},
		"token_endpoint_auth_methods_supported": token.AuthMethods,
		"token_endpoint_auth_signing_alg_values_supported": token.AuthSigningAlgs,
		"claims_supported":         token.Claims,
		"response_types_supported": []any{},
		// Required by OpenID Connect Discovery; Nimbus (Spring) refuses a
		// document without them.
		"subject_types_supported":               []any{"public"},
		"id_token_signing_alg_values_supported": []any{"RS256"},
		"request_uri_parameter_supported":       false,
	}
	for k, v := range want {
		if got, ok := doc[k]; !ok {
			t.Errorf("%s is missing", k)
		} else if g, _ := json.Marshal(got); string(g) != string(must(json.Marshal(v))) {
			t.Errorf("%s = %s, want %s", k, g, must(json.Marshal(v)))
		}
	}
	for k := range doc {
		if _, ok := want[k]; !ok {
			t.Errorf("%s is advertised, but nothing implements it", k)
		}
	}
	// Not implemented, so not advertised (spelled out, so that adding one
	// without its endpoint fails here).
	for _, k := range []string{"authorization_endpoint", "userinfo_endpoint", "end_session_endpoint", "introspection_endpoint",
		"revocation_endpoint", "device_authorization_endpoint", "registration_endpoint",
		"response_modes_supported", "code_challenge_methods_supported"} {
		if _, ok := doc[k]; ok {
			t.Errorf("%s is advertised", k)
		}
	}
}

// Nil lists are [] in the document, never null; an endpoint that is not
// mounted is not in it.
func TestDiscoveryEmptyLists(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{Issuer: "https://auth.example.com", NoToken: true, NoScopes: true})
	body := string(get(srv, discovery.Path).body)
	if strings.Contains(body, "null") {
		t.Errorf("null in the document: %s", body)
	}
	for _, k := range []string{`"scopes_supported":[]`, `"claims_supported":[]`, `"response_types_supported":[]`, `"grant_types_supported":[]`} {
		if !strings.Contains(body, k) {
			t.Errorf("want %s in %s", k, body)
		}
	}
	if strings.Contains(body, "token_endpoint\"") || !strings.Contains(body, `"jwks_uri"`) {
		t.Errorf("without the token endpoint mounted: %s", body)
	}
}

// The issuer: configured wins; else the request's Host and TLS; the
// X-Forwarded-* headers only with TrustProxy.
func TestIssuer(t *testing.T) {
	t.Parallel()
	forwarded := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "proxy.example"}
	tests := []struct {
		name       string
		issuer     string
		trustProxy bool
		tls        bool
		headers    []string
		want       string
	}{
		{name: "from Host", want: "http://auth.test:8080"},
		{name: "from Host over TLS", tls: true, want: "https://auth.test:8080"},
		{name: "forwarded headers ignored without trustProxy", headers: forwarded, want: "http://auth.test:8080"},
		{name: "forwarded headers with trustProxy", trustProxy: true, headers: forwarded, want: "https://proxy.example"},
		// Each proxy appends: the last value is the one the proxy in front
		// of us set, the first may come from the client.
		{name: "last of a list", trustProxy: true, headers: []string{"X-Forwarded-Proto", "http, https", "X-Forwarded-Host", "client-said.example, a.example"}, want: "https://a.example"},
		{name: "a proto that is not http or https is ignored", trustProxy: true, headers: []string{"X-Forwarded-Proto", "javascript"}, want: "http://auth.test:8080"},
		{name: "trustProxy without the headers", trustProxy: true, want: "http://auth.test:8080"},
		{name: "configured wins over Host", issuer: "https://auth.example.com", want: "https://auth.example.com"},
		{name: "configured wins over forwarded headers", issuer: "https://auth.example.com", trustProxy: true, headers: forwarded, want: "https://auth.example.com"},
	}
	ring := fixtureRing(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, setup{Issuer: tt.issuer, TrustProxy: tt.trustProxy, Ring: ring, Probe: true})
			for _, path := range []string{probePath, discovery.Path, "/"} {
				r := httptest.NewRequest(http.MethodGet, path, nil)
				r.Host = "auth.test:8080"
				if tt.tls {
					r.TLS = &tls.ConnectionState{}
				}
				for i := 0; i < len(tt.headers); i += 2 {
					r.Header.Set(tt.headers[i], tt.headers[i+1])
				}
				res := do(srv, r)
				if path == probePath {
					if got, _, _ := strings.Cut(string(res.body), " "); got != tt.want {
						t.Errorf("endpoint.Issuer = %q, want %q", got, tt.want)
					}
					continue
				}
				if path == "/" {
					if !strings.Contains(string(res.body), "<code>"+tt.want+"</code>") {
						t.Errorf("welcome page does not show issuer %s", tt.want)
					}
					continue
				}
				doc := res.json(t)
				if doc["issuer"] != tt.want || doc["jwks_uri"] != tt.want+discovery.PathJWKS || doc["token_endpoint"] != tt.want+grant.Path {
					t.Errorf("issuer %v, jwks_uri %v, token_endpoint %v; want them under %s", doc["issuer"], doc["jwks_uri"], doc["token_endpoint"], tt.want)
				}
			}
		})
	}
}

// Each issuer has its own document and ETag; a Host never seen before
// cannot be answered with another host's cached document.
func TestDiscoveryPerHost(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{})
	var etags []string
	for i := range 40 { // past the cache bound
		host := "host" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + ".example"
		res := get(srv, discovery.Path, "Host", host)
		if iss := res.json(t)["issuer"]; iss != "http://"+host {
			t.Fatalf("Host %s: issuer %v", host, iss)
		}
		etags = append(etags, res.header.Get("ETag"))
	}
	slices.Sort(etags)
	if len(slices.Compact(etags)) != 40 {
		t.Error("two issuers share an ETag")
	}
}

// The JWKS: every key with kid, kty, use=sig and alg; certificate keys
// with x5t, x5t#S256 and x5c; no private member.
func TestJWKS(t *testing.T) {
	t.Parallel()
	rsaCred := credential(t, "rsa-openssl3.pfx")
	ecCred := credential(t, "ec-openssl3.pfx")
	srv := newServer(t, setup{Issuer: "https://auth.example.com"})
	res := get(srv, discovery.PathJWKS)
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", res.status, res.header.Get("Content-Type"))
	}
	// From the fixtures of internal/certs: after make-fixtures.sh, run
	// go test -update.
	golden(t, "jwks.json", res.body)

	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(res.body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("%d keys, want the signing key and the validation key", len(set.Keys))
	}
	for i, want := range []struct {
		cred *certs.Credential
		kty  string
		alg  string
	}{{rsaCred, "RSA", "RS256"}, {ecCred, "EC", "ES256"}} {
		k := set.Keys[i]
		c := want.cred.Certificate
		s1, s256 := sha1.Sum(c.Raw), sha256.Sum256(c.Raw)
		for name, v := range map[string]any{
			"kid":      certs.Thumbprint(c),
			"kty":      want.kty,
			"alg":      want.alg,
			"use":      "sig",
			"x5t":      base64.RawURLEncoding.EncodeToString(s1[:]),
			"x5t#S256": base64.RawURLEncoding.EncodeToString(s256[:]),
		} {
			if k[name] != v {
				t.Errorf("key %d: %s = %v, want %v", i, name, k[name], v)
			}
		}
		if x5c, _ := k["x5c"].([]any); len(x5c) != 1 || x5c[0] != base64.StdEncoding.EncodeToString(c.Raw) {
			t.Errorf("key %d: x5c %v, want the certificate", i, k["x5c"])
		}
		assertNoPrivateMembers(t, k)
		// The published key is the certificate's.
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(must(json.Marshal(k))); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if !jwk.IsPublic() || !publicEqual(jwk.Key, c.PublicKey) {
			t.Errorf("key %d is not the certificate's public key", i)
		}
	}
	assertNoSecret(t, string(res.body), privateParts(t, rsaCred.Key)...)
}

// A bare key (the development key) has a JWK-thumbprint kid and no x5*.
func TestJWKSDevelopmentKey(t *testing.T) {
	t.Parallel()
	ring := devRing(t, t.TempDir())
	srv := newServer(t, setup{Ring: ring})
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(get(srv, discovery.PathJWKS).body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys", len(set.Keys))
	}
	k := set.Keys[0]
	tp, err := (&jose.JSONWebKey{Key: k.Key}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if k.KeyID != base64.RawURLEncoding.EncodeToString(tp) || k.KeyID != ring.Signer().ID {
		t.Errorf("kid %q, want the RFC 7638 thumbprint", k.KeyID)
	}
	if k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() || len(k.Certificates) != 0 || len(k.CertificateThumbprintSHA1) != 0 {
		t.Errorf("key %+v", k)
	}
	body := string(get(srv, discovery.PathJWKS).body)
	var members struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &members); err != nil {
		t.Fatal(err)
	}
	for name := range members.Keys[0] {
		if strings.HasPrefix(name, "x5") {
			t.Errorf("member %s for a key without a certificate: %s", name, body)
		}
	}
	assertNoSecret(t, body, privateParts(t, ring.Signer().Signer)...)
}

// A token the ring signs verifies with the JWKS the server publishes.
func TestJWKSVerifiesTokens(t *testing.T) {
	t.Parallel()
	ring := fixtureRing(t)
	srv := newServer(t, setup{Ring: ring})
	tok, _, err := ring.Sign("at+jwt", map[string]any{"sub": "x"})
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(get(srv, discovery.PathJWKS).body, &set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys", parsed.Headers[0].KeyID, len(keys))
	}
	var claims map[string]any
	if err := parsed.Claims(keys[0].Key, &claims); err != nil || claims["sub"] != "x" {
		t.Fatalf("verify: %v %v", err, claims)
	}
}

// Both documents carry an ETag and Cache-Control, answer If-None-Match
// with 304, and let browsers read them (CORS).
func TestCachingAndCORS(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{Issuer: "https://auth.example.com"})
	for path, maxAge := range map[string]string{discovery.Path: "3600", discovery.PathJWKS: "900"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			first := get(srv, path, "Origin", "https://app.example")
			etag := first.header.Get("ETag")
			if first.status != 200 || !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 4 {
				t.Fatalf("status %d, ETag %q", first.status, etag)
			}
			if cc := first.header.Get("Cache-Control"); cc != "public, max-age="+maxAge {
				t.Errorf("Cache-Control %q, want public, max-age=%s", cc, maxAge)
			}
			if got := first.header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q", got)
			}
			if got := first.header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "ETag") {
				t.Errorf("Access-Control-Expose-Headers %q: a browser cannot read the ETag", got)
			}
			if again := get(srv, path); again.header.Get("ETag") != etag || !bytes.Equal(again.body, first.body) {
				t.Error("the ETag or body changed between two requests")
			}
			for _, match := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
				res := get(srv, path, "If-None-Match", match)
				if res.status != http.StatusNotModified || len(res.body) != 0 {
					t.Errorf("If-None-Match %s: status %d, %d bytes; want 304 and no body", match, res.status, len(res.body))
				}
				if res.header.Get("ETag") != etag || res.header.Get("Cache-Control") == "" {
					t.Errorf("If-None-Match %s: 304 without ETag or Cache-Control: %v", match, res.header)
				}
			}
			if res := get(srv, path, "If-None-Match", `"stale"`); res.status != http.StatusOK || !bytes.Equal(res.body, first.body) {
				t.Errorf("a stale ETag: status %d", res.status)
			}

			// The preflight of a cross-origin GET with If-None-Match.
			r := httptest.NewRequest(http.MethodOptions, path, nil)
			r.Header.Set("Origin", "https://app.example")
			r.Header.Set("Access-Control-Request-Method", "GET")
			r.Header.Set("Access-Control-Request-Headers", "if-none-match")
			pre := do(srv, r)
			if pre.status != http.StatusNoContent && pre.status != http.StatusOK {
				t.Fatalf("preflight: status %d", pre.status)
			}
			h := pre.header
			if h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "GET") ||
				!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "if-none-match") {
				t.Errorf("preflight headers %v", h)
			}
		})
	}
}

// The documents are read-only: other methods get 405 with Allow.
func TestDocumentsRefuseOtherMethods(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{})
	for _, path := range []string{discovery.Path, discovery.PathJWKS} {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			res := do(srv, httptest.NewRequest(method, path, strings.NewReader("x=1")))
			if res.status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", method, path, res.status)
			}
			if allow := res.header.Get("Allow"); !strings.Contains(allow, "GET") {
				t.Errorf("%s %s: Allow %q", method, path, allow)
			}
		}
	}
	if res := do(srv, httptest.NewRequest(http.MethodHead, discovery.PathJWKS, nil)); res.status != http.StatusOK {
		t.Errorf("HEAD jwks: %d", res.status)
	}
	if res := get(srv, "/nothing-here"); res.status != http.StatusNotFound {
		t.Errorf("unknown path: %d", res.status)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	var readyErr error
	var mu sync.Mutex
	logs := &syncBuffer{}
	srv := newServer(t, setup{
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Ready: func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("Ready was called without a deadline")
			}
			mu.Lock()
			defer mu.Unlock()
			return readyErr
		},
	})
	check := func(path string, status int, body string) {
		t.Helper()
		res := get(srv, path)
		if res.status != status || !strings.Contains(string(res.body), body) {
			t.Errorf("%s: %d %q, want %d %q", path, res.status, res.body, status, body)
		}
		if cc := res.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
	}
	check("/healthz", 200, "ok")
	check("/readyz", 200, "ready")
	mu.Lock()
	readyErr = errors.New("database is locked")
	mu.Unlock()
	check("/readyz", 503, "storage unreachable")
	check("/healthz", 200, "ok") // alive, though not ready
	if !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("the reason for 503 is not logged:\n%s", logs)
	}
	// A NotReadyError's reason is shown; its error (hosts, databases) only
	// logged.
	mu.Lock()
	readyErr = &health.NotReadyError{Reason: "the database does not answer", Err: errors.New("dial db.internal:5432: refused")}
	mu.Unlock()
	if res := get(srv, "/readyz"); res.status != 503 || string(res.body) != "not ready: the database does not answer\n" {
		t.Errorf("/readyz: %d %q, want 503 with the reason only", res.status, res.body)
	}
	if !strings.Contains(logs.String(), "db.internal:5432") {
		t.Errorf("the NotReadyError's cause is not logged:\n%s", logs)
	}
	mu.Lock()
	readyErr = nil
	mu.Unlock()
	check("/readyz", 200, "ready")
}

// The request log has method, path, status and duration, and never the
// query, the Authorization header, the body, nor the token issued.
func TestRequestLogHasNoSecrets(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			var h slog.Handler = slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
			if format == "json" {
				h = slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
			}
			srv := newServer(t, setup{Logger: slog.New(h)})
			ts := httptest.NewServer(srv)
			defer ts.Close()

			const querySecret, bodySecret, wrongSecret = "QUERY-SECRET-1", "BODY-SECRET-2", "WRONG-SECRET-3"
			post := func(target string, form url.Values, user, pass string) (int, map[string]any) {
				t.Helper()
				r, _ := http.NewRequest(http.MethodPost, ts.URL+target, strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if user != "" {
					r.SetBasicAuth(user, pass)
				}
				resp, err := ts.Client().Do(r)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				return resp.StatusCode, m
			}
			cc := url.Values{"grant_type": {"client_credentials"}}
			status, ok := post(grant.Path+"?client_secret="+querySecret, cc, "app", appSecret)
			if status != 200 {
				t.Fatalf("basic: %d %v", status, ok)
			}
			token := ok["access_token"].(string)
			if status, m := post(grant.Path, url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {appSecret}}, "", ""); status != 200 {
				t.Fatalf("post: %d %v", status, m)
			}
			if status, _ := post(grant.Path, cc, "app", wrongSecret); status != 401 {
				t.Fatalf("wrong secret: %d", status)
			}
			if status, _ := post(grant.Path, url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {bodySecret}}, "", ""); status != 401 {
				t.Fatalf("wrong secret (post): %d", status)
			}
			assertion := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl"
			if status, _ := post(grant.Path, url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {assertion}}, "", ""); status != 401 {
				t.Fatalf("assertion: %d", status)
			}

			out := logs.String()
			basic := base64.StdEncoding.EncodeToString([]byte("app:" + appSecret))
			assertNoSecret(t, out, appSecret, querySecret, bodySecret, wrongSecret, basic, assertion, "c2lnbmF0dXJl", token, strings.Split(token, ".")[2], "client_secret=", "Basic ")
			if strings.Contains(out, "?") {
				t.Errorf("a query string is in the log:\n%s", out)
			}
			var lines []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.Contains(line, "request") && strings.Contains(line, grant.Path) {
					lines = append(lines, line)
				}
			}
			if len(lines) != 5 {
				t.Fatalf("%d request lines for 5 requests:\n%s", len(lines), out)
			}
			for i, want := range []string{"200", "200", "401", "401", "401"} {
				line := lines[i]
				if format == "text" {
					for _, attr := range []string{"msg=request", "method=POST", "path=" + grant.Path, "status=" + want, "duration="} {
						if !strings.Contains(line, attr) {
							t.Errorf("request line %d lacks %s: %s", i, attr, line)
						}
					}
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				if m["msg"] != "request" || m["method"] != "POST" || m["path"] != grant.Path || m["status"] != must(json.Number(want).Float64()) || m["duration"] == nil {
					t.Errorf("request line %d: %v", i, m)
				}
			}
		})
	}
}

// A status the handler never sets is logged as 200; one it sets, as set.
// Health probes, frequent and dull, are logged at debug level only.
func TestRequestLogStatus(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	srv := newServer(t, setup{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	get(srv, "/healthz")
	get(srv, "/missing?token=abc")
	get(srv, discovery.PathJWKS, "If-None-Match", "*")
	out := logs.String()
	for _, want := range []string{"level=DEBUG msg=request method=GET path=/healthz status=200", "level=INFO msg=request method=GET path=/missing status=404", "path=" + discovery.PathJWKS + " status=304"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in the log:\n%s", want, out)
		}
	}
	if strings.Contains(out, "token=abc") {
		t.Error("the query string is logged")
	}
}

// credential reads a fixture.
func credential(t *testing.T, name string) *certs.Credential {
	t.Helper()
	c, err := certs.ReadFile(fixtures+name, certs.StaticPassword(password))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := c.Credential()
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

func assertNoPrivateMembers(t *testing.T, k map[string]any) {
	t.Helper()
	for _, m := range privateMembers {
		if _, ok := k[m]; ok {
			t.Errorf("key %v has the private member %q", k["kid"], m)
		}
	}
}

// privateParts returns strings that only the private key's holder knows:
// windows of its private values (d, p, q, dp, dq, qi for RSA; d for EC) in
// base64 (standard and URL, at every byte alignment, so that they are found
// inside a PEM or a JWK) and in hex.
func privateParts(t *testing.T, key crypto.Signer) []string {
	t.Helper()
	var values [][]byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		values = append(values, k.D.Bytes(), k.Primes[0].Bytes(), k.Primes[1].Bytes(), k.Precomputed.Dp.Bytes(), k.Precomputed.Dq.Bytes(), k.Precomputed.Qinv.Bytes())
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, d)
	default:
		t.Fatalf("privateParts: %T", key)
	}
	var out []string
	for _, v := range values {
		for _, at := range []int{0, len(v) / 3, len(v) / 2} {
			for off := range 3 {
				w := v[min(at+off, len(v)):min(at+off+15, len(v))]
				if len(w) < 15 {
					continue
				}
				out = append(out, base64.StdEncoding.EncodeToString(w), base64.RawURLEncoding.EncodeToString(w))
			}
		}
		out = append(out, strings.ToUpper(hex.EncodeToString(v[:16])), hex.EncodeToString(v[:16]))
	}
	return append(out, "PRIVATE KEY")
}

func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%q appears in:\n%s", s, text)
		}
	}
}

func publicEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The x5c of a certificate that came with its chain: the certificate
// first, then the others (RFC 7517 §4.7).
func TestJWKSChain(t *testing.T) {
	t.Parallel()
	keys := load(t, signing.Spec{Type: "File", FilePath: fixtures + "chain.pfx", Password: password}, false)
	ring, err := signing.NewRing(keys, nil, signing.RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, setup{Ring: ring})
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(get(srv, discovery.PathJWKS).body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys", len(set.Keys))
	}
	chain := set.Keys[0].Certificates
	if len(chain) != 2 || certs.SubjectString(chain[0]) != "CN=leaf-fixture" || certs.SubjectString(chain[1]) != "CN=fixture CA" {
		t.Fatalf("x5c has %d certificates: %v", len(chain), chain)
	}
	if set.Keys[0].KeyID != certs.Thumbprint(chain[0]) {
		t.Errorf("kid %s is not the leaf's thumbprint", set.Keys[0].KeyID)
	}
}

// An issuer that cannot be derived from the request is not published: an
// HTTP/1.0 request may come without Host, and a trusted proxy's
// X-Forwarded-Host is a header like any other. The discovery document and
// the token endpoint must either refuse the request or use an issuer that
// is an absolute URL of scheme and authority only (what a configured issuer
// must be).
func TestIssuerFromMalformedHost(t *testing.T) {

	t.Parallel()
	tests := []struct {
		name       string
		host       string
		trustProxy bool
		forwarded  string
	}{
		{name: "no Host (HTTP/1.0)", host: ""},
		{name: "forwarded host with a path and query", host: "auth.test", trustProxy: true, forwarded: "evil.example/x?y"},
		{name: "forwarded host with a space", host: "auth.test", trustProxy: true, forwarded: "a b"},
		{name: "forwarded host with user info", host: "auth.test", trustProxy: true, forwarded: "user@evil.example"},
		{name: "port out of range", host: "auth.test:99999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, setup{TrustProxy: tt.trustProxy})
			r := httptest.NewRequest(http.MethodGet, discovery.Path, nil)
			r.Host = tt.host
			if tt.forwarded != "" {
				r.Header.Set("X-Forwarded-Host", tt.forwarded)
			}
			res := do(srv, r)
			if res.status >= 400 && res.status < 500 {
				return // refused: fine
			}
			iss, _ := res.json(t)["issuer"].(string)
			u, err := url.Parse(iss)
			if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, " /?#@") {
				t.Errorf("published issuer %q", iss)
			}
		})
	}
}

// With trustProxy and no configured issuer the documents depend on the
// X-Forwarded-* headers, yet they are "Cache-Control: public": a shared
// cache (a CDN, a caching proxy) must be told that they vary with those
// headers, or one client's X-Forwarded-Host is served to everyone (web
// cache poisoning of jwks_uri and token_endpoint).
func TestDiscoveryVariesWithForwardedHeaders(t *testing.T) {

	t.Parallel()
	srv := newServer(t, setup{TrustProxy: true})
	res := get(srv, discovery.Path, "Host", "auth.test", "X-Forwarded-Host", "proxy.example", "X-Forwarded-Proto", "https")
	if res.json(t)["issuer"] != "https://proxy.example" {
		t.Fatalf("issuer %v", res.json(t)["issuer"])
	}
	vary := strings.ToLower(strings.Join(res.header.Values("Vary"), ","))
	cc := res.header.Get("Cache-Control")
	if strings.Contains(cc, "public") && (!strings.Contains(vary, "x-forwarded-host") || !strings.Contains(vary, "x-forwarded-proto")) {
		t.Errorf("Cache-Control %q with Vary %q: a shared cache keys the document by URL and Host only", cc, vary)
	}
	// A configured issuer does not depend on them: no Vary needed there.
	fixed := newServer(t, setup{TrustProxy: true, Issuer: "https://auth.example.com"})
	if v := strings.ToLower(strings.Join(get(fixed, discovery.Path).header.Values("Vary"), ",")); strings.Contains(v, "x-forwarded") {
		t.Logf("Vary %q with a configured issuer (harmless)", v)
	}
}

// Health checks answer whatever the Host: a probe may send none.
func TestHealthWithoutHost(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{})
	for _, path := range []string{"/healthz", "/readyz"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Host = ""
		if res := do(srv, r); res.status != http.StatusOK {
			t.Errorf("%s without Host: %d", path, res.status)
		}
	}
}

// RFC 8414 clients find the same document at their well-known path.
func TestOAuthMetadataPath(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{Issuer: "https://auth.example.com"})
	a, b := get(srv, discovery.Path), get(srv, discovery.PathOAuthMetadata)
	if b.status != http.StatusOK || string(a.body) != string(b.body) {
		t.Fatalf("status %d, same body %v", b.status, string(a.body) == string(b.body))
	}
}

// A key set of more than 2 KB (a rollover with certificate chains) is sent
// with its Content-Length, not chunked, and a changed key set is served at
// once with its own ETag and length.
func TestJWKSLengthAndChange(t *testing.T) {
	t.Parallel()
	chain := load(t, signing.Spec{Type: "File", FilePath: fixtures + "chain.pfx", Password: password}, false)
	rsa := load(t, signing.Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: password}, true)
	ec := load(t, signing.Spec{Type: "File", FilePath: fixtures + "ec-openssl3.pfx", Password: password}, true)
	ring, err := signing.NewRing(chain, append(rsa, ec...), signing.RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(newServer(t, setup{Ring: ring}))
	defer ts.Close()
	fetch := func() (*http.Response, []byte) {
		t.Helper()
		resp, err := ts.Client().Get(ts.URL + discovery.PathJWKS)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, %v", resp.StatusCode, err)
		}
		return resp, body
	}
	resp, big := fetch()
	if len(big) <= 2048 {
		t.Fatalf("the key set is %d bytes: the test needs more than net/http buffers (2048)", len(big))
	}
	if resp.ContentLength != int64(len(big)) || len(resp.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, Transfer-Encoding %v for a %d-byte body", resp.ContentLength, resp.TransferEncoding, len(big))
	}
	if err := ring.Replace(chain, nil, nil); err != nil {
		t.Fatal(err)
	}
	resp2, small := fetch()
	if bytes.Equal(small, big) || resp2.Header.Get("ETag") == resp.Header.Get("ETag") {
		t.Fatal("the key set did not change after Replace")
	}
	if resp2.ContentLength != int64(len(small)) {
		t.Errorf("Content-Length %d for a %d-byte body", resp2.ContentLength, len(small))
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(small, &set); err != nil || len(set.Keys) != 1 {
		t.Errorf("after Replace: %d keys, %v", len(set.Keys), err)
	}
}

// The discovery document's signing algorithms follow the ring's signing
// keys (validation keys never sign): after a rollover from an RSA to an EC
// certificate it says ES256, under a new ETag.
func TestDiscoveryFollowsSigningKeys(t *testing.T) {
	t.Parallel()
	rsa := load(t, signing.Spec{Type: "File", FilePath: fixtures + "rsa-openssl3.pfx", Password: password}, false)
	ec := load(t, signing.Spec{Type: "File", FilePath: fixtures + "ec-openssl3.pfx", Password: password}, false)
	ring, err := signing.NewRing(rsa, ec, signing.RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, setup{Issuer: "https://auth.example.com", Ring: ring})
	algs := func() (string, string) {
		res := get(srv, discovery.Path)
		return string(must(json.Marshal(res.json(t)["id_token_signing_alg_values_supported"]))), res.header.Get("ETag")
	}
	before, etag := algs()
	if before != `["RS256"]` {
		t.Fatalf("with an RSA signer and an EC validation key: %s, want [\"RS256\"]", before)
	}
	if err := ring.Replace(ec, rsa, nil); err != nil {
		t.Fatal(err)
	}
	after, etag2 := algs()
	if after != `["ES256"]` || etag2 == etag {
		t.Errorf("after the swap: %s under ETag %s (was %s); want [\"ES256\"] under a new ETag", after, etag2, etag)
	}
}

// Derived issuers are remembered per scheme and host, for a bounded number
// of hosts: one server answering the same host over http and https, and
// more hosts than it remembers, still gives each request its own issuer;
// a malformed host is refused every time.
func TestIssuerPerSchemeAndHost(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{TrustProxy: true, Probe: true})
	issuer := func(host, proto string) string {
		r := httptest.NewRequest(http.MethodGet, probePath, nil)
		r.Host = host
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		res := do(srv, r)
		if res.status != http.StatusOK {
			return ""
		}
		iss, _, _ := strings.Cut(string(res.body), " ")
		return iss
	}
	for range 2 {
		for i := range 100 {
			host := fmt.Sprintf("Host-%d.Example:8443", i)
			want := fmt.Sprintf("host-%d.example:8443", i)
			if got := issuer(host, ""); got != "http://"+want {
				t.Fatalf("over http: %q, want http://%s", got, want)
			}
			if got := issuer(host, "https"); got != "https://"+want {
				t.Fatalf("over https: %q, want https://%s", got, want)
			}
		}
	}
	for range 2 {
		if got := issuer("bad host/", ""); got != "" {
			t.Errorf("a malformed host gave issuer %q", got)
		}
	}
}

// A derived issuer is made only of a DNS name or an IP literal with an
// optional port (the rule itself is tested on validHost): any other Host,
// or X-Forwarded-Host with trustProxy, is refused with 400, and at the
// token endpoint with invalid_request, whatever the request.
func TestIssuerRefusesHostsThatAreNotNames(t *testing.T) {
	t.Parallel()
	srv := newServer(t, setup{TrustProxy: true})
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}
	request := func(path, host, forwarded string) response {
		var r *http.Request
		if path == grant.Path {
			r = httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth("app", appSecret)
		} else {
			r = httptest.NewRequest(http.MethodGet, path, nil)
		}
		r.Host = host
		if forwarded != "" {
			r.Header.Set("X-Forwarded-Host", forwarded)
		}
		return do(srv, r)
	}
	for _, host := range []string{"example.com.", "a'b.example", "a$b.example", "-a.example", "127.1", "[fe80::1%25eth0]", "auth.example:080", "a_b!.example"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			for _, fwd := range []bool{false, true} {
				h, f := host, ""
				if fwd {
					h, f = "auth.test", host
				}
				if res := request(discovery.Path, h, f); res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "configure issuer") {
					t.Errorf("discovery (forwarded %v): %d %s", fwd, res.status, res.body)
				}
				res := request(grant.Path, h, f)
				if res.status != http.StatusBadRequest || res.json(t)["error"] != oauth.InvalidRequest {
					t.Errorf("token (forwarded %v): %d %s", fwd, res.status, res.body)
				}
				if strings.Contains(string(res.body), host) {
					t.Errorf("the answer echoes the host: %s", res.body)
				}
			}
		})
	}
	for host, want := range map[string]string{"signet_1:5000": "http://signet_1:5000", "[::1]:5000": "http://[::1]:5000", "Auth.Example:8443": "http://auth.example:8443"} {
		if res := request(discovery.Path, host, ""); res.status != http.StatusOK || res.json(t)["issuer"] != want {
			t.Errorf("Host %s: %d, issuer %v; want %s", host, res.status, res.json(t)["issuer"], want)
		}
		if res := request(grant.Path, host, ""); res.status != http.StatusOK {
			t.Errorf("token with Host %s: %d %s", host, res.status, res.body)
		}
	}
}

// HSTS: sent on every response to a request that came over https (TLS,
// or with trustProxy an X-Forwarded-Proto of https, the last one a proxy
// appended), never over plain http, nor to localhost; its value as
// configured.
func TestHSTS(t *testing.T) {
	t.Parallel()
	year := 365 * 24 * time.Hour
	tests := []struct {
		name       string
		hsts       *server.HSTS
		trustProxy bool
		tls        bool
		host       string
		headers    []string
		want       string
	}{
		{name: "TLS", hsts: &server.HSTS{MaxAge: year}, tls: true, want: "max-age=31536000"},
		{name: "TLS, subdomains and preload", hsts: &server.HSTS{MaxAge: 2 * year, IncludeSubDomains: true, Preload: true}, tls: true, want: "max-age=63072000; includeSubDomains; preload"},
		{name: "TLS, off", hsts: &server.HSTS{}, tls: true, want: "max-age=0"},
		{name: "TLS, not configured", tls: true},
		{name: "plain http", hsts: &server.HSTS{MaxAge: year}},
		{name: "plain http, forwarded https without trustProxy", hsts: &server.HSTS{MaxAge: year}, headers: []string{"X-Forwarded-Proto", "https"}},
		{name: "trustProxy, forwarded https", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, headers: []string{"X-Forwarded-Proto", "https"}, want: "max-age=31536000"},
		{name: "trustProxy, forwarded HTTPS", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, headers: []string{"X-Forwarded-Proto", " HTTPS "}, want: "max-age=31536000"},
		{name: "trustProxy, the last forwarded is https", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, headers: []string{"X-Forwarded-Proto", "http, https"}, want: "max-age=31536000"},
		{name: "trustProxy, the last forwarded is http", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, headers: []string{"X-Forwarded-Proto", "https, http"}},
		{name: "trustProxy, forwarded http over TLS", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, tls: true, headers: []string{"X-Forwarded-Proto", "http"}},
		{name: "trustProxy, TLS without forwarded headers", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, tls: true, want: "max-age=31536000"},
		{name: "trustProxy, plain http without forwarded headers", hsts: &server.HSTS{MaxAge: year}, trustProxy: true},
		{name: "localhost", hsts: &server.HSTS{MaxAge: year}, tls: true, host: "localhost:8443"},
		{name: "LOCALHOST", hsts: &server.HSTS{MaxAge: year}, tls: true, host: "LOCALHOST"},
		{name: "127.0.0.1", hsts: &server.HSTS{MaxAge: year}, tls: true, host: "127.0.0.1:8443"},
		{name: "[::1]", hsts: &server.HSTS{MaxAge: year}, tls: true, host: "[::1]:8443"},
		{name: "another loopback address", hsts: &server.HSTS{MaxAge: year}, tls: true, host: "127.0.0.2", want: "max-age=31536000"},
		{name: "trustProxy, forwarded to localhost", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, headers: []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "localhost"}},
		{name: "trustProxy, forwarded from localhost", hsts: &server.HSTS{MaxAge: year}, trustProxy: true, host: "localhost:5000", headers: []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "auth.example"}, want: "max-age=31536000"},
	}
	ring := fixtureRing(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, setup{HSTS: tt.hsts, TrustProxy: tt.trustProxy, Ring: ring})
			for _, target := range []string{discovery.Path, discovery.PathJWKS, grant.Path, "/", "/healthz", "/nothing-here"} {
				r := httptest.NewRequest(http.MethodGet, target, nil)
				r.Host = cmp.Or(tt.host, "auth.test:8443")
				if tt.tls {
					r.TLS = &tls.ConnectionState{}
				}
				for i := 0; i < len(tt.headers); i += 2 {
					r.Header.Set(tt.headers[i], tt.headers[i+1])
				}
				res := do(srv, r)
				if got := res.header.Values("Strict-Transport-Security"); tt.want == "" && len(got) != 0 || tt.want != "" && !slices.Equal(got, []string{tt.want}) {
					t.Errorf("%s (%d): Strict-Transport-Security %q, want %q", target, res.status, got, tt.want)
				}
			}
		})
	}

	// Through real connections: https gets it, plain http does not.
	srv := newServer(t, setup{HSTS: &server.HSTS{MaxAge: year, IncludeSubDomains: true}, Ring: ring})
	for _, ts := range []*httptest.Server{httptest.NewTLSServer(srv), httptest.NewServer(srv)} {
		defer ts.Close()
		req, err := http.NewRequest(http.MethodGet, ts.URL+discovery.Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "auth.test"
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := ""
		if resp.TLS != nil {
			want = "max-age=31536000; includeSubDomains"
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != want || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d, Strict-Transport-Security %q, want %q", ts.URL, resp.StatusCode, got, want)
		}
	}
}

// HSTS costs the hot paths no allocation: its value is built once, and
// whether a request came over https is read without copying headers.
func TestHSTSAllocatesNothing(t *testing.T) {
	ring := fixtureRing(t)
	quiet := slog.New(slog.DiscardHandler)
	for _, trustProxy := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodGet, discovery.PathJWKS, nil)
		r.Host = "auth.test"
		r.TLS = &tls.ConnectionState{}
		if trustProxy {
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("X-Forwarded-Host", "auth.example")
		}
		allocs := func(h *server.HSTS) float64 {
			srv := newServer(t, setup{HSTS: h, TrustProxy: trustProxy, Ring: ring, Logger: quiet})
			w := &discardWriter{h: http.Header{}}
			srv.ServeHTTP(w, r) // fills the caches
			return testing.AllocsPerRun(100, func() {
				clear(w.h)
				srv.ServeHTTP(w, r)
			})
		}
		without, with := allocs(nil), allocs(&server.HSTS{MaxAge: time.Hour, IncludeSubDomains: true})
		if with > without {
			t.Errorf("trustProxy %v: %v allocations per request with HSTS, %v without", trustProxy, with, without)
		}
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
