package jwtauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/jwtauth"
)

// fast is a timing for tests: quick retries and short fetches.
func fast() jwtauth.Timing {
	tm := jwtauth.DefaultTiming()
	tm.BackoffMin, tm.BackoffMax = 10*time.Millisecond, 40*time.Millisecond
	tm.FetchTimeout = 300 * time.Millisecond
	return tm
}

// newTimedValidator is newValidator with timings, and an HTTP client
// without Timeout so that Timing.FetchTimeout applies.
func newTimedValidator(t *testing.T, ctx context.Context, p *provider, tm jwtauth.Timing, change func(*jwtauth.Options)) *jwtauth.Validator {
	t.Helper()
	opts := jwtauth.Options{Issuer: p.issuer, Audience: audience, HTTPClient: &http.Client{}, Now: func() time.Time { return testNow }, Logger: testLogger(t)}
	return openValidator(t, opts, change, func(o jwtauth.Options) (*jwtauth.Validator, error) { return jwtauth.NewWithTiming(ctx, o, tm) })
}

// eventually polls cond for up to 3 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An unknown kid forces exactly one refetch, then fails; a second token
// with an unknown kid within MinRefreshInterval fetches nothing.
func TestUnknownKidRefetchesOnce(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	v := newValidator(t, p, nil)
	if n := p.jwksHits.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches at New, want 1", n)
	}
	for range 3 {
		_, err := v.Validate(t.Context(), sign(t, key("rsa2"), nil, claimsFor(p.issuer)))
		wantErr(t, err, jwtauth.ErrUnknownKey, `kid "RSA2-KID" is not among the issuer's keys, which are: RSA-KID`)
		var ve *jwtauth.ValidationError
		if errors.As(err, &ve); ve.KeyID != "RSA2-KID" || !slices.Equal(ve.Known, []string{"RSA-KID"}) {
			t.Errorf("KeyID %q, Known %q", ve.KeyID, ve.Known)
		}
	}
	if n := p.jwksHits.Load(); n != 2 {
		t.Errorf("%d JWKS fetches, want 2 (one at New, one refetch)", n)
	}
	// Without a kid and with no key that fits: the same, no more fetches.
	_, err := v.Validate(t.Context(), sign(t, key("p256"), map[string]any{"kid": nil}, claimsFor(p.issuer)))
	wantErr(t, err, jwtauth.ErrUnknownKey, "the token has no kid, and none of the issuer's keys fits ES256")
	if n := p.jwksHits.Load(); n != 2 {
		t.Errorf("%d JWKS fetches, want 2", n)
	}
	if n := p.discoveryHits.Load(); n != 1 {
		t.Errorf("%d discovery fetches, want 1", n)
	}
}

// A key that appears in the JWKS is accepted without a restart.
func TestRotation(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	v := newValidator(t, p, nil)
	p.publish(key("rsa"), key("rsa2"))
	_, err := v.Validate(t.Context(), sign(t, key("rsa2"), nil, claimsFor(p.issuer)))
	wantErr(t, err, nil, "")
	if ids := v.KeyIDs(); !slices.Equal(ids, []string{"RSA-KID", "RSA2-KID"}) {
		t.Errorf("KeyIDs %q", ids)
	}
	if n := p.jwksHits.Load(); n != 2 {
		t.Errorf("%d JWKS fetches, want 2", n)
	}
}

// 1,000 concurrent requests with the same unknown kid cause one fetch.
func TestConcurrentUnknownKid(t *testing.T) {
	t.Parallel()
	for _, published := range []bool{false, true} {
		name := map[bool]string{false: "still unknown", true: "published"}[published]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, key("rsa"))
			v := newValidator(t, p, nil)
			if published {
				p.publish(key("rsa"), key("rsa3"))
			}
			p.jwksDelay.Store(int64(50 * time.Millisecond)) // all of them arrive while it is in flight
			tok := sign(t, key("rsa3"), nil, claimsFor(p.issuer))
			var wg sync.WaitGroup
			errs := make([]error, 1000)
			for i := range errs {
				wg.Go(func() { _, errs[i] = v.Validate(t.Context(), tok) })
			}
			wg.Wait()
			for _, err := range errs {
				if published {
					wantErr(t, err, nil, "")
				} else {
					wantErr(t, err, jwtauth.ErrUnknownKey, "")
				}
			}
			if n := p.jwksHits.Load() - 1; n != 1 {
				t.Errorf("%d JWKS fetches for 1,000 requests, want 1", n)
			}
		})
	}
}

