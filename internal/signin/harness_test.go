package signin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/browsertest"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// start is when every test's clock starts.
var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const (
	redirectURI  = "https://app.example/cb"
	signedOutURI = "https://app.example/signed-out"
	alicePass    = "correct horse battery staple"
)

// testKEK is the key-encryption key of the tests' TOTP keys.
var testKEK = bytes.Repeat([]byte{7}, 32)

// Hashes are made once: argon2id is slow on purpose.
var (
	aliceHash = users.Hash(alicePass)
	bobHash   = users.Hash("bob's password")
)

func testClients() client.Static {
	web := &client.Client{
		ID: "web", Name: "Web App", GrantTypes: []string{"authorization_code"},
		Scopes: []string{"openid", "profile", "email", "api"}, RedirectURIs: []string{redirectURI},
		PostLogoutRedirectURIs: []string{signedOutURI}, RequirePKCE: true, AllowOfflineAccess: true,
		RequireConsent: true, AllowRememberConsent: true, AuthorizationCodeLifetime: 300 * time.Second,
		ClientURI: "https://app.example/", LogoURI: "https://app.example/logo.png",
	}
	quiet := &client.Client{
		ID: "quiet", Name: "Quiet App", GrantTypes: []string{"authorization_code"},
		Scopes: []string{"openid", "profile"}, RedirectURIs: []string{redirectURI},
		RequirePKCE: true, AuthorizationCodeLifetime: 300 * time.Second,
	}
	return client.Static{"web": web, "quiet": quiet}
}

var scopeInfos = map[string]signin.ScopeInfo{
	"openid":  {Name: "openid", DisplayName: "Your user identifier", Required: true, Identity: true},
	"profile": {Name: "profile", DisplayName: "User profile", Description: "Your user profile information (first name, last name, etc.)", Emphasize: true, Identity: true},
	"email":   {Name: "email", DisplayName: "Your email address", Emphasize: true, Identity: true},
	"api":     {Name: "api", DisplayName: "The API", Description: "Call the API as you"},
}

// env is a server with the sign-in endpoint on one store.
type env struct {
	t      testing.TB
	clk    *testsupport.Clock
	store  storage.Store
	srv    *httptest.Server
	tokens *tokens.Service
	log    *testsupport.LogBuffer
	// endpoint is the sign-in endpoint under test.
	endpoint *signin.Endpoint
}

// hintOf is the test's id_token_hint: "hint.<sub>.<aud>", which the fake
// verifier accepts (the real one, which the lead wires, verifies a JWT).
func hintOf(sub, aud string) string { return "hint." + sub + "." + aud }

func verifyHint(_ context.Context, token string) (signin.IDTokenHint, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != "hint" {
		return signin.IDTokenHint{}, errors.New("not a hint")
	}
	return signin.IDTokenHint{Subject: parts[1], ClientID: parts[2], SessionID: "sid"}, nil
}

func newEnv(t testing.TB, store storage.Store, clk *testsupport.Clock, mutate func(*signin.Options)) *env {
	t.Helper()
	seedUsers(t, store)
	return newInstance(t, store, clk, mutate)
}

