package signin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/signin"
)

// FuzzEndSession sends arbitrary RP-Initiated Logout queries: never a
// server error, and never a redirect but to a registered post-logout URI
// or Signet's own signed-out page (no open redirect).
func FuzzEndSession(f *testing.F) {
	f.Add("client_id=web&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fsigned-out&state=x")
	f.Add("id_token_hint=hint.u-alice.web&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F")
	f.Add("post_logout_redirect_uri=//evil.example&client_id=web&client_id=quiet")
	f.Add("id_token_hint=hint..&state=%00")
	e := memoryEnv(f, nil)
	f.Fuzz(func(t *testing.T, query string) {
		if !sendable(query) {
			return
		}
		b := e.browserFor(t)
		p := b.get(signin.EndSessionPath + "?" + query)
		if p.Status >= 500 {
			t.Fatalf("status %d for %q", p.Status, query)
		}
		if loc := p.Header.Get("Location"); loc != "" {
			if !strings.HasPrefix(loc, signedOutURI) {
				t.Fatalf("redirect to %q for %q", loc, query)
			}
		}
	})
}

// FuzzPages sends arbitrary ids and forms to the pages: never a server
// error, never a code.
func FuzzPages(f *testing.F) {
	f.Add("id=abc&login=x", "id=abc&token=x&decision=allow&scope=openid")
	f.Add("id=", "username=alice&password=x&token=&id=%ff")
	e := memoryEnv(f, nil)
	f.Fuzz(func(t *testing.T, query, body string) {
		if !sendable(query) {
			return
		}
		b := e.browserFor(t)
		for _, path := range []string{signin.LoginPath, signin.ConsentPath, signin.CallbackPath, signin.LogoutPath} {
			if p := b.get(path + "?" + query); p.Status >= 500 || strings.Contains(p.Header.Get("Location"), "code=") {
				t.Fatalf("GET %s?%s: status %d, Location %q", path, query, p.Status, p.Header.Get("Location"))
			}
		}
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		for _, path := range []string{signin.LoginPath, signin.ConsentPath, signin.LogoutPath} {
			if p := b.post(path, form, nil); p.Status >= 500 || p.Status == http.StatusOK && strings.Contains(p.Body, "code") && strings.Contains(p.Body, redirectURI) {
				t.Fatalf("POST %s %q: status %d", path, body, p.Status)
			}
		}
	})
}

// sendable reports whether a browser could send query as it is (no
// control characters, spaces or fragment).
func sendable(query string) bool {
	return !strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' })
}
