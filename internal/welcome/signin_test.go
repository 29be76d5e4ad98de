package welcome_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/welcome"
)

func devSignIn() *welcome.Development {
	return &welcome.Development{ClientID: "signet-dev", Scope: "dev-api", SecretFile: "/data/secret", DataDir: "/data",
		SignIn: &welcome.DevelopmentSignIn{
			Username: "alice", PasswordFile: "/data/development-user-password",
			Bases: []string{"http://localhost:5000", "http://127.0.0.1:5000"},
			Scope: "openid profile email offline_access dev-api", State: "the-state",
			CodeVerifier: strings.Repeat("v", 43),
		}}
}

// get serves path from e's route for it, as a request to base.
func get(t *testing.T, e *welcome.Endpoint, base, target string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, base+target, nil)
	for _, route := range e.Routes() {
		if route.Path == r.URL.Path {
			if route.Kind != endpoint.Page {
				t.Errorf("%s is a %v route", route.Path, route.Kind)
			}
			w := httptest.NewRecorder()
			route.Handler.ServeHTTP(w, r.WithContext(endpoint.WithIssuer(r.Context(), base)))
			return w
		}
	}
	t.Fatalf("no route for %s", r.URL.Path)
	return nil
}

// TestAuthorizeURL: the sign-in URL carries the client, the redirect URI
// at its base, the scope and state, and the S256 challenge of the verifier.
func TestAuthorizeURL(t *testing.T) {
	t.Parallel()
	d := devSignIn()
	u, err := url.Parse(d.AuthorizeURL("http://localhost:5000", ""))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(d.SignIn.CodeVerifier))
	want := url.Values{
		"response_type": {"code"}, "client_id": {"signet-dev"}, "redirect_uri": {"http://localhost:5000/dev/callback"},
		"scope": {"openid profile email offline_access dev-api"}, "state": {"the-state"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	if u.Scheme+"://"+u.Host+u.Path != "http://localhost:5000/connect/authorize" || u.Query().Encode() != want.Encode() {
		t.Errorf("URL %s\nwant query %s", u, want.Encode())
	}
	if got := d.SignIn.RedirectURIs(); len(got) != 2 || got[1] != "http://127.0.0.1:5000/dev/callback" {
		t.Errorf("redirect URIs %q", got)
	}
}

// TestCallbackPage: the code with the curl that exchanges it (at the base
// the browser came back to, with the verifier), an error, a state from
// another request, and nothing; with a CSP that allows no inline style or
// script, and the stylesheet served.
func TestCallbackPage(t *testing.T) {
	t.Parallel()
	e := welcome.New(welcome.Options{Development: devSignIn()})
	e.SetMetadata(endpoint.Metadata{Paths: map[string]string{"token_endpoint": "/connect/token", "authorization_endpoint": "/connect/authorize"}})

	w := get(t, e, "http://127.0.0.1:5000", "/dev/callback?code=c0de%27%3B+rm&state=the-state&iss=http%3A%2F%2F127.0.0.1%3A5000")
	page := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	wantCurl := `curl -s -u signet-dev:"$(cat /data/secret)" -d grant_type=authorization_code --data-urlencode 'code=c0de'\''; rm' --data-urlencode 'redirect_uri=http://127.0.0.1:5000/dev/callback' -d code_verifier=` + strings.Repeat("v", 43) + ` http://127.0.0.1:5000/connect/token`
	if !strings.Contains(page, wantCurl) {
		t.Errorf("page lacks\n%s\n%s", wantCurl, page)
	}
	for _, want := range []string{"Authorization code received", "<dd><code>the-state</code></dd>", "<dd><code>http://127.0.0.1:5000</code></dd>",
		`href="http://127.0.0.1:5000/connect/authorize?`, "/data/development-user-password"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "another request") {
		t.Error("the page doubts the printed state")
	}
	h := w.Header()
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "style-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(page, "<style") || strings.Contains(page, "<script") || strings.Contains(page, "style=") {
		t.Error("inline style or script")
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers %v", h)
	}

	page = html.UnescapeString(get(t, e, "http://localhost:5000", "/dev/callback?code=x&state=other").Body.String())
	if !strings.Contains(page, "is not the one of the sign-in URL Signet printed") {
		t.Error("a foreign state is not pointed out")
	}
	page = html.UnescapeString(get(t, e, "http://localhost:5000", "/dev/callback?error=access_denied&error_description=The+user+said+no&state=the-state").Body.String())
	if !strings.Contains(page, "Sign-in failed") || !strings.Contains(page, "<code>access_denied</code>") || !strings.Contains(page, "The user said no") || strings.Contains(page, "curl") {
		t.Errorf("error page:\n%s", page)
	}
	// A request to a base whose callback is not registered links to the
	// first base's sign-in.
	page = html.UnescapeString(get(t, e, "http://devbox.lan:5000", "/dev/callback").Body.String())
	if !strings.Contains(page, "Nothing received") || !strings.Contains(page, `href="http://localhost:5000/connect/authorize?`) {
		t.Errorf("empty callback:\n%s", page)
	}
	css := get(t, e, "http://localhost:5000", welcome.StylePath)
	if css.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(css.Body.String(), "prefers-color-scheme: dark") {
		t.Errorf("stylesheet %v", css.Header())
	}

	// The welcome page links to the sign-in.
	page = html.UnescapeString(get(t, e, "http://localhost:5000", "/").Body.String())
	if !strings.Contains(page, `<a href="http://localhost:5000/connect/authorize?`) || !strings.Contains(page, "Sign in as alice") {
		t.Errorf("welcome page has no sign-in link")
	}
}

// TestCallbackOnlyWithSignIn: without a development sign-in (production,
// or a development value without one) there is no callback route.
func TestCallbackOnlyWithSignIn(t *testing.T) {
	t.Parallel()
	for _, opts := range []welcome.Options{{}, {Development: &welcome.Development{ClientID: "signet-dev"}}} {
		for _, r := range welcome.New(opts).Routes() {
			if r.Path != welcome.Path {
				t.Errorf("route %s mounted with %+v", r.Path, opts.Development)
			}
		}
	}
}
