package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certstore"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/testsupport"
)

// End to end, in process: `signet serve` as main runs it (configuration,
// keys, storage, listener), driven by real OAuth and OIDC client libraries.

const (
	fixtureDir      = "../../internal/certs/testdata/"
	fixturePassword = "test-password"
	// appSecret has characters that client_secret_basic must form-encode.
	appSecret = "s3cret+/:%&= with spaces-0123456789"
)

// signingAlgs are the algorithms the verifier accepts: what Signet signs with.
var signingAlgs = []string{"RS256", "PS256", "ES256", "ES384", "ES512"}

// syncBuffer is a log destination written by the server's goroutines
// while the test reads it.
type syncBuffer = testsupport.LogBuffer

// host is one test's machine: a directory, an environment and a
// certificate store of its own.
type host struct {
	t   *testing.T
	dir string
	env map[string]string
	// extra is appended to the configuration by tests that need more.
	extra string
	// now is serve's clock (a fake one); time.Now if nil.
	now func() time.Time
}

func newHost(t *testing.T) *host {
	t.Helper()
	dir := t.TempDir()
	return &host{t: t, dir: dir, env: map[string]string{
		"SIGNET_CERT_STORE": filepath.Join(dir, "store"),
		"APP_SECRET":        appSecret,
	}}
}

func (h *host) path(name string) string { return filepath.Join(h.dir, name) }

func (h *host) write(name, content string) string {
	h.t.Helper()
	p := h.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *host) app(stderr io.Writer) *app {
	now := h.now
	if now == nil {
		now = time.Now
	}
	return &app{
		stdin:  strings.NewReader(""),
		stdout: stderr,
		stderr: stderr,
		lookupEnv: func(k string) (string, bool) {
			v, ok := h.env[k]
			return v, ok
		},
		term: noTerminal(h.t),
		now:  now,
	}
}

