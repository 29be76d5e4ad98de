package client

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/storagetest"
)

const testKeys = `{"keys":[{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","kid":"k1"}]}`

// FromRecord carries over every field the token path reads, from a
// database's client and from a configuration file's alike.
func TestFromRecord(t *testing.T) {
	t.Parallel()
	expires := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	rec := storage.Client{
		ID: "app", Name: "App", Description: "not used by the token path",
		Disabled:            true,
		Public:              true,
		Secrets:             []storage.ClientSecret{{ID: "s1", Hash: secret.Hash("a-long-enough-secret-for-tests"), Expires: expires}, {Hash: secret.Hash("another-long-enough-secret")}},
		GrantTypes:          []string{"client_credentials"},
		Scopes:              []string{"api1", "orders"},
		AccessTokenLifetime: 15 * time.Minute,
		AccessTokenType:     storage.AccessTokenReference,
		JWKS:                []byte(testKeys),
		Claims:              []byte(`{"client_tenant":"contoso"}`),
		CORSOrigins:         []string{"https://app.example.com"},
		RedirectURIs:        []string{"https://app.example.com/signin-oidc", "http://127.0.0.1/callback"},
	}
	storagetest.SetSignInSettings(&rec)
	c, err := FromRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.ID != "app" || c.Name != "App":
		t.Errorf("ID, Name = %q, %q", c.ID, c.Name)
	case !c.Disabled:
		t.Error("Disabled is lost")
	case !c.Public:
		t.Error("Public is lost")
	case !slices.Equal(c.GrantTypes, rec.GrantTypes) || !slices.Equal(c.Scopes, rec.Scopes):
		t.Errorf("GrantTypes %v, Scopes %v", c.GrantTypes, c.Scopes)
	case c.AccessTokenLifetime != 15*time.Minute:
		t.Errorf("AccessTokenLifetime %v", c.AccessTokenLifetime)
	case !c.ReferenceTokens:
		t.Error("ReferenceTokens is lost: want the record's AccessTokenType Reference")
	case string(c.Claims) != `{"client_tenant":"contoso"}`:
		t.Errorf("Claims %s", c.Claims)
	case !slices.Equal(c.CORSOrigins, rec.CORSOrigins):
		t.Errorf("CORSOrigins %v", c.CORSOrigins)
	case !slices.Equal(c.RedirectURIs, rec.RedirectURIs):
		t.Errorf("RedirectURIs %v", c.RedirectURIs)
	case c.RequirePKCE || !c.AllowPlainTextPKCE || !c.AllowOfflineAccess:
		t.Errorf("RequirePKCE %v, AllowPlainTextPKCE %v, AllowOfflineAccess %v: want the record's false, true, true",
			c.RequirePKCE, c.AllowPlainTextPKCE, c.AllowOfflineAccess)
	case !c.RequireConsent || c.AllowRememberConsent || !c.AlwaysIncludeUserClaimsInIdToken:
		t.Errorf("RequireConsent %v, AllowRememberConsent %v, AlwaysIncludeUserClaimsInIdToken %v: want the record's true, false, true",
			c.RequireConsent, c.AllowRememberConsent, c.AlwaysIncludeUserClaimsInIdToken)
	case c.IdentityTokenLifetime != rec.IdentityTokenLifetime || c.AuthorizationCodeLifetime != rec.AuthorizationCodeLifetime ||
		c.AbsoluteRefreshTokenLifetime != rec.AbsoluteRefreshTokenLifetime || c.SlidingRefreshTokenLifetime != rec.SlidingRefreshTokenLifetime:
		t.Errorf("lifetimes: identity token %v, code %v, absolute refresh %v, sliding refresh %v: want the record's",
			c.IdentityTokenLifetime, c.AuthorizationCodeLifetime, c.AbsoluteRefreshTokenLifetime, c.SlidingRefreshTokenLifetime)
	case !c.RefreshTokenReUse || !c.RefreshTokenSliding:
		t.Errorf("RefreshTokenReUse %v, RefreshTokenSliding %v: want ReUse and Sliding", c.RefreshTokenReUse, c.RefreshTokenSliding)
	case c.ClientURI != rec.ClientURI || c.LogoURI != rec.LogoURI:
		t.Errorf("ClientURI %q, LogoURI %q", c.ClientURI, c.LogoURI)
	case c.ClientURI == "" || c.LogoURI == "" || c.IdentityTokenLifetime == DefaultIdentityTokenLifetime:
		t.Errorf("storagetest.SetSignInSettings set no URIs or a default lifetime: %+v", rec)
	case !slices.Equal(c.IdentityTokenSigningAlgorithms, rec.AllowedIdentityTokenSigningAlgorithms):
		t.Errorf("IdentityTokenSigningAlgorithms %v", c.IdentityTokenSigningAlgorithms)
	case c.Keys == nil || len(c.Keys.Keys) != 1 || c.Keys.Keys[0].KeyID != "k1" || !c.UsesKeys():
		t.Errorf("Keys %+v", c.Keys)
	case len(c.Secrets) != 2 || !c.Secrets[0].Expires.Equal(expires) || !c.Secrets[1].Expires.IsZero():
		t.Fatalf("Secrets %+v", c.Secrets)
	}
	if !c.Secrets[0].Hash.Verify("a-long-enough-secret-for-tests") || !c.Secrets[1].Hash.Verify("another-long-enough-secret") {
		t.Error("a secret's hash does not verify it")
	}

	uri, err := FromRecord(storage.Client{ID: "partner", JWKSURI: "https://partner.example.com/jwks"})
	if err != nil || uri.KeysURI != "https://partner.example.com/jwks" || uri.Keys != nil || !uri.UsesKeys() {
		t.Errorf("a jwksUri client: %+v, %v", uri, err)
	}
}

