package grant

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// handleOf returns the access token of a token response, checking that it
// is a reference token's handle with token_type Bearer and the client's
// lifetime.
func handleOf(t *testing.T, res result, what string) string {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("%s: %d %v", what, res.status, res.body)
	}
	h, _ := res.body["access_token"].(string)
	if len(h) != 43 || !opaque.Valid(h) || strings.Contains(h, ".") {
		t.Fatalf("%s: access_token %q, want a 43-character handle", what, h)
	}
	if res.body["token_type"] != "Bearer" || res.body["expires_in"] != float64(3600) {
		t.Errorf("%s: token_type %v expires_in %v, want Bearer 3600", what, res.body["token_type"], res.body["expires_in"])
	}
	return h
}

// atHash is the at_hash an ID token of alg RS256 or ES256 has for token.
func atHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// idTokenClaims reads an ID token's claims (its signature is the tokens
// package's tests' business).
func idTokenClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q is not a JWS", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A client with reference tokens gets a handle from every grant, on every
// backend: client_credentials (its own, in no family), authorization_code
// and refresh_token (the user's, in the code's family, the ID token's
// at_hash over the handle); a refresh token used again revokes them all.
func TestReferenceTokensEveryGrant(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			sf := newSignInFixture(t, b.OpenOne(t, nil))
			sf.web.ReferenceTokens = true
			sf.web.GrantTypes = append(sf.web.GrantTypes, "client_credentials")
			ctx := t.Context()
			lookup := func(h string) (tokens.Reference, error) { return sf.tokens.LookupReference(ctx, h, time.Time{}) }

			own := handleOf(t, sf.post(url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}, basic("web", sf.secret)), "client_credentials")
			ref, err := lookup(own)
			if err != nil || ref.ClientID != "web" || ref.Subject != "" || ref.FamilyID != "" || strings.Join(ref.Scopes, " ") != "api1" {
				t.Fatalf("client_credentials token: %+v, %v", ref, err)
			}

			res := sf.redeem(sf.code(t, "openid", "api1", "offline_access"))
			fromCode := handleOf(t, res, "authorization_code")
			if got := idTokenClaims(t, res.body["id_token"].(string))["at_hash"]; got != atHash(fromCode) {
				t.Errorf("at_hash %v, want the handle's %s", got, atHash(fromCode))
			}
			ref, err = lookup(fromCode)
			if err != nil || ref.ClientID != "web" || ref.Subject != "u-alice" || ref.SessionID != "sid-1" || ref.FamilyID == "" {
				t.Fatalf("authorization_code token: %+v, %v", ref, err)
			}
			family := ref.FamilyID

			rt := res.body["refresh_token"].(string)
			res = sf.refresh(rt, "")
			fromRefresh := handleOf(t, res, "refresh_token")
			if got := idTokenClaims(t, res.body["id_token"].(string))["at_hash"]; got != atHash(fromRefresh) {
				t.Errorf("at_hash at refresh %v, want the handle's", got)
			}
			if ref, err = lookup(fromRefresh); err != nil || ref.Subject != "u-alice" || ref.FamilyID != family {
				t.Fatalf("refresh_token token: %+v, %v; want the code's family %q", ref, err, family)
			}

			// The rotated refresh token used again: the family goes, with
			// both of its reference tokens; the client's own stays.
			if res := sf.refresh(rt, ""); res.status != http.StatusBadRequest || res.body["error"] != "invalid_grant" {
				t.Fatalf("reuse: %d %v", res.status, res.body)
			}
			for _, h := range []string{fromCode, fromRefresh} {
				if _, err := lookup(h); !errors.Is(err, tokens.ErrUnknownReference) {
					t.Errorf("a reference token of the revoked family: %v, want ErrUnknownReference", err)
				}
			}
			if _, err := lookup(own); err != nil {
				t.Errorf("the client's own token after the family's revocation: %v", err)
			}
		})
	}
}

// A JWT client's tokens are JWTs still, with at_hash over the JWT.
func TestJWTClientUnchanged(t *testing.T) {
	t.Parallel()
	sf := newSignInFixture(t, stores.All[0].OpenOne(t, nil))
	res := sf.redeem(sf.code(t, "openid", "api1"))
	at, _ := res.body["access_token"].(string)
	if res.status != http.StatusOK || strings.Count(at, ".") != 2 {
		t.Fatalf("%d %v: want a JWT", res.status, res.body)
	}
	if got := idTokenClaims(t, res.body["id_token"].(string))["at_hash"]; got != atHash(at) {
		t.Errorf("at_hash %v, want the JWT's", got)
	}
}

// Two redemptions of one code at once, on every backend, for a client of
// reference tokens: the second use revokes the family, so however the two
// interleave, no reference token of the code survives, with or without a
// refresh token issued beside it.
func TestConcurrentRedemptionsReference(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			store := b.OpenOne(t, nil)
			sf := newSignInFixture(t, store)
			sf.web.ReferenceTokens = true
			for i := range 10 {
				scopes := []string{"openid", "api1"}
				if i%2 == 0 {
					scopes = append(scopes, "offline_access")
				}
				code := sf.code(t, scopes...)
				results := race(2, func() result { return sf.redeem(code) })
				if ok, refused := count(results); ok > 1 || ok+refused != 2 {
					t.Fatalf("two redemptions of one code: %d succeeded, %d got invalid_grant: %v", ok, refused, results)
				}
				left, err := store.ListGrants(t.Context(), storage.PersistedGrantFilter{Type: storage.GrantReferenceToken, Subject: "u-alice"}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if len(left) != 0 {
					t.Fatalf("scopes %v: %d reference tokens of a code redeemed twice survive", scopes, len(left))
				}
			}
		})
	}
}
