package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/secret"
)

// ErrUnknown is returned by Clients for an id it does not know.
var ErrUnknown = errors.New("unknown client")

// ErrDisabled is returned by Clients for a disabled client: to the
// client it is an unknown one (errors.Is(err, ErrUnknown)); the log
// says why.
var ErrDisabled = fmt.Errorf("%w: it is disabled (enabled: false)", ErrUnknown)

// Client is a client as every endpoint needs it: in memory, its secrets
// hashed, its keys parsed. FromRecord makes one from the stored record.
type Client struct {
	ID   string
	Name string
	// Secrets are the hashed secrets; any one that has not expired works.
	Secrets []Secret
	// GrantTypes are the allowed grant types.
	GrantTypes []string
	// Scopes are the scopes the client may be granted; a request without
	// scope gets all of them.
	Scopes []string
	// AccessTokenLifetime is how long its access tokens live.
	AccessTokenLifetime time.Duration
	// ReferenceTokens makes its access tokens reference tokens
	// (IdentityServer's AccessTokenType Reference): an opaque handle whose
	// claims stay in the store, so that revoking it takes effect at once
	// for the APIs that introspect it. False (Jwt, the default) issues
	// self-contained JWTs, which cost no store work.
	ReferenceTokens bool
	// Keys (or KeysURI) are the public keys of private_key_jwt.
	Keys    *jose.JSONWebKeySet
	KeysURI string
	// Disabled clients are refused as unknown ones are (IdentityServer's
	// Enabled: false).
	Disabled bool
	// Public clients (IdentityServer's RequireClientSecret: false: an app
	// in a browser or on a device, which cannot keep a secret)
	// authenticate with their client_id alone, where an endpoint accepts
	// that (token_endpoint_auth_method none); the grants that need a
	// client that proves who it is (client_credentials) refuse them.
	Public bool
	// Claims are the client's own claims for its access tokens, as a JSON
	// object ({"client_tenant":"contoso"}), encoded once; nil for none.
	Claims []byte
	// CORSOrigins may call the token endpoint from a browser.
	CORSOrigins []string

	// RedirectURIs are where the authorization endpoint may send the
	// browser back (IdentityServer's RedirectUris), compared exactly; a
	// loopback http one may be used with any port (RFC 8252 §7.3).
	RedirectURIs []string
	// PostLogoutRedirectURIs are where /connect/endsession may send the
	// browser after a logout (IdentityServer's PostLogoutRedirectUris),
	// compared exactly.
	PostLogoutRedirectURIs []string
	// RequirePKCE makes the authorization endpoint refuse a request
	// without a code_challenge (IdentityServer's RequirePkce; true by
	// default, which a record stored before the setting existed reads as);
	// a public client is held to PKCE whatever it says.
	RequirePKCE bool
	// AllowPlainTextPKCE lets the client use code_challenge_method plain
	// (IdentityServer's AllowPlainTextPkce); false by default: S256 only.
	AllowPlainTextPKCE bool
	// AllowOfflineAccess lets the client ask for the offline_access scope,
	// and so get refresh tokens (IdentityServer's AllowOfflineAccess);
	// false by default.
	AllowOfflineAccess bool
	// RequireConsent shows the consent page (IdentityServer's
	// RequireConsent; false by default), and AllowRememberConsent offers
	// its "remember my decision" (true by default).
	RequireConsent       bool
	AllowRememberConsent bool
	// RequireMFA makes users sign in with a second factor (a TOTP code, a
	// passkey with user verification): a user without one is asked to set
	// one up (storage.Client's RequireMfa).
	RequireMFA bool
	// AlwaysIncludeUserClaimsInIdToken puts the user's claims of the
	// granted identity scopes in the ID token too, not only in userinfo.
	AlwaysIncludeUserClaimsInIdToken bool
	// IdentityTokenSigningAlgorithms are the algorithms its ID tokens may
	// be signed with, in the client's order of preference; empty for the
	// default (RS256, which OpenID Connect makes the default).
	IdentityTokenSigningAlgorithms []string
	// ClientURI and LogoURI are shown on the consent page; empty for none.
	ClientURI string
	LogoURI   string

	// The lifetimes, never zero: FromRecord puts the defaults in place of
	// the record's zeros.
	IdentityTokenLifetime        time.Duration
	AuthorizationCodeLifetime    time.Duration
	AbsoluteRefreshTokenLifetime time.Duration
	SlidingRefreshTokenLifetime  time.Duration
	// RefreshTokenReUse keeps a refresh token usable after a use
	// (IdentityServer's RefreshTokenUsage ReUse); false rotates it at every
	// use (OneTimeOnly, the default).
	RefreshTokenReUse bool
	// RefreshTokenSliding extends a refresh token by the sliding lifetime
	// at each use, never past the absolute one (IdentityServer's
	// RefreshTokenExpiration Sliding); false ends it at the absolute
	// lifetime (Absolute, the default).
	RefreshTokenSliding bool
}

// The lifetimes of a client whose record sets none: IdentityServer's
// defaults.
const (
	DefaultIdentityTokenLifetime        = 300 * time.Second
	DefaultAuthorizationCodeLifetime    = 300 * time.Second
	DefaultAbsoluteRefreshTokenLifetime = 30 * 24 * time.Hour
	DefaultSlidingRefreshTokenLifetime  = 15 * 24 * time.Hour
)

// Secret is one hashed client secret.
type Secret struct {
	// ID names a database secret (signet client secret remove); the
	// configuration file's have none.
	ID          string
	Description string
	Hash        secret.Hashed
	// Expires is when it stops working; zero for never.
	Expires time.Time
}

// AllowsGrant reports whether the client may use grant type gt.
func (c *Client) AllowsGrant(gt string) bool { return slices.Contains(c.GrantTypes, gt) }

// UsesKeys reports whether the client authenticates with private_key_jwt.
func (c *Client) UsesKeys() bool { return c.Keys != nil || c.KeysURI != "" }

// Static is a set of clients held in memory, as the configuration file's
// clients are: the token path reads no file or database for them.
type Static map[string]*Client

// Client returns the enabled client id, or an error wrapping ErrUnknown.
func (s Static) Client(_ context.Context, id string) (*Client, error) {
	if c, ok := s[id]; ok {
		if c.Disabled {
			return nil, ErrDisabled
		}
		return c, nil
	}
	return nil, ErrUnknown
}
