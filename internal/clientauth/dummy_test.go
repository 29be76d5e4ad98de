package clientauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/secret"
)

// fakeAssertion is a compact JWS with the header and claims given and a
// random signature of sigLen bytes: the server reads its alg and the
// signature's length before it looks for a key.
func fakeAssertion(t *testing.T, header, claims map[string]any, sigLen int) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, sigLen)
	_, _ = rand.Read(sig)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(c) + "." + enc(sig)
}

// keyDescription names a public key's type and size.
func keyDescription(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "EC-" + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", key)
}

// Every refused assertion costs one signature verification, as a wrong
// signature does: for an unknown client, a client without keys, or a kid
// none of its keys has, with a dummy key of the family of the alg (RSA of
// the size the signature says, if a usual one, else 2048 bits).
func TestRefusedAssertionVerifiesOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var verified []string
	var keys []any
	f.auth.onVerify = func(key any) {
		verified = append(verified, keyDescription(key))
		keys = append(keys, key)
	}
	claims := func(sub string) map[string]any {
		c := f.goodClaims()
		c["sub"], c["iss"] = sub, sub
		return c
	}
	header := func(alg, kid string) map[string]any {
		return map[string]any{"alg": alg, "typ": "JWT", "kid": kid}
	}
	for _, tc := range []struct {
		name      string
		assertion string
		want      string
		// real: the client's own key, not a dummy
		real bool
	}{
		{"unknown client, RS256 of 2048 bits", fakeAssertion(t, header("RS256", "k"), claims("nobody"), 256), "RSA-2048", false},
		{"unknown client, PS384 of 3072 bits", fakeAssertion(t, header("PS384", "k"), claims("nobody"), 384), "RSA-3072", false},
		{"unknown client, RS512 of 4096 bits", fakeAssertion(t, header("RS512", "k"), claims("nobody"), 512), "RSA-4096", false},
		// No more work than a usual key: 2048 bits, which refuses a
		// signature of 8192 at once for its length.
		{"unknown client, RS256 of 8192 bits", fakeAssertion(t, header("RS256", "k"), claims("nobody"), 1024), "RSA-2048", false},
		{"unknown client, ES256", fakeAssertion(t, header("ES256", "k"), claims("nobody"), 64), "EC-P-256", false},
		{"unknown client, ES384", fakeAssertion(t, header("ES384", "k"), claims("nobody"), 96), "EC-P-384", false},
		{"unknown client, ES512", fakeAssertion(t, header("ES512", "k"), claims("nobody"), 132), "EC-P-521", false},
		{"unknown client, EdDSA", fakeAssertion(t, header("EdDSA", "k"), claims("nobody"), 64), "Ed25519", false},
		{"client without keys", fakeAssertion(t, header("ES256", "k"), claims("app"), 64), "EC-P-256", false},
		{"unknown kid", f.assertion(f.goodClaims(), func(o *jose.SignerOptions) { o.WithHeader("kid", "other") }), "EC-P-256", false},
		{"no key of the alg", fakeAssertion(t, header("RS256", "client-key-1"), f.goodClaims(), 256), "RSA-2048", false},
		{"wrong signature", otherKeyAssertion(t, f), "EC-P-256", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verified, keys = nil, nil
			_, _, err := f.check(assertionCreds(tc.assertion))
			if err == nil || err.Status != http.StatusUnauthorized || err.Description != failedAssertion().Description {
				t.Fatalf("%v; want 401 with the answer of every failed assertion", err)
			}
			if len(verified) != 1 || verified[0] != tc.want {
				t.Fatalf("verified with %v; want once, with %s", verified, tc.want)
			}
			if isClientKey := keys[0] == f.clientKey.Public(); isClientKey != tc.real {
				t.Errorf("verified with the client's own key: %v; want %v", isClientKey, tc.real)
			}
		})
	}
}

// Every refused secret costs at least one hash verification, as a wrong
// secret of a client with one secret does: an unknown or disabled client's
// is verified against a dummy hash, and so is one sent for a client that
// has no secret (it uses private_key_jwt, or is public), so that the time
// of the answer does not tell such a client from an unknown one.
func TestRefusedSecretVerifiesOnce(t *testing.T) {
	t.Parallel()
	for name, id := range map[string]string{
		"unknown client":              "nobody",
		"disabled client":             "off-spa",
		"client with private_key_jwt": "jwt-app",
		"public client":               "spa",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			verified := 0
			f.auth.onVerify = func(key any) {
				if _, ok := key.(secret.Hashed); ok {
					verified++
				}
			}
			for _, cr := range []Credentials{
				{HasBasic: true, BasicID: id, BasicSecret: "guess"},
				{ClientID: id, ClientSecret: "guess"},
			} {
				verified = 0
				if _, _, err := f.check(cr); err == nil || err.Code != oauth.InvalidClient {
					t.Fatalf("%+v: %v, want invalid_client", cr, err)
				}
				if verified != 1 {
					t.Errorf("%+v: %d hashes verified, want 1", cr, verified)
				}
			}
		})
	}
}
