package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport"
)

// TestBrowserRecentSignIn: in headless Chromium, alice's account page,
// loaded right after her sign-in, is used after signin.RecentSignIn (the
// server's clock moved on): "Add a passkey" is refused, and the passkey
// script shows why with a "Sign in again" link; the page, reloaded, offers
// signing in again instead of adding (both photographed at 390 and 1280
// px, light and dark). The link's sign-in, with the session present, fills in
// alice, comes back to the account page, and the passkey is then added.
func TestBrowserRecentSignIn(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	cam := newCamera(t, ctx)
	h := newHost(t)
	clk := testsupport.NewClock(time.Now().Truncate(time.Second))
	h.now = clk.Now
	srv := h.serve(browserConfig(h, "http://127.0.0.1:1"), "")
	base := srv.base
	if u, err := url.Parse(base); err != nil || u.Hostname() != "localhost" {
		t.Fatalf("the server's base %s is not at localhost", base)
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%v\nlog:\n%s", err, srv.logs)
		}
	}
	at := func(step string, action chromedp.Action[chromedp.Void], want string) *url.URL {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, action); err != nil {
			t.Fatalf("%s: %v\nlog:\n%s", step, err, srv.logs)
		}
		return browserAt(t, ctx, step, want, srv.logs.String())
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		return err
	}))
	signIn := func(step string) {
		t.Helper()
		do(chromedp.WaitVisible(chromedp.CSS("#password")), chromedp.SendKeys(chromedp.CSS("#password"), browserPassword))
		at(step, chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`)), "/account")
		do(chromedp.WaitVisible(chromedp.CSS("#passkey-register")))
	}

	at("account", chromedp.Navigate(base+"/account"), "/account/login")
	do(chromedp.SendKeys(chromedp.CSS("#username"), "alice"))
	signIn("password")

	// The page stays open past RecentSignIn.
	clk.Advance(signin.RecentSignIn + time.Minute)
	do(chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Too late"), chromedp.Click(chromedp.CSS(`#passkey-register button[type=submit]`)))
	do(chromedp.WaitVisible(chromedp.CSS("#passkey-register-status a")))
	contains(t, "the refusal", text("#passkey-register-status"), "within the last 10 minutes", "Sign in again")
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#passkey-register-status a"), "href"))
	if err != nil || link.Value != signin.LoginPath+"?returnUrl=%2Faccount" {
		t.Fatalf("the refusal's link %q (%v), want the account's login page", link.Value, err)
	}
	cam.shoot("passkey-sign-in-again")

	// Reloaded, the page offers signing in again where it added.
	at("account, old", chromedp.Navigate(base+"/account"), "/account")
	contains(t, "the passkeys section", text("#passkeys"), "Adding a passkey needs a sign-in from the last 10 minutes", "Sign in again")
	contains(t, "the second factor section", text(`section[aria-labelledby="mfa-h"]`), "Setting up an authenticator app needs a sign-in", "Sign in again")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#passkey-register, button[value=totp-begin]").length`)); err != nil || n != 0 {
		t.Errorf("the page of an old sign-in has %d forms that add a way in (%v), want none", n, err)
	}
	cam.shoot("account-sign-in-again")

	// Sign in again from the link: alice is filled in; back to the page.
	at("sign in again", chromedp.Click(chromedp.CSS(`#passkeys a.button`)), "/account/login")
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#username"))); err != nil || v != "alice" {
		t.Errorf("the username on signing in again is %q (%v), want alice", v, err)
	}
	signIn("signed in again")
	do(chromedp.SendKeys(chromedp.CSS("#passkey-name"), "In time"), chromedp.Click(chromedp.CSS(`#passkey-register button[type=submit]`)))
	deadline := time.Now().Add(time.Minute)
	for {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if strings.Contains(loc, "done=passkey-added") {
			break
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("adding a passkey after signing in again: at %s; the page says:\n%s\nlog:\n%s", loc, body, srv.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	do(chromedp.WaitVisible(chromedp.CSS("#passkeys")))
	contains(t, "the passkeys section", text("#passkeys"), "In time")
	if strings.Contains(text("#passkeys"), "Too late") {
		t.Error("the passkey refused for an old sign-in was added")
	}
}
