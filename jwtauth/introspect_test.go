package jwtauth_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/jwtauth"
)

// An RFC 7662 token service for the tests: discovery, a JWKS, and an
// introspection endpoint that authenticates the API with
// client_secret_basic (RFC 6749 §2.3.1), answers {"active": false} for a
// token it does not know, has revoked or whose exp has passed (on the
// test's clock), and the token's claims with "active": true otherwise. It
// fails the test on any request that RFC 7662 §2.1 does not allow.

const (
	apiName   = "orders api:v1" // a space and a colon: form-encoding shows
	apiSecret = "s3cret/+%=&"
)

type introServer struct {
	t      testing.TB
	srv    *httptest.Server
	issuer string
	clock  *clock

	mu      sync.Mutex
	tokens  map[string]map[string]any // the reference tokens issued, by token
	revoked map[string]bool
	noIntro bool // discovery has no introspection_endpoint

	calls  atomic.Int64
	behind atomic.Int64           // the server's clock is this far behind the test's
	status atomic.Int64           // answer this status with an OAuth error, when set
	body   atomic.Pointer[string] // answer this 200 body, when set
	hold   atomic.Pointer[chan struct{}]
}

func newIntroServer(t testing.TB) *introServer {
	s := &introServer{t: t, tokens: map[string]map[string]any{}, revoked: map[string]bool{}, clock: newClock()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{"issuer": s.issuer, "jwks_uri": s.issuer + "/jwks"}
		s.mu.Lock()
		if !s.noIntro {
			doc["introspection_endpoint"] = s.issuer + "/connect/introspect"
		}
		s.mu.Unlock()
		writeJSON(w, doc)
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(jwks(t, key("rsa")))
	})
	mux.HandleFunc("/connect/introspect", s.introspect)
	s.srv = httptest.NewServer(mux)
	s.issuer = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func (s *introServer) introspect(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	if h := s.hold.Load(); h != nil {
		select {
		case <-*h:
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodPost {
		s.t.Errorf("introspection with %s, RFC 7662 §2.1 wants POST", r.Method)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.t.Errorf("introspection with Content-Type %q", r.Header.Get("Content-Type"))
	}
	if err := r.ParseForm(); err != nil {
		s.t.Errorf("introspection form: %v", err)
	}
	if len(r.URL.RawQuery) > 0 {
		s.t.Errorf("introspection with a query string (the token belongs in the body): %q", r.URL.RawQuery)
	}
	if hint := r.PostForm.Get("token_type_hint"); hint != "access_token" {
		s.t.Errorf("token_type_hint %q", hint)
	}
	if !s.authenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="signet"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	if st := s.status.Load(); st != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(st))
		_, _ = io.WriteString(w, `{"error":"server_error"}`)
		return
	}
	if b := s.body.Load(); b != nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, *b)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_request"})
		return
	}
	s.mu.Lock()
	claims, ok := s.tokens[token]
	ok = ok && !s.revoked[token]
	s.mu.Unlock()
	if exp, isNum := claims["exp"].(int64); ok && isNum && s.clock.now().Add(-time.Duration(s.behind.Load())).Unix() >= exp {
		ok = false
	}
	if !ok {
		writeJSON(w, map[string]any{"active": false})
		return
	}
	writeJSON(w, with(claims, map[string]any{"active": true}))
}

// authenticated checks client_secret_basic: the name and secret are each
// form-encoded before they are joined (RFC 6749 §2.3.1).
func (s *introServer) authenticated(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	name, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil || user != url.QueryEscape(name) {
		s.t.Errorf("Basic credentials not form-encoded: %q", user)
		return false
	}
	return name == apiName && subtle.ConstantTimeCompare([]byte(secret), []byte(apiSecret)) == 1
}

// issue makes a reference token with claims (claimsFor's, changed).
func (s *introServer) issue(changes map[string]any) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.tokens[token] = with(claimsFor(s.issuer), changes)
	s.mu.Unlock()
	return token
}

func (s *introServer) revoke(token string) {
	s.mu.Lock()
	s.revoked[token] = true
	s.mu.Unlock()
}

// holdCalls makes the endpoint wait until release is called.
func (s *introServer) holdCalls() (release func()) {
	ch := make(chan struct{})
	s.hold.Store(&ch)
	var once sync.Once
	return func() { once.Do(func() { s.hold.Store(nil); close(ch) }) }
}

