package client

import (
	"fmt"
	"time"

	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/storage"
)

// FromRecord turns a stored client into the one every endpoint uses: its
// secrets' hashes parsed, its key set read. It is the one conversion from
// the record: the configuration file's clients become records first.
func FromRecord(sc storage.Client) (*Client, error) {
	c := &Client{ID: sc.ID, Name: sc.Name, GrantTypes: sc.GrantTypes, Scopes: sc.Scopes,
		AccessTokenLifetime: sc.AccessTokenLifetime, KeysURI: sc.JWKSURI,
		Disabled: sc.Disabled, Public: sc.Public, Claims: sc.Claims, CORSOrigins: sc.CORSOrigins,
		RedirectURIs:           sc.RedirectURIs,
		PostLogoutRedirectURIs: sc.PostLogoutRedirectURIs,

		RequirePKCE:                      sc.RequirePKCE,
		AllowPlainTextPKCE:               sc.AllowPlainTextPKCE,
		AllowOfflineAccess:               sc.AllowOfflineAccess,
		RequireConsent:                   sc.RequireConsent,
		AllowRememberConsent:             sc.AllowRememberConsent,
		AlwaysIncludeUserClaimsInIdToken: sc.AlwaysIncludeUserClaimsInIdToken,
		RequireMFA:                       sc.RequireMfa,
		IdentityTokenSigningAlgorithms:   sc.AllowedIdentityTokenSigningAlgorithms,
		ClientURI:                        sc.ClientURI,
		LogoURI:                          sc.LogoURI,
		RefreshTokenReUse:                sc.RefreshTokenUsage == storage.RefreshTokenReUse,
		RefreshTokenSliding:              sc.RefreshTokenExpiration == storage.RefreshTokenSliding,
		ReferenceTokens:                  sc.AccessTokenType == storage.AccessTokenReference,
		// The defaults of the lifetimes are applied here, once.
		IdentityTokenLifetime:        orDefault(sc.IdentityTokenLifetime, DefaultIdentityTokenLifetime),
		AuthorizationCodeLifetime:    orDefault(sc.AuthorizationCodeLifetime, DefaultAuthorizationCodeLifetime),
		AbsoluteRefreshTokenLifetime: orDefault(sc.AbsoluteRefreshTokenLifetime, DefaultAbsoluteRefreshTokenLifetime),
		SlidingRefreshTokenLifetime:  orDefault(sc.SlidingRefreshTokenLifetime, DefaultSlidingRefreshTokenLifetime),
	}
	for _, s := range sc.Secrets {
		h, err := secret.Parse(s.Hash)
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", s.ID, err)
		}
		c.Secrets = append(c.Secrets, Secret{ID: s.ID, Description: s.Description, Hash: h, Expires: s.Expires})
	}
	if len(sc.JWKS) > 0 {
		keys, err := ParseKeys(sc.JWKS)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		c.Keys = keys
	}
	return c, nil
}

// orDefault is d, or def when d is zero (the record's "not set").
func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
