package signin_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport/browsertest"
)

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestFlow signs alice in to a client that requires consent, as a browser
// does, on every backend: authorize → login → consent (an optional scope
// unticked, the decision remembered) → the code at the redirect URI with
// state and iss, redeemed as the token endpoint does; then a second
// authorization that needs no page, and a logout with an id_token_hint.
func TestFlow(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		b := e.browser()
		a := newAuthReq("web", "openid profile email api", "login_hint", "alice")
		p := b.authorize(a)
		if p.URL.Path != signin.LoginPath || p.Status != http.StatusOK {
			t.Fatalf("authorize went to %s (status %d), want the login page", p.URL, p.Status)
		}
		f := onlyForm(t, p)
		if u := input(t, f, "username"); u.Autocomplete != "username" || u.Value != "alice" {
			t.Errorf("username field: autocomplete %q value %q, want username, alice (login_hint)", u.Autocomplete, u.Value)
		}
		if pw := input(t, f, "password"); pw.Autocomplete != "current-password" || pw.Type != "password" {
			t.Errorf("password field: autocomplete %q type %q", pw.Autocomplete, pw.Type)
		}
		for _, id := range []string{"username", "password"} {
			if !strings.Contains(p.Body, `<label for="`+id+`">`) {
				t.Errorf("no label for %s", id)
			}
		}
		checkPageHeaders(t, p)

		p = b.login(p, "alice", alicePass)
		if p.URL.Path != signin.ConsentPath || p.Status != http.StatusOK {
			t.Fatalf("after login at %s (status %d), want the consent page:\n%s", p.URL, p.Status, cut(p.Body))
		}
		checkPageHeaders(t, p)
		for _, want := range []string{"Web App", "https://app.example/logo.png", "User profile", "Your user profile information", "The API"} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("consent page lacks %q", want)
			}
		}
		f = onlyForm(t, p)
		var optional []string
		for _, in := range f.Inputs {
			if in.Type == "checkbox" && in.Name == "scope" {
				optional = append(optional, in.Value)
			}
			if in.ID == "scope-openid" && (!in.Disabled || in.Name != "") {
				t.Errorf("openid is not a disabled, unnamed checkbox: %+v", in)
			}
		}
		if want := []string{"profile", "email", "api"}; !slices.Equal(optional, want) {
			t.Errorf("optional scopes %v, want %v", optional, want)
		}
		if !slices.ContainsFunc(f.Buttons, func(b field) bool { return b.Name == "decision" && b.Value == "allow" }) ||
			!slices.ContainsFunc(f.Buttons, func(b field) bool { return b.Name == "decision" && b.Value == "deny" }) {
			t.Errorf("consent buttons %+v", f.Buttons)
		}
		// Untick email; remember is ticked by default.
		p = b.submit(f, "decision=allow", url.Values{"scope": {"profile", "api"}})
		if p.Status != http.StatusSeeOther {
			t.Errorf("after the consent POST: status %d, want 303", p.Status)
		}
		q := clientResponse(t, p)
		if q.Get("state") != "st-web" || q.Get("iss") != e.srv.URL || q.Get("code") == "" {
			t.Fatalf("client got %v, want a code, state st-web and iss %s", q, e.srv.URL)
		}
		got := e.redeem(t, "web", q.Get("code"), a)
		if got.Subject != "u-alice" || !slices.Equal(got.Scopes, []string{"openid", "profile", "api"}) ||
			got.Nonce != "n-0S6" || got.SessionID == "" || !got.AuthTime.Equal(start) || !slices.Equal(got.AMR, []string{"pwd"}) ||
			got.RedirectURI != redirectURI {
			t.Errorf("redeemed %+v", got.Authorization)
		}

		// Remembered: the same scopes again need no page.
		a2 := newAuthReq("web", "openid profile")
		q = clientResponse(t, b.authorize(a2))
		e.redeem(t, "web", q.Get("code"), a2)
		// More than remembered: the consent page again.
		if p := b.authorize(newAuthReq("web", "openid email")); p.URL.Path != signin.ConsentPath {
			t.Errorf("asking for more than remembered went to %s, want the consent page", p.URL)
		}

		// Logout with a hint of the signed-in user: no question.
		p = b.get(signin.EndSessionPath + "?" + url.Values{
			"id_token_hint": {hintOf("u-alice", "web")}, "post_logout_redirect_uri": {signedOutURI}, "state": {"bye"},
		}.Encode())
		if loc := location(t, p); loc.String() != signedOutURI+"?state=bye" {
			t.Errorf("logout redirected to %s", loc)
		}
		q = clientResponse(t, b.authorize(newAuthReq("web", "openid", "prompt", "none")))
		if q.Get("error") != oauth.LoginRequired {
			t.Errorf("prompt=none after logout: %v, want login_required", q)
		}
	})
}