// clock is a test clock that starts at testNow.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(testNow.UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// logBuffer collects a Validator's log, for checks that no token or secret
// is ever in it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// introValidator makes a Validator for s with introspection, on s's clock,
// and checks at the end of the test that its log holds no token of s and
// not the secret.
func introValidator(t *testing.T, s *introServer, change func(*jwtauth.Options)) (*jwtauth.Validator, *logBuffer) {
	t.Helper()
	return introValidatorTiming(t, s, change, jwtauth.DefaultTiming())
}

func introValidatorTiming(t *testing.T, s *introServer, change func(*jwtauth.Options), tm jwtauth.Timing) (*jwtauth.Validator, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts := jwtauth.Options{
		Issuer: s.issuer, Audience: audience, Now: s.clock.now,
		Introspection: &jwtauth.Introspection{ClientID: apiName, ClientSecret: apiSecret},
		Logger:        slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	t.Cleanup(func() {
		out := logs.String()
		if strings.Contains(out, apiSecret) {
			t.Errorf("the secret is in the log")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for tok := range s.tokens {
			if strings.Contains(out, tok) {
				t.Errorf("a token is in the log")
			}
		}
	})
	v := openValidator(t, opts, change, func(o jwtauth.Options) (*jwtauth.Validator, error) {
		return jwtauth.NewWithTiming(t.Context(), o, tm)
	})
	return v, logs
}

func wantReason(t *testing.T, err, reason error) {
	t.Helper()
	if !errors.Is(err, reason) {
		t.Fatalf("error %v (%s), want %s", err, reasonOf(err), reason)
	}
}

func TestIntrospectionActive(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, nil)
	ref := s.issue(nil)

	c, err := v.Validate(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	// The same claims in a JWT give the very same Claims.
	jc, err := v.Validate(t.Context(), sign(t, key("rsa"), nil, claimsFor(s.issuer)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, jc) {
		t.Errorf("introspected claims\n%+v\nJWT claims\n%+v", c, jc)
	}
	if _, ok := c.Raw["active"]; ok {
		t.Error(`Raw has "active"`)
	}
	if c.Subject != "client1" || c.ClientID != "client1" || !c.HasScope("api2") || c.Audience[0] != audience {
		t.Errorf("claims %+v", c)
	}

	h := v.Middleware(hello)
	if res := serve(t, h, "/", "Bearer "+ref); res.status != http.StatusOK || res.text != "client1 api1,api2" {
		t.Errorf("middleware: %d %q", res.status, res.text)
	}
	if res := serve(t, v.RequireScopes("api1")(hello), "/", "Bearer "+ref); res.status != http.StatusOK {
		t.Errorf("RequireScopes(api1): %d", res.status)
	}
	res := serve(t, v.Middleware(v.RequireScopes("api3")(hello)), "/", "Bearer "+ref)
	if res.status != http.StatusForbidden {
		t.Fatalf("RequireScopes(api3): %d", res.status)
	}
	checkChallenge(t, res.header.Get("WWW-Authenticate"), "insufficient_scope", "api3")
	if n := s.calls.Load(); n != 1 {
		t.Errorf("%d introspections, want 1 (then the cache)", n)
	}
}

func TestIntrospectionRefused(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, func(o *jwtauth.Options) { o.RequiredScopes = []string{"api1"} })
	s.behind.Store(int64(time.Hour)) // so that it calls an expired token active
	revoked := s.issue(nil)
	s.revoke(revoked)
	for _, tc := range []struct {
		name   string
		token  string
		reason error
		status int
	}{
		{"unknown", "Zm9vYmFy", jwtauth.ErrInactive, 401},
		{"revoked", revoked, jwtauth.ErrInactive, 401},
		{"other audience", s.issue(map[string]any{"aud": []string{"https://other.example.com"}}), jwtauth.ErrWrongAudience, 401},
		{"no audience", s.issue(map[string]any{"aud": nil}), jwtauth.ErrWrongAudience, 401},
		{"other issuer", s.issue(map[string]any{"iss": "https://evil.example.com"}), jwtauth.ErrWrongIssuer, 401},
		{"no issuer", s.issue(map[string]any{"iss": nil}), jwtauth.ErrWrongIssuer, 401},
		// The server says active (its clock is behind); ours refuses.
		{"expired", s.issue(map[string]any{"exp": testNow.Add(-10 * time.Minute).Unix()}), jwtauth.ErrExpired, 401},
		{"not yet valid", s.issue(map[string]any{"nbf": testNow.Add(10 * time.Minute).Unix()}), jwtauth.ErrNotYetValid, 401},
		{"no exp", s.issue(map[string]any{"exp": nil}), jwtauth.ErrMalformed, 401},
		{"refresh token", s.issue(map[string]any{"token_type": "refresh_token"}), jwtauth.ErrWrongType, 401},
		{"DPoP", s.issue(map[string]any{"token_type": "DPoP"}), jwtauth.ErrWrongType, 401},
		{"scope missing", s.issue(map[string]any{"scope": "api2"}), jwtauth.ErrInsufficientScope, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Validate(t.Context(), tc.token)
			wantReason(t, err, tc.reason)
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error has the token: %v", err)
			}
			res := serve(t, v.Middleware(hello), "/", "Bearer "+tc.token)
			if res.status != tc.status {
				t.Fatalf("middleware: %d, want %d", res.status, tc.status)
			}
			if strings.Contains(res.text, tc.token) || strings.Contains(fmt.Sprint(res.header), tc.token) {
				t.Errorf("the answer has the token")
			}
			if tc.status == 401 {
				checkChallenge(t, res.header.Get("WWW-Authenticate"), "invalid_token", "")
			}
		})
	}
}

