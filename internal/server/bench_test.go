package server_test

import (
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/grant"

	"github.com/signetid/signet/internal/discovery"
	"github.com/signetid/signet/internal/server"
)

// The benchmarks below serve the public documents through the real
// handler (Server.ServeHTTP: the route's chain of request id, issuer and
// access log, then CORS and the cached body), without a network:
//
//	go test -run '^$' -bench . -benchmem ./internal/server/
//
// The issuer is derived from the Host header, as when none is configured.
// Sub-benchmarks named "logged" log each request at info level as serve
// does by default (a text handler writing to io.Discard); the others log
// nothing, to show the handler's own cost.

// benchServer builds a server as newServer does, with the fixture ring and
// the real token endpoint with the secret client "app".
func benchServer(b *testing.B, logger *slog.Logger) *server.Server {
	b.Helper()
	return newServer(b, setup{Logger: logger})
}

// infoLogger logs as serve does by default, to nowhere.
func infoLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// benchGet serves one reused GET request per iteration and checks the
// status. The request is reused: the handler only reads it.
func benchGet(b *testing.B, h http.Handler, target string, want int, header ...string) {
	b.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			b.Fatalf("GET %s: status %d, want %d: %s", target, w.Code, want, w.Body)
		}
	}
}

// etagOf is the ETag the server gives target now.
func etagOf(b *testing.B, h http.Handler, target string) string {
	b.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || etag == "" {
		b.Fatalf("GET %s: status %d, ETag %q", target, w.Code, etag)
	}
	return etag
}

// BenchmarkDiscovery is GET /.well-known/openid-configuration: the
// document for the request's issuer, encoded once and cached.
func BenchmarkDiscovery(b *testing.B) { benchDocument(b, discovery.Path) }

// BenchmarkJWKS is GET /.well-known/openid-configuration/jwks (one RSA key
// with its certificate, one EC validation key), and the same with
// If-None-Match as a caching API sends it (304, no body).
func BenchmarkJWKS(b *testing.B) { benchDocument(b, discovery.PathJWKS) }

// benchDocument is GET path three ways: 200; 304, with the If-None-Match
// of its ETag; and 200 with the info log on.
func benchDocument(b *testing.B, path string) {
	b.Run("200", func(b *testing.B) {
		benchGet(b, benchServer(b, nil), path, http.StatusOK)
	})
	b.Run("304", func(b *testing.B) {
		srv := benchServer(b, nil)
		benchGet(b, srv, path, http.StatusNotModified, "If-None-Match", etagOf(b, srv, path))
	})
	b.Run("200-logged", func(b *testing.B) {
		benchGet(b, benchServer(b, infoLogger()), path, http.StatusOK)
	})
}

// BenchmarkJWKSParallel is BenchmarkJWKS/200 on every core, one request
// per goroutine: ns/op is wall time per response across all of them.
func BenchmarkJWKSParallel(b *testing.B) {
	srv := benchServer(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodGet, discovery.PathJWKS, nil)
		for pb.Next() {
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("status %d", w.Code)
				return
			}
		}
	})
}

// BenchmarkToken is POST /connect/token (client_credentials,
// client_secret_basic, RS256-2048) through the whole server, logged as
// serve logs it by default: what the load benchmark drives, less the
// network. internal/grant's BenchmarkClientCredentials is the endpoint
// alone.
func BenchmarkToken(b *testing.B) {
	srv := benchServer(b, infoLogger())
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}.Encode()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("app:"+url.QueryEscape(appSecret)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, grant.Path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
