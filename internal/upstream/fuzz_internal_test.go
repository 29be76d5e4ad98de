package upstream

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// FuzzParseCallback: any query is read without a panic, a repeated or
// oversized parameter is refused, and the issuer check never accepts an
// iss other than the issuer or (Entra) its template with a clean tid.
func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{
		"code=abc&state=xyz&iss=https%3A%2F%2Fidp.example",
		"error=access_denied&error_description=no&state=s",
		"state=a&state=b", "code=%zz", "iss=https://login.example/abc-123/v2.0&code=1&state=2",
		"iss=https://login.example/%7Btenantid%7D/v2.0", "iss=https://login.example/a/b/v2.0",
	} {
		f.Add(s)
	}
	plain := &Provider{}
	entra := &Provider{entra: true}
	d := &document{Issuer: "https://idp.example"}
	de := &document{Issuer: "https://login.example/{tenantid}/v2.0"}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw)
		c, err := parseCallback(q)
		if err != nil {
			return
		}
		for _, name := range callbackParams {
			if len(q[name]) > 1 {
				t.Fatalf("%s repeated, accepted", name)
			}
		}
		if plain.checkIssuer(d, c.iss, "") == nil && c.iss != d.Issuer {
			t.Fatalf("iss %q accepted for %q", c.iss, d.Issuer)
		}
		if entra.checkIssuer(de, c.iss, "") == nil {
			tid := strings.TrimSuffix(strings.TrimPrefix(c.iss, "https://login.example/"), "/v2.0")
			if !validTenant(tid) || c.iss != "https://login.example/"+tid+"/v2.0" {
				t.Fatalf("iss %q accepted for %q", c.iss, de.Issuer)
			}
		}
		_ = cleanText(c.errDescription, maxDescription)
	})
}

// FuzzVerify: any string as an ID token is refused without a panic unless
// it is signed by the provider's key; a mutation of a good token never
// verifies with other claims.
func FuzzVerify(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	p := &Provider{cfg: Config{Name: "f", ClientID: "c"}, now: func() time.Time { return now }, keysLock: make(chan struct{}, 1), client: &http.Client{}}
	p.keys = &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
	p.keysGen = 1
	d := &document{Issuer: "https://idp.example", JWKSURI: "https://127.0.0.1:1/unreachable"}
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	good, _ := jwt.Signed(signer).Claims(map[string]any{
		"iss": d.Issuer, "sub": "alice", "aud": "c", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "nonce": "n",
	}).Serialize()
	f.Add(good)
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		// The unreachable JWKS URI makes a refetch fail fast.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		id, _, err := p.verify(ctx, d, raw, "n")
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnavailable) {
				t.Fatalf("error of no class: %v", err)
			}
			return
		}
		if id != (Identity{Issuer: d.Issuer, Subject: "alice"}) {
			t.Fatalf("verified %+v", id)
		}
	})
}
