package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport/browsertest"
	"github.com/signetid/signet/internal/welcome"
)

// End to end, in process: people sign in through `signet serve` as a
// browser does (it follows Signet's redirects, reads and submits the real
// HTML login and consent forms, keeps cookies), and relying parties use
// golang.org/x/oauth2 for the code exchange and refresh and
// github.com/coreos/go-oidc/v3 for the ID token and userinfo (issue 14's
// Proof).
//
// Every server here has the fixed issuer e2eIssuer, as several instances
// behind one load balancer have; each actor (a browser, a relying party's
// back end) reaches an instance through an e2eRoute, which sends the
// issuer's requests to the instance it points at. Relying parties' hosts
// are never dialled: a redirect to one ends the browser's navigation.

const (
	e2eIssuer     = "http://signet.e2e.test"
	e2eIssuerHost = "signet.e2e.test"
	// The relying parties: a web application (confidential, with a
	// secret), a single-page application (public) and a web application
	// that authenticates with private_key_jwt.
	e2eWebSecret    = "web-secret-of-the-e2e-relying-party-0123456789"
	e2eWebCallback  = "https://rp.e2e.test/signin-oidc"
	e2eWebSignedOut = "https://rp.e2e.test/signout-callback-oidc"
	e2eSPAOrigin    = "https://spa.e2e.test"
	e2eSPACallback  = e2eSPAOrigin + "/callback"
	e2eJWTCallback  = "https://jwt.e2e.test/callback"
	// The users: carol from the configuration's users:, dave added with
	// signet user add.
	e2eCarolPassword = "carol-has-a-long-password"
	e2eDavePassword  = "dave-typed-this-on-stdin"
)

// e2eRoute is an http.RoundTripper that sends requests for the issuer to
// the instance it points at (by address), and refuses any other host: a
// test that reaches a relying party's host has followed a redirect it
// should not have.
type e2eRoute struct {
	target atomic.Pointer[string]
}

func e2eRouteTo(s *e2eServer) *e2eRoute {
	r := &e2eRoute{}
	r.to(s)
	return r
}

// to points the route at s.
func (r *e2eRoute) to(s *e2eServer) {
	r.target.Store(&s.addr)
}

// e2eRoundRobin sends each request to the next server, as a load
// balancer without sticky sessions does.
type e2eRoundRobin struct {
	servers []*e2eServer
	n       atomic.Int64
}

func (rr *e2eRoundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	r := &e2eRoute{}
	r.to(rr.servers[int(rr.n.Add(1))%len(rr.servers)])
	return r.RoundTrip(req)
}

// e2eServer is a running signet serve with the fixed issuer, and the
// address it listens on (its base URL is the issuer).
type e2eServer struct {
	*instance
	addr string
}

