package metrics_test

import (
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/metrics"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage/memory"
)

// BenchmarkTokenMetrics is POST /connect/token (client_credentials,
// client_secret_basic, RS256-2048) through the whole server, logged as
// serve logs by default, with the metrics off and on (the middleware, the
// counting signer, and the token.issued event the token endpoint reports,
// observed once per token as serve's observe.Multi would). It reports the
// process's CPU time per token (cpu-ns/token, user and system, the garbage
// collector's included) beside the wall time; compare the two with
// benchstat:
//
//	go test -run '^$' -bench TokenMetrics -count 10 ./internal/metrics/ > bench.txt
//	benchstat -col /metrics bench.txt
func BenchmarkTokenMetrics(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "metrics=off"
		if on {
			name = "metrics=on"
		}
		b.Run(name, func(b *testing.B) { benchToken(b, on) })
	}
}

const appSecret = "app-secret-0123456789-abcdefghijklmnopqrstuv"

func benchToken(b *testing.B, on bool) {
	loaded, err := signing.Loader{}.Load(signing.Spec{Type: "File", FilePath: "../certs/testdata/rsa-openssl3.pfx", Password: "test-password"}, false)
	if err != nil {
		b.Fatal(err)
	}
	ring, err := signing.NewRing(loaded.Keys, nil, signing.RingOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := secret.Parse(secret.Hash(appSecret))
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var signer tokens.Signer = ring
	var middleware []endpoint.Middleware
	obs := observe.Discard
	if on {
		m := metrics.New(metrics.Options{Version: "bench", Keys: ring.Configured})
		signer, middleware, obs = m.Signer(ring), []endpoint.Middleware{m.Middleware}, m
	}
	token := grant.New(grant.Options{
		Auth: &clientauth.Authenticator{
			Clients: client.Static{
				"app": {ID: "app", Secrets: []client.Secret{{Hash: h}}, GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1"}},
			},
			Replay:     memory.New(memory.Options{}),
			RemoteKeys: &clientauth.RemoteKeys{},
			Logger:     logger,
		},
		Tokens: &tokens.Service{
			Signer: signer,
			Resources: func() tokens.Resources {
				return tokens.Resources{Scopes: []string{"api1"}, ByScope: map[string][]string{"api1": {"https://api.example.com"}}}
			},
		},
		Logger: logger,
	})
	srv := server.New(server.Options{Endpoints: []endpoint.Endpoint{token}, Middleware: middleware, Logger: logger})

	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}.Encode()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("app:"+url.QueryEscape(appSecret)))
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	n := 0
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, grant.Path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		obs.Observe(r.Context(), &observe.Event{Name: observe.TokenIssued, Result: observe.Success, Client: "app",
			GrantType: "client_credentials", Scopes: []string{"api1"}, Remote: r.RemoteAddr})
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n), "cpu-ns/token")
}

// BenchmarkOverhead is what the metrics add to a token, alone: the
// middleware around a handler that does nothing but answer, the counting
// signer around one that does nothing, and the token.issued event.
func BenchmarkOverhead(b *testing.B) {
	m := metrics.New(metrics.Options{Version: "bench"})
	signer := m.Signer(fakeSigner{key: &signing.Key{ID: "KID", Algorithm: "RS256"}})
	h := m.Middleware(endpoint.Route{Path: grant.Path}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := signer.SignWith("", "at+jwt", nil); err != nil {
			b.Fatal(err)
		}
		w.WriteHeader(http.StatusOK)
	}))
	r := httptest.NewRequest(http.MethodPost, grant.Path, nil)
	w := httptest.NewRecorder()
	e := &observe.Event{Name: observe.TokenIssued, Result: observe.Success, Client: "app", GrantType: "client_credentials"}
	b.ReportAllocs()
	cpu0, n := cpuTime(b), 0
	for b.Loop() {
		h.ServeHTTP(w, r)
		m.Observe(r.Context(), e)
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n), "cpu-ns/token")
}
