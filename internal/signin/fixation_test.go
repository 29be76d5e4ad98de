package signin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/session"
)

// A sign-in gives the browser a new session handle, and ends the session
// it had: a handle planted before the login (session fixation), or one
// copied from before it, is worth nothing after it. Cookies are HttpOnly,
// SameSite=Lax, and Secure unless the issuer is plain http (the test
// server's is).
func TestLoginRenewsSession(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	b.signIn()
	u, _ := url.Parse(e.srv.URL)
	before := cookie(t, b, u, session.CookieName)

	p := b.login(b.authorize(newAuthReq("quiet", "openid", "prompt", "login")), "alice", alicePass)
	if q := clientResponse(t, p); q.Get("code") == "" {
		t.Fatalf("prompt=login sign-in: %v", q)
	}
	after := cookie(t, b, u, session.CookieName)
	if after == before {
		t.Fatal("the session handle did not change at the sign-in")
	}
	// The old handle in another browser finds no session.
	old := e.browser()
	old.Client.Jar.SetCookies(u, []*http.Cookie{{Name: session.CookieName, Value: before}})
	q := clientResponse(t, old.authorize(newAuthReq("quiet", "openid", "prompt", "none")))
	if q.Get("error") != oauth.LoginRequired {
		t.Errorf("prompt=none with the handle from before the sign-in: %v, want login_required", q)
	}

	// The Set-Cookie of a sign-in.
	b2 := e.browser()
	b2.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	login := b2.get(location(t, b2.authorize(newAuthReq("quiet", "openid"))).RequestURI())
	f := onlyForm(t, login)
	p = b2.submit(f, "decision=login", url.Values{"username": {"alice"}, "password": {alicePass}})
	var set *http.Cookie
	for _, c := range (&http.Response{Header: p.Header}).Cookies() {
		if c.Name == session.CookieName {
			set = c
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Secure || set.Path != "/" {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure for an http issuer", set)
	}
}

func cookie(t *testing.T, b *browser, u *url.URL, name string) string {
	t.Helper()
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no cookie %s", name)
	return ""
}