// e2eServeTogether starts n servers with config at the same moment.
func e2eServeTogether(h *host, config string, n int) []*e2eServer {
	h.t.Helper()
	servers := make([]*e2eServer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range servers {
		servers[i] = &e2eServer{addr: freePort(h.t)}
		wg.Go(func() {
			servers[i].instance, errs[i] = h.run(&serveCmd{config: config, listen: servers[i].addr})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			h.t.Fatalf("server %d of %d started together did not start: %v\nlog:\n%s", i+1, n, err, servers[i].logs)
		}
	}
	return servers
}

func e2eServe(h *host, config string) *e2eServer {
	h.t.Helper()
	addr := freePort(h.t)
	return &e2eServer{instance: h.serve(config, addr), addr: addr}
}

func (r *e2eRoute) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != e2eIssuerHost {
		return nil, fmt.Errorf("the test tried to reach %s, which is not Signet", req.URL)
	}
	out := req.Clone(req.Context())
	out.URL.Host = *r.target.Load()
	out.Host = e2eIssuerHost
	resp, err := http.DefaultTransport.RoundTrip(out)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// e2eClient is a relying party's back end: no cookies, no redirects.
func e2eClient(route http.RoundTripper) *http.Client {
	return &http.Client{Transport: route, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// e2eBrowser keeps cookies, follows redirects within Signet (the host of
// its start URL), and stops at a redirect anywhere else (a relying
// party's callback).
type e2eBrowser struct {
	*browsertest.Browser
	t *testing.T
}

func newE2EBrowser(t *testing.T, rt http.RoundTripper, host string) *e2eBrowser {
	t.Helper()
	return &e2eBrowser{Browser: browsertest.New(t, rt, host), t: t}
}

// keepCookies returns a function that puts the browser's cookies for
// Signet back as they are now: a browser that ignored the logout's
// clearing, or a copied cookie, so that a test sees the session end in
// storage, not only in the jar.
func (b *e2eBrowser) keepCookies() (restore func()) {
	u := &url.URL{Scheme: "http", Host: b.Host, Path: "/"}
	kept := b.Client.Jar.Cookies(u)
	if !slices.ContainsFunc(kept, func(c *http.Cookie) bool { return c.Name == "signet.session" }) {
		b.t.Fatalf("the browser has no signet.session cookie: %v", kept)
	}
	return func() { b.Client.Jar.SetCookies(u, kept) }
}

// e2ePage is a response the browser read.
type e2ePage = browsertest.Page

// submit fills in the only form of p with set, and posts it with the
// button name=value, as a browser does: from the page's own origin.
func (b *e2eBrowser) submit(p *e2ePage, button string, set url.Values) *e2ePage {
	b.t.Helper()
	forms := browsertest.Forms(p.Body)
	if len(forms) != 1 {
		b.t.Fatalf("%d forms on the page, want 1; page %v", len(forms), p)
	}
	f := forms[0]
	if f.Method != "post" {
		b.t.Fatalf("form method %q, want post", f.Method)
	}
	action, err := p.URL.Parse(f.Action)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Post(action.String(), f.Values(button, set), http.Header{
		"Origin":         {p.URL.Scheme + "://" + p.URL.Host},
		"Sec-Fetch-Site": {"same-origin"},
	})
}

// signIn opens authURL and goes through the pages Signet shows: the login
// page (with username and password), then the consent page if it comes
// (allowing what is ticked, and remembering it). It returns the last
// response: a redirect to the client.
func (b *e2eBrowser) signIn(authURL, username, password string) *e2ePage {
	b.t.Helper()
	p := b.Get(authURL)
	if p.URL.Path == signin.LoginPath && p.Status == http.StatusOK {
		p = b.submit(p, "decision=login", url.Values{"username": {username}, "password": {password}})
		if p.URL.Path == signin.LoginPath {
			b.t.Fatalf("the login page again after the login: %v", p)
		}
	}
	if p.URL.Path == signin.ConsentPath && p.Status == http.StatusOK {
		p = b.submit(p, "decision=allow", nil)
		if p.Status != http.StatusSeeOther {
			b.t.Errorf("after the consent POST: status %d, want 303", p.Status)
		}
	}
	return p
}

// e2eResponse is what the client receives at callback, from p (a
// redirect there).
func e2eResponse(t *testing.T, p *e2ePage, callback string) url.Values {
	t.Helper()
	if p.Status != http.StatusFound && p.Status != http.StatusSeeOther {
		t.Fatalf("want a redirect to %s; page %v", callback, p)
	}
	u, err := url.Parse(p.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != callback {
		t.Fatalf("redirected to %s, want %s", u, callback)
	}
	return u.Query()
}

// e2eRP is a relying party: its OAuth configuration, go-oidc's view of the
// issuer, and its back end's HTTP client (through its own route).
type e2eRP struct {
	t        *testing.T
	cfg      oauth2.Config
	route    *e2eRoute
	provider *oidc.Provider
	// extra are parameters of each token request beside those of
	// x/oauth2 (a client assertion).
	extra func() []oauth2.AuthCodeOption
}

// newE2ERP discovers the issuer through route, as the relying party
// starts.
func newE2ERP(t *testing.T, route *e2eRoute, clientID, secret, callback string, scopes ...string) *e2eRP {
	t.Helper()
	rp := &e2eRP{t: t, route: route}
	p, err := oidc.NewProvider(rp.ctx(), e2eIssuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	rp.provider = p
	rp.cfg = oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: callback, Scopes: scopes}
	// A public client, or one with an assertion, sends client_id in the
	// form; a secret goes in the Authorization header.
	rp.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if secret != "" {
		rp.cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	return rp
}

func (rp *e2eRP) ctx() context.Context {
	return oidc.ClientContext(rp.t.Context(), e2eClient(rp.route))
}

// e2eAuthRequest is one authorization request of a relying party: what it
// keeps (verifier, state, nonce) until the browser comes back.
type e2eAuthRequest struct {
	url, verifier, state, nonce string
}

func (rp *e2eRP) authRequest(opts ...oauth2.AuthCodeOption) e2eAuthRequest {
	a := e2eAuthRequest{verifier: oauth2.GenerateVerifier(), state: randomText(12), nonce: randomText(12)}
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce)}, opts...)
	a.url = rp.cfg.AuthCodeURL(a.state, opts...)
	return a
}

// code checks the response the browser brought back (state, iss) and
// returns its code.
func (rp *e2eRP) code(p *e2ePage, a e2eAuthRequest) string {
	rp.t.Helper()
	q := e2eResponse(rp.t, p, rp.cfg.RedirectURL)
	if q.Get("error") != "" {
		rp.t.Fatalf("the client got %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != a.state || q.Get("iss") != e2eIssuer || q.Get("code") == "" {
		rp.t.Fatalf("the client got %v, want a code, state %s and iss %s", q, a.state, e2eIssuer)
	}
	return q.Get("code")
}

// exchange redeems the code with x/oauth2 (and the PKCE verifier), and
// verifies the ID token with go-oidc: signature, issuer, audience,
// expiry, the nonce of the request, and at_hash.
func (rp *e2eRP) exchange(code string, a e2eAuthRequest) (*oauth2.Token, *oidc.IDToken) {
	rp.t.Helper()
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(a.verifier)}
	if rp.extra != nil {
		opts = append(opts, rp.extra()...)
	}
	tok, err := rp.cfg.Exchange(rp.ctx(), code, opts...)
	if err != nil {
		rp.t.Fatalf("code exchange: %v", err)
	}
	idt := rp.verifyID(tok)
	if idt.Nonce != a.nonce {
		rp.t.Errorf("ID token nonce %q, want %q", idt.Nonce, a.nonce)
	}
	return tok, idt
}

// verifyID verifies the ID token of tok and its at_hash.
func (rp *e2eRP) verifyID(tok *oauth2.Token) *oidc.IDToken {
	rp.t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		rp.t.Fatalf("no id_token in the token response")
	}
	idt, err := rp.provider.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID}).Verify(rp.ctx(), raw)
	if err != nil {
		rp.t.Fatalf("go-oidc does not verify the ID token: %v", err)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		rp.t.Errorf("at_hash: %v", err)
	}
	// RS256 (the default of a client that registered nothing else), typ
	// JWT, and the kid of the configured certificate.
	parsed, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		rp.t.Fatal(err)
	}
	if h := parsed.Signatures[0].Protected; h.KeyID != e2eKid(rp.t) || h.ExtraHeaders["typ"] != "JWT" {
		rp.t.Errorf("ID token header kid %q typ %v, want %s JWT", h.KeyID, h.ExtraHeaders["typ"], e2eKid(rp.t))
	}
	return idt
}