// store opens the host's CurrentUser/My store.
func (h *host) store() *certstore.Store {
	h.t.Helper()
	st, err := certstore.Open(certstore.CurrentUser, "My", certstore.Env{LookupEnv: func(k string) (string, bool) {
		v, ok := h.env[k]
		return v, ok
	}, GOOS: "linux"})
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// instance is one run of signet serve.
type instance struct {
	t      *testing.T
	base   string
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// serve starts signet serve with the configuration file (none: development
// mode) on listen, and waits until it listens. It is stopped at the end of
// the test.
func (h *host) serve(config, listen string) *instance {
	h.t.Helper()
	inst, err := h.start(config, listen)
	if err != nil {
		h.t.Fatalf("signet serve did not start: %v\nlog:\n%s", err, inst.logs)
	}
	return inst
}

// start runs signet serve until it listens or fails.
func (h *host) start(config, listen string) (*instance, error) {
	h.t.Helper()
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	if config != "" {
		if data, err := os.ReadFile(config); err == nil && strings.Contains(string(data), "jwks") && !regexp.MustCompile(`(?m)^issuer:`).Match(data) {
			// private_key_jwt needs a configured issuer, which has the port.
			if listen == "127.0.0.1:0" {
				listen = freePort(h.t)
			}
			if err := os.WriteFile(config, append([]byte("issuer: http://"+listen+"\n"), data...), 0o600); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	return h.run(&serveCmd{config: config, listen: listen})
}

// run runs serve in process until it listens or fails; a started instance
// is stopped at the end of the test. It calls no t.Fatal, so that several
// can start at once from goroutines.
func (h *host) run(cmd *serveCmd) (*instance, error) {
	ctx, cancel := context.WithCancel(context.Background())
	inst := &instance{t: h.t, logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	cmd.ready = ready
	a := h.app(inst.logs)
	go func() { inst.done <- a.serve(ctx, cmd) }()
	select {
	case inst.base = <-ready:
		h.t.Cleanup(func() {
			if err := inst.stop(); err != nil {
				h.t.Errorf("serve returned %v", err)
			}
		})
		return inst, nil
	case err := <-inst.done:
		cancel()
		if err == nil {
			err = errors.New("serve returned nil before listening")
		}
		return inst, err
	case <-time.After(60 * time.Second):
		cancel()
		return inst, errors.New("signet serve neither listened nor failed within 60 s")
	}
}

// refuse runs signet serve with a configuration it must refuse, and
// returns the error.
func (h *host) refuse(config string) (logs string, err error) {
	h.t.Helper()
	inst, err := h.start(config, "")
	if err == nil {
		h.t.Fatalf("signet serve started with a configuration it should refuse; log:\n%s", inst.logs)
	}
	return inst.logs.String(), err
}

// stop cancels the context (as SIGTERM does) and returns what serve returned.
func (i *instance) stop() error {
	i.once.Do(func() {
		i.cancel()
		select {
		case i.err = <-i.done:
		case <-time.After(30 * time.Second):
			i.err = errors.New("serve did not return within 30 s of the cancellation")
		}
	})
	return i.err
}

// resourcesYAML is the configuration's usual scopes and API resource:
// api1 and api2, and https://api.example.com of api1.
const resourcesYAML = `apiScopes:
  - name: api1
  - name: api2
apiResources:
  - name: https://api.example.com
    scopes: [api1]
`

// config writes signet.yaml with the key section given (indented under
// key:) and the usual scopes, resources and clients; extra is appended.
func (h *host) config(key, extra string) string {
	h.t.Helper()
	return h.write("signet.yaml", `# written by serve_test.go
allowHttp: true
dataDir: data
log:
  level: debug
key:
`+indent(key, "  ")+"\n"+resourcesYAML+`clients:
  - clientId: app
    clientName: App
    secrets:
      - value: ${APP_SECRET}
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1, api2]
    accessTokenLifetime: 600
`+extra+"\n"+testRateLimits)
}

// testRateLimits turns the rate limits off in the configurations of the
// tests that drive one client or user from 127.0.0.1 as fast as they can
// (loads during reloads, conformance flows): their own tests
// (ratelimit_binary_test.go) cover them.
const testRateLimits = `rateLimits:
  tokenPerClient: {rate: 0}
  tokenPerIP: {rate: 0}
  loginPerIP: {rate: 0}
  loginPerUser: {rate: 0}
  clientAuthFailures: {maxFailures: 0}
`

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(fixtureDir + name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fixtureCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	c, err := certs.ReadFile(fixture(t, name), certs.StaticPassword(fixturePassword))
	if err != nil {
		t.Fatal(err)
	}
	return c.Certificates[0]
}

func fileKey(t *testing.T, name string) string {
	return fmt.Sprintf("type: File\nfilePath: %s\npassword: %s\n", fixture(t, name), fixturePassword)
}

// token gets a token with golang.org/x/oauth2/clientcredentials.
func (i *instance) token(style oauth2.AuthStyle, scopes ...string) *oauth2.Token {
	i.t.Helper()
	return i.tokenWith(http.DefaultClient, style, scopes...)
}

func (i *instance) tokenWith(client *http.Client, style oauth2.AuthStyle, scopes ...string) *oauth2.Token {
	i.t.Helper()
	cfg := clientcredentials.Config{ClientID: "app", ClientSecret: appSecret, TokenURL: i.base + "/connect/token", Scopes: scopes, AuthStyle: style}
	tok, err := cfg.Token(context.WithValue(i.t.Context(), oauth2.HTTPClient, client))
	if err != nil {
		i.t.Fatalf("clientcredentials: %v\nlog:\n%s", err, i.logs)
	}
	return tok
}

// verifier discovers the issuer with go-oidc and returns its verifier.
func (i *instance) verifier(client *http.Client) *oidc.IDTokenVerifier {
	i.t.Helper()
	ctx := oidc.ClientContext(i.t.Context(), client)
	p, err := oidc.NewProvider(ctx, i.base)
	if err != nil {
		i.t.Fatalf("oidc discovery of %s: %v", i.base, err)
	}
	return p.Verifier(&oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: signingAlgs})
}

// verify checks an access token as an API using go-oidc would: discovery,
// then the signature with the JWKS, the issuer and the expiry. It returns
// the claims and the header.
func (i *instance) verify(token string) (map[string]any, jose.Header) {
	i.t.Helper()
	return i.verifyWith(http.DefaultClient, token)
}

func (i *instance) verifyWith(client *http.Client, token string) (map[string]any, jose.Header) {
	i.t.Helper()
	ctx := oidc.ClientContext(i.t.Context(), client)
	idt, err := i.verifier(client).Verify(ctx, token)
	if err != nil {
		i.t.Fatalf("go-oidc does not verify the token: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		i.t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		i.t.Fatal(err)
	}
	return claims, parsed.Headers[0]
}

// jwks fetches the published keys.
func (i *instance) jwks() jose.JSONWebKeySet {
	i.t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(i.get("/.well-known/openid-configuration/jwks"), &set); err != nil {
		i.t.Fatal(err)
	}
	return set
}

func (i *instance) get(path string) []byte {
	i.t.Helper()
	resp, err := http.Get(i.base + path)
	if err != nil {
		i.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		i.t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	return body
}

// post sends a token request and returns the status and the JSON body.
func (i *instance) post(form url.Values, header ...string) (int, map[string]any) {
	i.t.Helper()
	r, _ := http.NewRequestWithContext(i.t.Context(), http.MethodPost, i.base+"/connect/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for j := 0; j+1 < len(header); j += 2 {
		r.Header.Set(header[j], header[j+1])
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		i.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		i.t.Fatalf("token response is not JSON: %v", err)
	}
	return resp.StatusCode, m
}

// tamper changes one byte of part (0 header, 1 payload, 2 signature) of a
// compact JWS, keeping it well-formed: a character of a string value in
// the header or payload, a bit of the signature.
func tamper(t *testing.T, token string, part int) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[part])
	if err != nil {
		t.Fatal(err)
	}
	switch part {
	case 0, 1:
		member := map[int]string{0: `"kid":"`, 1: `"jti":"`}[part]
		at := bytes.Index(raw, []byte(member))
		if at < 0 {
			t.Fatalf("no %s in %s", member, raw)
		}
		at += len(member) + 2
		if raw[at] == 'A' {
			raw[at] = 'B'
		} else {
			raw[at] = 'A'
		}
	case 2:
		raw[len(raw)/2] ^= 0x01
	}
	parts[part] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// freePort returns a port that was free a moment ago, for tests that
// restart a server at the same address (the issuer includes the port).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// TestClientCredentialsEndToEnd: the OAuth library gets tokens with both
// secret methods, and the OIDC library discovers the issuer and verifies
// them with the JWKS; one changed byte anywhere breaks the verification.
func TestClientCredentialsEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	srv := h.serve(h.config(fileKey(t, "rsa-openssl3.pfx"), ""), "")
	kid := certs.Thumbprint(fixtureCert(t, "rsa-openssl3.pfx"))

	for _, tc := range []struct {
		name   string
		style  oauth2.AuthStyle
		scopes []string
		scope  string
		aud    any
	}{
		{"client_secret_basic", oauth2.AuthStyleInHeader, []string{"api1"}, "api1", "https://api.example.com"},
		{"client_secret_post", oauth2.AuthStyleInParams, []string{"api2"}, "api2", srv.base + "/resources"},
		{"no scope: every allowed scope", oauth2.AuthStyleInHeader, nil, "api1 api2", "https://api.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := srv.token(tc.style, tc.scopes...)
			if tok.TokenType != "Bearer" || tok.Extra("scope") != tc.scope || tok.Extra("expires_in") != float64(600) {
				t.Errorf("token_type %q, scope %v, expires_in %v", tok.TokenType, tok.Extra("scope"), tok.Extra("expires_in"))
			}
			if d := time.Until(tok.Expiry); d < 9*time.Minute || d > 10*time.Minute {
				t.Errorf("expires in %v, want the client's 600 s", d)
			}
			claims, header := srv.verify(tok.AccessToken)
			if header.KeyID != kid || header.Algorithm != "RS256" || header.ExtraHeaders["typ"] != "at+jwt" {
				t.Errorf("header kid %q alg %s typ %v; want %s RS256 at+jwt", header.KeyID, header.Algorithm, header.ExtraHeaders["typ"], kid)
			}
			want := map[string]any{"iss": srv.base, "aud": tc.aud, "client_id": "app", "sub": "app", "scope": tc.scope}
			for k, v := range want {
				if fmt.Sprint(claims[k]) != fmt.Sprint(v) {
					t.Errorf("claim %s = %v, want %v", k, claims[k], v)
				}
			}
			for _, c := range []string{"iat", "nbf", "exp", "jti"} {
				if claims[c] == nil {
					t.Errorf("claim %s is missing", c)
				}
			}
		})
	}

	t.Run("one changed byte fails verification", func(t *testing.T) {
		tok := srv.token(oauth2.AuthStyleInHeader, "api1").AccessToken
		v := srv.verifier(http.DefaultClient)
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("the untouched token does not verify: %v", err)
		}
		for part, name := range []string{"header", "payload", "signature"} {
			t.Run(name, func(t *testing.T) {
				bad := tamper(t, tok, part)
				if bad == tok {
					t.Fatal("tamper changed nothing")
				}
				if _, err := v.Verify(t.Context(), bad); err == nil {
					t.Fatalf("a token with a changed %s verifies", name)
				} else if !strings.Contains(err.Error(), "signature") {
					t.Errorf("refused, but not for its signature: %v", err)
				}
			})
		}
	})

	t.Run("discovery document", func(t *testing.T) {
		var doc map[string]any
		if err := json.Unmarshal(srv.get("/.well-known/openid-configuration"), &doc); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"issuer":                                srv.base,
			"jwks_uri":                              srv.base + "/.well-known/openid-configuration/jwks",
			"token_endpoint":                        srv.base + "/connect/token",
			"grant_types_supported":                 "[client_credentials authorization_code refresh_token]",
			"scopes_supported":                      "[api1 api2 openid profile email address phone offline_access]",
			"token_endpoint_auth_methods_supported": "[client_secret_basic client_secret_post private_key_jwt none]",
			"token_endpoint_auth_signing_alg_values_supported": "[RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA]",
			"claims_supported":                                         "[iss sub aud exp nbf iat jti client_id scope auth_time nonce sid amr acr at_hash name family_name given_name middle_name nickname preferred_username profile picture website gender birthdate zoneinfo locale updated_at email email_verified address phone_number phone_number_verified]",
			"response_types_supported":                                 "[code]",
			"response_modes_supported":                                 "[query form_post]",
			"code_challenge_methods_supported":                         "[S256]",
			"authorization_endpoint":                                   srv.base + "/connect/authorize",
			"end_session_endpoint":                                     srv.base + "/connect/endsession",
			"userinfo_endpoint":                                        srv.base + "/connect/userinfo",
			"revocation_endpoint":                                      srv.base + "/connect/revocation",
			"revocation_endpoint_auth_methods_supported":               "[client_secret_basic client_secret_post private_key_jwt none]",
			"revocation_endpoint_auth_signing_alg_values_supported":    "[RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA]",
			"introspection_endpoint":                                   srv.base + "/connect/introspect",
			"introspection_endpoint_auth_methods_supported":            "[client_secret_basic client_secret_post private_key_jwt]",
			"introspection_endpoint_auth_signing_alg_values_supported": "[RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA]",
			"introspection_signing_alg_values_supported":               "[RS256]",
			"authorization_response_iss_parameter_supported":           "true",
			"acr_values_supported":                                     "[mfa http://schemas.openid.net/pape/policies/2007/06/multi-factor sfa]",
			"claims_parameter_supported":                               "false",
			"request_parameter_supported":                              "false",
			"subject_types_supported":                                  "[public]",
			"id_token_signing_alg_values_supported":                    "[RS256]",
			"request_uri_parameter_supported":                          "false",
		}
		for k, v := range want {
			if got := fmt.Sprint(doc[k]); got != v {
				t.Errorf("%s = %s, want %s", k, got, v)
			}
		}
		if len(doc) != len(want) {
			t.Errorf("%d members, want %d: %v", len(doc), len(want), doc)
		}
	})

	t.Run("health", func(t *testing.T) {
		if got := string(srv.get("/healthz")); !strings.Contains(got, "ok") {
			t.Errorf("/healthz: %q", got)
		}
		if got := string(srv.get("/readyz")); !strings.Contains(got, "ready") {
			t.Errorf("/readyz: %q", got)
		}
	})

	t.Run("errors", func(t *testing.T) {
		status, body := srv.post(url.Values{"grant_type": {"client_credentials"}}, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("app:wrong")))
		if status != 401 || body["error"] != "invalid_client" {
			t.Errorf("wrong secret: %d %v", status, body)
		}
		status, body = srv.post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {appSecret}, "scope": {"admin"}})
		if status != 400 || body["error"] != "invalid_scope" {
			t.Errorf("unknown scope: %d %v", status, body)
		}
	})
}