func TestIntrospectionCacheTTL(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, func(o *jwtauth.Options) { o.IntrospectionCacheTTL = 20 * time.Second })
	ref := s.issue(nil)
	validate := func(wantCalls int64, reason error) {
		t.Helper()
		_, err := v.Validate(t.Context(), ref)
		if reason == nil && err != nil {
			t.Fatal(err)
		}
		if reason != nil {
			wantReason(t, err, reason)
		}
		if n := s.calls.Load(); n != wantCalls {
			t.Fatalf("%d introspections, want %d", n, wantCalls)
		}
	}
	validate(1, nil)
	validate(1, nil)
	s.clock.advance(19 * time.Second)
	validate(1, nil)
	// Revoked now: the cached answer still holds, for at most the TTL.
	s.revoke(ref)
	validate(1, nil)
	s.clock.advance(time.Second)
	validate(2, jwtauth.ErrInactive)
	// The inactive answer is reused for 5 seconds.
	validate(2, jwtauth.ErrInactive)
	s.clock.advance(4 * time.Second)
	validate(2, jwtauth.ErrInactive)
	s.clock.advance(time.Second)
	validate(3, jwtauth.ErrInactive)
}

func TestIntrospectionCacheNeverPastExp(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, nil) // TTL 30 s
	ref := s.issue(map[string]any{"exp": testNow.Add(10 * time.Second).Unix()})
	for range 2 {
		if _, err := v.Validate(t.Context(), ref); err != nil {
			t.Fatal(err)
		}
	}
	s.clock.advance(9 * time.Second)
	if _, err := v.Validate(t.Context(), ref); err != nil || s.calls.Load() != 1 {
		t.Fatalf("9 s later: %v, %d introspections", err, s.calls.Load())
	}
	// At exp the cached answer is gone, though within ClockSkew the token
	// would pass: the token service says whether it still lives.
	s.clock.advance(time.Second)
	_, err := v.Validate(t.Context(), ref)
	wantReason(t, err, jwtauth.ErrInactive)
	if n := s.calls.Load(); n != 2 {
		t.Fatalf("%d introspections, want 2", n)
	}
	// A token already past exp (within ClockSkew) is not cached at all.
	s.behind.Store(int64(time.Hour)) // so that it calls it active
	late := s.issue(map[string]any{"exp": s.clock.now().Add(-time.Minute).Unix()})
	for range 2 {
		if _, err := v.Validate(t.Context(), late); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.calls.Load(); n != 4 {
		t.Fatalf("%d introspections, want 4", n)
	}
}