// refresh forces the token's expiry, so that x/oauth2's TokenSource
// refreshes it as it would once the access token expired.
func (rp *e2eRP) refresh(tok *oauth2.Token) (*oauth2.Token, error) {
	rp.t.Helper()
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	return rp.cfg.TokenSource(rp.ctx(), &expired).Token()
}

// userinfo reads userinfo with go-oidc.
func (rp *e2eRP) userinfo(tok *oauth2.Token) map[string]any {
	rp.t.Helper()
	info, err := rp.provider.UserInfo(rp.ctx(), oauth2.StaticTokenSource(tok))
	if err != nil {
		rp.t.Fatalf("userinfo: %v", err)
	}
	var claims map[string]any
	if err := info.Claims(&claims); err != nil {
		rp.t.Fatal(err)
	}
	return claims
}

// logoutURL is RP-initiated logout's request, at the end_session_endpoint
// the discovery document names.
func (rp *e2eRP) logoutURL(idToken, postLogout, state string) string {
	rp.t.Helper()
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := rp.provider.Claims(&meta); err != nil || meta.EndSession != e2eIssuer+signin.EndSessionPath {
		rp.t.Fatalf("discovery's end_session_endpoint %q (%v)", meta.EndSession, err)
	}
	return meta.EndSession + "?" + url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {postLogout}, "state": {state}}.Encode()
}

// loginRequired asserts that prompt=none answers login_required: the
// browser has no session.
func (rp *e2eRP) loginRequired(b *e2eBrowser) {
	rp.t.Helper()
	a := rp.authRequest(oauth2.SetAuthURLParam("prompt", "none"))
	q := e2eResponse(rp.t, b.Get(a.url), rp.cfg.RedirectURL)
	if q.Get("error") != oauth.LoginRequired || q.Get("state") != a.state || q.Get("iss") != e2eIssuer {
		rp.t.Errorf("prompt=none: %v, want login_required with the state and iss", q)
	}
}

// e2eKid is the kid of the configured signing certificate.
func e2eKid(t *testing.T) string {
	return certs.Thumbprint(fixtureCert(t, "rsa-openssl3.pfx"))
}

