package testsupport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ECKey makes a P-256 key, as a private_key_jwt client's ES256 key.
func ECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// AssertionClaims are the claims of a valid client assertion (RFC 7523) of
// client for aud at now: issued now, expiring two minutes later, with a
// fresh jti. Tests change or delete claims to make it invalid.
func AssertionClaims(client, aud string, now time.Time) map[string]any {
	return map[string]any{"iss": client, "sub": client, "aud": aud,
		"exp": now.Add(2 * time.Minute).Unix(), "iat": now.Unix(), "jti": rand.Text()}
}

// Assertion signs claims as a client assertion with key (of alg) and the
// header typ JWT and kid; headers then change the header as a test needs
// (another kid, an x5t, another typ). It may run on any goroutine.
func Assertion(alg jose.SignatureAlgorithm, key any, kid string, claims any, headers ...func(*jose.SignerOptions)) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	for _, h := range headers {
		h(opts)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return "", err
	}
	return jwt.Signed(s).Claims(claims).Serialize()
}

// SignAssertion is Assertion for the test's goroutine: an error fails t.
func SignAssertion(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims any, headers ...func(*jose.SignerOptions)) string {
	t.Helper()
	tok, err := Assertion(alg, key, kid, claims, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