func TestIntrospectionSingleFlight(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, nil)
	ref := s.issue(nil)
	release := s.holdCalls()
	defer release()

	const n = 32
	errs := make(chan error, n)
	for range n {
		go func() { _, err := v.Validate(t.Context(), ref); errs <- err }()
	}
	// One that gives up leaves the others waiting.
	ctx, cancel := context.WithCancel(t.Context())
	quit := make(chan error, 1)
	go func() { _, err := v.Validate(ctx, ref); quit <- err }()
	waitFor(t, func() bool { return v.IntrospectionWaiters(ref) == n+1 })
	cancel()
	wantReason(t, <-quit, jwtauth.ErrIntrospectionFailed)

	release()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := s.calls.Load(); got != 1 {
		t.Errorf("%d introspections for %d concurrent requests, want 1", got, n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestIntrospectionCacheBounded(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, func(o *jwtauth.Options) { o.IntrospectionCacheSize = 3 })
	a, b := s.issue(nil), s.issue(nil)
	check := func(token string, calls int64) {
		t.Helper()
		_, _ = v.Validate(t.Context(), token)
		if n := s.calls.Load(); n != calls {
			t.Fatalf("%d introspections, want %d", n, calls)
		}
		if n := v.IntrospectionCacheLen(); n > 3 {
			t.Fatalf("%d cached answers, over 3", n)
		}
	}
	check(a, 1)
	check(b, 2)
	check("inactive1", 3)
	check("inactive2", 4) // full: inactive1, which expires first, goes
	check(a, 4)
	check(b, 4)
	check("inactive2", 4)
	check("inactive1", 5)
	for i := range 20 {
		check(s.issue(nil), int64(6+i))
	}
	if n := v.IntrospectionCacheLen(); n != 3 {
		t.Errorf("%d cached answers, want 3", n)
	}
}

func TestIntrospectionFailures(t *testing.T) {
	t.Parallel()
	short := jwtauth.DefaultTiming()
	short.FetchTimeout = 200 * time.Millisecond
	for _, tc := range []struct {
		name   string
		change func(*jwtauth.Options)
		break_ func(s *introServer) (fix func())
		inLog  string
	}{
		{name: "500", break_: func(s *introServer) func() {
			s.status.Store(500)
			return func() { s.status.Store(0) }
		}, inLog: "500"},
		{name: "503", break_: func(s *introServer) func() {
			s.status.Store(503)
			return func() { s.status.Store(0) }
		}, inLog: "503"},
		{name: "timeout", change: func(o *jwtauth.Options) { o.HTTPClient = &http.Client{} },
			break_: func(s *introServer) func() { return s.holdCalls() }, inLog: "deadline exceeded"},
		{name: "wrong secret", change: func(o *jwtauth.Options) { o.Introspection.ClientSecret = "wrong" },
			inLog: "check Introspection.ClientID and ClientSecret"},
		{name: "unreachable", change: func(o *jwtauth.Options) {
			dead := httptest.NewServer(http.NotFoundHandler())
			dead.Close()
			o.Introspection.Endpoint = dead.URL + "/connect/introspect"
		}, inLog: "connection refused"},
		{name: "redirect", change: func(o *jwtauth.Options) {
			to := o.Issuer + "/connect/introspect"
			away := httptest.NewServer(http.RedirectHandler(to, http.StatusTemporaryRedirect))
			t.Cleanup(away.Close)
			o.Introspection.Endpoint = away.URL
		}, inLog: "not redirected"},
		{name: "not JSON", break_: func(s *introServer) func() {
			b := "<html>maintenance</html>"
			s.body.Store(&b)
			return func() { s.body.Store(nil) }
		}, inLog: "not RFC 7662"},
		{name: "no active", break_: func(s *introServer) func() {
			b := `{"sub":"x"}`
			s.body.Store(&b)
			return func() { s.body.Store(nil) }
		}, inLog: "no boolean"},
		{name: "active is a string", break_: func(s *introServer) func() {
			b := `{"active":"true"}`
			s.body.Store(&b)
			return func() { s.body.Store(nil) }
		}, inLog: "no boolean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newIntroServer(t)
			v, logs := introValidatorTiming(t, s, tc.change, short)
			ref := s.issue(nil)
			var fix func()
			if tc.break_ != nil {
				fix = tc.break_(s)
				defer fix()
			}
			_, err := v.Validate(t.Context(), ref)
			wantReason(t, err, jwtauth.ErrIntrospectionFailed)
			res := serve(t, v.Middleware(hello), "/", "Bearer "+ref)
			if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") != "5" || res.body["error"] != "temporarily_unavailable" {
				t.Errorf("middleware: %d, Retry-After %q, %v", res.status, res.header.Get("Retry-After"), res.body)
			}
			if res.header.Get("WWW-Authenticate") != "" {
				t.Errorf("503 with WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
			}
			if !strings.Contains(logs.String(), tc.inLog) {
				t.Errorf("the log does not say %q:\n%s", tc.inLog, logs.String())
			}
			if fix != nil {
				// A failure is not cached: once the endpoint is back, the token works.
				fix()
				if _, err := v.Validate(t.Context(), ref); err != nil {
					t.Errorf("after the fix: %v", err)
				}
			}
		})
	}
}

