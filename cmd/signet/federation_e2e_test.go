package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport/browsertest"
)

// Federation end to end: a downstream `signet serve` whose externalProviders
// name an upstream `signet serve` (a conforming OpenID provider), a relying
// party of the downstream that uses golang.org/x/oauth2 and go-oidc, and a
// browser that clicks the login page's provider button, signs in at the
// upstream and comes back. The two servers have different host names
// (127.0.0.1 and localhost), so that their cookies are apart as two sites'
// are.

const (
	fedRPCallback = "https://rp.fed.test/cb"
	fedRPSecret   = "fed-rp-secret-of-the-downstream-0123456789"
	fedUpSecret   = "federation-secret-of-the-downstream-0123456789"
)

type fedEnv struct {
	t                *testing.T
	up, down         string // issuers
	upHost, downHost string
	rp               oauth2.Config
	provider         *oidc.Provider
	downInst         *instance
	dh               *host
	downConfig       string
}

func newFedEnv(t *testing.T) *fedEnv { t.Helper(); return newFedEnvRP(t, fedRPCallback) }

// newFedEnvRP is newFedEnv with the relying party's redirect URI at
// callback (a real server's, for the browser test).
func newFedEnvRP(t *testing.T, callback string) *fedEnv {
	t.Helper()
	upAddr, downAddr := freePort(t), freePort(t)
	_, upPort, _ := net.SplitHostPort(upAddr)
	e := &fedEnv{t: t, upHost: "localhost:" + upPort, downHost: downAddr}
	e.up, e.down = "http://"+e.upHost, "http://"+e.downHost
	// A provider that accepts connections and never answers.
	slow, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slow.Close() })
	go func() {
		var held []net.Conn
		for {
			c, err := slow.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()

	uh := newHost(t)
	upConfig := uh.config(fileKey(t, "rsa-openssl3.pfx"), `  - clientId: downstream
    clientName: Downstream Signet
    secrets:
      - value: `+fedUpSecret+`
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, profile, email]
    redirectUris: [`+e.down+`/signin/corp/callback, `+e.down+`/signin/closed/callback, `+e.down+`/signin/late/callback]
issuer: `+e.up+`
users:
  - subjectId: e2e-carol
    username: carol
    password: `+e2eCarolPassword+`
    claims:
      name: Carol Config
      email: carol@example.com
      email_verified: true
  - subjectId: e2e-erin
    username: erin
    password: `+e2eCarolPassword+`
`)
	uh.serve(upConfig, upAddr)

	dh := newHost(t)
	downConfig := dh.config(fileKey(t, "rsa-openssl3.pfx"), `  - clientId: rp
    clientName: Relying Party
    secrets:
      - value: `+fedRPSecret+`
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, profile, email]
    redirectUris: [`+callback+`]
issuer: `+e.down+`
storage:
  pollInterval: `+catalogPoll.String()+`
externalProviders:
  - name: corp
    type: oidc
    displayName: Corp Account
    authority: `+e.up+`
    clientId: downstream
    clientSecret: `+fedUpSecret+`
    autoProvision: true
    saveTokens: true
    claimMappings:
      display_name: name
  - name: closed
    type: oidc
    displayName: Closed Corp
    authority: `+e.up+`
    clientId: downstream
    clientSecret: `+fedUpSecret+`
  - name: slow
    type: oidc
    displayName: Slow IdP
    authority: http://`+slow.Addr().String()+`
    clientId: downstream
    clientSecret: whatever-secret
    timeout: 2s
`)
	e.downInst, e.dh, e.downConfig = dh.serve(downConfig, downAddr), dh, downConfig

	ctx := oidc.ClientContext(t.Context(), http.DefaultClient)
	p, err := oidc.NewProvider(ctx, e.down)
	if err != nil {
		t.Fatalf("go-oidc discovery of the downstream: %v", err)
	}
	e.provider = p
	e.rp = oauth2.Config{ClientID: "rp", ClientSecret: fedRPSecret, Endpoint: p.Endpoint(), RedirectURL: callback, Scopes: []string{"openid", "profile", "email"}}
	return e
}

// browser follows redirects between the two servers and stops at any
// other host (the relying party's callback).
func (e *fedEnv) browser() *browsertest.Browser {
	b := browsertest.New(e.t, nil, e.downHost)
	jar, _ := cookiejar.New(nil)
	b.Client.Jar = jar
	b.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if (req.URL.Host != e.downHost && req.URL.Host != e.upHost) || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return b
}

type fedRequest struct{ url, verifier, state, nonce string }

func (e *fedEnv) authRequest(opts ...oauth2.AuthCodeOption) fedRequest {
	a := fedRequest{verifier: oauth2.GenerateVerifier(), state: randomText(12), nonce: randomText(12)}
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce)}, opts...)
	a.url = e.rp.AuthCodeURL(a.state, opts...)
	return a
}

