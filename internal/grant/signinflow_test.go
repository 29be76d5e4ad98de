package grant

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

const (
	webRedirect = "https://app.example/cb"
	webVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789"
)

// signInFixture is a token endpoint whose codes and refresh tokens are kept
// in store, with the confidential client "web" (authorization_code,
// offline access) and the user u-alice.
type signInFixture struct {
	*fixture
	store storage.Store
	web   *client.Client
}

func newSignInFixture(t *testing.T, store storage.Store) *signInFixture {
	t.Helper()
	return newSignInFixtureUsers(t, store, store)
}

// newSignInFixtureUsers is newSignInFixture with the token endpoint's
// users read through users.
func newSignInFixtureUsers(t *testing.T, store storage.Store, users Users) *signInFixture {
	t.Helper()
	sf := &signInFixture{store: store}
	sf.fixture = newFixture(t, func(f *fixture, o *Options) {
		sf.web = &client.Client{ID: "web", GrantTypes: []string{"authorization_code"}, Secrets: f.clients["app"].Secrets,
			Scopes: []string{"openid", "profile", "api1", "api2"}, RedirectURIs: []string{webRedirect},
			AllowOfflineAccess: true, RequirePKCE: true}
		f.clients["web"] = sf.web
		f.tokens.Grants = store
		o.Users = users
	})
	if err := store.CreateUser(t.Context(), storage.User{ID: "u-alice", Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	// The session the codes are issued in (IssueCode stores a code only
	// while its session is live).
	now := time.Now().UTC()
	if err := store.CreateSession(t.Context(), storage.Session{ID: "sid-1", Subject: "u-alice", AuthTime: now, AMR: []string{"pwd"},
		Created: now, Expires: now.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return sf
}

// code issues a code for alice at web with scopes, as the authorization
// endpoint does, with PKCE S256 of webVerifier.
func (sf *signInFixture) code(t *testing.T, scopes ...string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(webVerifier))
	code, err := sf.tokens.IssueCode(t.Context(), tokens.Authorization{
		ClientID: "web", Subject: "u-alice", SessionID: "sid-1", Scopes: scopes, RedirectURI: webRedirect,
		CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), CodeChallengeMethod: "S256",
		AuthTime: sf.now.Add(-time.Minute), AMR: []string{"pwd"},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (sf *signInFixture) redeem(code string) result {
	return sf.post(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect},
		"code_verifier": {webVerifier}}, basic("web", sf.secret))
}

func (sf *signInFixture) refresh(rt, scope string) result {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return sf.post(form, basic("web", sf.secret))
}

// Two redemptions of one code at once, on every backend: exactly one gets
// tokens, the other invalid_grant; and two refreshes of one refresh token
// at once: exactly one gets tokens, and the other's reuse revokes the
// family, the winner's new refresh token included.
func TestConcurrentRedemptions(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			sf := newSignInFixture(t, b.OpenOne(t, nil))
			for range 5 {
				code := sf.code(t, "openid", "api1", "offline_access")
				results := race(2, func() result { return sf.redeem(code) })
				// The second use revokes what the first got: when it
				// comes before the first has its refresh token, the first
				// fails too.
				ok, refused := count(results)
				if ok > 1 || ok+refused != 2 {
					t.Fatalf("two redemptions of one code: %d succeeded, %d got invalid_grant: %v", ok, refused, results)
				}
				if ok == 1 {
					rt := winner(results).body["refresh_token"].(string)
					if res := sf.refresh(rt, ""); res.status != http.StatusBadRequest || res.body["error"] != "invalid_grant" {
						t.Fatalf("the refresh token of a code redeemed twice: %d %v; want invalid_grant", res.status, res.body)
					}
				}

				code = sf.code(t, "openid", "api1", "offline_access")
				res := sf.redeem(code)
				rt := res.body["refresh_token"].(string)
				results = race(2, func() result { return sf.refresh(rt, "") })
				ok, refused = count(results)
				if ok != 1 || refused != 1 {
					t.Fatalf("two refreshes of one refresh token: %d succeeded, %d got invalid_grant: %v", ok, refused, results)
				}
				next := winner(results).body["refresh_token"].(string)
				if res := sf.refresh(next, ""); res.status != http.StatusBadRequest || res.body["error"] != "invalid_grant" {
					t.Fatalf("the winner's refresh token after a reuse: %d %v; want invalid_grant (family revoked)", res.status, res.body)
				}
			}
		})
	}
}

// race runs f n times at once and returns the results.
func race(n int, f func() result) []result {
	out := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Go(func() {
			<-start
			out[i] = f()
		})
	}
	close(start)
	wg.Wait()
	return out
}

func count(results []result) (ok, refused int) {
	for _, r := range results {
		switch {
		case r.status == http.StatusOK:
			ok++
		case r.status == http.StatusBadRequest && r.body["error"] == "invalid_grant":
			refused++
		}
	}
	return ok, refused
}

func winner(results []result) result {
	for _, r := range results {
		if r.status == http.StatusOK {
			return r
		}
	}
	return result{}
}