// ecClient is a private_key_jwt client's key pair.
type ecClient struct {
	id  string
	key *ecdsa.PrivateKey
	kid string
}

func newECClient(t *testing.T, id string) *ecClient {
	t.Helper()
	return &ecClient{id: id, key: testsupport.ECKey(t), kid: id + "-key-1"}
}

// jwks is the client's public key set, as JSON.
func (c *ecClient) jwks(t *testing.T) string {
	t.Helper()
	data, err := json.Marshal(testsupport.KeySet(c.key, c.kid))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// assertion signs a client assertion for the token endpoint at base.
func (c *ecClient) assertion(t *testing.T, base string) string {
	t.Helper()
	return testsupport.SignAssertion(t, jose.ES256, c.key, c.kid, testsupport.AssertionClaims(c.id, base+"/connect/token", time.Now()))
}

func assertionForm(assertion string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {assertion}}
}

func (c *ecClient) configYAML(keys string) string {
	return fmt.Sprintf(`  - clientId: %s
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
%s
`, c.id, keys)
}

// private_key_jwt: granted once; the same assertion again is refused, also
// after a restart on the same data directory (the jti is stored).
func TestPrivateKeyJWTReplayAcrossRestart(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	client := newECClient(t, "jwt-app")
	config := h.config(fileKey(t, "ec-openssl3.pfx"), client.configYAML("    jwks: "+client.jwks(t)))
	listen := freePort(t) // the issuer, and so the assertion's aud, has the port

	first := h.serve(config, listen)
	assertion := client.assertion(t, first.base)
	status, body := first.post(assertionForm(assertion))
	if status != 200 {
		t.Fatalf("first use: %d %v\nlog:\n%s", status, body, first.logs)
	}
	claims, header := first.verify(body["access_token"].(string))
	if claims["client_id"] != "jwt-app" || claims["aud"] != "https://api.example.com" || header.Algorithm != "ES256" {
		t.Errorf("claims %v, alg %s", claims, header.Algorithm)
	}
	replayed := func(inst *instance) {
		t.Helper()
		status, body := inst.post(assertionForm(assertion))
		if status != 401 || body["error"] != "invalid_client" {
			t.Fatalf("replayed assertion: %d %v", status, body)
		}
		if desc, _ := body["error_description"].(string); !strings.Contains(desc, "jti was used before") {
			t.Errorf("refused, but not as a replay: %q", desc)
		}
	}
	replayed(first)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := h.serve(config, listen)
	if second.base != first.base {
		t.Fatalf("restarted at %s, not %s", second.base, first.base)
	}
	replayed(second)
	// The restarted server does grant a new assertion.
	if status, body := second.post(assertionForm(client.assertion(t, second.base))); status != 200 {
		t.Fatalf("a new assertion after the restart: %d %v", status, body)
	}
}