func TestIntrospectionNotForJWTs(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, nil)
	good := sign(t, key("rsa"), nil, claimsFor(s.issuer))
	if _, err := v.Validate(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	_, err := v.Validate(t.Context(), good[:len(good)-4]+"AAAA")
	wantReason(t, err, jwtauth.ErrBadSignature)
	_, err = v.Validate(t.Context(), "a.b.c")
	wantReason(t, err, jwtauth.ErrMalformed)
	if n := s.calls.Load(); n != 0 {
		t.Errorf("%d introspections of JWTs", n)
	}
	// What cannot be a Bearer token is refused without a request.
	for _, tok := range []string{"", "a b", `a"b`, "=abc", "ab=c", "ab\n", "é", strings.Repeat("a", 16<<10+1)} {
		_, err := v.Validate(t.Context(), tok)
		wantReason(t, err, jwtauth.ErrMalformed)
	}
	if n := s.calls.Load(); n != 0 {
		t.Errorf("%d introspections of malformed tokens", n)
	}
	// Two or four parts are not a JWS: the token service judges them.
	for _, tok := range []string{"ab.cd", "a.b.c.d", "abc=="} {
		_, err := v.Validate(t.Context(), tok)
		wantReason(t, err, jwtauth.ErrInactive)
	}
}