func checkPageHeaders(t *testing.T, p *page) {
	t.Helper()
	csp := p.Header.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "style-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := p.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if p.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header on a page")
	}
	if strings.Contains(p.Body, "<script") || strings.Contains(p.Body, "style=") {
		t.Error("a page has a script or an inline style")
	}
}

func TestPromptNone(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	q := clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none")))
	if q.Get("error") != oauth.LoginRequired || q.Get("state") != "st-quiet" || q.Get("iss") != e.srv.URL {
		t.Errorf("prompt=none without a session: %v", q)
	}
	b.signIn()
	a := newAuthReq("quiet", "openid", "prompt", "none")
	q = clientResponse(t, b.authorize(a))
	if q.Get("code") == "" {
		t.Fatalf("prompt=none with a session: %v", q)
	}
	e.redeem(t, "quiet", q.Get("code"), a)

	// The client that requires consent: consent_required.
	q = clientResponse(t, b.authorize(newAuthReq("web", "openid", "prompt", "none")))
	if q.Get("error") != oauth.ConsentRequired {
		t.Errorf("prompt=none needing consent: %v", q)
	}
	// A hint of another user (or an invalid one): login_required.
	for _, hint := range []string{hintOf("u-bob", "quiet"), hintOf("u-alice", "web"), "garbage"} {
		q = clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none", "id_token_hint", hint)))
		if q.Get("error") != oauth.LoginRequired {
			t.Errorf("prompt=none with hint %s: %v, want login_required", hint, q)
		}
	}
	q = clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none", "id_token_hint", hintOf("u-alice", "quiet"))))
	if q.Get("code") == "" {
		t.Errorf("prompt=none with alice's hint: %v", q)
	}
}

func TestPromptLoginAndMaxAge(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	b.signIn()
	for _, extra := range [][]string{{"prompt", "login"}, {"prompt", "select_account"}, {"max_age", "0"}} {
		p := b.authorize(newAuthReq("quiet", "openid", extra...))
		if p.URL.Path != signin.LoginPath {
			t.Errorf("%v with a session went to %s, want the login page", extra, p.URL)
		}
	}
	// prompt=login cannot be skipped by going to the callback with the old
	// session.
	p := b.authorize(newAuthReq("quiet", "openid", "prompt", "login"))
	id := p.URL.Query().Get("id")
	if p2 := b.get(signin.CallbackPath + "?id=" + url.QueryEscape(id)); p2.URL.Path != signin.LoginPath {
		t.Errorf("callback with the old session went to %s, want the login page", p2.URL)
	}
	e.clk.Advance(time.Hour)
	a := newAuthReq("quiet", "openid", "prompt", "login")
	q := clientResponse(t, b.login(b.authorize(a), "alice", alicePass))
	if got := e.redeem(t, "quiet", q.Get("code"), a); !got.AuthTime.Equal(start.Add(time.Hour)) {
		t.Errorf("auth_time %v after prompt=login, want the new login's", got.AuthTime)
	}

	e.clk.Advance(2 * time.Hour)
	if p := b.authorize(newAuthReq("quiet", "openid", "max_age", "3600")); p.URL.Path != signin.LoginPath {
		t.Errorf("max_age=3600 with a login 2 hours old went to %s", p.URL)
	}
	if q := clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "max_age", "86400"))); q.Get("code") == "" {
		t.Errorf("max_age=86400: %v", q)
	}
	q = clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "max_age", "3600", "prompt", "none")))
	if q.Get("error") != oauth.LoginRequired {
		t.Errorf("max_age exceeded with prompt=none: %v", q)
	}
}