// e2eConfig writes the configuration of the sign-in tests: the usual one
// with the fixed issuer, an RSA key (ID tokens are RS256), the three
// relying parties, carol in users:, and storage (default SQLite in data/).
func e2eConfig(h *host, jwtClient *ecClient, storage string) string {
	h.t.Helper()
	return h.config(fileKey(h.t, "rsa-openssl3.pfx"), `  - clientId: web
    clientName: E2E Web
    secrets:
      - value: `+e2eWebSecret+`
    allowedGrantTypes: [authorization_code, refresh_token]
    allowedScopes: [openid, profile, email, offline_access, api1]
    redirectUris: [`+e2eWebCallback+`]
    postLogoutRedirectUris: [`+e2eWebSignedOut+`]
    requireConsent: true
    allowOfflineAccess: true
  - clientId: spa
    clientName: E2E SPA
    requireClientSecret: false
    allowedGrantTypes: [authorization_code, refresh_token]
    allowedScopes: [openid, profile, offline_access, api1]
    redirectUris: [`+e2eSPACallback+`]
    allowedCorsOrigins: [`+e2eSPAOrigin+`]
    allowOfflineAccess: true
  - clientId: jwtweb
    clientName: E2E private_key_jwt
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, email]
    redirectUris: [`+e2eJWTCallback+`]
    jwks: `+jwtClient.jwks(h.t)+`
issuer: `+e2eIssuer+`
users:
  - subjectId: e2e-carol
    username: carol
    password: `+e2eCarolPassword+`
    claims:
      name: Carol Config
      email: carol@example.com
      email_verified: true
`+storage)
}

// e2ePostgres is the storage section of a PostgreSQL schema of the test's
// own (the test is skipped without SIGNET_TEST_POSTGRES_DSN).
func e2ePostgres(t *testing.T) string {
	db := newPGDB(t)
	return "storage:\n  driver: postgres\n  dsn: '" + db.dsn + "'\n  pollInterval: 200ms\n"
}

// e2eCLI runs a signet command line with the host's configuration file
// and environment, as an operator on the server's machine would.
func e2eCLI(h *host, config, stdin string, args ...string) string {
	h.t.Helper()
	var out, errOut strings.Builder
	a := h.app(&errOut)
	a.stdout = &out
	a.stdin = strings.NewReader(stdin)
	if code := a.main(h.t.Context(), append(args, "--config", config)); code != exitOK {
		h.t.Fatalf("signet %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

// TestSignInEndToEnd runs every relying party's sign-in against one
// server per storage backend.
func TestSignInEndToEnd(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			storage := ""
			if backend == "postgres" {
				storage = e2ePostgres(t)
			}
			h := newHost(t)
			jwtClient := newECClient(t, "jwtweb")
			config := e2eConfig(h, jwtClient, storage)
			inst := e2eServe(h, config)
			// dave is added as an operator does, while the server runs.
			dave := strings.TrimSpace(e2eCLI(h, config, e2eDavePassword+"\n", "user", "add", "--username", "dave", "--name", "Dave Cli", "--password-stdin"))

			t.Run("web app", func(t *testing.T) {
				t.Parallel()
				e2eWebApp(t, inst)
			})
			t.Run("public client", func(t *testing.T) {
				t.Parallel()
				e2ePublicClient(t, h, config, inst, dave)
			})
			t.Run("private_key_jwt", func(t *testing.T) {
				t.Parallel()
				e2ePrivateKeyJWT(t, inst, jwtClient)
			})
		})
	}
}

