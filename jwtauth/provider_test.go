package jwtauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/jwtauth"
)

// A minimal OpenID provider for the tests: discovery and a JWKS whose keys
// can be rotated, with switches to fail or hang, counting its fetches.

// testKey is a signing key with its public JWK.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

func (k *testKey) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: k.alg, Use: "sig"}
}

// Keys are made once per test binary: RSA key generation is slow.
var testKeys = sync.OnceValue(func() map[string]*testKey {
	type gen struct {
		name, alg string
		make      func() (crypto.Signer, error)
	}
	rsaKey := func(bits int) func() (crypto.Signer, error) {
		return func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, bits) }
	}
	ecKey := func(c elliptic.Curve) func() (crypto.Signer, error) {
		return func() (crypto.Signer, error) { return ecdsa.GenerateKey(c, rand.Reader) }
	}
	gens := []gen{
		{"rsa", "RS256", rsaKey(2048)},
		{"rsa2", "RS256", rsaKey(2048)},
		{"rsa3", "RS256", rsaKey(2048)},
		{"rsa1024", "RS256", rsaKey(1024)},
		{"ps", "PS256", rsaKey(2048)},
		{"p256", "ES256", ecKey(elliptic.P256())},
		{"p384", "ES384", ecKey(elliptic.P384())},
		{"p521", "ES512", ecKey(elliptic.P521())},
		{"ed", "EdDSA", func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }},
	}
	out := make(map[string]*testKey, len(gens))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, g := range gens {
		wg.Go(func() {
			priv, err := g.make()
			if err != nil {
				panic(err)
			}
			mu.Lock()
			out[g.name] = &testKey{kid: strings.ToUpper(g.name) + "-KID", alg: g.alg, priv: priv}
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
})

func key(name string) *testKey { return testKeys()[name] }

// provider is the test OpenID provider.
type provider struct {
	srv    *httptest.Server
	issuer string

	mu           sync.Mutex
	keys         []jose.JSONWebKey
	cacheControl string
	docIssuer    *string // the discovery document's issuer, when not the real one

	discoveryHits atomic.Int64
	jwksHits      atomic.Int64
	notModified   atomic.Int64
	down          atomic.Bool  // answer 503
	hang          atomic.Bool  // never answer (until the client gives up)
	jwksDelay     atomic.Int64 // nanoseconds to wait before answering the JWKS
	release       chan struct{}
}

func newProvider(t testing.TB, keys ...*testKey) *provider {
	p := &provider{release: make(chan struct{}), cacheControl: "public, max-age=900"}
	for _, k := range keys {
		p.keys = append(p.keys, k.jwk())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.discoveryHits.Add(1)
		if p.block(w, r) {
			return
		}
		p.mu.Lock()
		iss := p.issuer
		if p.docIssuer != nil {
			iss = *p.docIssuer
		}
		p.mu.Unlock()
		writeJSON(w, map[string]any{"issuer": iss, "jwks_uri": p.issuer + "/jwks", "token_endpoint": p.issuer + "/token"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwksHits.Add(1)
		if d := time.Duration(p.jwksDelay.Load()); d > 0 {
			time.Sleep(d)
		}
		if p.block(w, r) {
			return
		}
		p.mu.Lock()
		set := jose.JSONWebKeySet{Keys: p.keys}
		cc := p.cacheControl
		p.mu.Unlock()
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		body, _ := json.Marshal(set)
		sum := sha256.Sum256(body)
		etag := `"` + b64(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			p.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	p.srv = httptest.NewServer(mux)
	p.issuer = p.srv.URL
	t.Cleanup(func() {
		close(p.release)
		p.srv.Close()
	})
	return p
}

// block makes the handler fail or hang when switched to.
func (p *provider) block(w http.ResponseWriter, r *http.Request) bool {
	if p.hang.Load() {
		select {
		case <-r.Context().Done():
		case <-p.release:
		}
		return true
	}
	if p.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return true
	}
	return false
}

// publish replaces the provider's keys.
func (p *provider) publish(keys ...*testKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = nil
	for _, k := range keys {
		p.keys = append(p.keys, k.jwk())
	}
}

func (p *provider) setCacheControl(cc string) {
	p.mu.Lock()
	p.cacheControl = cc
	p.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// The default claims of a test token, for the audience "api" and the
// validators' clock (testNow).
const audience = "https://api.example.com"

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func claimsFor(issuer string) map[string]any {
	return map[string]any{
		"iss":       issuer,
		"aud":       audience,
		"sub":       "client1",
		"client_id": "client1",
		"scope":     "api1 api2",
		"iat":       testNow.Add(-time.Minute).Unix(),
		"nbf":       testNow.Add(-time.Minute).Unix(),
		"exp":       testNow.Add(time.Hour).Unix(),
		"jti":       "abcdef",
	}
}

// with returns a copy of m with the changes; a nil value deletes.
func with(m map[string]any, changes map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// sign makes a compact JWS by hand, so that tests control every byte: the
// header is {"alg", "kid", "typ": "at+jwt"} of k changed by header, and
// the payload is claims marshalled (or used as is when it is a string).
func sign(t testing.TB, k *testKey, header map[string]any, claims any) string {
	t.Helper()
	h := with(map[string]any{"alg": k.alg, "kid": k.kid, "typ": "at+jwt"}, header)
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var pb []byte
	if s, ok := claims.(string); ok {
		pb = []byte(s)
	} else if pb, err = json.Marshal(claims); err != nil {
		t.Fatal(err)
	}
	input := b64(hb) + "." + b64(pb)
	return input + "." + b64(rawSign(t, k.priv, k.alg, []byte(input)))
}

// signRaw signs a header and a payload given as JSON text.
func signRaw(t testing.TB, k *testKey, header, payload string) string {
	t.Helper()
	input := b64([]byte(header)) + "." + b64([]byte(payload))
	return input + "." + b64(rawSign(t, k.priv, k.alg, []byte(input)))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// rawSign signs input as JWS algorithm alg says.
func rawSign(t testing.TB, priv crypto.Signer, alg string, input []byte) []byte {
	t.Helper()
	var h hash.Hash
	var ch crypto.Hash
	switch alg[2:] {
	case "256":
		h, ch = sha256.New(), crypto.SHA256
	case "384":
		h, ch = sha512.New384(), crypto.SHA384
	case "512":
		h, ch = sha512.New(), crypto.SHA512
	}
	var digest []byte
	if h != nil {
		h.Write(input)
		digest = h.Sum(nil)
	}
	var sig []byte
	var err error
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if alg[0] == 'P' {
			sig, err = rsa.SignPSS(rand.Reader, k, ch, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(nil, k, ch, digest)
		}
	case *ecdsa.PrivateKey:
		r, s, e := ecdsa.Sign(rand.Reader, k, digest)
		size := (k.Curve.Params().BitSize + 7) / 8
		sig, err = append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...), e
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, input)
	default:
		t.Fatalf("cannot sign with %T", priv)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// testLogger writes the Validator's log to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newValidator makes a Validator of p for the audience, at testNow, closed
// at the end of the test. change edits the options first.
func newValidator(t testing.TB, p *provider, change func(*jwtauth.Options)) *jwtauth.Validator {
	t.Helper()
	opts := jwtauth.Options{Issuer: p.issuer, Audience: audience, Now: func() time.Time { return testNow }, Logger: testLogger(t)}
	return openValidator(t, opts, change, func(o jwtauth.Options) (*jwtauth.Validator, error) { return jwtauth.New(t.Context(), o) })
}

// staticValidator makes a Validator with a static JWKS of keys.
func staticValidator(t testing.TB, issuer string, change func(*jwtauth.Options), keys ...*testKey) *jwtauth.Validator {
	t.Helper()
	opts := jwtauth.Options{Issuer: issuer, Audience: audience, JWKS: jwks(t, keys...), Now: func() time.Time { return testNow }}
	return openValidator(t, opts, change, func(o jwtauth.Options) (*jwtauth.Validator, error) { return jwtauth.New(t.Context(), o) })
}

// openValidator opens a Validator of opts with open, once change (if any)
// has edited them, and closes it at the end of the test.
func openValidator(t testing.TB, opts jwtauth.Options, change func(*jwtauth.Options), open func(jwtauth.Options) (*jwtauth.Validator, error)) *jwtauth.Validator {
	t.Helper()
	if change != nil {
		change(&opts)
	}
	v, err := open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func jwks(t testing.TB, keys ...*testKey) []byte {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reasonOf names the sentinel an error carries, for messages.
func reasonOf(err error) string {
	if err == nil {
		return "nil"
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return fmt.Sprintf("no sentinel (%T)", err)
}

var sentinels = []error{
	jwtauth.ErrMalformed, jwtauth.ErrAlgorithmNotAllowed, jwtauth.ErrWrongType, jwtauth.ErrUnknownKey,
	jwtauth.ErrBadSignature, jwtauth.ErrExpired, jwtauth.ErrNotYetValid, jwtauth.ErrWrongIssuer,
	jwtauth.ErrWrongAudience, jwtauth.ErrInsufficientScope, jwtauth.ErrKeysUnavailable,
	jwtauth.ErrInactive, jwtauth.ErrIntrospectionFailed,
}