func TestIntrospectionDiscovery(t *testing.T) {
	t.Parallel()
	t.Run("no introspection_endpoint", func(t *testing.T) {
		t.Parallel()
		s := newIntroServer(t)
		s.noIntro = true
		v, _ := introValidator(t, s, nil)
		_, err := v.Validate(t.Context(), s.issue(nil))
		wantReason(t, err, jwtauth.ErrIntrospectionFailed)
		if !strings.Contains(err.Error(), "no introspection_endpoint") {
			t.Errorf("error %q", err)
		}
		wantReason(t, v.Ready(), jwtauth.ErrIntrospectionFailed)
		// JWTs still work.
		if _, err := v.Validate(t.Context(), sign(t, key("rsa"), nil, claimsFor(s.issuer))); err != nil {
			t.Error(err)
		}
		if n := s.calls.Load(); n != 0 {
			t.Errorf("%d introspections", n)
		}
	})
	t.Run("explicit endpoint with static keys", func(t *testing.T) {
		t.Parallel()
		s := newIntroServer(t)
		s.noIntro = true
		v, _ := introValidator(t, s, func(o *jwtauth.Options) {
			o.JWKS = jwks(t, key("rsa"))
			o.Introspection.Endpoint = s.issuer + "/connect/introspect"
		})
		if err := v.Ready(); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Validate(t.Context(), s.issue(nil)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ready", func(t *testing.T) {
		t.Parallel()
		s := newIntroServer(t)
		v, _ := introValidator(t, s, nil)
		if err := v.Ready(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIntrospectionClose(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, nil)
	cached := s.issue(nil)
	if _, err := v.Validate(t.Context(), cached); err != nil {
		t.Fatal(err)
	}
	release := s.holdCalls()
	pending := make(chan error, 1)
	pendingTok := s.issue(nil)
	go func() { _, err := v.Validate(t.Context(), pendingTok); pending <- err }()
	waitFor(t, func() bool { return v.IntrospectionWaiters(pendingTok) == 1 })
	v.Close() // does not wait for the held request: it cancels it
	release()
	wantReason(t, <-pending, jwtauth.ErrIntrospectionFailed)
	if _, err := v.Validate(t.Context(), cached); err != nil {
		t.Errorf("cached answer after Close: %v", err)
	}
	_, err := v.Validate(t.Context(), s.issue(nil))
	wantReason(t, err, jwtauth.ErrIntrospectionFailed)
}

func TestIntrospectionOptions(t *testing.T) {
	t.Parallel()
	creds := func() *jwtauth.Introspection {
		return &jwtauth.Introspection{ClientID: "api", ClientSecret: "topsecret"}
	}
	base := jwtauth.Options{Issuer: "https://issuer.example.com", Audience: audience, JWKS: jwks(t, key("rsa"))}
	for _, tc := range []struct {
		name   string
		change func(*jwtauth.Options)
		want   string
	}{
		{"no client id", func(o *jwtauth.Options) {
			o.Introspection = creds()
			o.Introspection.ClientID = ""
			o.Introspection.Endpoint = "https://issuer.example.com/connect/introspect"
		}, "Introspection.ClientID is empty"},
		{"no secret", func(o *jwtauth.Options) {
			o.Introspection = creds()
			o.Introspection.ClientSecret = ""
			o.Introspection.Endpoint = "https://issuer.example.com/connect/introspect"
		}, "Introspection.ClientSecret is empty"},
		{"no endpoint with JWKS", func(o *jwtauth.Options) { o.Introspection = creds() }, "set Introspection.Endpoint"},
		{"http endpoint", func(o *jwtauth.Options) {
			o.Introspection = creds()
			o.Introspection.Endpoint = "http://issuer.example.com/connect/introspect"
		}, "is http"},
		{"no issuer", func(o *jwtauth.Options) {
			o.Issuer = ""
			o.Introspection = creds()
			o.Introspection.Endpoint = "https://issuer.example.com/connect/introspect"
		}, "Introspection needs Issuer"},
		{"negative TTL", func(o *jwtauth.Options) {
			o.Introspection = creds()
			o.Introspection.Endpoint = "https://issuer.example.com/connect/introspect"
			o.IntrospectionCacheTTL = -time.Second
		}, "IntrospectionCacheTTL is negative"},
		{"negative size", func(o *jwtauth.Options) {
			o.Introspection = creds()
			o.Introspection.Endpoint = "https://issuer.example.com/connect/introspect"
			o.IntrospectionCacheSize = -1
		}, "IntrospectionCacheSize is negative"},
		{"TTL without introspection", func(o *jwtauth.Options) { o.IntrospectionCacheTTL = time.Second }, "Introspection is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := base
			tc.change(&opts)
			_, err := jwtauth.New(t.Context(), opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Errorf("the error has the secret")
			}
		})
	}
	opts := base
	opts.Introspection = creds()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, opts); strings.Contains(out, "topsecret") {
			t.Errorf("%s of Options shows the secret: %s", format, out)
		}
	}
}

// BenchmarkIntrospectionCached validates a reference token whose answer is
// cached: the cost per request after the first one.
//
//	go test -run '^$' -bench 'Introspection|Validate' -benchmem ./jwtauth/
func BenchmarkIntrospectionCached(b *testing.B) {
	s := newIntroServer(b)
	opts := jwtauth.Options{
		Issuer: s.issuer, Audience: audience, Now: s.clock.now,
		Introspection: &jwtauth.Introspection{ClientID: apiName, ClientSecret: apiSecret},
	}
	v, err := jwtauth.New(b.Context(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	ref := s.issue(nil)
	if _, err := v.Validate(b.Context(), ref); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	ctx := b.Context()
	for b.Loop() {
		if _, err := v.Validate(ctx, ref); err != nil {
			b.Fatal(err)
		}
	}
	if n := s.calls.Load(); n != 1 {
		b.Fatalf("%d introspections", n)
	}
}

// FuzzIntrospectionResponse feeds arbitrary answers to the parser of
// introspection responses: exactly one of claims (active, with exp, without
// the active member), a refusal with a sentinel, or an error; never a
// panic.
func FuzzIntrospectionResponse(f *testing.F) {
	for _, seed := range []string{
		`{"active":true,"exp":1999999999,"iss":"https://i","aud":["a","b"],"scope":"a b","sub":"s","client_id":"c"}`,
		`{"active":false}`, `{"active":true}`, `{"active":"true"}`, `{"active":1}`, `{}`, `[]`, `null`, ``,
		`{"active":true,"exp":1e10,"token_type":"Bearer"}`, `{"active":true,"exp":5,"token_type":"refresh_token"}`,
		`{"active":true,"active":true,"exp":5}`, `{"active":true,"exp":"5"}`, `{"active":true,"exp":5,"token_type":7}`,
		`{"active":true,"exp":5,"aud":[1]}`, `{"\u0061ctive":true,"exp":5}`, `{"active":true,"exp":5} x`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, refusal, err := jwtauth.ParseIntrospection(body)
		n := 0
		for _, set := range []bool{c != nil, refusal != nil, err != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("claims %v, refusal %v, error %v", c, refusal, err)
		}
		switch {
		case c != nil:
			if _, ok := c.Raw["active"]; ok || c.Expiry.IsZero() {
				t.Fatalf("claims %+v", c)
			}
			var m map[string]any
			if json.Unmarshal(body, &m) != nil || m["active"] != true {
				t.Fatalf("accepted %q", body)
			}
		case refusal != nil:
			checkResult(t, nil, refusal)
		}
	})
}

// FuzzReferenceToken checks how tokens are told apart (three
// dot-separated parts are a JWT, anything else is introspected) and that
// only RFC 6750 b64tokens are ever sent to the introspection endpoint.
func FuzzReferenceToken(f *testing.F) {
	for _, seed := range []string{"", ".", "..", "...", "a.b.c", "abc", "a.b", "a.b.c.d", "abc==", "=", "a=b", "a b", "é", "a~b+c/d-e_f."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if got, want := jwtauth.IsJWT(token), strings.Count(token, ".") == 2; got != want {
			t.Fatalf("IsJWT(%q) = %v", token, got)
		}
		err := jwtauth.CheckReferenceToken(token)
		if err != nil {
			checkResult(t, nil, err)
			return
		}
		body := strings.TrimRight(token, "=")
		if body == "" || strings.Trim(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") != "" {
			t.Fatalf("accepted %q", token)
		}
	})
}

// The TTL counts from when the introspection was asked, not from when its
// answer came: a slow answer must not stretch the revocation bound. An
// answer that took 10 s of a 20 s TTL is reused for the other 10 s only.
func TestIntrospectionCacheTTLFromRequest(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, func(o *jwtauth.Options) { o.IntrospectionCacheTTL = 20 * time.Second })
	ref := s.issue(nil)
	release := s.holdCalls()
	done := make(chan error, 1)
	go func() {
		_, err := v.Validate(t.Context(), ref)
		done <- err
	}()
	waitFor(t, func() bool { return s.calls.Load() == 1 })
	s.clock.advance(10 * time.Second)
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.clock.advance(9 * time.Second)
	if _, err := v.Validate(t.Context(), ref); err != nil || s.calls.Load() != 1 {
		t.Fatalf("within the TTL of the question: %v, %d introspections, want the cached answer", err, s.calls.Load())
	}
	s.revoke(ref)
	s.clock.advance(time.Second)
	_, err := v.Validate(t.Context(), ref)
	wantReason(t, err, jwtauth.ErrInactive)
	if n := s.calls.Load(); n != 2 {
		t.Errorf("%d introspections, want 2: the answer asked 20 s ago is stale", n)
	}
}

// TestIntrospectionInFlightBounded checks that distinct tokens (a flood of
// made-up ones) open at most MaxIntrospectionsInFlight requests at once: one
// more waits for a slot, gives up with its context (503), and costs the
// endpoint nothing; once the slots are free, tokens are introspected again.
func TestIntrospectionInFlightBounded(t *testing.T) {
	t.Parallel()
	s := newIntroServer(t)
	v, _ := introValidator(t, s, nil)
	release := s.holdCalls()
	defer release()
	n := jwtauth.MaxIntrospectionsInFlight
	errs := make(chan error, n)
	for range n {
		tok := s.issue(nil)
		go func() { _, err := v.Validate(t.Context(), tok); errs <- err }()
	}
	waitFor(t, func() bool { return s.calls.Load() == int64(n) })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := v.Validate(ctx, s.issue(nil))
	wantReason(t, err, jwtauth.ErrIntrospectionFailed)
	if got := s.calls.Load(); got != int64(n) {
		t.Errorf("%d introspections with %d slots, want %d", got, n, n)
	}
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if _, err := v.Validate(t.Context(), s.issue(nil)); err != nil {
		t.Errorf("after the flights ended: %v", err)
	}
}