// seedUsers adds alice, bob and carol (disabled).
func seedUsers(t testing.TB, store storage.Store) {
	t.Helper()
	for _, u := range []storage.User{
		{ID: "u-alice", Username: "alice", PasswordHash: aliceHash, Name: "Alice"},
		{ID: "u-bob", Username: "bob", PasswordHash: bobHash},
		{ID: "u-carol", Username: "carol", PasswordHash: aliceHash, Disabled: true},
	} {
		if err := store.CreateUser(t.Context(), u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
}

// options are the endpoint's options over store, as serve would make them.
func options(t testing.TB, store storage.Store, clk *testsupport.Clock, log io.Writer) signin.Options {
	t.Helper()
	hasher, err := users.NewHasher(users.HasherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := users.NewAuthenticator(store, hasher, users.Options{Logger: newLogger(log)})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := session.New(store, session.Options{Issuer: endpoint.Issuer, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return signin.Options{
		Validator:  &authorize.Validator{Clients: testClients()},
		Pending:    authorize.NewPending(store, 0),
		Sessions:   sessions,
		Users:      auth,
		Consents:   consent.New(store, clk.Now),
		Tokens:     &tokens.Service{Grants: store, Now: clk.Now},
		Store:      store,
		SecretsKEK: func() ([]byte, error) { return testKEK, nil },
		Scope: func(name string) (signin.ScopeInfo, bool) {
			s, ok := scopeInfos[name]
			return s, ok
		},
		VerifyIDTokenHint: verifyHint,
		Now:               clk.Now,
		Logger:            newLogger(log),
	}
}

// newInstance is a server with the endpoint over store, whose users exist.
func newInstance(t testing.TB, store storage.Store, clk *testsupport.Clock, mutate func(*signin.Options)) *env {
	t.Helper()
	log := &testsupport.LogBuffer{}
	opts := options(t, store, clk, log)
	if mutate != nil {
		mutate(&opts)
	}
	e, err := signin.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(server.New(server.Options{Endpoints: []endpoint.Endpoint{e}, Logger: newLogger(log)}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", log)
		}
	})
	return &env{t: t, clk: clk, store: store, srv: srv, tokens: opts.Tokens.(*tokens.Service), log: log, endpoint: e}
}

// tokensRedemption is the token request of code for a.
func tokensRedemption(code string, a *authReq) tokens.CodeRedemption {
	return tokens.CodeRedemption{Code: code, ClientID: a.params.Get("client_id"), RedirectURI: a.params.Get("redirect_uri"), Verifier: a.verifier}
}

// eachBackend runs f on a fresh environment of each backend, in parallel.
func eachBackend(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := testsupport.NewClock(start)
			f(t, newEnv(t, b.OpenOne(t, clk.Now), clk, nil))
		})
	}
}

// memoryEnv is an environment on a memory store.
func memoryEnv(t testing.TB, mutate func(*signin.Options)) *env {
	t.Helper()
	clk := testsupport.NewClock(start)
	return newEnv(t, memory.New(memory.Options{Now: clk.Now}), clk, mutate)
}

// browser is the shared test browser (it keeps cookies and follows
// redirects within the server, stopping at the first one elsewhere: the
// client's redirect URI), at this test's server.
type browser struct {
	*browsertest.Browser
	t testing.TB
	e *env
}

// page, form and field are browsertest's.
type (
	page  = browsertest.Page
	form  = browsertest.Form
	field = browsertest.Field
)

func (e *env) browser() *browser { return e.browserFor(e.t) }

// browserFor is a browser whose failures fail t (a fuzz input's).
func (e *env) browserFor(t testing.TB) *browser {
	u, _ := url.Parse(e.srv.URL)
	return &browser{Browser: browsertest.New(t, nil, u.Host), t: t, e: e}
}

func location(t testing.TB, p *page) *url.URL {
	t.Helper()
	loc := p.Header.Get("Location")
	if loc == "" {
		t.Fatalf("no redirect: status %d at %s, body:\n%s", p.Status, p.URL, cut(p.Body))
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func cut(s string) string { return browsertest.Cut(s, 3000) }

func (b *browser) get(pathAndQuery string) *page {
	b.t.Helper()
	return b.Get(b.e.srv.URL + pathAndQuery)
}

func (b *browser) post(path string, form url.Values, header http.Header) *page {
	b.t.Helper()
	return b.Post(b.e.srv.URL+path, form, header)
}

// authReq is an authorization request with PKCE.
type authReq struct {
	params   url.Values
	verifier string
}

func newAuthReq(clientID, scope string, extra ...string) *authReq {
	verifier := "a-verifier-of-at-least-43-characters-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	p := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI}, "scope": {scope},
		"state": {"st-" + clientID}, "nonce": {"n-0S6"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p.Set(extra[i], extra[i+1])
	}
	return &authReq{params: p, verifier: verifier}
}

func (b *browser) authorize(a *authReq) *page {
	b.t.Helper()
	return b.get(signin.AuthorizePath + "?" + a.params.Encode())
}

// clientResponse reads the parameters the client got at its redirect URI
// from p, a redirect there (query mode).
func clientResponse(t testing.TB, p *page) url.Values {
	t.Helper()
	if p.Status != http.StatusFound && p.Status != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect to the client; body:\n%s", p.Status, cut(p.Body))
	}
	u := location(t, p)
	if got := u.Scheme + "://" + u.Host + u.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want the redirect URI %s", u, redirectURI)
	}
	return u.Query()
}

func onlyForm(t testing.TB, p *page) form {
	t.Helper()
	fs := browsertest.Forms(p.Body)
	if len(fs) != 1 {
		t.Fatalf("%d forms on the page at %s (status %d), want 1:\n%s", len(fs), p.URL, p.Status, cut(p.Body))
	}
	return fs[0]
}

// input is f's input name; the test fails when f has none.
func input(t testing.TB, f form, name string) field {
	t.Helper()
	in, ok := f.Input(name)
	if !ok {
		t.Fatalf("no input named %q in the form", name)
	}
	return in
}

// submit posts f as a browser would.
func (b *browser) submit(f form, button string, set url.Values, unset ...string) *page {
	b.t.Helper()
	if f.Method != "post" {
		b.t.Fatalf("form method %q, want post", f.Method)
	}
	return b.post(f.Action, f.Values(button, set, unset...), nil)
}

// login fills in the login page p and submits it.
func (b *browser) login(p *page, username, password string) *page {
	b.t.Helper()
	if p.URL.Path != signin.LoginPath {
		b.t.Fatalf("at %s (status %d), want the login page:\n%s", p.URL, p.Status, cut(p.Body))
	}
	return b.submit(onlyForm(b.t, p), "decision=login", url.Values{"username": {username}, "password": {password}})
}

// signIn runs a sign-in of alice to the quiet client (no consent), leaving
// the browser with a session.
func (b *browser) signIn() {
	b.t.Helper()
	p := b.login(b.authorize(newAuthReq("quiet", "openid")), "alice", alicePass)
	if q := clientResponse(b.t, p); q.Get("code") == "" {
		b.t.Fatalf("no code: %v", q)
	}
}

// redeem redeems a code as the token endpoint does.
func (e *env) redeem(t testing.TB, clientID, code string, a *authReq) tokens.RedeemedCode {
	t.Helper()
	got, err := e.tokens.RedeemCode(t.Context(), tokens.CodeRedemption{Code: code, ClientID: clientID, RedirectURI: redirectURI, Verifier: a.verifier})
	if err != nil {
		t.Fatalf("RedeemCode: %v", err)
	}
	return got
}
