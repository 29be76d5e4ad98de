package userinfo_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/userinfo"
	"github.com/signetid/signet/storage/memory"
)

// The benchmarks run the sign-in grants and userinfo in process through
// the server (its chain included), on the memory store, so that they
// measure Signet's work rather than a database's:
//
//	go test -run '^$' -bench . -benchmem ./internal/userinfo/
//
// The code exchange signs two tokens (access and ID) and stores a refresh
// token; compare RS256 with twice internal/signing's BenchmarkSign (the
// floor). A refresh signs one access token and one ID token (openid in
// scope) and rotates the refresh token; userinfo verifies one signature
// and reads the user.

func benchEnv(b *testing.B, alg string) *env {
	clock := testsupport.NewClock(time.Now())
	e := newEnv(b, memory.New(memory.Options{Now: clock.Now}), clock, newRing(b, alg))
	e.clients["web"].IdentityTokenSigningAlgorithms = []string{alg}
	return e
}

func (e *env) serve(b *testing.B, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", r.URL.Path, w.Code, w.Body)
	}
	return w
}

func tokenRequest(e *env, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, e.issuer+grant.Path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("web", e.secret)
	return r
}

func BenchmarkCodeExchange(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			e := benchEnv(b, alg)
			verifier := oauth2.GenerateVerifier()
			codes := make([]string, b.N)
			for i := range codes {
				codes[i] = e.code("web", webRedirect, verifier, "openid", "profile", "offline_access", "api1")
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.serve(b, tokenRequest(e, url.Values{"grant_type": {"authorization_code"}, "code": {codes[i]}, "redirect_uri": {webRedirect}, "code_verifier": {verifier}}))
			}
		})
	}
}

func BenchmarkRefresh(b *testing.B) {
	for _, scope := range []string{"openid offline_access api1", "api1"} {
		b.Run(strings.ReplaceAll(scope, " ", "+"), func(b *testing.B) {
			e := benchEnv(b, "ES256")
			verifier := oauth2.GenerateVerifier()
			first := e.exchange(e.code("web", webRedirect, verifier, "openid", "offline_access", "api1"), verifier)
			rt := first.str("refresh_token")
			b.ReportAllocs()
			for b.Loop() {
				w := e.serve(b, tokenRequest(e, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {scope}}))
				body := w.Body.String()
				i := strings.Index(body, `"refresh_token":"`)
				rt = body[i+len(`"refresh_token":"`):]
				rt = rt[:strings.IndexByte(rt, '"')]
			}
		})
	}
}

func BenchmarkUserInfo(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			e := benchEnv(b, alg)
			verifier := oauth2.GenerateVerifier()
			at := e.exchange(e.code("web", webRedirect, verifier, "openid", "profile", "email"), verifier).str("access_token")
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, e.issuer+userinfo.Path, nil)
				r.Header.Set("Authorization", "Bearer "+at)
				e.serve(b, r)
			}
		})
	}
}