func TestPromptConsentAndDeny(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	b.signIn()
	// prompt=consent shows the page even to a client that does not require it.
	p := b.authorize(newAuthReq("quiet", "openid profile", "prompt", "consent"))
	if p.URL.Path != signin.ConsentPath {
		t.Fatalf("prompt=consent went to %s", p.URL)
	}
	if strings.Contains(p.Body, `name="remember"`) {
		t.Error("remember offered to a client without allowRememberConsent")
	}
	q := clientResponse(t, b.submit(onlyForm(t, p), "decision=deny", nil))
	if q.Get("error") != oauth.AccessDenied || q.Get("state") != "st-quiet" || q.Get("iss") != e.srv.URL {
		t.Errorf("deny: %v", q)
	}
	// The login page's Cancel too.
	b2 := e.browser()
	p = b2.authorize(newAuthReq("web", "openid"))
	q = clientResponse(t, b2.submit(onlyForm(t, p), "decision=cancel", nil))
	if q.Get("error") != oauth.AccessDenied {
		t.Errorf("cancel: %v", q)
	}
}

// TestConsentAllUnticked: a request of optional scopes only, all unticked,
// is shown the page again.
func TestConsentAllUnticked(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	p := b.login(b.authorize(newAuthReq("web", "api")), "alice", alicePass)
	p = b.submit(onlyForm(t, p), "decision=allow", nil, "scope")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "at least one") || !strings.Contains(p.Body, `role="alert"`) {
		t.Errorf("all unticked: status %d\n%s", p.Status, cut(p.Body))
	}
}

func TestFormPost(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	a := newAuthReq("quiet", "openid", "response_mode", "form_post")
	p := b.login(b.authorize(a), "alice", alicePass)
	if p.Status != http.StatusOK {
		t.Fatalf("form_post: status %d", p.Status)
	}
	f := onlyForm(t, p)
	if f.Action != redirectURI {
		t.Errorf("form_post action %q", f.Action)
	}
	v := f.Values("", nil)
	if v.Get("state") != "st-quiet" || v.Get("iss") != e.srv.URL || v.Get("code") == "" {
		t.Errorf("form_post values %v", v)
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "'sha256-") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("form_post CSP %q", csp)
	}
	e.redeem(t, "quiet", v.Get("code"), a)
	// An error in form_post mode is posted too.
	b2 := e.browser()
	p = b2.authorize(newAuthReq("quiet", "openid", "response_mode", "form_post", "prompt", "none"))
	if v := onlyForm(t, p).Values("", nil); v.Get("error") != oauth.LoginRequired {
		t.Errorf("form_post error %v", v)
	}
}

func TestPOSTAuthorize(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	a := newAuthReq("quiet", "openid")
	p := b.post(signin.AuthorizePath, a.params, nil)
	if p.URL.Path != signin.LoginPath {
		t.Fatalf("POST authorize went to %s", p.URL)
	}
	b.signIn()
	// Cross-site POSTs to /connect/authorize are the relying party's right.
	p = b.post(signin.AuthorizePath, a.params, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://app.example"}})
	if p.Status != http.StatusSeeOther {
		t.Errorf("POST authorize with a session: status %d, want 303", p.Status)
	}
	if q := clientResponse(t, p); q.Get("code") == "" {
		t.Errorf("cross-site POST authorize: %v", q)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	for name, a := range map[string]*authReq{
		"unregistered redirect_uri": newAuthReq("web", "openid", "redirect_uri", "https://evil.example/cb"),
		"unknown client":            newAuthReq("nobody", "openid"),
		"no client":                 newAuthReq("", "openid"),
	} {
		p := b.authorize(a)
		if p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" || !strings.Contains(p.Body, "<h1>") {
			t.Errorf("%s: status %d, Location %q, want the error page", name, p.Status, p.Header.Get("Location"))
		}
		checkPageHeaders(t, p)
	}
	q := clientResponse(t, b.authorize(newAuthReq("web", "openid", "response_type", "token")))
	if q.Get("error") != oauth.UnsupportedResponseType || q.Get("iss") != e.srv.URL {
		t.Errorf("response_type=token: %v", q)
	}
	q = clientResponse(t, b.authorize(newAuthReq("quiet", "openid offline_access")))
	if q.Get("error") != oauth.InvalidScope {
		t.Errorf("offline_access for a client without allowOfflineAccess: %v", q)
	}
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		b := e.browser()
		login := func(user, pass string) *page {
			return b.login(b.authorize(newAuthReq("quiet", "openid")), user, pass)
		}
		wrong := login("alice", "wrong")
		for name, p := range map[string]*page{"wrong password": wrong, "unknown user": login("mallory", "x"), "disabled user": login("carol", alicePass)} {
			if p.Status != http.StatusOK || p.URL.Path != signin.LoginPath || !strings.Contains(p.Body, "The username or the password is not right.") {
				t.Errorf("%s: status %d at %s", name, p.Status, p.URL)
			}
			if !strings.Contains(p.Body, `aria-describedby="login-error"`) {
				t.Errorf("%s: the error is not tied to the fields", name)
			}
		}
		// Four more failures lock alice out; the right password then fails too
		// and says when to try again.
		for range 4 {
			login("alice", "wrong")
		}
		p := login("alice", alicePass)
		if !strings.Contains(p.Body, "Try again after") || !strings.Contains(p.Body, "09:15 UTC") {
			t.Errorf("locked out: no time to try again:\n%s", cut(p.Body))
		}
		e.clk.Advance(16 * time.Minute)
		if q := clientResponse(t, login("alice", alicePass)); q.Get("code") == "" {
			t.Errorf("after the lockout: %v", q)
		}
	})
}

