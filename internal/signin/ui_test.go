package signin_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
)

func TestStylesheet(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	p := b.authorize(newAuthReq("quiet", "openid"))
	link := linkHref(t, p.Body)
	if !strings.HasPrefix(link, signin.StylesheetPath+"?v=") {
		t.Fatalf("stylesheet link %q", link)
	}
	css := b.get(link)
	if css.Status != http.StatusOK || css.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(css.Header.Get("Cache-Control"), "immutable") || !strings.Contains(css.Body, "prefers-color-scheme: dark") {
		t.Fatalf("stylesheet: status %d, headers %v", css.Status, css.Header)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+signin.StylesheetPath, nil)
	req.Header.Set("If-None-Match", css.Header.Get("ETag"))
	if r := b.Do(req); r.Status != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", r.Status)
	}
	for _, path := range []string{signin.CustomStylesheetPath, signin.LogoPath} {
		if r := b.get(path); r.Status != http.StatusNotFound {
			t.Errorf("%s without one configured: status %d", path, r.Status)
		}
	}
}

func linkHref(t *testing.T, body string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `<link rel="stylesheet" href="`)
	if !ok {
		t.Fatal("no stylesheet link")
	}
	href, _, _ := strings.Cut(rest, `"`)
	return strings.ReplaceAll(href, "&amp;", "&")
}

func TestBranding(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	css := write("brand.css", ":root { --accent: #b00; }")
	logo := write("logo.svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	tdir := filepath.Join(dir, "templates")
	if err := os.Mkdir(tdir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tdir, "loggedout.html"), []byte(`{{define "main"}}<h1>Bye from {{.ProductName}}</h1>{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e := memoryEnv(t, func(o *signin.Options) {
		o.UI = signin.UI{ProductName: "Contoso ID", Logo: logo, Stylesheet: css, TemplatesDir: tdir}
	})
	b := e.browser()
	p := b.get(signin.LoggedOutPath)
	for _, want := range []string{"Bye from Contoso ID", "Contoso ID</title>", signin.CustomStylesheetPath + "?v=", `src="` + signin.LogoPath + "?v="} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("page lacks %q:\n%s", want, p.Body)
		}
	}
	if r := b.get(signin.CustomStylesheetPath); r.Status != http.StatusOK || !strings.Contains(r.Body, "--accent: #b00") {
		t.Errorf("custom stylesheet: %d %q", r.Status, r.Body)
	}
	if r := b.get(signin.LogoPath); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("logo: %d %v", r.Status, r.Header)
	}
	// The templates not replaced are the embedded ones.
	if p := b.authorize(newAuthReq("quiet", "openid")); !strings.Contains(p.Body, `autocomplete="current-password"`) {
		t.Error("login page not the embedded one")
	}

	e2 := memoryEnv(t, func(o *signin.Options) { o.UI.Logo = "https://cdn.example/logo.png" })
	if p := e2.browser().get(signin.LoggedOutPath); !strings.Contains(p.Body, `src="https://cdn.example/logo.png"`) {
		t.Error("https logo not shown")
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.Mkdir(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "login.html"), []byte(`{{define "main"}}{{.Nope`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, ui := range map[string]signin.UI{
		"http logo":       {Logo: "http://cdn.example/logo.png"},
		"not an image":    {Logo: filepath.Join(dir, "logo.txt")},
		"missing logo":    {Logo: filepath.Join(dir, "missing.png")},
		"missing css":     {Stylesheet: filepath.Join(dir, "missing.css")},
		"broken template": {TemplatesDir: bad},
	} {
		clk := testsupport.NewClock(start)
		opts := options(t, stores.All[0].OpenOne(t, clk.Now), clk, t.Output())
		opts.UI = ui
		if _, err := signin.New(opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, ui)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := signin.New(signin.Options{}); err == nil {
		t.Error("New accepted empty options")
	}
}

func TestPendingExpires(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	p := b.authorize(newAuthReq("quiet", "openid"))
	e.clk.Advance(11 * time.Minute)
	p = b.login(p, "alice", alicePass)
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "expired") {
		t.Errorf("login after the request expired: status %d\n%s", p.Status, cut(p.Body))
	}
	for _, path := range []string{signin.LoginPath, signin.ConsentPath, signin.CallbackPath} {
		if p := b.get(path + "?id=nonsense"); p.Status != http.StatusBadRequest {
			t.Errorf("%s with a bad id: status %d", path, p.Status)
		}
	}
}

// TestNoRedirectURISent: a request without redirect_uri (the client has
// one) gets a code that the token request redeems without one.
func TestNoRedirectURISent(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	// Plain OAuth 2.0 may leave it out when the client has one (RFC 6749
	// §3.1.2.3)...
	a := newAuthReq("quiet", "profile")
	a.params.Del("redirect_uri")
	q := clientResponse(t, b.login(b.authorize(a), "alice", alicePass))
	got, err := e.tokens.RedeemCode(t.Context(), tokensRedemption(q.Get("code"), a))
	if err != nil || got.RedirectURI != "" {
		t.Errorf("RedeemCode: %+v, %v", got, err)
	}
	// ...OpenID Connect may not (Core §3.1.2.1): the error page, no
	// redirect.
	o := newAuthReq("quiet", "openid")
	o.params.Del("redirect_uri")
	if p := b.authorize(o); p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" || !strings.Contains(p.Body, "no redirect_uri") {
		t.Errorf("openid without redirect_uri: status %d, Location %q, body:\n%s", p.Status, p.Header.Get("Location"), cut(p.Body))
	}
}