// With the JWKS down after warm-up, cached keys keep working, and Validate
// never hangs on the refetch an unknown kid forces.
func TestJWKSDownAfterWarmup(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"failing", "hanging"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, key("rsa"))
			v := newTimedValidator(t, t.Context(), p, fast(), nil)
			if mode == "failing" {
				p.down.Store(true)
			} else {
				p.hang.Store(true)
			}
			good := sign(t, key("rsa"), nil, claimsFor(p.issuer))
			for range 3 {
				if _, err := v.Validate(t.Context(), good); err != nil {
					t.Fatalf("cached key: %v", err)
				}
			}
			if err := v.Ready(); err != nil {
				t.Errorf("Ready: %v", err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := v.Validate(ctx, sign(t, key("rsa2"), nil, claimsFor(p.issuer)))
			if d := time.Since(start); d > time.Second {
				t.Errorf("Validate took %v", d)
			}
			if mode == "failing" {
				wantErr(t, err, jwtauth.ErrKeysUnavailable, `kid "RSA2-KID" is not among the cached keys (RSA-KID), and they could not be refreshed: GET `+p.issuer+"/jwks: status 503 Service Unavailable")
			} else {
				wantErr(t, err, jwtauth.ErrKeysUnavailable, "the refresh did not finish in time: context deadline exceeded")
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("errors.Is(err, context.DeadlineExceeded) is false")
				}
			}
			if _, err := v.Validate(t.Context(), good); err != nil {
				t.Fatalf("cached key after the failed refresh: %v", err)
			}
		})
	}
}

// Cold start with the provider down: New returns (bounded by ctx), Validate
// says the keys are unavailable and why, Ready too; once the provider is up
// the keys load in the background.
func TestColdStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode string
		msg  func(p *provider) string
	}{
		{"failing", func(p *provider) string {
			return "the issuer's keys could not be loaded (retrying in the background): GET " + p.issuer + "/.well-known/openid-configuration: status 503 Service Unavailable"
		}},
		{"hanging", func(p *provider) string {
			return "the issuer's keys are not loaded yet: the first fetch has not finished"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, key("rsa"))
			if tt.mode == "failing" {
				p.down.Store(true)
			} else {
				p.hang.Store(true)
			}
			tm := fast()
			tm.FetchTimeout = time.Second
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			v := newTimedValidator(t, ctx, p, tm, nil)
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("New took %v", d)
			}
			if tt.mode == "failing" {
				eventually(t, "the first fetch fails", func() bool {
					return p.discoveryHits.Load() > 0 && v.Ready() != nil && !strings.Contains(v.Ready().Error(), "not loaded yet")
				})
			}
			wantErr(t, v.Ready(), jwtauth.ErrKeysUnavailable, tt.msg(p))
			tok := sign(t, key("rsa"), nil, claimsFor(p.issuer))
			vctx, vcancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer vcancel()
			_, err := v.Validate(vctx, tok)
			wantErr(t, err, jwtauth.ErrKeysUnavailable, "")
			if v.KeyIDs() != nil {
				t.Errorf("KeyIDs %q", v.KeyIDs())
			}

			p.down.Store(false)
			p.hang.Store(false)
			eventually(t, "the keys load", func() bool { return v.Ready() == nil })
			if _, err := v.Validate(t.Context(), tok); err != nil {
				t.Errorf("after the keys loaded: %v", err)
			}
		})
	}
}

