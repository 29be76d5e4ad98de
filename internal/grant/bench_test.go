package grant

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/audit"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/testsupport"
)

// BenchmarkClientCredentials is the whole token request in process: parse,
// authenticate, build the claims, sign and encode the response, for each
// client authentication method and for an RS256-2048 server key (the
// development key) and an ES256 one. Compare it with the signature alone,
// internal/signing's BenchmarkSignRaw, in the same run:
//
//	go test -run '^$' -bench 'ClientCredentials|SignRaw' -benchmem ./internal/grant/ ./internal/signing/
//
// private_key_jwt verifies a fresh ES256 client assertion per request (a
// unique jti, recorded in the memory store's replay cache); the assertions
// are signed before the timer starts.
func BenchmarkClientCredentials(b *testing.B) {
	es, err := es256Ring()
	if err != nil {
		b.Fatal(err)
	}
	keys := []struct {
		name string
		ring *signing.Ring
		alg  string
	}{
		{"RS256-2048", ring(b), "RS256"},
		{"ES256", es, "ES256"},
	}
	methods := []struct {
		name string
		// requests returns n requests of the method, made before the timer.
		requests func(f *fixture, n int) []benchRequest
	}{
		{string(clientauth.SecretBasic), secretRequests(true)},
		{string(clientauth.SecretPost), secretRequests(false)},
		{string(clientauth.PrivateKeyJWT), assertionRequests},
	}
	for _, m := range methods {
		b.Run(m.name, func(b *testing.B) {
			for _, k := range keys {
				b.Run(k.name, func(b *testing.B) {
					f := newFixture(b)
					f.tokens.Signer = k.ring
					// One request outside the timer checks the setup: 200,
					// and a token signed with the expected algorithm.
					checkIssued(b, f.endpoint, m.requests(f, 1)[0], k.alg)
					reqs := m.requests(f, b.N)
					b.ReportAllocs()
					b.ResetTimer()
					for i := range b.N {
						r := reqs[i].request()
						w := httptest.NewRecorder()
						f.endpoint.ServeHTTP(w, r)
						if w.Code != http.StatusOK {
							b.Fatalf("status %d: %s", w.Code, w.Body)
						}
					}
				})
			}
		})
	}
}

// benchRequest is a token request's body and Authorization header.
type benchRequest struct {
	body, auth string
}

var tokenURL = &url.URL{Path: "/connect/token"}

// request is the request as the HTTP server hands it to the handler,
// built directly: httptest.NewRequest parses it from text through a 4 KiB
// bufio.Reader, which would be most of the benchmark's B/op and none of
// the handler's.
func (br benchRequest) request() *http.Request {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if br.auth != "" {
		h["Authorization"] = []string{br.auth}
	}
	r := &http.Request{Method: http.MethodPost, URL: tokenURL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(br.body)), ContentLength: int64(len(br.body)),
		Host: "auth.example.com", RemoteAddr: "192.0.2.1:1234", RequestURI: "/connect/token"}
	// As the server's chain hands it over: with the issuer in its context
	// (the literal above is only copied, so this costs no allocation more).
	return r.WithContext(issuerContext)
}

var issuerContext = endpoint.WithIssuer(context.Background(), issuer)

// secretRequests makes requests of client "app" with its secret, in the
// Authorization header (client_secret_basic) or in the body
// (client_secret_post). They are all the same.
func secretRequests(basicAuth bool) func(f *fixture, n int) []benchRequest {
	return func(f *fixture, n int) []benchRequest {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}
		var req benchRequest
		if basicAuth {
			r := httptest.NewRequest(http.MethodPost, "/connect/token", nil)
			basic("app", f.secret)(r)
			req.auth = r.Header.Get("Authorization")
		} else {
			form.Set("client_id", "app")
			form.Set("client_secret", f.secret)
		}
		req.body = form.Encode()
		reqs := make([]benchRequest, n)
		for i := range reqs {
			reqs[i] = req
		}
		return reqs
	}
}

// assertionRequests makes requests of client "jwt-app", each with its own
// assertion.
func assertionRequests(f *fixture, n int) []benchRequest {
	reqs := make([]benchRequest, n)
	for i := range reqs {
		form := assertionForm(f.assertion(f.goodClaims()))
		form.Set("scope", "api1")
		reqs[i].body = form.Encode()
	}
	return reqs
}

// checkIssued serves req and checks that it issues a token signed with alg.
func checkIssued(b *testing.B, e *Endpoint, req benchRequest, alg string) {
	b.Helper()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req.request())
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp oauth.TokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		b.Fatal(err)
	}
	header, _, _ := strings.Cut(resp.AccessToken, ".")
	data, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		b.Fatal(err)
	}
	var h struct{ Alg, Typ string }
	if err := json.Unmarshal(data, &h); err != nil || h.Alg != alg || h.Typ != "at+jwt" {
		b.Fatalf("token header %s (%v), want alg %s, typ at+jwt", data, err, alg)
	}
}

