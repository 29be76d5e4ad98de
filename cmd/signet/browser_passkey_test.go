package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// TestBrowserPasskey: in headless Chromium with its virtual authenticator
// (DevTools' WebAuthn domain: CTAP 2.1, internal, resident keys, user
// verification), alice signs in to the account page with her password,
// adds a passkey, signs out, and signs in to an application with the
// passkey alone ("Sign in with a passkey"), landing at the client with a
// code whose ID token says amr [hwk user mfa]. The login page and the
// passkeys section are photographed at 390 and 1280 px, light and dark.
//
// The issuer is http://localhost:PORT: WebAuthn takes localhost as a
// secure context, and refuses IP addresses.
func TestBrowserPasskey(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	cam := newCamera(t, ctx)
	rp := acmeNotes(t)
	h := newHost(t)
	srv := h.serve(browserConfig(h, rp.URL), "")
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
	// arrive waits until a script's navigation reaches want (a path, and a
	// query it contains) and the page has loaded.
	arrive := func(step, want, query string) *url.URL {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err == nil {
				if u, err := url.Parse(loc); err == nil && u.Path == want && strings.Contains(u.RawQuery, query) {
					ready, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.readyState"))
					if err == nil && ready == "complete" {
						return u
					}
				}
			}
			if time.Now().After(deadline) {
				body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
				t.Fatalf("%s: the browser is at %s, want %s?%s; the page says:\n%s\nlog:\n%s", step, loc, want, query, body, srv.logs)
			}
			time.Sleep(50 * time.Millisecond)
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

	// The virtual authenticator: a platform authenticator with resident
	// keys that verifies the user, with presence simulated.
	var authID webauthn.AuthenticatorID
	do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		if err != nil {
			return err
		}
		authID = res.AuthenticatorID
		return nil
	}))

	// The account page, after a password sign-in: no passkeys yet.
	at("account", chromedp.Navigate(base+"/account"), "/account/login")
	do(chromedp.WaitVisible(chromedp.CSS("#passkey-login-button")))
	cam.shoot("passkey-account-login")
	do(chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), browserPassword))
	at("password", chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`)), "/account")
	do(chromedp.WaitVisible(chromedp.CSS("#passkey-register")))
	contains(t, "the passkeys section", text("#passkeys"), "Passkeys", "You have no passkeys yet")
	cam.shoot("passkeys-none")

	// Add one.
	do(chromedp.SendKeys(chromedp.CSS("#passkey-name"), "This laptop"), chromedp.Click(chromedp.CSS(`#passkey-register button[type=submit]`)))
	arrive("add a passkey", "/account", "done=passkey-added")
	contains(t, "the passkeys section", text("#passkeys"), "This laptop", "Device-bound", "last used never")
	contains(t, "the notice", text(".notice"), "passkey was added")
	do(chromedp.Click(chromedp.CSS(".passkey-manage summary")))
	cam.shoot("passkeys")
	creds := func() []*webauthn.Credential {
		t.Helper()
		res, err := chromedp.Run(ctx, chromedp.Action[[]*webauthn.Credential](func(ctx context.Context, tg *chromedp.Target) ([]*webauthn.Credential, error) {
			r, err := cdp.Call(ctx, tg, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: authID})
			if err != nil {
				return nil, err
			}
			return r.Credentials, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if cs := creds(); len(cs) != 1 || !cs[0].IsResidentCredential || cs[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %+v, want one resident credential for localhost", cs)
	}

	// Sign out, then sign in to the application with the passkey.
	at("end session", chromedp.Navigate(base+"/connect/endsession"), "/connect/endsession")
	at("confirm logout", chromedp.Click(chromedp.CSS(`form[action="/account/logout"] button[type=submit]`)), "/account/loggedout")
	conf := oauth2.Config{
		ClientID: "notes", ClientSecret: appSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: base + "/connect/authorize", TokenURL: base + "/connect/token", AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: rp.URL + "/callback", Scopes: []string{"openid", "profile", "notes.read"},
	}
	verifier := oauth2.GenerateVerifier()
	// The login page starts a conditional (autofill) request, which the
	// virtual authenticator would answer at once; without presence it
	// waits, so that the page can be photographed and the button used.
	presence := func(on bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, webauthn.SetAutomaticPresenceSimulation,
				webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: authID, Enabled: on})
			return err
		})
	}
	do(presence(false))
	at("authorize", chromedp.Navigate(conf.AuthCodeURL("st-pk", oauth2.S256ChallengeOption(verifier))), "/account/login")
	do(chromedp.WaitVisible(chromedp.CSS("#passkey-login-button")))
	if ac, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#username"), "autocomplete")); err != nil || ac.Value != "username webauthn" {
		t.Errorf("the username's autocomplete is %q (%v), want \"username webauthn\"", ac.Value, err)
	}
	cam.shoot("passkey-login")
	do(presence(true), chromedp.Click(chromedp.CSS("#passkey-login-button")))
	arrive("sign in with the passkey", "/consent", "")
	cb := at("consent", chromedp.Click(chromedp.CSS(`button[name=decision][value=allow]`)), "/callback")
	if q := cb.Query(); q.Get("code") == "" || q.Get("state") != "st-pk" || q.Get("iss") != base {
		t.Fatalf("the callback's query %v: want a code, the state and iss %s", q, base)
	}
	tok, err := conf.Exchange(t.Context(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v\nlog:\n%s", err, srv.logs)
	}
	rawID, _ := tok.Extra("id_token").(string)
	var claims struct {
		Issuer  string   `json:"iss"`
		Subject string   `json:"sub"`
		AMR     []string `json:"amr"`
	}
	parts := strings.Split(rawID, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q", rawID)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		t.Fatalf("id_token payload %q: %v", payload, err)
	}
	if claims.Issuer != base || claims.Subject != "1" || !slices.Equal(claims.AMR, []string{"hwk", "user", "mfa"}) {
		t.Errorf("ID token iss %q sub %q amr %v; want %s, 1, [hwk user mfa]", claims.Issuer, claims.Subject, claims.AMR, base)
	}

	// Autofill: a sign-in that must show the login page again is answered
	// by the conditional request the page starts, with no click.
	// (The page may be gone by the time the navigation reports back.)
	_ = chromedp.Do(ctx, chromedp.Navigate(conf.AuthCodeURL("st-pk2", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login"))))
	arrive("autofill", "/callback", "st-pk2")
	if n := strings.Count(srv.logs.String(), "path=/account/login/passkey status=303"); n != 2 {
		t.Errorf("%d passkey sign-ins in the log, want 2 (the button's, then autofill's)", n)
	}

	// The account page says when the passkey was last used.
	at("account again", chromedp.Navigate(base+"/account"), "/account")
	if s := text("#passkeys"); strings.Contains(s, "last used never") || !strings.Contains(s, "This laptop") {
		t.Errorf("the passkeys section after the sign-in says:\n%s", s)
	}
}