func TestIPThrottle(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, func(o *signin.Options) { o.Throttle = signin.ThrottleOptions{MaxFailures: 3} })
	b := e.browser()
	for i := range 3 {
		b.login(b.authorize(newAuthReq("quiet", "openid")), "nobody"+string(rune('a'+i)), "x")
	}
	p := b.login(b.authorize(newAuthReq("quiet", "openid")), "bob", "bob's password")
	if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "from your network") {
		t.Errorf("throttled address: status %d\n%s", p.Status, cut(p.Body))
	}
	e.clk.Advance(signin.DefaultIPWindow)
	if q := clientResponse(t, b.login(b.authorize(newAuthReq("quiet", "openid")), "bob", "bob's password")); q.Get("code") == "" {
		t.Errorf("after the window: %v", q)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		b, other := e.browser(), e.browser()
		loginPage := b.authorize(newAuthReq("web", "openid profile"))
		f := onlyForm(t, loginPage)
		creds := url.Values{"username": {"alice"}, "password": {alicePass}}
		otherToken := input(t, onlyForm(t, other.authorize(newAuthReq("web", "openid"))), "token").Value
		for name, p := range map[string]*page{
			"login without token":        b.submit(f, "decision=login", creds, "token"),
			"login with another's token": b.submit(f, "decision=login", url.Values{"username": creds["username"], "password": creds["password"], "token": {otherToken}}),
			"login cross-origin": b.post(f.Action, f.Values("decision=login", creds),
				http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}),
		} {
			if p.Status != http.StatusForbidden || p.Header.Get("Location") != "" {
				t.Errorf("%s: status %d, want 403", name, p.Status)
			}
		}
		consentPage := b.submit(f, "decision=login", creds)
		cf := onlyForm(t, consentPage)
		other.signIn()
		otherConsent := onlyForm(t, other.authorize(newAuthReq("web", "openid profile")))
		for name, p := range map[string]*page{
			"consent without token":                b.submit(cf, "decision=allow", nil, "token"),
			"consent with another session's token": b.submit(cf, "decision=allow", url.Values{"token": {input(t, otherConsent, "token").Value}}),
			"consent cross-origin": b.post(cf.Action, cf.Values("decision=allow", nil),
				http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}),
		} {
			if p.Status != http.StatusForbidden || p.Header.Get("Location") != "" {
				t.Errorf("%s: status %d, want 403", name, p.Status)
			}
		}
		// The right form still works, once.
		if q := clientResponse(t, b.submit(cf, "decision=allow", nil)); q.Get("code") == "" {
			t.Errorf("consent: %v", q)
		}
		if p := b.submit(cf, "decision=allow", nil); p.Status != http.StatusBadRequest {
			t.Errorf("consent posted twice: status %d, want the error page", p.Status)
		}
	})
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	refused := map[string]url.Values{
		"unregistered uri":         {"client_id": {"web"}, "post_logout_redirect_uri": {"https://evil.example/"}},
		"uri without a client":     {"post_logout_redirect_uri": {signedOutURI}},
		"another client's uri":     {"client_id": {"quiet"}, "post_logout_redirect_uri": {signedOutURI}},
		"hint of another client":   {"client_id": {"quiet"}, "id_token_hint": {hintOf("u-alice", "web")}, "post_logout_redirect_uri": {signedOutURI}},
		"invalid hint":             {"id_token_hint": {"garbage"}, "post_logout_redirect_uri": {signedOutURI}},
		"unknown client":           {"client_id": {"nobody"}},
		"uri differing in a slash": {"client_id": {"web"}, "post_logout_redirect_uri": {signedOutURI + "/"}},
	}
	for name, v := range refused {
		b := e.browser()
		b.signIn()
		for _, p := range []*page{b.get(signin.EndSessionPath + "?" + v.Encode()), b.post(signin.EndSessionPath, v, nil)} {
			if p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" {
				t.Errorf("%s: status %d, Location %q, want the error page", name, p.Status, p.Header.Get("Location"))
			}
		}
		// Still signed in.
		if q := clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none"))); q.Get("code") == "" {
			t.Errorf("%s: signed out by a refused request", name)
		}
	}

	// Without a hint: the confirm page, whose POST signs out.
	b := e.browser()
	b.signIn()
	p := b.get(signin.EndSessionPath + "?" + url.Values{"client_id": {"web"}, "post_logout_redirect_uri": {signedOutURI}, "state": {"s1"}}.Encode())
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Web App") {
		t.Fatalf("confirm page: status %d", p.Status)
	}
	checkPageHeaders(t, p)
	f := onlyForm(t, p)
	if r := b.submit(f, "", nil, "token"); r.Status != http.StatusForbidden {
		t.Errorf("logout without token: status %d", r.Status)
	}
	if r := b.post(f.Action, f.Values("", nil), http.Header{"Sec-Fetch-Site": {"cross-site"}}); r.Status != http.StatusForbidden {
		t.Errorf("cross-site logout: status %d", r.Status)
	}
	// The hidden redirect URI is checked again.
	if r := b.submit(f, "", url.Values{"post_logout_redirect_uri": {"https://evil.example/"}}); r.Status != http.StatusBadRequest {
		t.Errorf("logout form with another URI: status %d", r.Status)
	}
	r := b.submit(f, "", nil)
	if r.Status != http.StatusSeeOther || location(t, r).String() != signedOutURI+"?state=s1" {
		t.Errorf("logout: status %d to %s", r.Status, r.Header.Get("Location"))
	}
	if q := clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none"))); q.Get("error") != oauth.LoginRequired {
		t.Errorf("after logout: %v", q)
	}

	// Without a redirect URI: the signed-out page.
	b = e.browser()
	b.signIn()
	p = b.get(signin.EndSessionPath + "?" + url.Values{"id_token_hint": {hintOf("u-alice", "quiet")}}.Encode())
	if p.Status != http.StatusOK || p.URL.Path != signin.LoggedOutPath || !strings.Contains(p.Body, "signed out") {
		t.Errorf("logout without a redirect URI: status %d at %s", p.Status, p.URL)
	}
	// A hint of another user asks.
	b = e.browser()
	b.signIn()
	p = b.get(signin.EndSessionPath + "?" + url.Values{"id_token_hint": {hintOf("u-bob", "quiet")}}.Encode())
	if p.URL.Path != signin.EndSessionPath || len(browsertest.Forms(p.Body)) != 1 {
		t.Errorf("hint of another user: at %s, want the confirm page", p.URL)
	}
	// The user's own logout page.
	p = b.get(signin.LogoutPath)
	r = b.submit(onlyForm(t, p), "", nil)
	if r.URL.Path != signin.LoggedOutPath {
		t.Errorf("logout page: at %s", r.URL)
	}
}

func TestSessionEndsOnOtherClient(t *testing.T) {
	t.Parallel()
	// A session ended elsewhere (EndAll, another instance) sends the next
	// request to the login page.
	e := memoryEnv(t, nil)
	b := e.browser()
	b.signIn()
	n, err := e.store.DeleteSessions(t.Context(), "u-alice")
	if err != nil || n != 1 {
		t.Fatalf("DeleteSessions: %d, %v", n, err)
	}
	if p := b.authorize(newAuthReq("quiet", "openid")); p.URL.Path != signin.LoginPath {
		t.Errorf("after the session ended: at %s", p.URL)
	}
}