// e2eWebApp: carol (from users:) signs in to the web app through the
// login and consent pages; the code exchange, the ID token, userinfo, a
// refresh, a sign-in without pages (prompt=none), and RP-initiated
// logout, after which prompt=none answers login_required.
func e2eWebApp(t *testing.T, inst *e2eServer) {
	route := e2eRouteTo(inst)
	b := newE2EBrowser(t, route, e2eIssuerHost)
	rp := newE2ERP(t, route, "web", e2eWebSecret, e2eWebCallback, "openid", "profile", "email", "offline_access", "api1")

	a := rp.authRequest(oauth2.SetAuthURLParam("login_hint", "carol"))
	p := b.Get(a.url)
	if p.URL.Path != signin.LoginPath || p.Status != http.StatusOK {
		t.Fatalf("authorize went to %v, want the login page", p)
	}
	if !strings.Contains(p.Body, `value="carol"`) {
		t.Errorf("the login page does not fill in login_hint:\n%s", p.Body)
	}
	p = b.submit(p, "decision=login", url.Values{"username": {"carol"}, "password": {e2eCarolPassword}})
	if p.URL.Path != signin.ConsentPath || p.Status != http.StatusOK {
		t.Fatalf("after the login at %v, want the consent page", p)
	}
	if !strings.Contains(p.Body, "E2E Web") {
		t.Errorf("the consent page does not name the client")
	}
	p = b.submit(p, "decision=allow", nil)
	if p.Status != http.StatusSeeOther {
		t.Errorf("after the consent POST: status %d, want 303", p.Status)
	}
	tok, idt := rp.exchange(rp.code(p, a), a)
	if idt.Subject != "e2e-carol" || idt.Issuer != e2eIssuer || !slices.Equal(idt.Audience, []string{"web"}) {
		t.Errorf("ID token sub %q iss %q aud %q", idt.Subject, idt.Issuer, idt.Audience)
	}
	var idClaims struct {
		SID      string   `json:"sid"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	if err := idt.Claims(&idClaims); err != nil {
		t.Fatal(err)
	}
	if idClaims.SID == "" || !slices.Equal(idClaims.AMR, []string{"pwd"}) || time.Since(time.Unix(idClaims.AuthTime, 0)) > time.Minute {
		t.Errorf("ID token sid %q amr %q auth_time %d", idClaims.SID, idClaims.AMR, idClaims.AuthTime)
	}
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token response: refresh token %v, type %q", tok.RefreshToken != "", tok.TokenType)
	}
	// The access token is for the API, signed by the ring.
	at, _ := inst.verifyWith(e2eClient(route), tok.AccessToken)
	if at["sub"] != "e2e-carol" || at["client_id"] != "web" || at["aud"] != "https://api.example.com" {
		t.Errorf("access token claims %v", at)
	}

	info := rp.userinfo(tok)
	if info["sub"] != "e2e-carol" || info["name"] != "Carol Config" || info["email"] != "carol@example.com" || info["email_verified"] != true {
		t.Errorf("userinfo %v", info)
	}

	// A refresh: a new access token, a rotated refresh token, and an ID
	// token for the same user and session.
	next, err := rp.refresh(tok)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh: new access token %v, rotated refresh token %v", next.AccessToken != tok.AccessToken, next.RefreshToken != tok.RefreshToken)
	}
	if again := rp.verifyID(next); again.Subject != idt.Subject {
		t.Errorf("the refreshed ID token's sub %q, want %q", again.Subject, idt.Subject)
	}
	if info := rp.userinfo(next); info["sub"] != "e2e-carol" {
		t.Errorf("userinfo with the refreshed token: %v", info)
	}
	// The relying party revokes its refresh token (RFC 7009, issue 15):
	// the next refresh fails with invalid_grant, the ID token's session
	// still signs the user in below.
	form := url.Values{"token": {next.RefreshToken}, "token_type_hint": {"refresh_token"}}
	req, _ := http.NewRequestWithContext(rp.ctx(), http.MethodPost, e2eIssuer+"/connect/revocation", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("web", e2eWebSecret)
	if resp, err := e2eClient(route).Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation of the refresh token: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	var re *oauth2.RetrieveError
	if _, err := rp.refresh(next); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh with the revoked refresh token: %v, want invalid_grant", err)
	}

	// Signed in, and consent remembered: no page at all.
	a2 := rp.authRequest(oauth2.SetAuthURLParam("prompt", "none"))
	_, idt2 := rp.exchange(rp.code(b.Get(a2.url), a2), a2)
	var sid2 struct {
		SID string `json:"sid"`
	}
	_ = idt2.Claims(&sid2)
	if sid2.SID != idClaims.SID {
		t.Errorf("prompt=none: sid %q, want the session's %q", sid2.SID, idClaims.SID)
	}

	// RP-initiated logout with the ID token as hint: no question, back to
	// the relying party with its state, the cookie cleared, and the
	// session ended in storage (the old cookie sent again does not
	// resume it).
	restore := b.keepCookies()
	p = b.Get(rp.logoutURL(tok.Extra("id_token").(string), e2eWebSignedOut, "bye-state"))
	if q := e2eResponse(t, p, e2eWebSignedOut); q.Get("state") != "bye-state" {
		t.Errorf("logout came back with %v, want state bye-state", q)
	}
	if !slices.ContainsFunc(p.Header.Values("Set-Cookie"), func(line string) bool {
		c, err := http.ParseSetCookie(line)
		return err == nil && c.Name == "signet.session" && c.MaxAge < 0
	}) {
		t.Errorf("logout's Set-Cookie %q does not clear signet.session", p.Header.Values("Set-Cookie"))
	}
	rp.loginRequired(b)
	restore()
	rp.loginRequired(b)
}

// e2ePublicClient: dave (added with signet user add) signs in to the
// single-page application, a public client that sends only client_id (and
// the PKCE verifier), from its origin, with CORS headers for it; then
// signet user disable: the refresh fails with invalid_grant and his
// session has ended.
func e2ePublicClient(t *testing.T, h *host, config string, inst *e2eServer, dave string) {
	route := e2eRouteTo(inst)
	b := newE2EBrowser(t, route, e2eIssuerHost)
	// The SPA's requests come from its origin, as the browser sends them.
	spa := &e2eOrigin{next: route, origin: e2eSPAOrigin}
	rp := newE2ERP(t, route, "spa", "", e2eSPACallback, "openid", "profile", "offline_access", "api1")

	a := rp.authRequest()
	p := b.signIn(a.url, "DAVE", e2eDavePassword) // usernames compare case-insensitively
	code := rp.code(p, a)
	if p.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("the authorization endpoint sent CORS headers")
	}

	// The preflight of the token request.
	pre, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, e2eIssuer+"/connect/token", nil)
	if err != nil {
		t.Fatal(err)
	}
	pre.Header.Set("Origin", e2eSPAOrigin)
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := e2eClient(route).Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != e2eSPAOrigin || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("token preflight: %s %v", resp.Status, resp.Header)
	}

	// The exchange with only client_id, from the SPA's origin.
	ctx := oidc.ClientContext(t.Context(), e2eClient(spa))
	tok, err := rp.cfg.Exchange(ctx, code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("public client's code exchange: %v", err)
	}
	if got := spa.last.Load(); got == nil || *got != e2eSPAOrigin {
		t.Errorf("token response Access-Control-Allow-Origin %v, want %s", got, e2eSPAOrigin)
	}
	idt := rp.verifyID(tok)
	if idt.Subject != dave || idt.Nonce != a.nonce {
		t.Errorf("ID token sub %q nonce %q, want dave's %q and %q", idt.Subject, idt.Nonce, dave, a.nonce)
	}
	spa.last.Store(nil)
	info, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo from the SPA: %v", err)
	}
	var claims map[string]any
	_ = info.Claims(&claims)
	if claims["sub"] != dave || claims["name"] != "Dave Cli" {
		t.Errorf("userinfo %v", claims)
	}
	if got := spa.last.Load(); got == nil || *got != e2eSPAOrigin {
		t.Errorf("userinfo response Access-Control-Allow-Origin %v, want %s", got, e2eSPAOrigin)
	}
	// Another origin gets no CORS headers.
	other := &e2eOrigin{next: route, origin: "https://evil.e2e.test"}
	if _, err := oauth2.NewClient(oidc.ClientContext(t.Context(), e2eClient(other)), oauth2.StaticTokenSource(tok)).Get(e2eIssuer + "/connect/userinfo"); err != nil {
		t.Fatal(err)
	}
	if got := other.last.Load(); got != nil && *got != "" {
		t.Errorf("userinfo allowed the origin %s: %q", other.origin, *got)
	}

	// The public client refreshes with client_id only.
	tok, err = rp.cfg.TokenSource(ctx, &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	if err != nil {
		t.Fatalf("public client's refresh: %v", err)
	}

	// Disabled: the refresh token no longer works, and the session ended.
	out := e2eCLI(h, config, "", "user", "disable", "dave")
	if !strings.Contains(out, "ended 1 session") {
		t.Errorf("signet user disable: %q", out)
	}
	_, err = rp.refresh(tok)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh for a disabled user: %v, want invalid_grant", err)
	}
	rp.loginRequired(b)
	// And he cannot sign in again.
	p = b.Get(rp.authRequest().url)
	p = b.submit(p, "decision=login", url.Values{"username": {"dave"}, "password": {e2eDavePassword}})
	if p.URL.Path != signin.LoginPath || p.Status == http.StatusSeeOther || !strings.Contains(p.Body, `role="alert"`) {
		t.Errorf("a disabled user signed in, or was not told: %v", p)
	}
}

// e2eOrigin sends each request with a browser's Origin header, and keeps
// the Access-Control-Allow-Origin of the last response.
type e2eOrigin struct {
	next   http.RoundTripper
	origin string
	last   atomic.Pointer[string]
}

func (o *e2eOrigin) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Origin", o.origin)
	resp, err := o.next.RoundTrip(req)
	if resp != nil {
		acao := resp.Header.Get("Access-Control-Allow-Origin")
		o.last.Store(&acao)
	}
	return resp, err
}

// e2ePrivateKeyJWT: carol signs in to a confidential client that
// authenticates at the token endpoint with a signed assertion.
func e2ePrivateKeyJWT(t *testing.T, inst *e2eServer, c *ecClient) {
	route := e2eRouteTo(inst)
	b := newE2EBrowser(t, route, e2eIssuerHost)
	rp := newE2ERP(t, route, "jwtweb", "", e2eJWTCallback, "openid", "email")
	rp.extra = func() []oauth2.AuthCodeOption {
		return []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("client_assertion_type", oauth.ClientAssertionJWT),
			oauth2.SetAuthURLParam("client_assertion", c.assertion(t, e2eIssuer)),
		}
	}
	a := rp.authRequest()
	tok, idt := rp.exchange(rp.code(b.signIn(a.url, "carol", e2eCarolPassword), a), a)
	if idt.Subject != "e2e-carol" || tok.RefreshToken != "" {
		t.Errorf("sub %q, refresh token %q (the client has no offline access)", idt.Subject, tok.RefreshToken)
	}
	// Without the assertion, the code is not given out.
	a = rp.authRequest()
	code := rp.code(b.Get(a.url), a)
	var re *oauth2.RetrieveError
	if _, err := rp.cfg.Exchange(rp.ctx(), code, oauth2.VerifierOption(a.verifier)); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("a confidential client's exchange without its assertion: %v, want invalid_client", err)
	}

	// A logout without id_token_hint asks first (a link on any site
	// cannot sign anyone out); the confirmed one ends the session on the
	// signed-out page.
	restore := b.keepCookies()
	p := b.Get(e2eIssuer + signin.EndSessionPath + "?client_id=jwtweb")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "E2E private_key_jwt") {
		t.Fatalf("logout without a hint: %v, want the confirmation page naming the client", p)
	}
	// Nothing ended yet: prompt=none still gives a code.
	a = rp.authRequest(oauth2.SetAuthURLParam("prompt", "none"))
	rp.code(b.Get(a.url), a)
	p = b.submit(p, "", nil)
	if p.Status != http.StatusOK || p.URL.Path != signin.LoggedOutPath || !strings.Contains(p.Body, "You are signed out") {
		t.Errorf("after the confirmation: %v, want the signed-out page", p)
	}
	restore()
	rp.loginRequired(b)
}

// TestSignInTwoInstances: two servers on one PostgreSQL schema behind one
// issuer. The browser signs in on the first; the relying party exchanges
// the code and refreshes on the second; the session is seen by both, and
// a logout on the first ends it on the second.
func TestSignInTwoInstances(t *testing.T) {
	t.Parallel()
	storage := e2ePostgres(t)
	h := newHost(t)
	config := e2eConfig(h, newECClient(t, "jwtweb"), storage)
	// Started together, as replicas are: both write carol (users:) to the
	// empty database at once.
	servers := e2eServeTogether(h, config, 2)
	first, second := servers[0], servers[1]

	browser := e2eRouteTo(first)
	b := newE2EBrowser(t, browser, e2eIssuerHost)
	backend := e2eRouteTo(second)
	rp := newE2ERP(t, backend, "web", e2eWebSecret, e2eWebCallback, "openid", "profile", "offline_access")

	a := rp.authRequest()
	tok, idt := rp.exchange(rp.code(b.signIn(a.url, "carol", e2eCarolPassword), a), a)
	if idt.Subject != "e2e-carol" {
		t.Errorf("sub %q", idt.Subject)
	}
	next, err := rp.refresh(tok)
	if err != nil {
		t.Fatalf("refresh on the second instance: %v", err)
	}
	rp.verifyID(next)
	// The same refresh token again, on the first: rotated away.
	rp.route.to(first)
	var re *oauth2.RetrieveError
	if _, err := rp.refresh(tok); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("the rotated refresh token on the other instance: %v, want invalid_grant", err)
	}
	rp.route.to(second)

	// The session is the second's too: prompt=none there gives a code.
	browser.to(second)
	a = rp.authRequest(oauth2.SetAuthURLParam("prompt", "none"))
	rp.exchange(rp.code(b.Get(a.url), a), a)

	// Logout on the first ends it on the second, even for a browser that
	// still sends the cookie.
	browser.to(first)
	restore := b.keepCookies()
	p := b.Get(rp.logoutURL(tok.Extra("id_token").(string), e2eWebSignedOut, "s"))
	e2eResponse(t, p, e2eWebSignedOut)
	restore()
	browser.to(second)
	rp.loginRequired(b)

	// Behind a load balancer without sticky sessions, each request of
	// the sign-in (authorize, login page, its POST, callback, consent
	// page, its POST) goes to the other instance.
	rr := newE2EBrowser(t, &e2eRoundRobin{servers: []*e2eServer{first, second}}, e2eIssuerHost)
	rp2 := newE2ERP(t, backend, "web", e2eWebSecret, e2eWebCallback, "openid", "email", "offline_access")
	a = rp2.authRequest(oauth2.SetAuthURLParam("prompt", "consent"))
	p = rr.Get(a.url)
	if p.URL.Path != signin.LoginPath {
		t.Fatalf("authorize went to %v, want the login page", p)
	}
	p = rr.submit(p, "decision=login", url.Values{"username": {"carol"}, "password": {e2eCarolPassword}})
	if p.URL.Path != signin.ConsentPath || p.Status != http.StatusOK {
		t.Fatalf("after the login at %v, want the consent page", p)
	}
	p = rr.submit(p, "decision=allow", nil)
	rp2.exchange(rp2.code(p, a), a)

	// Neither instance logged the password or a token.
	if logs := first.logs.String() + second.logs.String(); strings.Contains(logs, e2eCarolPassword) || strings.Contains(logs, tok.RefreshToken) {
		t.Error("a password or refresh token is in the log")
	}
}

// TestSignInDevelopmentMode: serve with no configuration prints a sign-in
// URL and where the development user's password is; the browser signs in
// there, lands on /dev/callback, and the exchange that page shows (run as
// its curl would) gives tokens.
//
// Not parallel: development mode keeps its data in the working directory.
func TestSignInDevelopmentMode(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	h := &host{t: t, dir: dir, env: map[string]string{"SIGNET_CERT_STORE": filepath.Join(dir, "store")}}
	inst := h.serve("", "")
	logs := inst.logs.String()
	m := regexp.MustCompile(`Sign in as (\S+) \(password: cat (\S+)\) by opening in a browser:\s+(\S+)`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no sign-in instructions in the output:\n%s", logs)
	}
	username, passwordFile, authURL := m[1], m[2], m[3]
	password := strings.TrimSpace(readFile(t, passwordFile))
	start, err := url.Parse(authURL)
	if err != nil || start.Scheme+"://"+start.Host != inst.base {
		t.Fatalf("the sign-in URL %s is not at %s (%v)", authURL, inst.base, err)
	}

	// The callback is Signet's own page: the browser follows it there.
	b := newE2EBrowser(t, http.DefaultTransport, start.Host)
	p := b.signIn(authURL, username, password)
	if p.Status != http.StatusOK || p.URL.Path != welcome.CallbackPath {
		t.Fatalf("the sign-in ended at %v, want the callback page", p)
	}
	page := html.UnescapeString(p.Body)
	c := regexp.MustCompile(`curl -s -u (\S+):"\$\(cat (\S+)\)" -d grant_type=authorization_code --data-urlencode (\S+) --data-urlencode (\S+) -d code_verifier=(\S+) ([^\s<]+)`).FindStringSubmatch(page)
	if c == nil {
		t.Fatalf("no exchange command on the callback page:\n%s", page)
	}
	unquote := func(s string) string { return strings.Trim(s, "'") }
	clientID, secretFile := unquote(c[1]), unquote(c[2])
	codeArg, redirectArg := unquote(c[3]), unquote(c[4])
	verifier, tokenURL := unquote(c[5]), unquote(c[6])
	code, ok1 := strings.CutPrefix(codeArg, "code=")
	redirect, ok2 := strings.CutPrefix(redirectArg, "redirect_uri=")
	if !ok1 || !ok2 || tokenURL != inst.base+"/connect/token" {
		t.Fatalf("the command's arguments: %q %q %q", codeArg, redirectArg, tokenURL)
	}
	secret := strings.TrimSpace(readFile(t, secretFile))

	// As curl sends it: -u as it is, --data-urlencode encoded.
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(clientID+":"+secret)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the callback page's exchange: %s %v (%v)", resp.Status, body, err)
	}
	for _, k := range []string{"access_token", "id_token", "refresh_token"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("no %s in %v", k, body)
		}
	}
	idClaims, header := inst.verify(body["id_token"].(string))
	if idClaims["sub"] != devUserSubject || idClaims["aud"] != devClientID || header.Algorithm != string(jose.RS256) {
		t.Errorf("ID token %v alg %s", idClaims, header.Algorithm)
	}

	// The development user's claims at userinfo, and a refresh with the
	// development client's secret.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, inst.base+"/connect/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+body["access_token"].(string))
	var info map[string]any
	if status := e2eJSON(t, req, &info); status != http.StatusOK || info["sub"] != devUserSubject || info["email"] != "alice@example.com" {
		t.Errorf("userinfo: %d %v", status, info)
	}
	form = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	var refreshed map[string]any
	if status := e2eJSON(t, req, &refreshed); status != http.StatusOK || refreshed["access_token"] == nil {
		t.Errorf("refresh: %d %v", status, refreshed)
	}
}

// e2eJSON sends req and decodes the JSON response into v.
func e2eJSON(t *testing.T, req *http.Request, v any) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Errorf("%s %s: %s, not JSON: %v", req.Method, req.URL, resp.Status, err)
	}
	return resp.StatusCode
}

// TestSignInSurvivesRestart: the session and the refresh token are in
// storage (SQLite here), so a restarted server still knows the browser and
// refreshes the relying party's token.
func TestSignInSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	config := e2eConfig(h, newECClient(t, "jwtweb"), "")
	srv := e2eServe(h, config)
	route := e2eRouteTo(srv)
	b := newE2EBrowser(t, route, e2eIssuerHost)
	rp := newE2ERP(t, route, "spa", "", e2eSPACallback, "openid", "offline_access")
	a := rp.authRequest()
	tok, _ := rp.exchange(rp.code(b.signIn(a.url, "carol", e2eCarolPassword), a), a)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	again := &e2eServer{instance: h.serve(config, srv.addr), addr: srv.addr}
	route.to(again)
	a = rp.authRequest(oauth2.SetAuthURLParam("prompt", "none"))
	_, idt := rp.exchange(rp.code(b.Get(a.url), a), a)
	if idt.Subject != "e2e-carol" {
		t.Errorf("sub %q after the restart", idt.Subject)
	}
	if _, err := rp.refresh(tok); err != nil {
		t.Errorf("refresh after the restart: %v", err)
	}
}
