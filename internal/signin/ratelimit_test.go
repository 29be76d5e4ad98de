package signin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/ratelimit"
	"github.com/signetid/signet/internal/signin"
)

// TestLoginRateLimitPerUser: password POSTs for one username past its
// burst get the login page with 429, Retry-After and a readable message,
// whatever the password; another username is not held up; after the wait
// the right password signs in.
func TestLoginRateLimitPerUser(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, func(o *signin.Options) {
		o.RateLimits = signin.RateLimits{PerIP: ratelimit.Rate{PerSecond: 100, Burst: 100}, PerUser: ratelimit.Rate{PerSecond: 0.1, Burst: 2}}
	})
	b := e.browser()
	for range 2 {
		if p := b.login(b.authorize(newAuthReq("quiet", "openid")), "BOB", "wrong"); p.Status != http.StatusOK {
			t.Fatalf("within the burst: status %d", p.Status)
		}
	}
	p := b.login(b.authorize(newAuthReq("quiet", "openid")), "bob", "bob's password")
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") != "10" || p.URL.Path != signin.LoginPath {
		t.Fatalf("over the burst: status %d, Retry-After %q at %s; want the login page, 429, 10", p.Status, p.Header.Get("Retry-After"), p.URL)
	}
	if !strings.Contains(p.Body, "Too many sign-in attempts. Wait a moment, then try again.") || !strings.Contains(p.Body, "Try again after") {
		t.Errorf("over the burst: the page does not say to wait:\n%s", cut(p.Body))
	}
	checkPageHeaders(t, p)
	if q := clientResponse(t, b.login(b.authorize(newAuthReq("quiet", "openid")), "alice", alicePass)); q.Get("code") == "" {
		t.Errorf("another user was held up: %v", q)
	}
	e.clk.Advance(10 * time.Second)
	b = e.browser()
	if q := clientResponse(t, b.login(b.authorize(newAuthReq("quiet", "openid")), "bob", "bob's password")); q.Get("code") == "" {
		t.Errorf("after the wait: %v", q)
	}
}

// TestLoginRateLimitPerIP: login POSTs from one address past its burst
// are refused, whoever they name.
func TestLoginRateLimitPerIP(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, func(o *signin.Options) {
		o.RateLimits = signin.RateLimits{PerIP: ratelimit.Rate{PerSecond: 0.5, Burst: 2}}
	})
	b := e.browser()
	b.login(b.authorize(newAuthReq("quiet", "openid")), "x", "y")
	b.login(b.authorize(newAuthReq("quiet", "openid")), "z", "y")
	p := b.login(b.authorize(newAuthReq("quiet", "openid")), "alice", alicePass)
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") != "2" {
		t.Fatalf("over the address's burst: status %d, Retry-After %q; want 429, 2", p.Status, p.Header.Get("Retry-After"))
	}
	e.clk.Advance(2 * time.Second)
	if q := clientResponse(t, b.login(b.authorize(newAuthReq("quiet", "openid")), "alice", alicePass)); q.Get("code") == "" {
		t.Errorf("after the wait: %v", q)
	}
}

// TestLoginRateLimitPerUserFolded: the per-user limit counts a username as
// the users store compares it (storage.NormalizeUsername), so that spelling
// it in fullwidth letters, as a ligature or in another case, each of which
// signs in as the same user, does not buy more guesses.
func TestLoginRateLimitPerUserFolded(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, func(o *signin.Options) {
		o.RateLimits = signin.RateLimits{PerIP: ratelimit.Rate{PerSecond: 100, Burst: 100}, PerUser: ratelimit.Rate{PerSecond: 0.1, Burst: 2}}
	})
	b := e.browser()
	for _, name := range []string{"ｂｏｂ", "BoB"} {
		if p := b.login(b.authorize(newAuthReq("quiet", "openid")), name, "wrong"); p.Status != http.StatusOK {
			t.Fatalf("%q within the burst: status %d", name, p.Status)
		}
	}
	p := b.login(b.authorize(newAuthReq("quiet", "openid")), "ｂoｂ", "bob's password")
	if p.Status != http.StatusTooManyRequests {
		t.Fatalf("a third spelling of bob past the burst of 2: status %d, want 429", p.Status)
	}
}