// TestTwoInstances signs in on one instance, gets a code from the other
// with the same cookie, and logs out on the second, which ends the session
// on the first (PostgreSQL and SQLite: two connections to one database).
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	for _, bk := range stores.All[1:] {
		t.Run(bk.Name, func(t *testing.T) {
			t.Parallel()
			clk := testsupport.NewClock(start)
			ss := bk.Open(t, clk.Now, 2)
			one := newEnv(t, ss[0], clk, nil)
			two := newInstance(t, ss[1], clk, nil)
			b := one.browser()
			b.signIn()
			// cookiejar keys cookies by host, not port: the second
			// instance sees the first's cookie, as behind one load balancer.
			b2 := &browser{Browser: b.Browser, t: t, e: two}
			a := newAuthReq("quiet", "openid", "prompt", "none")
			q := clientResponse(t, b2.authorize(a))
			if q.Get("code") == "" {
				t.Fatalf("second instance: %v", q)
			}
			if _, err := one.tokens.RedeemCode(t.Context(), tokensRedemption(q.Get("code"), a)); err != nil {
				t.Fatalf("code of instance two redeemed on one: %v", err)
			}
			b2.get(signin.EndSessionPath + "?id_token_hint=" + hintOf("u-alice", "quiet"))
			if q := clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none"))); q.Get("error") != "login_required" {
				t.Errorf("instance one after logout on two: %v", q)
			}
		})
	}
}

// TestPromptLoginWithConsent: the proof of the new login goes through the
// consent page, so that Allow issues the code without a second login.
func TestPromptLoginWithConsent(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	b.signIn()
	e.clk.Advance(time.Hour)
	a := newAuthReq("web", "openid profile", "prompt", "login")
	p := b.login(b.authorize(a), "alice", alicePass)
	if p.URL.Path != signin.ConsentPath {
		t.Fatalf("after login at %s, want the consent page", p.URL)
	}
	q := clientResponse(t, b.submit(onlyForm(t, p), "decision=allow", nil))
	if got := e.redeem(t, "web", q.Get("code"), a); !got.AuthTime.Equal(start.Add(time.Hour)) {
		t.Errorf("auth_time %v", got.AuthTime)
	}
	// Without the proof (an older session), the consent form sends the
	// browser to the login page.
	p = b.authorize(newAuthReq("web", "openid profile", "prompt", "login"))
	id := p.URL.Query().Get("id")
	c := b.get(signin.ConsentPath + "?id=" + id)
	r := b.submit(onlyForm(t, c), "decision=allow", nil)
	if r.URL.Path != signin.LoginPath {
		t.Errorf("consent without a fresh login for prompt=login: at %s", r.URL)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, e.srv.URL+signin.CallbackPath+"?id="+id, nil)
	if h := b.Do(req); h.Status != http.StatusNoContent {
		t.Errorf("HEAD callback: %d", h.Status)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	var m endpoint.Metadata
	opts := options(t, stores.All[0].OpenOne(t, nil), testsupport.NewClock(start), t.Output())
	e, err := signin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Describe(&m)
	if m.Paths["authorization_endpoint"] != "/connect/authorize" || m.Paths["end_session_endpoint"] != "/connect/endsession" ||
		!slices.Equal(m.ResponseTypes, []string{"code"}) || !slices.Equal(m.ResponseModes, []string{"query", "form_post"}) ||
		!slices.Equal(m.CodeChallengeMethods, []string{"S256"}) || !m.Flags["authorization_response_iss_parameter_supported"] ||
		m.Flags["request_parameter_supported"] || len(m.Flags) != 4 || !slices.Equal(m.Lists["acr_values_supported"], signin.ACRValuesSupported) {
		t.Errorf("metadata %+v", m)
	}
	for _, rt := range e.Routes() {
		if rt.Kind != endpoint.Page || rt.Refuse == nil {
			t.Errorf("route %s %s: kind %v", rt.Method, rt.Path, rt.Kind)
		}
	}
}
