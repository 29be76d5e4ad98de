package userinfo_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/userinfo"
	"github.com/signetid/signet/storage"
)

// The tests here run the token endpoint's sign-in grants and userinfo
// through a real server (internal/server, the chain and routing), with a
// ring of real keys (an RSA development key and an EC certificate), on
// every storage backend, with real client libraries: golang.org/x/oauth2
// for the exchange and refresh, go-oidc for the ID token. The codes are
// issued with tokens.Service.IssueCode, as the authorization endpoint
// does.

// keys are the ring's keys, made once: RSA generation is slow.
var keys = sync.OnceValues(func() ([]*signing.Key, error) {
	dir, err := os.MkdirTemp("", "signet-userinfo-test")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rs, err := signing.Loader{DataDir: dir}.Load(signing.Spec{Type: signing.TypeDevelopment}, false)
	if err != nil {
		return nil, err
	}
	return rs.Keys, nil
})

// newRing returns a ring of the development RSA key and an EC key from a
// certificate file, signing first with algs[0].
func newRing(t testing.TB, algs ...string) *signing.Ring {
	t.Helper()
	rsKeys, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cred := testsupport.ECCredential(t, "CN=signet-test", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	keyPEM, err := certs.EncodeKeyPEM(cred, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ec.pem")
	if err := os.WriteFile(path, append(certs.EncodeCertPEM(cred.Certificate), keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	es, err := signing.Loader{}.Load(signing.Spec{Type: "File", FilePath: path}, false)
	if err != nil {
		t.Fatal(err)
	}
	r, err := signing.NewRing(append(append([]*signing.Key{}, rsKeys...), es.Keys...), nil, signing.RingOptions{Algorithms: algs})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const (
	webRedirect = "https://app.example.com/callback"
	spaOrigin   = "https://spa.example.com"
)

type env struct {
	t      testing.TB
	srv    *httptest.Server
	issuer string
	store  storage.Store
	tokens *tokens.Service
	ring   *signing.Ring
	clock  *testsupport.Clock
	secret string
	ctx    context.Context
	// handler is the server, for benchmarks in process; clients its
	// clients, which a benchmark may change before its first request.
	handler http.Handler
	clients client.Static
}

// newEnv serves the token and userinfo endpoints on store, with clients
// "web" (confidential, offline access), "other" (confidential), "spa"
// (public, offline access, a CORS origin) and "machine"
// (client_credentials with openid among its scopes), "ref" (as web, with
// reference access tokens), and user "alice".
func newEnv(t testing.TB, store storage.Store, clock *testsupport.Clock, ring *signing.Ring) *env {
	t.Helper()
	e := &env{t: t, store: store, clock: clock, ring: ring, secret: "web-secret-0123456789"}
	secrets := testsupport.Secrets(t, e.secret, clock.Now().Add(-time.Hour))
	sign := []string{"openid", "profile", "email", "offline_access", "api1"}
	clients := client.Static{
		"web": {ID: "web", Secrets: secrets, GrantTypes: []string{"authorization_code"}, Scopes: sign, RedirectURIs: []string{webRedirect},
			AllowOfflineAccess: true, RequirePKCE: true, AccessTokenLifetime: time.Hour, IdentityTokenLifetime: 5 * time.Minute},
		"other": {ID: "other", Secrets: secrets, GrantTypes: []string{"authorization_code"}, Scopes: sign, RedirectURIs: []string{webRedirect},
			AllowOfflineAccess: true, RequirePKCE: true},
		"spa": {ID: "spa", Public: true, GrantTypes: []string{"authorization_code"}, Scopes: sign, RedirectURIs: []string{spaOrigin + "/cb"},
			AllowOfflineAccess: true, RequirePKCE: true, CORSOrigins: []string{spaOrigin}, AlwaysIncludeUserClaimsInIdToken: true,
			IdentityTokenSigningAlgorithms: []string{"PS256", "ES256"}},
		"machine": {ID: "machine", Secrets: secrets, GrantTypes: []string{"client_credentials"}, Scopes: []string{"openid", "api1"}},
		"ref": {ID: "ref", Secrets: secrets, GrantTypes: []string{"authorization_code"}, Scopes: sign, RedirectURIs: []string{webRedirect},
			AllowOfflineAccess: true, RequirePKCE: true, ReferenceTokens: true},
	}
	e.clients = clients
	origins := func(o string) bool { return o == spaOrigin }
	e.tokens = &tokens.Service{
		Signer: ring, Now: clock.Now, Grants: store,
		Resources: func() tokens.Resources {
			return tokens.Resources{Scopes: []string{"api1"}, ByScope: map[string][]string{"api1": {"https://api.example.com"}}}
		},
	}
	auth := &clientauth.Authenticator{Clients: clients, Replay: store, RemoteKeys: &clientauth.RemoteKeys{}, Now: clock.Now, IssuerConfigured: true}
	var h http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.issuer = e.srv.URL
	h = server.New(server.Options{Issuer: e.issuer, Endpoints: []endpoint.Endpoint{
		grant.New(grant.Options{Auth: auth, Tokens: e.tokens, Users: store, Origins: origins}),
		userinfo.New(userinfo.Options{Verifier: ring, Users: store, References: e.tokens, Origins: origins, Now: clock.Now}),
	}})
	e.handler = h
	e.ctx = context.WithValue(context.Background(), oauth2.HTTPClient, e.srv.Client())
	err := store.CreateUser(e.ctx, storage.User{ID: "alice-id", Username: "alice", Name: "Alice Liddell", Email: "alice@example.com", EmailVerified: true,
		Claims: []byte(`{"given_name":"Alice","website":"https://alice.example.com"}`)})
	if err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatal(err)
	}
	// The session the codes are issued in (IssueCode stores a code only
	// while its session is live).
	now := clock.Now().UTC()
	err = store.CreateSession(e.ctx, storage.Session{ID: "sid-1", Subject: "alice-id", AuthTime: now, AMR: []string{"pwd"},
		Created: now, Expires: now.Add(24 * time.Hour)})
	if err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatal(err)
	}
	return e
}

// code issues a code for alice at client, as the authorization endpoint
// does after sign-in: with an S256 challenge of verifier unless it is "",
// nonce "n-0S6", session "sid-1".
func (e *env) code(clientID, redirect, verifier string, scopes ...string) string {
	e.t.Helper()
	a := tokens.Authorization{ClientID: clientID, Subject: "alice-id", SessionID: "sid-1", Scopes: scopes, RedirectURI: redirect,
		Nonce: "n-0S6", AuthTime: e.clock.Now().Add(-time.Minute), AMR: []string{"pwd"}}
	if verifier != "" {
		a.CodeChallenge, a.CodeChallengeMethod = oauth2.S256ChallengeFromVerifier(verifier), "S256"
	}
	c, err := e.tokens.IssueCode(e.ctx, a, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) config(clientID string) *oauth2.Config {
	c := &oauth2.Config{ClientID: clientID, RedirectURL: webRedirect,
		Endpoint: oauth2.Endpoint{TokenURL: e.issuer + grant.Path, AuthStyle: oauth2.AuthStyleInHeader}}
	if clientID != "spa" {
		c.ClientSecret = e.secret
	} else {
		c.RedirectURL = spaOrigin + "/cb"
		c.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return c
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func (e *env) do(r *http.Request) answer {
	e.t.Helper()
	resp, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &a.body); err != nil {
			e.t.Fatalf("%s %s: %d %s", r.Method, r.URL.Path, resp.StatusCode, b)
		}
	}
	return a
}

// token posts a token request as client web (basic), or as a public
// client when form has client_id.
func (e *env) token(form url.Values) answer {
	e.t.Helper()
	r, _ := http.NewRequest(http.MethodPost, e.issuer+grant.Path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if form.Get("client_id") == "" {
		r.SetBasicAuth("web", e.secret)
	}
	return e.do(r)
}

func (e *env) exchange(code, verifier string) answer {
	e.t.Helper()
	return e.exchangeAs("web", code, verifier)
}

// exchangeAs redeems code as client "web" or "other" (with basic).
func (e *env) exchangeAs(clientID, code, verifier string) answer {
	e.t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	r, _ := http.NewRequest(http.MethodPost, e.issuer+grant.Path, strings.NewReader(f.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(clientID, e.secret)
	return e.do(r)
}

func (e *env) refresh(rt string, scope string) answer {
	e.t.Helper()
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if scope != "" {
		f.Set("scope", scope)
	}
	return e.token(f)
}

func (e *env) userinfo(at string) answer {
	e.t.Helper()
	r, _ := http.NewRequest(http.MethodGet, e.issuer+userinfo.Path, nil)
	if at != "" {
		r.Header.Set("Authorization", "Bearer "+at)
	}
	return e.do(r)
}

func wantError(t testing.TB, what string, a answer, status int, code, says string) {
	t.Helper()
	if a.status != status || a.str("error") != code || !strings.Contains(a.str("error_description"), says) {
		t.Errorf("%s: %d %v, want %d %s saying %q", what, a.status, a.body, status, code, says)
	}
}

// forEachStore runs f on a fresh environment per backend.
func forEachStore(t *testing.T, f func(t *testing.T, e *env)) {
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clock := testsupport.NewClock(time.Now().Truncate(time.Second))
			f(t, newEnv(t, b.OpenOne(t, clock.Now), clock, newRing(t, "ES256", "RS256")))
		})
	}
}