// A record that sets none of the sign-in settings gets IdentityServer's
// defaults: the lifetimes from FromRecord, the flags as stored (a record
// stored before they existed reads RequirePKCE and AllowRememberConsent
// true).
func TestFromRecordDefaults(t *testing.T) {
	t.Parallel()
	c, err := FromRecord(storage.Client{ID: "app", RequirePKCE: true, AllowRememberConsent: true,
		RefreshTokenUsage: storage.RefreshTokenOneTimeOnly, RefreshTokenExpiration: storage.RefreshTokenAbsolute})
	if err != nil {
		t.Fatal(err)
	}
	want := Client{ID: "app", RequirePKCE: true, AllowRememberConsent: true,
		IdentityTokenLifetime: 300 * time.Second, AuthorizationCodeLifetime: 300 * time.Second,
		AbsoluteRefreshTokenLifetime: 30 * 24 * time.Hour, SlidingRefreshTokenLifetime: 15 * 24 * time.Hour}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("FromRecord of a record with no sign-in settings =\n%+v\nwant\n%+v", *c, want)
	}
	empty, err := FromRecord(storage.Client{ID: "app", RequirePKCE: true, AllowRememberConsent: true})
	if err != nil || !reflect.DeepEqual(*empty, want) {
		t.Errorf("empty RefreshTokenUsage and RefreshTokenExpiration: %+v, %v; want OneTimeOnly and Absolute", empty, err)
	}
}

func TestFromRecordRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rec  storage.Client
		want string
	}{
		{"a hash that does not parse", storage.Client{ID: "a", Secrets: []storage.ClientSecret{{ID: "s1", Hash: "not-a-hash"}}}, "secret s1"},
		{"a symmetric key", storage.Client{ID: "a", JWKS: []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"k"}]}`)}, "jwks: key 0"},
		{"not a key set", storage.Client{ID: "a", JWKS: []byte(`{"kty":"EC"}`)}, "jwks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := FromRecord(tc.rec); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("FromRecord: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