// es256Ring signs with a bare P-256 key, made once per process and loaded
// as the development key is (a key file without a certificate), so that it
// differs from ring only by its algorithm.
var es256Ring = sync.OnceValues(newES256Ring)

func newES256Ring() (*signing.Ring, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "signet-grant-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "es256.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	got, err := signing.Loader{DataDir: dir}.Load(signing.Spec{Type: "Development", FilePath: path}, false)
	if err != nil {
		return nil, err
	}
	return signing.NewRing(got.Keys, nil, signing.RingOptions{})
}

// BenchmarkAssertionRefused times refused client assertions one request at
// a time, for an unknown client and for a known client whose assertion is
// signed with another key (RS256 with client keys of 2048 bits, ES256 with
// P-256), and reports the median of each (unknown-ns/req, wrong-key-ns/req):
// since both hear the same answer, they must take the same time. The two
// requests alternate, so that the load of a shared machine weighs on both
// alike; ns/op is the pair.
//
//	go test -run '^$' -bench AssertionRefused -count 5 ./internal/grant/
func BenchmarkAssertionRefused(b *testing.B) {
	f := newFixture(b)
	clientRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	f.clients["rsa-app"] = &client.Client{ID: "rsa-app", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1"},
		Keys: &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: clientRSA.Public(), KeyID: "rsa-key-1", Algorithm: "RS256", Use: "sig"}}}}
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	otherEC := testsupport.ECKey(b)
	request := func(sub, kid string, alg jose.SignatureAlgorithm, key any) benchRequest {
		claims := f.goodClaims()
		claims["iss"], claims["sub"] = sub, sub
		return benchRequest{body: assertionForm(testsupport.SignAssertion(b, alg, key, kid, claims)).Encode()}
	}
	for _, c := range []struct {
		name, client, kid string
		alg               jose.SignatureAlgorithm
		key               any
	}{
		{"RS256", "rsa-app", "rsa-key-1", jose.RS256, otherRSA},
		{"ES256", "jwt-app", "client-key-1", jose.ES256, otherEC},
	} {
		b.Run(c.name, func(b *testing.B) {
			reqs := [2]benchRequest{request("nobody", c.kid, c.alg, c.key), request(c.client, c.kid, c.alg, c.key)}
			var took [2][]time.Duration
			took[0], took[1] = make([]time.Duration, b.N), make([]time.Duration, b.N)
			b.ResetTimer()
			for i := range b.N {
				for j := range 2 {
					k := (i + j) % 2 // alternate which goes first
					r := reqs[k].request()
					w := httptest.NewRecorder()
					start := time.Now()
					f.endpoint.ServeHTTP(w, r)
					took[k][i] = time.Since(start)
					if w.Code != http.StatusUnauthorized {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			}
			b.StopTimer()
			for k, unit := range []string{"unknown-ns/req", "wrong-key-ns/req"} {
				slices.Sort(took[k])
				b.ReportMetric(float64(took[k][len(took[k])/2].Nanoseconds()), unit)
			}
		})
	}
}

// BenchmarkClientCredentialsAudited is client_secret_basic with ES256 as
// BenchmarkClientCredentials, with the audit log observing: its JSON lines
// to io.Discard, and with a JSON-lines file sink too (written by the
// sink's goroutine, off the request). Compare with
// BenchmarkClientCredentials/client_secret_basic/ES256, which observes
// nothing (observe.Discard).
func BenchmarkClientCredentialsAudited(b *testing.B) {
	es, err := es256Ring()
	if err != nil {
		b.Fatal(err)
	}
	for _, withFile := range []bool{false, true} {
		name := "log"
		if withFile {
			name = "log+file"
		}
		b.Run(name, func(b *testing.B) {
			opts := audit.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
			if withFile {
				f, err := audit.OpenFile(filepath.Join(b.TempDir(), "audit.jsonl"), 0, -1)
				if err != nil {
					b.Fatal(err)
				}
				opts.Sink = f
			}
			log, err := audit.New(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer log.Close()
			f := newFixture(b, func(_ *fixture, o *Options) { o.Observer = log })
			f.tokens.Signer = es
			checkIssued(b, f.endpoint, secretRequests(true)(f, 1)[0], "ES256")
			reqs := secretRequests(true)(f, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				w := httptest.NewRecorder()
				f.endpoint.ServeHTTP(w, reqs[i].request())
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
