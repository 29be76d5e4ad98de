package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/totp"
)

// TestBrowserMFA: in headless Chromium, alice signs in to the account page
// (/account), sets up an authenticator app from the QR code's key, saves
// her recovery codes, and later signs in to an application with the
// second step, whose ID token says acr mfa and amr [pwd otp mfa]. Every
// page is photographed at 390 and 1280 px, light and dark.
func TestBrowserMFA(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	cam := newCamera(t, ctx)
	rp := acmeNotes(t)
	h := newHost(t)
	srv := h.serve(browserConfig(h, rp.URL), "")

	at := func(step string, action chromedp.Action[chromedp.Void], want string) *url.URL {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, action); err != nil {
			t.Fatalf("%s: %v\nlog:\n%s", step, err, srv.logs)
		}
		return browserAt(t, ctx, step, want, srv.logs.String())
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// The account page asks for a login first (no application).
	u := at("account", chromedp.Navigate(srv.base+"/account"), "/account/login")
	if u.Query().Get("returnUrl") != "/account" {
		t.Errorf("the login for the account page has returnUrl %q", u.Query().Get("returnUrl"))
	}
	contains(t, "the account login", text("main"), "to manage your account")
	cam.shoot("account-login")
	do(chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), browserPassword))
	at("account login", chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`)), "/account")
	contains(t, "the account page", text("main"), "Alice Smith", "alice@example.com", "Two-step sign-in", "This browser")
	cam.shoot("account")

	// The setup: the QR code, the key for typing in, the confirmation.
	at("set up", chromedp.Click(chromedp.CSS(`button[name=action][value=totp-begin]`)), "/account")
	contains(t, "the setup page", text("main"), "Scan this code")
	cam.shoot("totp-setup")
	do(chromedp.Click(chromedp.CSS(".manual summary")))
	uri := text(".uri code")
	key, err := url.Parse(uri)
	if err != nil || key.Query().Get("secret") == "" {
		t.Fatalf("the Key URI %q (%v)", uri, err)
	}
	secret := key.Query().Get("secret")
	if got := strings.ReplaceAll(text("#totp-key"), " ", ""); got != secret {
		t.Errorf("the key shown %q is not the URI's %q", got, secret)
	}
	cam.shoot("totp-setup-manual")
	do(chromedp.SendKeys(chromedp.CSS("#code"), "000000"))
	// One in a million: 000000 is the right code; then the error is not
	// shown, and the page goes on to the recovery codes.
	at("wrong confirmation", chromedp.Click(chromedp.CSS(`button[name=action][value=totp-confirm]`)), "/account")
	if strings.Contains(text("main"), "That code is not right") {
		cam.shoot("totp-setup-error")
		code, err := totp.Code(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		do(chromedp.Clear(chromedp.CSS("#code")), chromedp.SendKeys(chromedp.CSS("#code"), code))
		at("confirm", chromedp.Click(chromedp.CSS(`button[name=action][value=totp-confirm]`)), "/account")
	}
	contains(t, "the recovery codes", text("main"), "Save your recovery codes")
	codes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".codes code")].map(c => c.textContent)`))
	if err != nil || len(codes) != 10 {
		t.Fatalf("%d recovery codes (%v), want 10", len(codes), err)
	}
	cam.shoot("recovery-codes")
	at("back to the account", chromedp.Click(chromedp.CSS(`a.button`)), "/account")
	contains(t, "the account page with TOTP", text("main"), "10 recovery codes left", "Turn off")
	cam.shoot("account-totp-on")

	// Sign in to an application afresh (no cookies): password, then code.
	conf := oauth2.Config{
		ClientID: "notes", ClientSecret: appSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: srv.base + "/connect/authorize", TokenURL: srv.base + "/connect/token", AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: rp.URL + "/callback", Scopes: []string{"openid", "profile", "notes.read"},
	}
	verifier := oauth2.GenerateVerifier()
	do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	at("authorize", chromedp.Navigate(conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("acr_values", "mfa"))), "/account/login")
	do(chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), browserPassword))
	at("password", chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`)), "/account/login/mfa")
	contains(t, "the second step", text("main"), "Two-step sign-in", "Acme Notes", "recovery codes")
	cam.shoot("mfa")
	do(chromedp.SendKeys(chromedp.CSS("#code"), "12345"))
	at("malformed code", chromedp.Click(chromedp.CSS(`button[name=action][value=verify]`)), "/account/login/mfa")
	contains(t, "the second step's error", text("[role=alert]"), "6-digit code")
	cam.shoot("mfa-error")
	// The next time step's code: the setup used this one.
	next, err := totp.Code(secret, time.Now().Add(totp.Period))
	if err != nil {
		t.Fatal(err)
	}
	do(chromedp.Clear(chromedp.CSS("#code")), chromedp.SendKeys(chromedp.CSS("#code"), next))
	at("code", chromedp.Click(chromedp.CSS(`button[name=action][value=verify]`)), "/consent")
	cb := at("consent", chromedp.Click(chromedp.CSS(`button[name=decision][value=allow]`)), "/callback")
	tok, err := conf.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v\nlog:\n%s", err, srv.logs)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := srv.verifier(http.DefaultClient).Verify(t.Context(), rawID)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		ACR string   `json:"acr"`
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil || claims.ACR != "mfa" || !slices.Equal(claims.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("ID token acr %q amr %v (%v), want mfa [pwd otp mfa]", claims.ACR, claims.AMR, err)
	}

	// The account page now lists the application and this session.
	at("account again", chromedp.Navigate(srv.base+"/account"), "/account")
	contains(t, "the account page after the sign-in", text("main"), "Acme Notes", "password and authenticator code")
	cam.shoot("account-signed-in")
}

// browserAt fails the test unless the browser's location has the path
// want, and returns it.
func browserAt(t *testing.T, c context.Context, step, want, logs string) *url.URL {
	t.Helper()
	loc, err := chromedp.Run(c, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != want {
		body, _ := chromedp.Run(c, chromedp.Evaluate[string]("document.body.innerText"))
		t.Fatalf("%s: the browser is at %s, want the path %s; the page says:\n%s\nlog:\n%s", step, loc, want, body, logs)
	}
	return u
}