// Keys from every source load, sign a token that go-oidc verifies, and are
// published with the right kid.
func TestKeySources(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name string
		// setup returns the key section, the kid that signs, and every kid
		// that must be published.
		setup func(t *testing.T, h *host) (key, signer string, published []string)
		alg   string
		log   string // a warning the log must have
	}{
		{name: "File PFX modern", alg: "RS256", setup: func(t *testing.T, h *host) (string, string, []string) {
			tp := certs.Thumbprint(fixtureCert(t, "rsa-openssl3.pfx"))
			return fileKey(t, "rsa-openssl3.pfx"), tp, []string{tp}
		}},
		{name: "File PFX legacy", alg: "RS256", setup: func(t *testing.T, h *host) (string, string, []string) {
			tp := certs.Thumbprint(fixtureCert(t, "rsa-legacy.pfx"))
			return fileKey(t, "rsa-legacy.pfx"), tp, []string{tp}
		}},
		{name: "File PEM", alg: "RS256", setup: func(t *testing.T, h *host) (string, string, []string) {
			tp := certs.Thumbprint(fixtureCert(t, "rsa-bundle.pem"))
			return "type: File\nfilePath: " + fixture(t, "rsa-bundle.pem"), tp, []string{tp}
		}},
		{name: "File PFX EC", alg: "ES256", setup: func(t *testing.T, h *host) (string, string, []string) {
			tp := certs.Thumbprint(fixtureCert(t, "ec-openssl3.pfx"))
			return fileKey(t, "ec-openssl3.pfx"), tp, []string{tp}
		}},
		{name: "File PFX PS256", alg: "PS256", setup: func(t *testing.T, h *host) (string, string, []string) {
			tp := certs.Thumbprint(fixtureCert(t, "rsa-openssl3.pfx"))
			return fileKey(t, "rsa-openssl3.pfx") + "algorithm: ps256\n", tp, []string{tp}
		}},
		{name: "relative filePath and ${VAR} password", alg: "RS256", setup: func(t *testing.T, h *host) (string, string, []string) {
			data, err := os.ReadFile(fixture(t, "rsa-openssl3.pfx"))
			if err != nil {
				t.Fatal(err)
			}
			h.write("keys/signing.pfx", string(data))
			h.env["APP_SigningCertificatePassword"] = fixturePassword
			tp := certs.Thumbprint(fixtureCert(t, "rsa-openssl3.pfx"))
			return "type: File\nfilePath: keys/signing.pfx\npassword: ${APP_SigningCertificatePassword}", tp, []string{tp}
		}},
		{name: "Store by thumbprint with a pasted U+200E", alg: "ES256", log: "U+200E", setup: func(t *testing.T, h *host) (string, string, []string) {
			cred := importCert(t, h.store(), "CN=my-app-auth", now.Add(-time.Hour), now.AddDate(1, 0, 0))
			importCert(t, h.store(), "CN=someone-else", now.Add(-time.Hour), now.AddDate(1, 0, 0))
			tp := certs.Thumbprint(cred.Certificate)
			// As copied from the Windows certificate dialog: a left-to-right
			// mark first, lowercase, in pairs.
			pasted := "\u200e" + strings.ToLower(spaced(tp))
			h.env["APP_SigningCertificateThumbprint"] = pasted
			return "type: Store\nstoreLocation: CurrentUser\nstoreName: My\nthumbprint: ${APP_SigningCertificateThumbprint}", tp, []string{tp}
		}},
		{name: "Store by thumbprint, U+200E in the file", alg: "ES256", log: "U+200E", setup: func(t *testing.T, h *host) (string, string, []string) {
			cred := importCert(t, h.store(), "CN=my-app-auth", now.Add(-time.Hour), now.AddDate(1, 0, 0))
			tp := certs.Thumbprint(cred.Certificate)
			return "type: Store\nthumbprint: \u200e" + strings.ToLower(tp), tp, []string{tp}
		}},
		{name: "Store by subject with two certificates", alg: "ES256", setup: func(t *testing.T, h *host) (string, string, []string) {
			later := importCert(t, h.store(), "CN=rollover", now.Add(-time.Hour), now.AddDate(2, 0, 0))
			sooner := importCert(t, h.store(), "CN=rollover", now.AddDate(-1, 0, 0), now.AddDate(0, 1, 0))
			importCert(t, h.store(), "CN=rollover-other", now.Add(-time.Hour), now.AddDate(0, 0, 10))
			s, l := certs.Thumbprint(sooner.Certificate), certs.Thumbprint(later.Certificate)
			return "type: Store\nname: CN=rollover", s, []string{s, l}
		}},
		{name: "validation key published, not used", alg: "ES256", setup: func(t *testing.T, h *host) (string, string, []string) {
			ec := certs.Thumbprint(fixtureCert(t, "ec-openssl3.pfx"))
			rsa := certs.Thumbprint(fixtureCert(t, "rsa.cer"))
			h.extra = "validationKeys:\n  - type: File\n    filePath: " + fixture(t, "rsa.cer") + "\n"
			return fileKey(t, "ec-openssl3.pfx"), ec, []string{ec, rsa}
		}},
		{name: "Azure App Service layout", alg: "RS256", setup: func(t *testing.T, h *host) (string, string, []string) {
			tp := azureLayout(t, h)
			h.env["WEBSITE_LOAD_CERTIFICATES"] = strings.ToLower(tp) + ", " + strings.Repeat("1", 40)
			return "type: Store\nthumbprint: " + tp, tp, []string{tp}
		}},
		{name: "Azure App Service layout, all allowed", alg: "RS256", setup: func(t *testing.T, h *host) (string, string, []string) {
			tp := azureLayout(t, h)
			h.env["WEBSITE_LOAD_CERTIFICATES"] = "*"
			return "type: Store\nstoreLocation: CurrentUser\nstoreName: My\nthumbprint: " + tp, tp, []string{tp}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			key, signer, published := tt.setup(t, h)
			srv := h.serve(h.config(key, h.extra), "")
			tok := srv.token(oauth2.AuthStyleInHeader, "api1")
			claims, header := srv.verify(tok.AccessToken)
			if header.KeyID != signer || header.Algorithm != tt.alg {
				t.Errorf("signed by %s with %s, want %s with %s", header.KeyID, header.Algorithm, signer, tt.alg)
			}
			if claims["iss"] != srv.base {
				t.Errorf("iss %v", claims["iss"])
			}
			set := srv.jwks()
			if got := kids(set); !slices.Equal(got, published) {
				t.Errorf("JWKS kids %v, want %v", got, published)
			}
			for _, k := range set.Keys {
				if !k.IsPublic() || k.Use != "sig" || k.Algorithm == "" || len(k.Certificates) == 0 ||
					certs.Thumbprint(k.Certificates[0]) != k.KeyID || len(k.CertificateThumbprintSHA1) != 20 || len(k.CertificateThumbprintSHA256) != 32 {
					t.Errorf("JWKS key %s: public %v use %q alg %q, %d certificates", k.KeyID, k.IsPublic(), k.Use, k.Algorithm, len(k.Certificates))
				}
			}
			if signerKey := set.Key(signer); len(signerKey) != 1 || signerKey[0].Algorithm != tt.alg {
				t.Errorf("the signing key is not published with alg %s", tt.alg)
			}
			if tt.log != "" && !strings.Contains(srv.logs.String(), tt.log) {
				t.Errorf("the log does not warn about %s:\n%s", tt.log, srv.logs)
			}
			contains(t, "the startup log", srv.logs.String(), "kid="+signer, "role=signing")
		})
	}
}