func TestUnreachableIssuer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	issuer := srv.URL
	srv.Close()
	v, err := jwtauth.New(t.Context(), jwtauth.Options{Issuer: issuer, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	wantErr(t, v.Ready(), jwtauth.ErrKeysUnavailable, "GET "+issuer+"/.well-known/openid-configuration: dial tcp")
	var ve *jwtauth.ValidationError
	if errors.As(v.Ready(), &ve); ve.Err == nil {
		t.Error("no cause in Err")
	}
}

// The discovery document must name the configured issuer exactly: it is a
// configuration error, so New reports it.
func TestDiscoveryIssuerMismatch(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	other := p.issuer + "/"
	p.mu.Lock()
	p.docIssuer = &other
	p.mu.Unlock()
	_, err := jwtauth.New(t.Context(), jwtauth.Options{Issuer: p.issuer, Audience: audience})
	if err == nil || !strings.Contains(err.Error(), `says issuer "`+other+`", but Options.Issuer is "`+p.issuer+`"; they must be equal, byte for byte`) {
		t.Errorf("error %v", err)
	}
}

// JWKSURI skips discovery.
func TestJWKSURI(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	v := newValidator(t, p, func(o *jwtauth.Options) { o.JWKSURI = p.issuer + "/jwks" })
	if _, err := v.Validate(t.Context(), sign(t, key("rsa"), nil, claimsFor(p.issuer))); err != nil {
		t.Fatal(err)
	}
	if p.discoveryHits.Load() != 0 {
		t.Error("discovery was read")
	}
}

// The default client follows no redirect to another host.
func TestRedirectToAnotherHostRefused(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	redirector := httptest.NewServer(http.RedirectHandler(p.issuer+"/.well-known/openid-configuration", http.StatusFound))
	defer redirector.Close()
	v, err := jwtauth.New(t.Context(), jwtauth.Options{Issuer: redirector.URL, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	wantErr(t, v.Ready(), jwtauth.ErrKeysUnavailable, "redirect from http://"+strings.TrimPrefix(redirector.URL, "http://")+" to "+p.issuer+" refused")
	if p.discoveryHits.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

// The refresh interval follows Cache-Control max-age, within [1m, 24h],
// and is 1h without it.
func TestCacheControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"public, max-age=900", 15 * time.Minute},
		{"max-age=7200, must-revalidate", 2 * time.Hour},
		{"max-age=30", time.Minute},
		{"max-age=0", time.Minute},
		{"no-store", time.Minute},
		{"public, max-age=900, no-cache", time.Minute},
		{"max-age=172800", 24 * time.Hour},
		{"max-age=99999999999999999999", 24 * time.Hour},
		{"", time.Hour},
		{"public", time.Hour},
		{"max-age=soon", time.Hour},
		{"max-age=-5", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, key("rsa"))
			p.setCacheControl(tt.header)
			v := newValidator(t, p, nil)
			if got := v.RefreshIn(); got < tt.want-5*time.Second || got > tt.want {
				t.Errorf("next refresh in %v, want %v", got, tt.want)
			}
		})
	}
}

// The background refresh runs when max-age says, without any token
// asking for it, and an unchanged JWKS costs a 304.
func TestBackgroundRefresh(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	p.setCacheControl("max-age=0")
	tm := fast()
	tm.MinMaxAge = 20 * time.Millisecond
	v := newTimedValidator(t, t.Context(), p, tm, nil)
	eventually(t, "an unchanged JWKS is answered 304", func() bool { return p.notModified.Load() >= 2 })
	if ids := v.KeyIDs(); !slices.Equal(ids, []string{"RSA-KID"}) {
		t.Errorf("KeyIDs after 304s: %q", ids)
	}
	p.publish(key("rsa2"))
	eventually(t, "the new key is loaded", func() bool { return slices.Equal(v.KeyIDs(), []string{"RSA2-KID"}) })
	hits := p.jwksHits.Load()
	v.Close()
	v.Close()
	time.Sleep(50 * time.Millisecond)
	if p.jwksHits.Load() > hits+1 {
		t.Error("fetches continue after Close")
	}
	// After Close, cached keys work and nothing is fetched.
	if _, err := v.Validate(t.Context(), sign(t, key("rsa2"), nil, claimsFor(p.issuer))); err != nil {
		t.Errorf("after Close: %v", err)
	}
	hits = p.jwksHits.Load()
	_, err := v.Validate(t.Context(), sign(t, key("rsa3"), nil, claimsFor(p.issuer)))
	wantErr(t, err, jwtauth.ErrUnknownKey, "")
	if p.jwksHits.Load() != hits {
		t.Error("a fetch after Close")
	}
}

