package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport/browsertest"
	"github.com/signetid/signet/internal/totp"
)

const (
	mfaE2ESecret   = "secret-of-the-mfa-relying-party-0123456789"
	mfaE2ECallback = "https://rp.mfa.test/callback"
	mfaE2EPassword = "alice-has-a-long-password"
)

// TestMFABinary runs the built signet: alice (of the configuration's
// users:) signs in to a client with requireMfa, sets up an authenticator
// app within the sign-in, and the relying party (golang.org/x/oauth2,
// go-oidc) gets an ID token with acr mfa and amr [pwd otp mfa]; a second
// sign-in asks for the code and honours acr_values; after a restart, which
// writes users: again, the second factor is kept; `signet user show` and
// `signet user mfa reset` see and remove it.
func TestMFABinary(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	env := binEnv(dir)
	binWrite(t, dir, "signet.yaml", `listen: 127.0.0.1:0
allowHttp: true
dataDir: data
key:
`+indent(fileKey(t, "rsa-openssl3.pfx"), "  ")+`
clients:
  - clientId: strict
    clientName: Strict App
    secrets:
      - value: `+mfaE2ESecret+`
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, profile]
    redirectUris: [`+mfaE2ECallback+`]
    requireMfa: true
users:
  - subjectId: alice-1
    username: alice
    password: `+mfaE2EPassword+`
    claims:
      name: Alice Smith
`)
	srv := binServe(t, bin, dir, env, "--config", "signet.yaml")
	if out := binRun(t, bin, dir, env, "", "client", "show", "strict", "--config", "signet.yaml"); !regexp.MustCompile(`(?m)^  Require MFA +true$`).MatchString(out) {
		t.Errorf("client show does not say Require MFA true:\n%s", out)
	}

	rp := newMFARP(t, srv.url)
	// The first sign-in: the password, then the setup within the sign-in.
	b := newMFABrowser(t, srv.url)
	a := rp.authRequest()
	p := b.Get(a.url)
	p = b.form(p, "decision=login", url.Values{"username": {"alice"}, "password": {mfaE2EPassword}})
	if p.URL.Path != signin.MFAPath || !strings.Contains(p.Body, "requires a second step") {
		t.Fatalf("after the password at %s, want the setup of an authenticator app: %v", p.URL, p)
	}
	m := regexp.MustCompile(`otpauth://totp/[^<"]+`).FindString(p.Body)
	key, err := url.Parse(html.UnescapeString(m))
	if err != nil || key.Query().Get("secret") == "" || key.Query().Get("issuer") != "Signet" {
		t.Fatalf("no Key URI on the setup page (%v): %q", err, m)
	}
	secret := key.Query().Get("secret")
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = b.form(p, "action=totp-confirm", url.Values{"code": {code}})
	if n := len(regexp.MustCompile(`<li><code>[0-9a-z]{5}-[0-9a-z]{5}</code></li>`).FindAllString(p.Body, -1)); n != 10 {
		t.Fatalf("%d recovery codes shown, want 10: %v", n, p)
	}
	p = b.form(p, "action=continue", nil)
	idt := rp.exchange(rp.code(p, a), a)
	rp.wantACR(idt, "mfa", []string{"pwd", "otp", "mfa"})

	show := binRun(t, bin, dir, env, "", "user", "show", "alice", "--config", "signet.yaml")
	if !strings.Contains(show, "on (authenticator app), 10 recovery codes left") {
		t.Errorf("user show after the setup:\n%s", show)
	}

	// A restart writes users: again, and keeps the second factor.
	srv.stop()
	srv = binServe(t, bin, dir, env, "--config", "signet.yaml")
	rp = newMFARP(t, srv.url)

	// A second sign-in in another browser: the code (of the next time
	// step: each is accepted once), with the PAPE alias in acr_values.
	b = newMFABrowser(t, srv.url)
	a = rp.authRequest(oauth2.SetAuthURLParam("acr_values", signin.ACRPAPEMFA))
	p = b.Get(a.url)
	p = b.form(p, "decision=login", url.Values{"username": {"alice"}, "password": {mfaE2EPassword}})
	if p.URL.Path != signin.MFAPath {
		t.Fatalf("after the password at %s, want the second step: %v", p.URL, p)
	}
	next, err := totp.Code(secret, time.Now().Add(totp.Period))
	if err != nil {
		t.Fatal(err)
	}
	p = b.form(p, "action=verify", url.Values{"code": {next}})
	idt = rp.exchange(rp.code(p, a), a)
	rp.wantACR(idt, signin.ACRPAPEMFA, []string{"pwd", "otp", "mfa"})

	// The help desk's reset.
	out := binRun(t, bin, dir, env, "", "user", "mfa", "reset", "alice", "--config", "signet.yaml")
	contains(t, "mfa reset", out, "Turned off two-step sign-in of alice", "10 recovery codes", "Next: alice signs in with the password alone")
	if show := binRun(t, bin, dir, env, "", "user", "show", "alice", "--config", "signet.yaml"); !regexp.MustCompile(`(?m)^  Two-step sign-in +off$`).MatchString(show) {
		t.Errorf("user show after the reset:\n%s", show)
	}
	// Without it, the client that requires one asks for a new setup.
	b = newMFABrowser(t, srv.url)
	p = b.Get(rp.authRequest().url)
	p = b.form(p, "decision=login", url.Values{"username": {"alice"}, "password": {mfaE2EPassword}})
	if p.URL.Path != signin.MFAPath || !strings.Contains(p.Body, "Set up two-step sign-in") {
		t.Errorf("after the reset at %s, want the setup again: %v", p.URL, p)
	}
	srv.stop()
}