// azureLayout puts rsa-emptypassword.pfx where App Service on Linux puts
// private certificates, and returns its thumbprint.
func azureLayout(t *testing.T, h *host) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("App Service writes certificates as files on Linux only; elsewhere the store refuses WEBSITE_LOAD_CERTIFICATES")
	}
	data, err := os.ReadFile(fixture(t, "rsa-emptypassword.pfx"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := certs.Parse(data, certs.StaticPassword(""))
	if err != nil {
		t.Fatal(err)
	}
	tp := certs.Thumbprint(c.Certificates[0])
	h.write("azure/private/"+tp+".p12", string(data))
	h.env["WEBSITE_PRIVATE_CERTS_PATH"] = h.path("azure/private")
	return tp
}

// importCert makes an EC certificate valid in [from, until) and imports it
// with its key.
func importCert(t *testing.T, st *certstore.Store, subject string, from, until time.Time) *certs.Credential {
	t.Helper()
	cred := testsupport.ECCredential(t, subject, from, until)
	if _, err := st.Import(cred, false); err != nil {
		t.Fatal(err)
	}
	return cred
}

// spaced writes a thumbprint in pairs, as the Windows dialog shows it.
func spaced(tp string) string {
	var pairs []string
	for i := 0; i < len(tp); i += 2 {
		pairs = append(pairs, tp[i:i+2])
	}
	return strings.Join(pairs, " ")
}

// pfxFile writes a credential as a PFX with the fixture password.
func pfxFile(t *testing.T, h *host, name string, key crypto.Signer, from, until time.Time) (string, *x509.Certificate) {
	t.Helper()
	cert := testsupport.SelfSigned(t, key, "CN="+name, from, until)
	data, err := certs.EncodePFX(&certs.Credential{Certificate: cert, Key: key}, fixturePassword, certs.PFXModern)
	if err != nil {
		t.Fatal(err)
	}
	return h.write(name+".pfx", string(data)), cert
}

// Development mode, with no configuration at all: a development key and
// client in ./signet-data, the curl command it prints works, and the key
// (so its kid, and the tokens it signed) survives a restart.
//
// Not parallel: development mode keeps its data in the working directory.
func TestDevelopmentMode(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	h := &host{t: t, dir: dir, env: map[string]string{"SIGNET_CERT_STORE": filepath.Join(dir, "store")}}
	listen := freePort(t)
	first := h.serve("", listen)
	if !strings.HasPrefix(first.base, "http://localhost:") {
		t.Errorf("base URL %s, want http://localhost:PORT", first.base)
	}
	logs := first.logs.String()
	contains(t, "the log", logs, "DEVELOPMENT MODE", "for development only")

	// The printed command, run as curl would run it.
	m := regexp.MustCompile(`curl -s -u (\S+):"\$\(cat (\S+)\)" -d grant_type=client_credentials -d scope=(\S+) (\S+)`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no curl command in the output:\n%s", logs)
	}
	clientID, secretFile, scope, endpoint := m[1], m[2], m[3], m[4]
	if endpoint != first.base+"/connect/token" {
		t.Errorf("the command posts to %s, want %s/connect/token", endpoint, first.base)
	}
	fi, err := os.Stat(secretFile)
	if err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file %s: %v, %v", secretFile, err, fi)
	}
	// The command names the file absolutely, so that it works from any
	// directory.
	if wd, _ := os.Getwd(); !filepath.IsAbs(secretFile) || filepath.Dir(secretFile) != filepath.Join(wd, "signet-data") {
		t.Errorf("the secret file %s is not ./signet-data's, by an absolute path", secretFile)
	}
	data, _ := os.ReadFile(secretFile)
	devSecret := strings.TrimSpace(string(data))
	if len(devSecret) < 32 {
		t.Fatalf("development secret %q", devSecret)
	}
	if strings.Contains(logs, devSecret) {
		t.Error("the development secret is printed")
	}
	curl := func(inst *instance) string {
		t.Helper()
		// curl -u sends id:secret as they are; curl -d sends the values as given.
		status, body := inst.post(url.Values{"grant_type": {"client_credentials"}, "scope": {scope}},
			"Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(clientID+":"+devSecret)))
		if status != 200 {
			t.Fatalf("the printed curl command: %d %v", status, body)
		}
		return body["access_token"].(string)
	}
	tok := curl(first)
	claims, header := first.verify(tok)
	if claims["client_id"] != "signet-dev" || claims["scope"] != "dev-api" || header.Algorithm != "RS256" {
		t.Errorf("claims %v alg %s", claims, header.Algorithm)
	}
	kid := header.KeyID
	if got := kids(first.jwks()); !slices.Equal(got, []string{kid}) {
		t.Errorf("JWKS %v, want [%s]", got, kid)
	}
	page := string(first.get("/"))
	contains(t, "the welcome page", page, "Development mode", "signet-dev", kid)
	if _, err := os.Stat(filepath.Join("signet-data", "development-signing-key.pem")); err != nil {
		t.Errorf("the development key is not in ./signet-data: %v", err)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := h.serve("", listen)
	if got := kids(second.jwks()); !slices.Equal(got, []string{kid}) {
		t.Errorf("after a restart the JWKS is %v, want the same kid %s", got, kid)
	}
	second.verify(tok) // a token from before the restart still verifies
	curl(second)       // with the same secret
	if data2, _ := os.ReadFile(secretFile); string(data2) != string(data) {
		t.Error("the development secret changed with the restart")
	}
}

// A development client secret file that exists but is empty (truncated,
// or emptied by hand) is either replaced with a new secret or refused with
// an error that names the file; it must not surface as a problem with a
// configuration file the user does not have.
//
// Not parallel: development mode keeps its data in the working directory.
func TestDevelopmentModeEmptySecretFile(t *testing.T) {

	dir := t.TempDir()
	t.Chdir(dir)
	h := &host{t: t, dir: dir, env: map[string]string{"SIGNET_CERT_STORE": filepath.Join(dir, "store")}}
	h.write("signet-data/development-client-secret", "\n")
	inst, err := h.start("", "")
	if err != nil {
		msg := err.Error()
		if !strings.Contains(msg, "development-client-secret") || strings.Contains(msg, "clients[0]") {
			t.Fatalf("the error does not name the secret file, or blames a configuration there is none of:\n%s", msg)
		}
		return
	}
	data := strings.TrimSpace(readFile(t, filepath.Join("signet-data", "development-client-secret")))
	if data == "" {
		t.Fatal("started with an empty development secret")
	}
	status, body := inst.post(url.Values{"grant_type": {"client_credentials"}},
		"Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("signet-dev:"+data)))
	if status != 200 {
		t.Fatalf("the new development secret: %d %v", status, body)
	}
}

// Startup refuses credentials and configurations that cannot work, each
// with an error that says what to do.
func TestStartupRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, h *host) string // returns the configuration path
		want  []string
	}{
		{"a .cer instead of the .pfx", func(t *testing.T, h *host) string {
			return h.config("type: File\nfilePath: "+fixture(t, "rsa.cer"), "")
		}, []string{"signet.yaml", "key", "holds no private key", ".pfx"}},
		{"a .cer imported into the store", func(t *testing.T, h *host) string {
			c, _ := certs.ReadFile(fixture(t, "rsa.cer"), nil)
			if _, err := h.store().Import(&certs.Credential{Certificate: c.Certificates[0]}, false); err != nil {
				t.Fatal(err)
			}
			return h.config("type: Store\nthumbprint: "+certs.Thumbprint(c.Certificates[0]), "")
		}, []string{"no private key", "import the .pfx, not the .cer"}},
		{"RSA-1024", func(t *testing.T, h *host) string {
			return h.config(fileKey(t, "rsa1024.pfx"), "")
		}, []string{"1024 bits", "at least 2048", "signet cert create"}},
		{"thumbprint not found", func(t *testing.T, h *host) string {
			cred := importCert(t, h.store(), "CN=the-one-there", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
			h.env["WANTED"] = strings.Repeat("AB", 20)
			h.t.Logf("store holds %s", certs.Thumbprint(cred.Certificate))
			return h.config("type: Store\nthumbprint: ${WANTED}", "")
		}, []string{strings.Repeat("AB", 20), "CN=the-one-there"}},
		{"subject not found", func(t *testing.T, h *host) string {
			importCert(t, h.store(), "CN=my-app-auth", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
			return h.config("type: Store\nname: CN=my-app-aut", "")
		}, []string{"CN=my-app-aut", "CN=my-app-auth"}},
		{"not in WEBSITE_LOAD_CERTIFICATES", func(t *testing.T, h *host) string {
			tp := azureLayout(t, h)
			h.env["WEBSITE_LOAD_CERTIFICATES"] = strings.Repeat("1", 40)
			return h.config("type: Store\nthumbprint: "+tp, "")
		}, []string{"WEBSITE_LOAD_CERTIFICATES", "does not name it", "add "}},
		{"wrong password", func(t *testing.T, h *host) string {
			return h.config("type: File\nfilePath: "+fixture(t, "rsa-openssl3.pfx")+"\npassword: not-the-password", "")
		}, []string{"rsa-openssl3.pfx", "wrong password"}},
		{"no password", func(t *testing.T, h *host) string {
			return h.config("type: File\nfilePath: "+fixture(t, "rsa-openssl3.pfx"), "")
		}, []string{"password-protected", "set password"}},
		{"missing file", func(t *testing.T, h *host) string {
			return h.config("type: File\nfilePath: nowhere.pfx\npassword: x", "")
		}, []string{"nowhere.pfx does not exist", "relative to the configuration file"}},
		{"no key section", func(t *testing.T, h *host) string {
			return h.write("signet.yaml", "allowHttp: true\nclients: []\n")
		}, []string{"signet.yaml", "key", "there is no key section", "  key:\n", "type: Store", "thumbprint: ${APP_SigningCertificateThumbprint}", "type: File"}},
		{"unknown key in the file", func(t *testing.T, h *host) string {
			return h.write("signet.yaml", "allowHttp: true\nlisten: 127.0.0.1:0\nkey:\n  type: File\n  filePth: x.pfx\n")
		}, []string{"signet.yaml:5:", `"filePath"`}},
		{"a missing ${VAR}", func(t *testing.T, h *host) string {
			return h.config("type: File\nfilePath: "+fixture(t, "rsa-openssl3.pfx")+"\npassword: ${APP_SigningCertificatePassword}", "")
		}, []string{"signet.yaml:9:", "APP_SigningCertificatePassword", "not set"}},
		{"an http issuer outside development", func(t *testing.T, h *host) string {
			return h.write("signet.yaml", "issuer: http://auth.example.com\nkey:\n"+indent(fileKey(t, "rsa-openssl3.pfx"), "  ")+"\n")
		}, []string{"signet.yaml:1:", "http", "allowHttp: true"}},
		{"no issuer, no TLS outside development", func(t *testing.T, h *host) string {
			return h.write("signet.yaml", "key:\n"+indent(fileKey(t, "rsa-openssl3.pfx"), "  ")+"\n")
		}, []string{"configure tls", "issuer", "trustProxy", "allowHttp: true"}},
		{"every problem at once", func(t *testing.T, h *host) string {
			return h.write("signet.yaml", "allowHttp: true\nlisten: nonsense\nkey:\n  type: Stor\n")
		}, []string{"signet.yaml:2:", "signet.yaml:4:", "Store"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			config := tt.setup(t, h)
			logs, err := h.refuse(config)
			msg := err.Error()
			t.Logf("refused:\n%s", msg)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, fixturePassword) || strings.Contains(msg, appSecret) {
				t.Errorf("a secret is in the error:\n%s", msg)
			}
			if strings.Contains(logs, "listening") {
				t.Errorf("it listened:\n%s", logs)
			}
		})
	}
}

// A client secret written without "value:" (secrets: ${MYAPP_SECRET}, or
// a list of bare strings) is a plausible mistake. The refusal must say to
// write value:, and must not print the secret itself.
func TestStartupRefusesBareSecret(t *testing.T) {

	t.Parallel()
	const literal = "a-literal-secret-in-the-file-42"
	for name, secrets := range map[string]string{
		"a variable instead of a list": "    secrets: ${MYAPP_SECRET}\n",
		"a list of bare strings":       "    secrets:\n      - " + literal + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			h.env["MYAPP_SECRET"] = "the-secret-from-the-environment"
			_, err := h.refuse(h.config(fileKey(t, "rsa-openssl3.pfx"), "  - clientId: myapp\n    allowedGrantTypes: [client_credentials]\n"+secrets))
			msg := err.Error()
			t.Logf("refused:\n%s", msg)
			if !strings.Contains(msg, "value:") {
				t.Errorf("the error does not say to write value:")
			}
			if strings.Contains(msg, literal) || strings.Contains(msg, "the-secret-from-the-environment") {
				t.Errorf("the error prints the secret")
			}
		})
	}
}