// A failed refresh is retried with backoff, and the keys keep working.
func TestRefreshRetriedAfterFailure(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	p.setCacheControl("max-age=0")
	tm := fast()
	tm.MinMaxAge = 20 * time.Millisecond
	v := newTimedValidator(t, t.Context(), p, tm, nil)
	p.down.Store(true)
	hits := func() int64 { return p.jwksHits.Load() + p.discoveryHits.Load() }
	start := hits()
	eventually(t, "retries", func() bool { return hits() > start+3 })
	if err := v.Ready(); err != nil {
		t.Errorf("Ready while the JWKS is down: %v", err)
	}
	p.publish(key("rsa2"))
	p.down.Store(false)
	eventually(t, "recovery", func() bool { return slices.Equal(v.KeyIDs(), []string{"RSA2-KID"}) })
}

// What goes wrong with discovery or the JWKS is said plainly.
func TestFetchFailures(t *testing.T) {
	t.Parallel()
	good := string(jwks(t, key("rsa")))
	tests := []struct {
		name      string
		discovery func(url string) string // the document; "" answers 404
		jwks      string
		msg       string
	}{
		{"no discovery document", func(string) string { return "" }, good, "/.well-known/openid-configuration: status 404 Not Found"},
		{"discovery not JSON", func(string) string { return "<html>" }, good, "the discovery document at http://"},
		{"discovery without issuer", func(u string) string { return `{"jwks_uri":"` + u + `/jwks"}` }, good, "has no issuer member"},
		{"discovery without jwks_uri", func(u string) string { return `{"issuer":"` + u + `"}` }, good, "has no jwks_uri"},
		{"jwks_uri over http", func(u string) string { return `{"issuer":"` + u + `","jwks_uri":"http://keys.example.com/jwks"}` }, good,
			`its jwks_uri "http://keys.example.com/jwks" is http`},
		{"JWKS not a key set", nil, `{"kids":[]}`, `the JWKS at http://`},
		{"JWKS over 1 MiB", nil, `{"keys":[` + strings.Repeat(" ", 1<<20) + `]}`, "the body is over 1048576 bytes"},
		{"JWKS with only unusable keys", nil, string(jwks(t, key("rsa1024"))), `has no usable key (skipped: key "RSA1024-KID": RSA key of 1024 bits, under 2048)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/.well-known/openid-configuration":
					doc := `{"issuer":"` + srv.URL + `","jwks_uri":"` + srv.URL + `/jwks"}`
					if tt.discovery != nil {
						doc = tt.discovery(srv.URL)
					}
					if doc == "" {
						http.NotFound(w, r)
						return
					}
					_, _ = w.Write([]byte(doc))
				case "/jwks":
					_, _ = w.Write([]byte(tt.jwks))
				}
			}))
			defer srv.Close()
			v, err := jwtauth.New(t.Context(), jwtauth.Options{Issuer: srv.URL, Audience: audience, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			wantErr(t, v.Ready(), jwtauth.ErrKeysUnavailable, tt.msg)
		})
	}
}

// An RSA key under 2048 bits in a fetched JWKS is ignored, with a log line.
func TestSmallRSAKeyIgnored(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa1024"), key("rsa"))
	v := newValidator(t, p, nil)
	if ids := v.KeyIDs(); !slices.Equal(ids, []string{"RSA-KID"}) {
		t.Errorf("KeyIDs %q", ids)
	}
	_, err := v.Validate(t.Context(), sign(t, key("rsa1024"), nil, claimsFor(p.issuer)))
	wantErr(t, err, jwtauth.ErrUnknownKey, `kid "RSA1024-KID" is not among the issuer's keys, which are: RSA-KID`)
}