// mfaBrowser is a browser at the binary's server.
type mfaBrowser struct {
	*browsertest.Browser
	t *testing.T
}

func newMFABrowser(t *testing.T, base string) *mfaBrowser {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return &mfaBrowser{Browser: browsertest.New(t, nil, u.Host), t: t}
}

// form submits the form of p that has the button name=value, from the
// page's origin.
func (b *mfaBrowser) form(p *browsertest.Page, button string, set url.Values) *browsertest.Page {
	b.t.Helper()
	name, value, _ := strings.Cut(button, "=")
	for _, f := range browsertest.Forms(p.Body) {
		if !slices.ContainsFunc(f.Buttons, func(x browsertest.Field) bool { return x.Name == name && x.Value == value }) {
			continue
		}
		action, err := p.URL.Parse(f.Action)
		if err != nil {
			b.t.Fatal(err)
		}
		return b.Post(action.String(), f.Values(button, set), http.Header{"Origin": {p.URL.Scheme + "://" + p.URL.Host}})
	}
	b.t.Fatalf("no form with the button %s on %v", button, p)
	return nil
}

// mfaRP is the relying party: x/oauth2 and go-oidc against the server.
type mfaRP struct {
	t        *testing.T
	cfg      oauth2.Config
	provider *oidc.Provider
}

func newMFARP(t *testing.T, issuer string) *mfaRP {
	t.Helper()
	p, err := oidc.NewProvider(t.Context(), issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	var meta struct {
		ACR []string `json:"acr_values_supported"`
	}
	if err := p.Claims(&meta); err != nil || !slices.Contains(meta.ACR, "mfa") || !slices.Contains(meta.ACR, signin.ACRPAPEMFA) {
		t.Errorf("discovery's acr_values_supported %v (%v), want mfa and the PAPE URI", meta.ACR, err)
	}
	return &mfaRP{t: t, provider: p, cfg: oauth2.Config{ClientID: "strict", ClientSecret: mfaE2ESecret, Endpoint: p.Endpoint(),
		RedirectURL: mfaE2ECallback, Scopes: []string{"openid", "profile"}}}
}

func (rp *mfaRP) authRequest(opts ...oauth2.AuthCodeOption) e2eAuthRequest {
	a := e2eAuthRequest{verifier: oauth2.GenerateVerifier(), state: randomText(12), nonce: randomText(12)}
	opts = append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(a.verifier), oidc.Nonce(a.nonce)}, opts...)
	a.url = rp.cfg.AuthCodeURL(a.state, opts...)
	return a
}

func (rp *mfaRP) code(p *browsertest.Page, a e2eAuthRequest) string {
	rp.t.Helper()
	q := e2eResponse(rp.t, p, mfaE2ECallback)
	if q.Get("code") == "" || q.Get("state") != a.state {
		rp.t.Fatalf("the client got %v, want a code and state %s", q, a.state)
	}
	return q.Get("code")
}

func (rp *mfaRP) exchange(code string, a e2eAuthRequest) *oidc.IDToken {
	rp.t.Helper()
	tok, err := rp.cfg.Exchange(rp.t.Context(), code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		rp.t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.provider.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID}).Verify(rp.t.Context(), raw)
	if err != nil {
		rp.t.Fatalf("go-oidc does not verify the ID token: %v", err)
	}
	if idt.Nonce != a.nonce || idt.Subject != "alice-1" {
		rp.t.Errorf("ID token nonce %q sub %q, want %q alice-1", idt.Nonce, idt.Subject, a.nonce)
	}
	return idt
}

func (rp *mfaRP) wantACR(idt *oidc.IDToken, acr string, amr []string) {
	rp.t.Helper()
	var c struct {
		ACR      string   `json:"acr"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	if err := idt.Claims(&c); err != nil {
		rp.t.Fatal(err)
	}
	if c.ACR != acr || !slices.Equal(c.AMR, amr) || c.AuthTime == 0 {
		rp.t.Errorf("ID token acr %q amr %v auth_time %d, want %q %v and a time", c.ACR, c.AMR, c.AuthTime, acr, amr)
	}
}
