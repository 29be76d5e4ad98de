package upstream_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/upstream"
)

func rsaKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// selfSigned is a certificate for key, as an operator would upload to Entra.
func selfSigned(t testing.TB, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "signet client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func clientKey(t testing.TB, key crypto.Signer, cert *x509.Certificate) *upstream.ClientKey {
	t.Helper()
	k, err := upstream.NewClientKey(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyProvider is a provider of o that authenticates with k.
func keyProvider(t testing.TB, o *op, k *upstream.ClientKey) *upstream.Provider {
	t.Helper()
	p, err := upstream.New(upstream.Config{Name: "corp", Authority: o.authority(), ClientID: testClient, ClientKey: k, RedirectURI: redirectURI},
		upstream.HTTPClient(o.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// register makes o want private_key_jwt with key's public key (and the
// certificate's thumbprint, when there is one).
func register(o *op, key crypto.Signer, cert *x509.Certificate) {
	o.set(func(o *op) {
		o.clientKey = &jose.JSONWebKey{Key: key.Public()}
		o.authMethods = []string{"private_key_jwt"}
		o.clientCertSHA256 = nil
		if cert != nil {
			sum := sha256.Sum256(cert.Raw)
			o.clientCertSHA256 = sum[:]
		}
	})
}

func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	rsa2048, p256, p384 := rsaKey(t, 2048), ecKey(t, elliptic.P256()), ecKey(t, elliptic.P384())
	for _, tc := range []struct {
		name    string
		key     crypto.Signer
		cert    bool
		alg     string
		methods []string
	}{
		{"RSA", rsa2048, false, "RS256", []string{"client_secret_basic", "private_key_jwt"}},
		{"RSA with certificate", rsa2048, true, "RS256", []string{"private_key_jwt"}},
		{"EC P-256", p256, false, "ES256", nil},
		{"EC P-256 with certificate", p256, true, "ES256", []string{"private_key_jwt"}},
		{"EC P-384", p384, false, "ES384", []string{"private_key_jwt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cert *x509.Certificate
			if tc.cert {
				cert = selfSigned(t, tc.key)
			}
			k := clientKey(t, tc.key, cert)
			if k.Algorithm() != tc.alg {
				t.Errorf("Algorithm = %s, want %s", k.Algorithm(), tc.alg)
			}
			o := newOP(t, "/tenant")
			register(o, tc.key, cert)
			o.set(func(o *op) { o.authMethods = tc.methods; o.signingAlgs = []string{"RS256", "ES256", "ES384"} })
			p := keyProvider(t, o, k)
			for range 2 { // two sign-ins: two assertions, two jtis
				kept, cb := authorize(t, p, o, upstream.StartOptions{})
				res, err := p.Finish(t.Context(), kept, cb)
				if err != nil {
					t.Fatalf("Finish: %v", err)
				}
				if res.Identity.Subject != "alice-sub" || o.lastAuth.Load() != "private_key_jwt" {
					t.Errorf("sub %q, client authentication %v", res.Identity.Subject, o.lastAuth.Load())
				}
			}
		})
	}
}

func TestPrivateKeyJWTRefused(t *testing.T) {
	t.Parallel()
	key := ecKey(t, elliptic.P256())
	k := clientKey(t, key, nil)
	for _, tc := range []struct {
		name string
		edit func(*op)
		want string
		code string // the upstream's error code, when it is the upstream that refuses
	}{
		{"another key registered", func(o *op) { o.clientKey = &jose.JSONWebKey{Key: ecKey(t, elliptic.P256()).Public()} }, "", "invalid_client"},
		{"a certificate registered, none sent", func(o *op) { o.clientCertSHA256 = make([]byte, 32) }, "", "invalid_client"},
		{"no private_key_jwt in discovery", func(o *op) { o.authMethods = []string{"client_secret_basic", "client_secret_post"} },
			`has no private_key_jwt: the provider does not accept a client key`, ""},
		{"algorithm not listed", func(o *op) { o.signingAlgs = []string{"RS256"} }, "has no ES256, the client key's algorithm", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOP(t, "/tenant")
			register(o, key, nil)
			o.set(tc.edit)
			p := keyProvider(t, o, k)
			if tc.code == "" { // discovery already says no, before the browser is sent
				_, _, err := p.Start(t.Context(), upstream.StartOptions{})
				if !errors.Is(err, upstream.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Start: %v, want ErrInvalid saying %q", err, tc.want)
				}
				return
			}
			kept, cb := authorize(t, p, o, upstream.StartOptions{})
			_, err := p.Finish(t.Context(), kept, cb)
			var ue *upstream.UpstreamError
			if !errors.As(err, &ue) || ue.Code != tc.code || !ue.AtTokenEndpoint {
				t.Errorf("Finish: %v, want %s from the token endpoint", err, tc.code)
			}
		})
	}
}

func TestNewClientKey(t *testing.T) {
	t.Parallel()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	p256 := ecKey(t, elliptic.P256())
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		cert *x509.Certificate
		want string
	}{
		{"RSA 1024", rsaKey(t, 1024), nil, "RSA 1024: use RSA 2048 or more"},
		{"EC P-521", ecKey(t, elliptic.P521()), nil, "EC P-521: use P-256 or P-384"},
		{"Ed25519", ed, nil, "use RSA (2048 or more) or EC P-256 or P-384"},
		{"another key's certificate", p256, selfSigned(t, ecKey(t, elliptic.P256())), "does not hold the client key's public key"},
		{"none", nil, nil, "no client key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := upstream.NewClientKey(tc.key, tc.cert); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewClientKey: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestClientKeyConfig(t *testing.T) {
	t.Parallel()
	k := clientKey(t, ecKey(t, elliptic.P256()), nil)
	cfg := upstream.Config{Name: "corp", Authority: "https://op.example", ClientID: "c", ClientSecret: "s", ClientKey: k, RedirectURI: redirectURI}
	if _, err := upstream.New(cfg); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("secret and key: %v", err)
	}
	if _, err := upstream.NewGitHub(cfg); err == nil || !strings.Contains(err.Error(), "GitHub takes no client key") {
		t.Errorf("GitHub with a key: %v", err)
	}
}

// TestPublicJWK: what the operator registers at the upstream is the public
// key alone, its kid the RFC 7638 thumbprint the assertion names, with the
// certificate when there is one.
func TestPublicJWK(t *testing.T) {
	t.Parallel()
	key := rsaKey(t, 2048)
	cert := selfSigned(t, key)
	for _, c := range []*x509.Certificate{nil, cert} {
		k := clientKey(t, key, c)
		raw, err := k.PublicJWK()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if _, private := m["d"]; private || m["kid"] != k.KeyID() || m["alg"] != "RS256" || m["use"] != "sig" || (c != nil) != (m["x5c"] != nil) {
			t.Errorf("public JWK %s", raw)
		}
		var j jose.JSONWebKey
		if err := j.UnmarshalJSON(raw); err != nil || !j.IsPublic() {
			t.Errorf("the JWK does not read back as a public key: %v", err)
		}
		if tp, _ := j.Thumbprint(crypto.SHA256); k.KeyID() != b64(string(tp)) {
			t.Errorf("kid %s is not the RFC 7638 thumbprint", k.KeyID())
		}
	}
}

// TestClientKeyPrints: a ClientKey printed or logged shows its kid, never
// its private part.
func TestClientKeyPrints(t *testing.T) {
	t.Parallel()
	key := rsaKey(t, 2048)
	k := clientKey(t, key, nil)
	d := key.D.String()
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%v", struct{ K *upstream.ClientKey }{k})} {
		if strings.Contains(s, d[:20]) || strings.Contains(s, "PRIVATE") {
			t.Errorf("printed: %.80s", s)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", k)
	if !strings.Contains(buf.String(), k.KeyID()) || strings.Contains(buf.String(), d[:20]) {
		t.Errorf("logged: %s", buf.String())
	}
}
