package introspect_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/introspect"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage/sqlite"
)

// The benchmarks run introspection in process through the server (its
// chain included), on the memory store, so that they measure Signet's work
// rather than a database's:
//
//	go test -run '^$' -bench . -benchmem ./internal/introspect/
//
// A JWT costs one RS256 verification; a reference or refresh token costs
// no signature, two reads and a SHA-256 per read. IssueRS256 signs one
// access token as the token endpoint does for client_credentials (the
// floor of the issuance rate): issue 15 wants reference introspection at
// 3× its rate or more. The -sqlite ones read a SQLite file.

func benchRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, issuer+introspect.Path, strings.NewReader(url.Values{"token": {token}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", basic(ordersAPI, ordersSecret))
	return r
}

func benchIntrospect(b *testing.B, token string, onSQLite bool) {
	e := memEnv(b)
	if onSQLite {
		clock := testsupport.NewClock(time.Now().Truncate(time.Second))
		db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "signet.db"), sqlite.Options{Now: clock.Now})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		e = newEnv(b, db, clock)
	}
	tok := map[string]func() string{
		"jwt":       func() string { return e.accessToken("machine", "", "orders.read") },
		"reference": func() string { return e.referenceToken("machine", []string{ordersAPI}, "orders.read") },
		"refresh":   func() string { return e.refreshToken("machine", "alice-id", "orders.read", "offline_access") },
		"unknown":   func() string { return "dW5rbm93bi1oYW5kbGUtb2YtNDMtY2hhcmFjdGVycy0wMDAwMDA" },
	}[token]()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, benchRequest(tok))
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

func BenchmarkIntrospect(b *testing.B) {
	for _, kind := range []string{"jwt", "reference", "refresh", "unknown"} {
		b.Run(kind, func(b *testing.B) { benchIntrospect(b, kind, false) })
	}
	// The same reads from a SQLite file: what a single instance pays.
	for _, kind := range []string{"reference", "unknown"} {
		b.Run(kind+"-sqlite", func(b *testing.B) { benchIntrospect(b, kind, true) })
	}
}

// BenchmarkIssueRS256 is the issuance that reference introspection is
// compared with: one RS256 access token, as client_credentials signs it.
func BenchmarkIssueRS256(b *testing.B) {
	e := memEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = e.accessToken("machine", "", "orders.read")
	}
}

// BenchmarkInactive measures each kind of inactive answer, which should
// cost alike (within a handle's or a JWT's class: the caller knows which it
// sent): an unknown handle, another resource's reference and refresh
// tokens (two reads each, whatever is found), and another resource's JWT
// (a signature and the same reads as one of this resource's).
func BenchmarkInactive(b *testing.B) {
	e := memEnv(b)
	toks := []struct{ name, tok string }{
		{"unknown-handle", "dW5rbm93bi1oYW5kbGUtb2YtNDMtY2hhcmFjdGVycy0wMDAwMDA"},
		{"other-reference", e.referenceToken("machine", []string{otherAPI}, "other")},
		{"other-refresh", e.refreshToken("machine", "alice-id", "other", "offline_access")},
		{"own-refresh-active", e.refreshToken("machine", "alice-id", "orders.read", "offline_access")},
		{"other-jwt", e.accessToken("machine", "", "other")},
		{"own-jwt-active", e.accessToken("machine", "", "orders.read")},
		{"forged-jwt", e.accessToken("machine", "", "orders.read")[:200] + "x.e30.c2ln"},
	}
	for _, tt := range toks {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				e.handler.ServeHTTP(w, benchRequest(tt.tok))
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
