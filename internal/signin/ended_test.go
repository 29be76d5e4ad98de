package signin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/storage"
)

// parseURL parses a test server's URL.
func parseURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestSessionEndedElsewhere: the authorization endpoint answers a session
// it remembers without reading it (session.Manager.Recent), and checks
// that the session is live in the code's insert. A session ended behind
// its back (by another instance's logout, the CLI, the account page) gets
// no code: prompt=none is login_required, anything else the login page,
// and no code is stored for it.
func TestSessionEndedElsewhere(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		b := e.browser()
		b.signIn() // this instance remembers the session from here on
		a := newAuthReq("quiet", "openid")
		q := clientResponse(t, b.authorize(a))
		if q.Get("code") == "" {
			t.Fatalf("a remembered session: %v, want a code", q)
		}
		e.redeem(t, "quiet", q.Get("code"), a)
		codes := func() int {
			t.Helper()
			gs, err := e.store.ListGrants(ctx, storage.PersistedGrantFilter{Subject: "u-alice", Type: storage.GrantAuthorizationCode}, e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			return len(gs)
		}
		before := codes()

		// Another instance on the same store signs the browser out.
		other := newInstance(t, e.store, e.clk, nil)
		ob := other.browser()
		here, there := parseURL(e.srv.URL), parseURL(other.srv.URL)
		ob.Client.Jar.SetCookies(there, b.Client.Jar.Cookies(here))
		if p := ob.get(signin.EndSessionPath + "?id_token_hint=" + hintOf("u-alice", "quiet")); p.Status != http.StatusOK {
			t.Fatalf("logout on the other instance: status %d\n%s", p.Status, cut(p.Body))
		}

		q = clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none")))
		if q.Get("error") != oauth.LoginRequired || q.Get("code") != "" {
			t.Errorf("prompt=none after a logout on another instance: %v, want login_required", q)
		}
		if p := b.authorize(newAuthReq("quiet", "openid")); p.URL.Path != signin.LoginPath || p.Status != http.StatusOK {
			t.Errorf("authorize after a logout on another instance went to %s (status %d), want the login page", p.URL, p.Status)
		}
		if n := codes(); n != before {
			t.Errorf("%d codes stored for alice after her session ended elsewhere, want %d as before", n, before)
		}

		// Signed in again, then the session deleted in the store (the
		// CLI's signet user disable): no code either.
		b.signIn()
		if _, err := e.store.DeleteSessions(ctx, "u-alice"); err != nil {
			t.Fatal(err)
		}
		q = clientResponse(t, b.authorize(newAuthReq("quiet", "openid", "prompt", "none")))
		if q.Get("error") != oauth.LoginRequired {
			t.Errorf("prompt=none after the store ended the session: %v, want login_required", q)
		}
	})
}
