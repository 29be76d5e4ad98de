package testsupport

import (
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/secret"
)

// ExpiredSecret is the secret that Secrets gives a client as expired.
const ExpiredSecret = "expired-secret"

// Secrets are the secrets of a client that authenticates with one, as the
// client authentication tests give it: current, and ExpiredSecret, which
// expired at expired.
func Secrets(t testing.TB, current string, expired time.Time) []client.Secret {
	t.Helper()
	var out []client.Secret
	for _, s := range []string{current, ExpiredSecret} {
		h, err := secret.Parse(secret.Hash(s))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, client.Secret{Hash: h})
	}
	out[1].Expires = expired
	return out
}

// KeySet is the key set of a private_key_jwt client whose ES256 key is key,
// named kid.
func KeySet(key *ecdsa.PrivateKey, kid string) *jose.JSONWebKeySet {
	return &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"}}}
}