// An expired certificate still signs, with a warning in the log.
func TestExpiredCertificateStartsWithWarning(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	path, cert := pfxFile(t, h, "expired", key, time.Now().AddDate(-2, 0, 0), time.Now().AddDate(0, 0, -3))
	srv := h.serve(h.config(fmt.Sprintf("type: File\nfilePath: %s\npassword: %s", path, fixturePassword), ""), "")
	logs := srv.logs.String()
	var warn string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "expired") {
			warn = line
		}
	}
	if warn == "" || !strings.Contains(warn, certs.Thumbprint(cert)) {
		t.Errorf("no warning naming the expired certificate:\n%s", logs)
	}
	_, header := srv.verify(srv.token(oauth2.AuthStyleInHeader).AccessToken)
	if header.KeyID != certs.Thumbprint(cert) {
		t.Errorf("signed by %s", header.KeyID)
	}
}

// A request in flight when the server is told to stop completes, and serve
// returns nil. The request is held open by the private_key_jwt client's
// jwksUri, which answers slowly.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	client := newECClient(t, "slow-app")
	keys := client.jwks(t)
	fetched := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	jwksServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(fetched) })
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, keys)
	}))
	defer jwksServer.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	srv := h.serve(h.config(fileKey(t, "ec-openssl3.pfx"), client.configYAML("    jwksUri: "+jwksServer.URL+"/jwks")), "")

	type result struct {
		status int
		body   map[string]any
		err    error
	}
	inFlight := make(chan result, 1)
	form := assertionForm(client.assertion(t, srv.base))
	go func() {
		resp, err := http.PostForm(srv.base+"/connect/token", form)
		if err != nil {
			inFlight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		inFlight <- result{resp.StatusCode, m, err}
	}()
	select {
	case <-fetched:
	case <-time.After(10 * time.Second):
		t.Fatal("the token request never fetched the jwksUri")
	}
	srv.cancel() // as SIGTERM does
	select {
	case err := <-srv.done:
		srv.done <- err // for stop
		t.Fatalf("serve returned (%v) with a request in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	// New connections are no longer accepted.
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get(srv.base + "/healthz"); err == nil {
		t.Error("a new request was served after shutdown began")
	}
	close(release)
	res := <-inFlight
	if res.err != nil || res.status != 200 || res.body["access_token"] == nil {
		t.Fatalf("the request in flight: %v %d %v", res.err, res.status, res.body)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve returned %v, want nil", err)
	}
	contains(t, "the log", srv.logs.String(), "shutting down", "stopped")
}

// TLS: the server's own certificate, from tls.certFile and tls.keyFile
// (PEM) or from a PFX with its password, serves https, and the issuer is
// https.
func TestTLS(t *testing.T) {
	t.Parallel()
	for _, form := range []string{"PEM certFile and keyFile", "PFX certFile with password"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			cred := testsupport.ECCredential(t, "CN=localhost", time.Time{}, time.Time{})
			cert := cred.Certificate
			var tlsSection string
			if strings.HasPrefix(form, "PEM") {
				keyPEM, err := certs.EncodeKeyPEM(cred, "")
				if err != nil {
					t.Fatal(err)
				}
				h.write("tls/server.crt", string(certs.EncodeCertPEM(cert)))
				h.write("tls/server.key", string(keyPEM))
				tlsSection = "tls:\n  certFile: tls/server.crt\n  keyFile: tls/server.key\nhsts:\n  maxAge: 1h\n  includeSubDomains: true\n"
			} else {
				data, err := certs.EncodePFX(cred, "tls-pfx-password", certs.PFXModern)
				if err != nil {
					t.Fatal(err)
				}
				h.write("tls/server.pfx", string(data))
				h.env["TLS_PASSWORD"] = "tls-pfx-password"
				tlsSection = "tls:\n  certFile: tls/server.pfx\n  password: ${TLS_PASSWORD}\n"
			}
			// No allowHttp, no issuer: TLS is what makes this configuration
			// acceptable.
			config := h.write("signet.yaml", `key:
`+indent(fileKey(t, "rsa-openssl3.pfx"), "  ")+`
dataDir: data
`+tlsSection+`apiScopes: [{name: api1}]
clients:
  - clientId: app
    secrets: [{value: "${APP_SECRET}"}]
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
`)
			srv := h.serve(config, "")
			if !strings.HasPrefix(srv.base, "https://localhost:") {
				t.Fatalf("base %s, want https://localhost:PORT", srv.base)
			}
			// The certificate has no SAN (a signing certificate made by
			// signet cert create): pin it instead of verifying the name.
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
				InsecureSkipVerify: true,
				VerifyConnection: func(cs tls.ConnectionState) error {
					if len(cs.PeerCertificates) == 0 || !cs.PeerCertificates[0].Equal(cert) {
						return errors.New("not the configured certificate")
					}
					return nil
				},
			}}}
			defer client.CloseIdleConnections()
			tok := srv.tokenWith(client, oauth2.AuthStyleInHeader)
			claims, _ := srv.verifyWith(client, tok.AccessToken)
			if claims["iss"] != srv.base {
				t.Errorf("iss %v, want %s", claims["iss"], srv.base)
			}
			// HSTS on https, as configured (the default is a year), but
			// not to localhost.
			wantHSTS := "max-age=31536000"
			if strings.HasPrefix(form, "PEM") {
				wantHSTS = "max-age=3600; includeSubDomains"
			}
			for host, want := range map[string]string{"": "", "auth.test": wantHSTS} {
				req, _ := http.NewRequest(http.MethodGet, srv.base+"/healthz", nil)
				if host != "" {
					req.Host = host
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.Header.Get("Strict-Transport-Security"); got != want {
					t.Errorf("Host %q: Strict-Transport-Security %q, want %q", req.Host, got, want)
				}
			}
			// Plain http on the TLS port gets nothing.
			plain := strings.Replace(srv.base, "https://", "http://", 1)
			if resp, err := http.Get(plain + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					t.Error("plain http is served on the TLS port")
				}
			}
		})
	}
}

