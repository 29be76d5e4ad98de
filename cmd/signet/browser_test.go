package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/oauth2"
)

// A real browser signs in: headless Chromium (the system's; chromedp
// downloads nothing) types into the real login page, unticks a scope on the
// consent page, lands on the relying party with a code that the test then
// exchanges, and signs out through the confirmation page. Every page is
// photographed at a phone's width and a desktop's, light and dark, into the
// test's artifact directory (go test -artifacts keeps it; see
// testing.T.ArtifactDir) and, when SIGNET_SCREENSHOTS_DIR is set, there too.
//
// It skips when no Chromium is installed, unless
// SIGNET_TEST_REQUIRE_CHROMIUM=1 (as in .ci/run).

// browserPassword is alice's password in the browser test's configuration.
const browserPassword = "correct horse battery staple"

// viewports are the widths the pages are photographed at: a 390 px phone
// (iPhone 12 to 15) and a laptop.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"390", 390, 844, true},
	{"1280", 1280, 800, false},
}

// chromium returns the path of the installed Chromium, or skips (fails
// with SIGNET_TEST_REQUIRE_CHROMIUM=1).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const missing = "no chromium or chromium-browser in PATH (Debian: apt-get install chromium)"
	if os.Getenv("SIGNET_TEST_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("SIGNET_TEST_REQUIRE_CHROMIUM=1 but " + missing)
	}
	t.Skip(missing)
	return ""
}

// browser starts headless Chromium for the test and returns its context.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.DisableGPU,
		// Nothing but the loopback servers of the test is reachable, so the
		// browser can fetch nothing else (fonts, updates, safe browsing).
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root (CI containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	// The timeout bounds the whole browser: a stuck page fails the test
	// rather than hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(ctx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelCtx)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// camera saves full-page screenshots of the browser's current page.
type camera struct {
	t    *testing.T
	ctx  context.Context
	dirs []string
}

func newCamera(t *testing.T, ctx context.Context) *camera {
	dir := t.ArtifactDir()
	t.Logf("screenshots in %s", dir)
	c := &camera{t: t, ctx: ctx, dirs: []string{dir}}
	if d := os.Getenv("SIGNET_SCREENSHOTS_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		c.dirs = append(c.dirs, d)
	}
	return c
}

// colorScheme emulates prefers-color-scheme, and prefers-reduced-motion so
// that no transition between the schemes is caught half-way.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{
				{Name: "prefers-color-scheme", Value: scheme},
				{Name: "prefers-reduced-motion", Value: "reduce"},
			},
		})
		return err
	})
}

// layoutProblems lists what is wrong with the page at the current width:
// a horizontal scroll, tap targets lower than 44 px, text below 12 px.
const layoutProblems = `(() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) out.push("scrolls horizontally: " + root.scrollWidth + " > " + root.clientWidth);
  for (const el of document.querySelectorAll("button, input:not([type=hidden]):not([type=checkbox])")) {
    const r = el.getBoundingClientRect();
    if (r.height < 44) out.push((el.id || el.name || el.textContent.trim()) + " is " + r.height + " px high");
    if (r.right > root.clientWidth) out.push((el.id || el.name || el.textContent.trim()) + " overflows");
  }
  for (const el of document.querySelectorAll("input[type=checkbox]")) {
    const label = document.querySelector("label[for='" + el.id + "']");
    const r = (el.closest(".scope, .check") || label || el).getBoundingClientRect();
    if (r.height < 44) out.push("the row of checkbox " + el.id + " is " + r.height + " px high");
  }
  for (const el of document.querySelectorAll("body *")) {
    if (!el.childNodes.length || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 12) out.push(el.tagName + " text is " + size + " px");
  }
  return out;
})()`

// shoot saves the page as NAME-WIDTH-SCHEME.png for every viewport and
// scheme, checks its layout at each width, and leaves the browser at 1280
// px, light.
func (c *camera) shoot(name string) {
	c.t.Helper()
	for _, v := range viewports {
		for _, scheme := range []string{"light", "dark"} {
			viewport := chromedp.EmulateViewport(v.width, v.height)
			if v.mobile {
				viewport = chromedp.EmulateViewport(v.width, v.height, chromedp.EmulateMobile)
			}
			if err := chromedp.Do(c.ctx, viewport, colorScheme(scheme)); err != nil {
				c.t.Fatalf("%s at %s px, %s: %v", name, v.name, scheme, err)
			}
			problems, err := chromedp.Run(c.ctx, chromedp.Evaluate[[]string](layoutProblems))
			if err != nil {
				c.t.Fatal(err)
			}
			for _, p := range problems {
				c.t.Errorf("%s at %s px: %s", name, v.name, p)
			}
			png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				c.t.Fatalf("screenshot %s: %v", name, err)
			}
			for _, dir := range c.dirs {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, v.name, scheme)), png, 0o644); err != nil {
					c.t.Fatal(err)
				}
			}
		}
	}
	if err := chromedp.Do(c.ctx, chromedp.EmulateViewport(1280, 800), colorScheme("light")); err != nil {
		c.t.Fatal(err)
	}
}