var providerLinkRE = regexp.MustCompile(`href="(/signin/[^"]+)"[^>]*>([^<]+)</a>`)

// providerLink is the login page's button for label.
func providerLink(t *testing.T, p *browsertest.Page, label string) string {
	t.Helper()
	for _, m := range providerLinkRE.FindAllStringSubmatch(p.Body, -1) {
		if strings.TrimSpace(m[2]) == label {
			return strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	t.Fatalf("no button %q on the login page: %v", label, p)
	return ""
}

// upstreamLogin signs carol in on the upstream's login page p (and its
// consent page, if shown).
func (e *fedEnv) upstreamLogin(b *browsertest.Browser, p *browsertest.Page) *browsertest.Page {
	e.t.Helper()
	return e.upstreamLoginAs(b, p, "carol")
}

func (e *fedEnv) upstreamLoginAs(b *browsertest.Browser, p *browsertest.Page, username string) *browsertest.Page {
	e.t.Helper()
	if p.URL.Host != e.upHost || p.URL.Path != signin.LoginPath {
		e.t.Fatalf("want the upstream's login page; got %v", p)
	}
	p = submitForm(e.t, b, p, "decision=login", url.Values{"username": {username}, "password": {e2eCarolPassword}})
	if p.URL.Path == signin.ConsentPath && p.Status == http.StatusOK {
		p = submitForm(e.t, b, p, "decision=allow", nil)
	}
	return p
}

// submitForm posts the only form of p from its own origin.
func submitForm(t *testing.T, b *browsertest.Browser, p *browsertest.Page, button string, set url.Values) *browsertest.Page {
	t.Helper()
	forms := browsertest.Forms(p.Body)
	if len(forms) != 1 {
		t.Fatalf("%d forms on the page, want 1: %v", len(forms), p)
	}
	action, err := p.URL.Parse(forms[0].Action)
	if err != nil {
		t.Fatal(err)
	}
	return b.Post(action.String(), forms[0].Values(button, set), http.Header{
		"Origin": {p.URL.Scheme + "://" + p.URL.Host}, "Sec-Fetch-Site": {"same-origin"},
	})
}

// finish checks that p is the redirect to the relying party with a code,
// redeems it with x/oauth2 and verifies the ID token with go-oidc.
func (e *fedEnv) finish(p *browsertest.Page, a fedRequest) (*oauth2.Token, *oidc.IDToken) {
	e.t.Helper()
	q := e2eResponse(e.t, p, fedRPCallback)
	if q.Get("code") == "" || q.Get("state") != a.state || q.Get("iss") != e.down {
		e.t.Fatalf("the relying party got %v", q)
	}
	ctx := oidc.ClientContext(e.t.Context(), http.DefaultClient)
	tok, err := e.rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(a.verifier))
	if err != nil {
		e.t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := e.provider.Verifier(&oidc.Config{ClientID: "rp"}).Verify(ctx, raw)
	if err != nil {
		e.t.Fatalf("go-oidc does not verify the ID token: %v", err)
	}
	if idt.Nonce != a.nonce {
		e.t.Errorf("nonce %q, want %q", idt.Nonce, a.nonce)
	}
	return tok, idt
}

func TestFederationSignetUpstream(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	b := e.browser()

	// The login page shows a button per provider; corp signs carol in at
	// the upstream and makes her a local user (autoProvision).
	a := e.authRequest()
	login := b.Get(a.url)
	if login.URL.Path != signin.LoginPath || login.Status != http.StatusOK {
		t.Fatalf("want the downstream's login page: %v", login)
	}
	for _, label := range []string{"Corp Account", "Closed Corp", "Slow IdP"} {
		providerLink(t, login, label)
	}
	p := e.upstreamLogin(b, b.Get(e.down+providerLink(t, login, "Corp Account")))
	tok, idt := e.finish(p, a)
	var claims struct {
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject == "" || idt.Subject == "e2e-carol" || !slices.Equal(claims.AMR, []string{"pwd"}) {
		t.Errorf("ID token sub %q amr %v: want a local subject and the upstream's amr [pwd]", idt.Subject, claims.AMR)
	}
	info, err := e.provider.UserInfo(oidc.ClientContext(t.Context(), http.DefaultClient), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var profile map[string]any
	if err := info.Claims(&profile); err != nil {
		t.Fatal(err)
	}
	if info.Email != "carol@example.com" || !info.EmailVerified || profile["name"] != "Carol Config" {
		t.Errorf("userinfo %v: want carol's email and name from the upstream", profile)
	}
	first := idt.Subject
	// signet user links shows the link, with corp's tokens saved
	// (saveTokens), sealed.
	links, _ := e.dh.cliOn("user", "links", first, "--config", e.downConfig, "--json")
	var views []linkView
	if err := json.Unmarshal([]byte(links), &views); err != nil || len(views) != 1 || views[0].Issuer != e.up ||
		views[0].Subject != "e2e-carol" || views[0].Provider != "corp" || !views[0].HasTokens {
		t.Errorf("signet user links: %s (%v)", links, err)
	}

	// A second sign-in, in a new browser, finds the link: the same user.
	// With idp:corp in acr_values the authorization request goes straight
	// to the upstream, and prompt=login passes through.
	b2 := e.browser()
	a = e.authRequest(oauth2.SetAuthURLParam("acr_values", "idp:corp"), oauth2.SetAuthURLParam("prompt", "login"))
	up := b2.Get(a.url)
	if up.URL.Host != e.upHost {
		t.Fatalf("idp:corp: want the upstream's login page at once; got %v", up)
	}
	_, idt = e.finish(e.upstreamLogin(b2, up), a)
	if idt.Subject != first {
		t.Errorf("second sign-in: sub %q, want the linked user %q", idt.Subject, first)
	}

	// A provider without autoProvision refuses a person it does not know
	// (erin; carol is known by her link, whichever provider of that
	// issuer she comes through).
	b3 := e.browser()
	login = b3.Get(e.authRequest().url)
	p = e.upstreamLoginAs(b3, b3.Get(e.down+providerLink(t, login, "Closed Corp")), "erin")
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "not known here") {
		t.Errorf("autoProvision off: want the refusal page; got %v", p)
	}

	// A callback brought to another browser is refused: mallory's browser
	// gets carol's callback URL.
	b4 := e.browser()
	b4.Client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != e.downHost && req.URL.Host != e.upHost || strings.HasPrefix(req.URL.Path, "/signin/") && strings.HasSuffix(req.URL.Path, "/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	login = b4.Get(e.authRequest().url)
	p = e.upstreamLogin(b4, b4.Get(e.down+providerLink(t, login, "Corp Account")))
	cb := p.Header.Get("Location")
	if !strings.HasPrefix(cb, e.down+"/signin/corp/callback?") {
		t.Fatalf("want the redirect to the downstream's callback: %v", p)
	}
	mallory := e.browser()
	if p := mallory.Get(cb); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "cannot be finished here") {
		t.Errorf("another browser's callback: want the refusal page; got %v", p)
	}
	// The state is spent only by its own browser: carol's still works.
	if q := e2eResponse(t, b4.Get(cb), fedRPCallback); q.Get("code") == "" {
		t.Errorf("carol's own callback after mallory's try: %v", q)
	}
}

// TestFederationSlowUpstream: a provider that never answers shows an error
// page once its timeout (2 s here) ends, and another sign-in finishes
// meanwhile.
func TestFederationSlowUpstream(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	b := e.browser()
	login := b.Get(e.authRequest().url)
	slow := providerLink(t, login, "Slow IdP")
	var wg sync.WaitGroup
	var slowPage *browsertest.Page
	started := time.Now()
	wg.Go(func() { slowPage = b.Get(e.down + slow) })
	// Meanwhile another browser signs in through corp.
	b2 := e.browser()
	a := e.authRequest()
	login2 := b2.Get(a.url)
	e.finish(e.upstreamLogin(b2, b2.Get(e.down+providerLink(t, login2, "Corp Account"))), a)
	wg.Wait()
	if slowPage.Status != http.StatusGatewayTimeout || !strings.Contains(slowPage.Body, "is not answering") {
		t.Fatalf("slow provider: want the not-answering page; got %v", slowPage)
	}
	// Generous: the bound is 2 s; a loaded machine may add to it.
	if d := time.Since(started); d > time.Minute {
		t.Errorf("the slow provider's page took %s", d)
	}
	_ = context.Background
}

// TestFederationDatabaseProvider: a provider added with signet provider add
// beside the running server appears on its login page within
// storage.pollInterval, and signs people in.
func TestFederationDatabaseProvider(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	secretFile := e.dh.write("late.secret", fedUpSecret+"\n")
	e.dh.cliOn("provider", "add", "late", "--type", "oidc", "--authority", e.up, "--client-id", "downstream",
		"--client-secret-file", secretFile, "--display-name", "Late IdP", "--auto-provision", "--config", e.downConfig)
	a := e.authRequest()
	b := e.browser()
	var login *browsertest.Page
	within(t, catalogBound, "the database's provider on the login page", func() bool {
		login = b.Get(a.url)
		return strings.Contains(login.Body, "Late IdP")
	})
	e.finish(e.upstreamLogin(b, b.Get(e.down+providerLink(t, login, "Late IdP"))), a)
}