// No secret reaches the log: client secrets (Basic and post, right and
// wrong), client assertions and the tokens issued, at debug level, in text
// and JSON.
func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			client := newECClient(t, "jwt-app")
			// The client's keys from the environment, as a string of JSON.
			h.env["CLIENT_JWKS"] = client.jwks(t)
			config := h.config(fileKey(t, "rsa-openssl3.pfx"), client.configYAML("    jwks: ${CLIENT_JWKS}")+"  - clientId: hashed\n    secrets: [{hash: \"${HASHED_SECRET_HASH}\"}]\n    allowedGrantTypes: [client_credentials]\n    allowedScopes: [api1]\n")
			config = strings.Replace(readFile(t, config), "log:\n  level: debug", "log:\n  level: debug\n  format: "+format, 1)
			h.write("signet.yaml", config)
			const hashedSecret = "the-hashed-clients-secret-0123456789"
			h.env["HASHED_SECRET_HASH"] = hashOf(t, h, hashedSecret)
			srv := h.serve(h.path("signet.yaml"), "")

			var secrets []string
			basicTok := srv.token(oauth2.AuthStyleInHeader).AccessToken
			postTok := srv.token(oauth2.AuthStyleInParams).AccessToken
			assertion := client.assertion(t, srv.base)
			status, body := srv.post(assertionForm(assertion))
			if status != 200 {
				t.Fatalf("assertion: %d %v", status, body)
			}
			jwtTok := body["access_token"].(string)
			status, body = srv.post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"hashed"}, "client_secret": {hashedSecret}})
			if status != 200 {
				t.Fatalf("hashed: %d %v", status, body)
			}
			hashedTok := body["access_token"].(string)
			// Failures: a wrong secret both ways, a replayed assertion, a
			// broken one, an unknown client.
			const wrong = "a-wrong-secret-9876543210"
			srv.post(url.Values{"grant_type": {"client_credentials"}}, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("app:"+wrong)))
			srv.post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {wrong}})
			srv.post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {wrong}})
			srv.post(assertionForm(assertion))
			broken := tamper(t, client.assertion(t, srv.base), 2)
			srv.post(assertionForm(broken))
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}

			secrets = append(secrets, appSecret, url.QueryEscape(appSecret), hashedSecret, wrong, fixturePassword,
				base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("app")+":"+url.QueryEscape(appSecret))))
			for _, tok := range []string{basicTok, postTok, jwtTok, hashedTok, assertion, broken} {
				parts := strings.Split(tok, ".")
				secrets = append(secrets, tok, parts[1], parts[2])
			}
			logs := srv.logs.String()
			for _, s := range secrets {
				if strings.Contains(logs, s) {
					t.Errorf("%q is in the log:\n%s", s, logs)
				}
			}
			if n := strings.Count(logs, "/connect/token"); n < 9 {
				t.Errorf("%d token requests in the log, want each of the 9 logged:\n%s", n, logs)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// hashOf hashes a secret with `signet secret hash`, as a user would.
func hashOf(t *testing.T, h *host, secret string) string {
	t.Helper()
	var out bytes.Buffer
	a := h.app(&out)
	a.stdin = strings.NewReader(secret + "\n")
	if code := a.main(t.Context(), []string{"secret", "hash"}); code != 0 {
		t.Fatalf("signet secret hash: exit %d\n%s", code, out.String())
	}
	m := regexp.MustCompile(`sha256\$\S+`).FindString(out.String())
	if m == "" {
		t.Fatalf("no hash in %q", out.String())
	}
	return m
}

// The configuration file can be named by SIGNET_CONFIG instead of --config.
func TestServeConfigFromEnvironment(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	h.env["SIGNET_CONFIG"] = h.config(fileKey(t, "ec-openssl3.pfx"), "")
	srv := h.serve("", "")
	if strings.Contains(srv.logs.String(), "DEVELOPMENT MODE") {
		t.Fatalf("development mode with SIGNET_CONFIG set:\n%s", srv.logs)
	}
	_, header := srv.verify(srv.token(oauth2.AuthStyleInParams).AccessToken)
	if want := certs.Thumbprint(fixtureCert(t, "ec-openssl3.pfx")); header.KeyID != want {
		t.Errorf("signed by %s, want %s", header.KeyID, want)
	}
	// A SIGNET_CONFIG that names nothing is an error, not development mode.
	h.env["SIGNET_CONFIG"] = h.path("missing.yaml")
	_, err := h.refuse("")
	contains(t, "the error", err.Error(), "missing.yaml", "SIGNET_CONFIG")
}

// An IdentityServer appsettings.json, its Key section pasted as it is
// (PascalCase, comments, trailing commas), configures the server.
func TestServeAppSettingsJSON(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	cred := importCert(t, h.store(), "CN=my-app-auth", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	h.env["APP_SigningCertificateThumbprint"] = certs.Thumbprint(cred.Certificate)
	config := h.write("appsettings.json", `{
  // Signet's settings, with IdentityServer's Key section pasted in.
  "AllowHttp": true,
  "DataDir": "data",
  "Key": {
    "Type": "Store",
    "StoreLocation": "CurrentUser",
    "StoreName": "My",
    "Thumbprint": "${APP_SigningCertificateThumbprint}", /* from the environment */
  },
  "ApiScopes": [ { "Name": "api1" } ],
  "ApiResources": [ { "Name": "https://api.example.com", "Scopes": [ "api1" ] } ],
  "Clients": [
    {
      "ClientId": "app",
      "Secrets": [ { "Value": "${APP_SECRET}" } ],
      "AllowedGrantTypes": [ "client_credentials" ],
      "AllowedScopes": [ "api1" ],
    },
  ],
}
`)
	srv := h.serve(config, "")
	claims, header := srv.verify(srv.token(oauth2.AuthStyleInHeader).AccessToken)
	if header.KeyID != certs.Thumbprint(cred.Certificate) || claims["aud"] != "https://api.example.com" {
		t.Errorf("kid %s, aud %v", header.KeyID, claims["aud"])
	}

	// A misspelt key is reported at its line.
	bad := h.write("bad.json", "{\n  \"AllowHttp\": true,\n  \"Key\": {\n    \"Type\": \"Store\",\n    \"Thumbprnt\": \"AB\"\n  }\n}\n")
	_, err := h.refuse(bad)
	contains(t, "the error", strings.ToLower(err.Error()), "bad.json:5:", `"thumbprnt"`, `did you mean "thumbprint"`)
}