// browserConfig is a client that asks for consent, with scopes described
// for the consent page, and alice.
func browserConfig(h *host, redirect string) string {
	return h.write("signet.yaml", `# written by browser_test.go
allowHttp: true
dataDir: data
key:
`+indent(fileKey(h.t, "rsa-openssl3.pfx"), "  ")+`
apiScopes:
  - name: notes.read
    displayName: Read your notes
    description: See the notes and notebooks you keep in Acme Notes.
    required: true
  - name: notes.write
    displayName: Change your notes
    description: Create, edit and delete notes on your behalf.
    emphasize: true
apiResources:
  - name: https://notes.example.com/api
    scopes: [notes.read, notes.write]
clients:
  - clientId: notes
    clientName: Acme Notes
    clientUri: https://notes.example.com
    secrets:
      - value: ${APP_SECRET}
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, profile, email, notes.read, notes.write]
    redirectUris: [`+redirect+`/callback]
    postLogoutRedirectUris: [`+redirect+`/signed-out]
    requireConsent: true
users:
  - subjectId: "1"
    username: alice
    password: `+browserPassword+`
    claims:
      name: Alice Smith
      email: alice@example.com
      email_verified: true
`)
}

// acmeNotes is the browser tests' relying party: its callback shows a
// page, and a test reads the query from the browser's location.
func acmeNotes(t *testing.T) *httptest.Server {
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Acme Notes</title><h1 id=rp>Acme Notes %s</h1>", r.URL.Path)
	}))
	t.Cleanup(rp.Close)
	return rp
}

func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	cam := newCamera(t, ctx)

	rp := acmeNotes(t)

	h := newHost(t)
	srv := h.serve(browserConfig(h, rp.URL), "")
	conf := oauth2.Config{
		ClientID:     "notes",
		ClientSecret: appSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: srv.base + "/connect/authorize", TokenURL: srv.base + "/connect/token", AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL:  rp.URL + "/callback",
		Scopes:       []string{"openid", "profile", "email", "notes.read", "notes.write"},
	}
	verifier := oauth2.GenerateVerifier()
	const state, nonce = "st-4711", "n-0815"
	authorize := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))

	// goTo runs an action that navigates (a link, a form's button) and
	// fails the test unless the browser ends at a URL whose path is want.
	goTo := func(step string, action chromedp.Action[chromedp.Void], want string) *url.URL {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, action); err != nil {
			t.Fatalf("%s: %v\nlog:\n%s", step, err, srv.logs)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		if u.Path != want {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("%s: the browser is at %s, want the path %s; the page says:\n%s\nlog:\n%s", step, loc, want, body, srv.logs)
		}
		return u
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// The login page, then the same with a wrong password.
	goTo("authorize", chromedp.Navigate(authorize), "/account/login")
	cam.shoot("login")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.Focus(chromedp.CSS("#password")),
	); err != nil {
		t.Fatal(err)
	}
	cam.shoot("login-focus")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#password"), "not the password")); err != nil {
		t.Fatal(err)
	}
	goTo("wrong password", chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`)), "/account/login")
	contains(t, "the login error", text("[role=alert]"), "password is not right")
	cam.shoot("login-error")

	// The right password: the consent page.
	if err := chromedp.Do(ctx,
		chromedp.Clear(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), browserPassword),
	); err != nil {
		t.Fatal(err)
	}
	goTo("login", chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`)), "/consent")
	contains(t, "the consent page", text("main"), "Acme Notes", "Read your notes", "See the notes and notebooks", "Change your notes")
	cam.shoot("consent")
	// A keyboard user's focus on a scope.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#scope-profile")), chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	cam.shoot("consent-focus")

	// Untick email, allow: the relying party gets a code.
	cb := goTo("consent", chromedp.Steps(
		chromedp.Click(chromedp.CSS(`#scope-email`)),
		chromedp.Click(chromedp.CSS(`button[name=decision][value=allow]`)),
	), "/callback")
	q := cb.Query()
	if q.Get("state") != state || q.Get("iss") != srv.base || q.Get("code") == "" {
		t.Fatalf("the callback has state %q, iss %q, code %q; want %q, %q and a code", q.Get("state"), q.Get("iss"), q.Get("code"), state, srv.base)
	}
	tok, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange the code: %v\nlog:\n%s", err, srv.logs)
	}
	if scope := strings.Fields(fmt.Sprint(tok.Extra("scope"))); strings.Contains(" "+strings.Join(scope, " ")+" ", " email ") || len(scope) != 4 {
		t.Errorf("granted scope %v; want openid, profile and both notes scopes, without the unticked email", scope)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := srv.verifier(http.DefaultClient).Verify(t.Context(), rawID)
	if err != nil {
		t.Fatalf("the ID token: %v", err)
	}
	if idt.Subject != "1" || idt.Nonce != nonce {
		t.Errorf("the ID token has sub %q nonce %q; want 1 and %q", idt.Subject, idt.Nonce, nonce)
	}

	// RP-initiated logout without a hint asks first.
	goTo("end session", chromedp.Navigate(srv.base+"/connect/endsession"), "/connect/endsession")
	contains(t, "the logout page", text("main"), "sign out")
	cam.shoot("logout")
	goTo("confirm logout", chromedp.Click(chromedp.CSS(`form[action="/account/logout"] button[type=submit]`)), "/account/loggedout")
	contains(t, "the signed-out page", text("h1"), "signed out")
	cam.shoot("loggedout")
	// The session is gone: the same request asks for a login again.
	goTo("authorize after logout", chromedp.Navigate(authorize), "/account/login")

	// An unregistered redirect URI: the error page, no redirect.
	bad := conf
	bad.RedirectURL = "https://evil.example/callback"
	goTo("unregistered redirect_uri", chromedp.Navigate(bad.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))), "/connect/authorize")
	contains(t, "the error page", text("main"), "redirect")
	cam.shoot("error")
}
