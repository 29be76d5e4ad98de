package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// TestBrowserFederation: headless Chromium on the login page with the
// providers' buttons (photographed at 390 and 1280 px, light and dark),
// clicks "Corp Account", signs in at the upstream Signet, and lands on the
// relying party; then opens the account page, signed in through the
// provider, with its Linked providers section (photographed too).
func TestBrowserFederation(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	cam := newCamera(t, ctx)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>RP</title><h1 id=rp>RP %s</h1>", r.URL.Path)
	}))
	t.Cleanup(rp.Close)
	e := newFedEnvRP(t, rp.URL+"/cb")
	conf := e.rp
	verifier := oauth2.GenerateVerifier()
	_ = fedRPCallback
	authorize := conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-1"))

	path := func(step string) *url.URL {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		t.Logf("%s: at %s", step, u.Redacted())
		return u
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Navigate(authorize)); err != nil {
		t.Fatal(err)
	}
	if u := path("authorize"); u.Path != "/account/login" {
		t.Fatalf("want the login page, at %s", u)
	}
	cam.shoot("login-providers")

	// The provider's button: the upstream's login page.
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a.provider[href^="/signin/corp?"]`))); err != nil {
		t.Fatal(err)
	}
	if u := path("provider button"); u.Host != e.upHost || u.Path != "/account/login" {
		t.Fatalf("want the upstream's login page, at %s", u)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#username"), "carol"),
		chromedp.SendKeys(chromedp.CSS("#password"), e2eCarolPassword),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`))); err != nil {
		t.Fatal(err)
	}
	if u := path("upstream login"); u.Path != "/cb" || u.Query().Get("code") == "" {
		t.Fatalf("want the relying party's callback with a code, at %s\nlog:\n%s", u, e.downInst.logs)
	}

	// The account page, signed in through the provider in a new browser
	// session: its Linked providers section lists corp.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.down+"/account/logout")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/account/logout"] button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Navigate(e.down+"/account")); err != nil {
		t.Fatal(err)
	}
	cam.shoot("account-login-providers")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a.provider[href^="/signin/corp?"]`))); err != nil {
		t.Fatal(err)
	}
	if u := path("account via provider"); u.Host == e.upHost {
		// The upstream's session is still there (carol signed in above):
		// no login page; otherwise sign in again.
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#username"), "carol"),
			chromedp.SendKeys(chromedp.CSS("#password"), e2eCarolPassword),
		); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`))); err != nil {
			t.Fatal(err)
		}
	}
	if u := path("account"); u.Host != e.downHost || u.Path != "/account" {
		t.Fatalf("want the account page, at %s\nlog:\n%s", u, e.downInst.logs)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "the account page", text, "Linked providers", "Corp Account", "Unlink", "Closed Corp")
	cam.shoot("account-links")
}
