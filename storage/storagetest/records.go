package storagetest

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/storage"
)

// base is the time records are built around: in the future (nothing built on
// it has expired by the real clock), with nanoseconds and in a zone other than
// UTC, so that a store that does not keep times to the millisecond in UTC is
// caught.
var base = time.Date(2031, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("UTC+5:30", 5*3600+1800))

// instant is t as a store keeps it: to the millisecond (truncated, as
// UnixMilli does), in UTC; the zero time stays zero.
func instant(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// orNil returns nil for an empty slice: a store may return either.
func orNil[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// jwks is a JSON Web Key Set with unusual spacing and member order, which a
// store that re-encodes JSON (PostgreSQL jsonb) would change.
const jwks = `{ "keys":[{"kty":"EC","crv":"P-256",  "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}],
	"z":1, "a":"é"}`

// claims are a client's own claims with unusual spacing, which a store that
// re-encodes JSON would change.
const claims = `{"tenant":  "acme",
	"roles":["a","b"] ,"n":1.50}`

func sampleClient(id string) storage.Client {
	c := storage.Client{
		ID:          id,
		Name:        "Client " + id + " — l’appli",
		Description: "Commandes en ligne\nsur deux lignes",
		Disabled:    true,
		Public:      false,
		Secrets: []storage.ClientSecret{
			{ID: "s2", Hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", Description: "rotated in", Created: base, Expires: base.Add(48 * time.Hour)},
			{ID: "s1", Hash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdB$aGFzaB", Created: base.Add(-time.Hour)},
		},
		GrantTypes:             []string{"client_credentials", "authorization_code", "refresh_token"},
		Scopes:                 []string{"openid", "api.write", "api.read"},
		AccessTokenLifetime:    90 * time.Minute,
		AccessTokenType:        storage.AccessTokenReference,
		JWKS:                   []byte(jwks),
		Claims:                 []byte(claims),
		CORSOrigins:            []string{"https://b.example", "https://a.example:8443"},
		RedirectURIs:           []string{"https://b.example/cb", "https://a.example:8443/signin-oidc?x=1", "http://127.0.0.1/cb"},
		PostLogoutRedirectURIs: []string{"https://b.example/", "https://a.example:8443/signout-callback-oidc"},
	}
	SetSignInSettings(&c)
	return c
}

// SetSignInSettings sets each of c's sign-in settings away from its default
// (IdentityServer's), so that a test sees each carried over.
func SetSignInSettings(c *storage.Client) {
	c.RequirePKCE = false
	c.AllowPlainTextPKCE = true
	c.RequireConsent = true
	c.AllowRememberConsent = false
	c.AllowOfflineAccess = true
	c.AlwaysIncludeUserClaimsInIdToken = true
	c.IdentityTokenLifetime = 10 * time.Minute
	c.AuthorizationCodeLifetime = time.Minute
	c.AbsoluteRefreshTokenLifetime = 90 * 24 * time.Hour
	c.SlidingRefreshTokenLifetime = 7 * 24 * time.Hour
	c.RefreshTokenUsage = storage.RefreshTokenReUse
	c.RefreshTokenExpiration = storage.RefreshTokenSliding
	c.ClientURI = "https://b.example/about?lang=fr"
	c.LogoURI = "https://cdn.b.example/logo.svg"
	c.AllowedIdentityTokenSigningAlgorithms = []string{"RS256", "ES256"}
	c.RequireMfa = true
}

func changeClient(c *storage.Client) {
	c.Name = "Renamed " + c.ID
	c.Secrets = append(c.Secrets[:1:1], storage.ClientSecret{ID: "s3", Hash: "h3", Description: "new", Created: base.Add(time.Minute)})
	c.GrantTypes = c.GrantTypes[:1]
	c.Scopes = append(c.Scopes, "extra")
	c.AccessTokenLifetime = 0
	c.AccessTokenType = ""
	c.JWKS = nil
	c.JWKSURI = "https://client.example/" + c.ID + "/jwks"
	c.Description = ""
	c.Disabled = false
	c.Public = true
	c.Claims = []byte(`{"tenant":"other"}`)
	c.CORSOrigins = nil
	c.RedirectURIs = append(c.RedirectURIs[1:], "https://c.example/cb")
	c.PostLogoutRedirectURIs = c.PostLogoutRedirectURIs[:1]
	c.RequirePKCE = !c.RequirePKCE
	c.AllowPlainTextPKCE = !c.AllowPlainTextPKCE
	c.RequireConsent = !c.RequireConsent
	c.AllowRememberConsent = !c.AllowRememberConsent
	c.AllowOfflineAccess = !c.AllowOfflineAccess
	c.AlwaysIncludeUserClaimsInIdToken = !c.AlwaysIncludeUserClaimsInIdToken
	c.RequireMfa = !c.RequireMfa
	c.IdentityTokenLifetime = 0
	c.AuthorizationCodeLifetime += time.Second
	c.AbsoluteRefreshTokenLifetime = 0
	c.SlidingRefreshTokenLifetime = time.Hour
	c.RefreshTokenUsage = storage.RefreshTokenOneTimeOnly
	c.RefreshTokenExpiration = ""
	c.ClientURI = ""
	c.LogoURI = "http://localhost:5000/logo.png"
	c.AllowedIdentityTokenSigningAlgorithms = c.AllowedIdentityTokenSigningAlgorithms[1:]
}

func scribbleClient(c *storage.Client) {
	if len(c.Secrets) > 0 {
		c.Secrets[0].Hash = "scribbled"
		c.Secrets[0].Created = time.Time{}
	}
	scribbleLists(c.GrantTypes, c.Scopes, c.CORSOrigins, c.RedirectURIs, c.PostLogoutRedirectURIs,
		c.AllowedIdentityTokenSigningAlgorithms)
	scribbleBytes(c.JWKS, c.Claims)
}

// scribbleLists and scribbleBytes overwrite the first entry of each slice in
// place, for the NotAliased tests.

func scribbleLists(lists ...[]string) {
	for _, l := range lists {
		if len(l) > 0 {
			l[0] = "scribbled"
		}
	}
}

func scribbleBytes(bs ...[]byte) {
	for _, b := range bs {
		if len(b) > 0 {
			b[0] = 'X'
		}
	}
}

// wantClient is c as read back, except Created and Updated (which the store
// sets and the client tests check), cleared.
func wantClient(c storage.Client) storage.Client {
	c.Secrets = orNil(slices.Clone(c.Secrets))
	for i := range c.Secrets {
		c.Secrets[i].Created = instant(c.Secrets[i].Created)
		c.Secrets[i].Expires = instant(c.Secrets[i].Expires)
	}
	c.GrantTypes = orNil(c.GrantTypes)
	c.Scopes = orNil(c.Scopes)
	c.JWKS = orNil(c.JWKS)
	c.Claims = orNil(c.Claims)
	c.CORSOrigins = orNil(c.CORSOrigins)
	c.RedirectURIs = orNil(c.RedirectURIs)
	c.PostLogoutRedirectURIs = orNil(c.PostLogoutRedirectURIs)
	c.AllowedIdentityTokenSigningAlgorithms = orNil(c.AllowedIdentityTokenSigningAlgorithms)
	c.Created, c.Updated = time.Time{}, time.Time{}
	return c
}

var clientKind = kind[storage.Client]{
	config:     true,
	field:      "client id",
	sample:     sampleClient,
	keyOf:      func(c storage.Client) string { return c.ID },
	setKey:     func(c *storage.Client, id string) { c.ID = id },
	change:     changeClient,
	invalidate: func(c *storage.Client) { c.Scopes = append(c.Scopes, c.Scopes[0]) },
	invalidMsg: "is listed twice",
	scribble:   scribbleClient,
	want:       wantClient,
	stamped:    func(c *storage.Client) (*time.Time, *time.Time) { return &c.Created, &c.Updated },
	create:     storage.Store.CreateClient,
	get:        storage.Store.GetClient,
	list:       storage.Store.ListClients,
	update:     storage.Store.UpdateClient,
	del:        storage.Store.DeleteClient,
}

var apiScopeKind = kind[storage.APIScope]{
	config: true,
	field:  "scope name",
	sample: func(name string) storage.APIScope {
		return storage.APIScope{Name: name, DisplayName: "Scope " + name, Description: "Écrire des commandes\nsur deux lignes"}
	},
	keyOf:  func(s storage.APIScope) string { return s.Name },
	setKey: func(s *storage.APIScope, name string) { s.Name = name },
	change: func(s *storage.APIScope) {
		s.DisplayName = "Renamed " + s.Name
		s.Description = ""
	},
	invalidate: func(s *storage.APIScope) { s.Description = "nul \x00 byte" },
	invalidMsg: "scope description contains a NUL byte",
	want:       func(s storage.APIScope) storage.APIScope { return s },
	create:     storage.Store.CreateAPIScope,
	get:        storage.Store.GetAPIScope,
	list:       storage.Store.ListAPIScopes,
	update:     storage.Store.UpdateAPIScope,
	del:        storage.Store.DeleteAPIScope,
}

var apiResourceKind = kind[storage.APIResource]{
	config: true,
	field:  "resource name",
	sample: func(name string) storage.APIResource {
		return storage.APIResource{Name: name, DisplayName: "API " + name, Scopes: []string{"orders.write", "orders.read"}}
	},
	keyOf:  func(r storage.APIResource) string { return r.Name },
	setKey: func(r *storage.APIResource, name string) { r.Name = name },
	change: func(r *storage.APIResource) {
		r.DisplayName = "Renamed " + r.Name
		r.Scopes = []string{"orders.admin"}
	},
	invalidate: func(r *storage.APIResource) { r.Scopes = append(r.Scopes, "") },
	invalidMsg: "resource scope is empty",
	scribble:   func(r *storage.APIResource) { scribbleLists(r.Scopes) },
	want: func(r storage.APIResource) storage.APIResource {
		r.Scopes = orNil(r.Scopes)
		return r
	},
	create: storage.Store.CreateAPIResource,
	get:    storage.Store.GetAPIResource,
	list:   storage.Store.ListAPIResources,
	update: storage.Store.UpdateAPIResource,
	del:    storage.Store.DeleteAPIResource,
}

var identityResourceKind = kind[storage.IdentityResource]{
	config: true,
	field:  "identity resource name",
	sample: func(name string) storage.IdentityResource {
		return storage.IdentityResource{
			Name: name, DisplayName: "Identity " + name, Description: "Your e-mail address",
			Claims: []string{"email", "email_verified"},
		}
	},
	keyOf:  func(r storage.IdentityResource) string { return r.Name },
	setKey: func(r *storage.IdentityResource, name string) { r.Name = name },
	change: func(r *storage.IdentityResource) {
		r.DisplayName = "Renamed " + r.Name
		r.Description = "changed"
		r.Claims = nil
	},
	invalidate: func(r *storage.IdentityResource) { r.DisplayName = strings.Repeat("d", storage.MaxTextLen+1) },
	invalidMsg: "identity resource display name is 4097 bytes",
	scribble:   func(r *storage.IdentityResource) { scribbleLists(r.Claims) },
	want: func(r storage.IdentityResource) storage.IdentityResource {
		r.Claims = orNil(r.Claims)
		return r
	},
	create: storage.Store.CreateIdentityResource,
	get:    storage.Store.GetIdentityResource,
	list:   storage.Store.ListIdentityResources,
	update: storage.Store.UpdateIdentityResource,
	del:    storage.Store.DeleteIdentityResource,
}

// allBytes is every byte value, NUL and invalid UTF-8 included: opaque data
// must be stored as bytes (BLOB, bytea), not text.
var allBytes = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

func sampleSigningKey(id string) storage.SigningKey {
	return storage.SigningKey{
		ID:        id,
		Algorithm: "ES256",
		Data:      append([]byte(id+":"), allBytes...),
		Created:   base, // the same for all, so that the list is by id
		Activates: base.Add(time.Hour),
		Retires:   base.Add(30 * 24 * time.Hour),
		Expires:   base.Add(60 * 24 * time.Hour),
	}
}

var signingKeyKind = kind[storage.SigningKey]{
	config: false,
	field:  "signing key id",
	sample: sampleSigningKey,
	keyOf:  func(k storage.SigningKey) string { return k.ID },
	setKey: func(k *storage.SigningKey, id string) { k.ID = id },
	change: func(k *storage.SigningKey) {
		k.Algorithm = "RS256"
		k.Data = []byte("re-encrypted " + k.ID)
		k.Created = base.Add(-time.Hour)
		k.Activates = time.Time{}
		k.Retires = base.Add(time.Hour)
		k.Expires = time.Time{}
	},
	invalidate: func(k *storage.SigningKey) { k.Retires = k.Created.Add(-time.Millisecond) },
	invalidMsg: "retirement is before creation",
	scribble:   func(k *storage.SigningKey) { scribbleBytes(k.Data) },
	want: func(k storage.SigningKey) storage.SigningKey {
		k.Data = orNil(bytes.Clone(k.Data))
		k.Created, k.Activates, k.Retires, k.Expires = instant(k.Created), instant(k.Activates), instant(k.Retires), instant(k.Expires)
		return k
	},
	create: storage.Store.CreateSigningKey,
	get:    storage.Store.GetSigningKey,
	list:   storage.Store.ListSigningKeys,
	update: storage.Store.UpdateSigningKey,
	del:    storage.Store.DeleteSigningKey,
}
