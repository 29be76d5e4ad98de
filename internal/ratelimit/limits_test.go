package ratelimit_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/ratelimit"
	"github.com/signetid/signet/internal/testsupport"
)

func remoteIP(r *http.Request) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return host
}

func writeError(w http.ResponseWriter, _ *http.Request, err *oauth.Error) { oauth.WriteError(w, err) }

// TestMiddleware: the token path answers 429 slow_down with Retry-After
// past the burst, per address; discovery and health routes are never
// limited; the address reaches the handler's context.
func TestMiddleware(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := ratelimit.New(ratelimit.Options{
		Paths:    []string{"/connect/token"},
		PerIP:    ratelimit.Rate{PerSecond: 1, Burst: 2},
		Failures: ratelimit.NewFailures(ratelimit.FailureOptions{Now: clock.Now}),
		ClientIP: remoteIP,
		Now:      clock.Now,
	})
	var sawAddr string
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAddr = ratelimit.Addr(r.Context())
		w.WriteHeader(http.StatusOK)
	})
	token := l.Middleware(endpoint.Route{Path: "/connect/token", Kind: endpoint.API, Refuse: writeError}, ok)
	disco := l.Middleware(endpoint.Route{Path: "/.well-known/openid-configuration", Kind: endpoint.API, Refuse: writeError}, ok)
	health := l.Middleware(endpoint.Route{Path: "/connect/token", Kind: endpoint.Health, Refuse: writeError}, ok)

	do := func(h http.Handler, addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/connect/token", nil)
		r.RemoteAddr = addr + ":1234"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 2 {
		if w := do(token, "192.0.2.1"); w.Code != http.StatusOK {
			t.Fatalf("request %d of the burst: %d", i+1, w.Code)
		}
	}
	if sawAddr != "192.0.2.1" {
		t.Errorf("the handler saw address %q", sawAddr)
	}
	w := do(token, "192.0.2.1")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %d, Retry-After %q; want 429, 1", w.Code, w.Header().Get("Retry-After"))
	}
	var body struct{ Error, ErrorDescription string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != oauth.SlowDown {
		t.Fatalf("over the burst: body %s (%v), want error slow_down", w.Body, err)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("the 429 is cacheable")
	}
	if w := do(token, "192.0.2.2"); w.Code != http.StatusOK {
		t.Fatalf("another address: %d", w.Code)
	}
	for range 100 {
		if w := do(disco, "192.0.2.1"); w.Code != http.StatusOK {
			t.Fatalf("discovery limited: %d", w.Code)
		}
		if w := do(health, "192.0.2.1"); w.Code != http.StatusOK {
			t.Fatalf("a health route limited: %d", w.Code)
		}
	}
	clock.Advance(time.Second)
	if w := do(token, "192.0.2.1"); w.Code != http.StatusOK {
		t.Fatalf("a second later: %d", w.Code)
	}
}

// TestLimiterClientAuth: Before refuses an address past its failures,
// Authenticated limits per key.
func TestLimiterClientAuth(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := ratelimit.New(ratelimit.Options{
		PerClient: ratelimit.Rate{PerSecond: 1, Burst: 1},
		Failures:  ratelimit.NewFailures(ratelimit.FailureOptions{MaxFailures: 2, Window: time.Minute, Now: clock.Now}),
		Now:       clock.Now,
	})
	ctx := ratelimit.WithAddr(t.Context(), "192.0.2.9")
	l.Failed(ctx)
	if err := l.Before(ctx); err != nil {
		t.Fatalf("after one failure of two: %v", err)
	}
	l.Failed(ctx)
	err := l.Before(ctx)
	if err == nil || err.Status != http.StatusTooManyRequests || err.Code != oauth.SlowDown || err.RetryAfter != time.Minute {
		t.Fatalf("after two failures: %+v, want 429 slow_down retry 1m", err)
	}
	if err := l.Before(t.Context()); err != nil {
		t.Fatalf("a context without an address was refused: %v", err)
	}
	if err := l.Authenticated(ctx, " c1"); err != nil {
		t.Fatalf("first request of c1: %v", err)
	}
	if err := l.Authenticated(ctx, " c1"); err == nil || err.Status != http.StatusTooManyRequests {
		t.Fatalf("second request of c1 within a second: %v, want 429", err)
	}
	if err := l.Authenticated(ctx, " c2"); err != nil {
		t.Fatalf("c2: %v", err)
	}
}
