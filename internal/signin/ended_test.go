package signin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
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

		// An answer other than a code is decided on the stored session:
		// to a client that asks consent, a remembered session ended
		// elsewhere is no session (login_required, the login page), not
		// one that needs consent.
		for _, extra := range [][]string{{"prompt", "none"}, nil} {
			b.signIn()
			if _, err := e.store.DeleteSessions(ctx, "u-alice"); err != nil {
				t.Fatal(err)
			}
			p := b.authorize(newAuthReq("web", "openid", extra...))
			if extra != nil {
				if q := clientResponse(t, p); q.Get("error") != oauth.LoginRequired {
					t.Errorf("prompt=none to a client asking consent, the session ended elsewhere: %v, want login_required", q)
				}
			} else if p.URL.Path != signin.LoginPath {
				t.Errorf("authorize to a client asking consent, the session ended elsewhere: at %s, want the login page", p.URL)
			}
		}
	})
}

// endingGrants ends the sessions of subject just before the next code is
// stored, once armed: a logout elsewhere between the session's read and
// the code's insert.
type endingGrants struct {
	tokens.GrantStore
	store   storage.Store
	subject string
	armed   atomic.Bool
}

func (g *endingGrants) CreateGrantInSession(ctx context.Context, gr storage.PersistedGrant, now time.Time) error {
	if g.armed.CompareAndSwap(true, false) {
		if _, err := g.store.DeleteSessions(ctx, g.subject); err != nil {
			return err
		}
	}
	return g.GrantStore.CreateGrantInSession(ctx, gr, now)
}

// TestSessionEndsBeforeTheCode: the session ends between the consent
// page's POST (or the callback after a login) reading it and the code's
// insert: no code; the browser is sent to the login page, and signing in
// there gets the code.
func TestSessionEndsBeforeTheCode(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, e *env) {
		eg := &endingGrants{GrantStore: e.tokens.Grants, store: e.store, subject: "u-alice"}
		e.tokens.Grants = eg
		b := e.browser()
		p := b.login(b.authorize(newAuthReq("web", "openid profile")), "alice", alicePass)
		if p.URL.Path != signin.ConsentPath {
			t.Fatalf("after login at %s, want the consent page", p.URL)
		}
		eg.armed.Store(true)
		p = b.submit(onlyForm(t, p), "decision=allow", nil)
		if p.URL.Path != signin.LoginPath || p.Status != http.StatusOK {
			t.Fatalf("consent given as the session ended: at %s (status %d), want the login page:\n%s", p.URL, p.Status, cut(p.Body))
		}
		if !strings.Contains(e.log.String(), "the session ended before its code was issued") {
			t.Error("no log line for the code refused to an ended session")
		}
		// Signing in again: consent was remembered, so the code.
		p = b.login(p, "alice", alicePass)
		if q := clientResponse(t, p); q.Get("code") == "" {
			t.Fatalf("after signing in again: %v, want a code", q)
		}

		// The callback after a login: the same.
		b2 := e.browser()
		p = b2.authorize(newAuthReq("quiet", "openid"))
		eg.armed.Store(true)
		p = b2.login(p, "alice", alicePass)
		if p.URL.Path != signin.LoginPath || p.Status != http.StatusOK {
			t.Fatalf("signed in as the session ended: at %s (status %d), want the login page", p.URL, p.Status)
		}
		if q := clientResponse(t, b2.login(p, "alice", alicePass)); q.Get("code") == "" {
			t.Fatalf("after signing in again: %v, want a code", q)
		}
	})
}

// TestAuthorizeReadsNoSession: once this instance has read or started a
// browser's session, an authorization that goes straight to a code reads
// neither the session nor the user (the code's insert checks the session).
func TestAuthorizeReadsNoSession(t *testing.T) {
	t.Parallel()
	clk := testsupport.NewClock(start)
	store := &testsupport.ReadCounter{Store: memory.New(memory.Options{Now: clk.Now})}
	e := newEnv(t, store, clk, nil)
	b := e.browser()
	b.signIn()
	s0, u0 := store.Sessions.Load(), store.Users.Load()
	for range 5 {
		a := newAuthReq("quiet", "openid")
		if q := clientResponse(t, b.authorize(a)); q.Get("code") == "" {
			t.Fatalf("authorize with a session: %v, want a code", q)
		}
	}
	if s, u := store.Sessions.Load()-s0, store.Users.Load()-u0; s != 0 || u != 0 {
		t.Errorf("5 authorizations with a remembered session read the session %d times and the user %d times, want 0", s, u)
	}
}
