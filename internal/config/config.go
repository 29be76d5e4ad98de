// Package config loads Signet's configuration file (YAML or JSON), with
// keys matched case-insensitively so that the Key section of an
// IdentityServer appsettings.json can be pasted in, ${VAR} replaced from the
// environment, and every problem reported at once with its file and line.
//
// It imports nothing of Signet's but internal/oauth (the scope-name rule)
// and internal/observe (the event names audit.exclude may name): what a
// value means (a key source, a secret hash) is checked by the packages
// that use it, which report their findings at the right line through
// Config.Problemf.
package config

import (
	"net/http"
	"time"
)

// Config is the whole configuration file. Zero values are the defaults
// documented on each field; Defaults fills them in.
type Config struct {
	// Issuer is the issuer identifier (an absolute https URL without query
	// or fragment). Empty: taken from each request (its Host, and with
	// TrustProxy the X-Forwarded-Proto/Host headers).
	Issuer string `yaml:"issuer"`
	// Listen is the address to listen on; default 127.0.0.1:5000.
	Listen string `yaml:"listen"`
	// DataDir holds the embedded storage and the development key; default
	// ./signet-data, relative to the configuration file's directory.
	DataDir string `yaml:"dataDir"`
	// TrustProxy makes the server honour X-Forwarded-Proto and
	// X-Forwarded-Host from a reverse proxy.
	TrustProxy bool `yaml:"trustProxy"`
	// AllowHTTP lets a non-development server use an http issuer
	// (IdentityServer's RequireSsl=false). Refused otherwise.
	AllowHTTP bool `yaml:"allowHttp"`
	// AccessTokenJwtType is the typ header of access tokens: at+jwt
	// (default, RFC 9068) or JWT, for validators that refuse at+jwt (older
	// Spring Security and Nimbus), as IdentityServer's option of that name.
	AccessTokenJwtType string `yaml:"accessTokenJwtType"`
	// StrictClientAssertionAudience makes a client assertion's aud the
	// issuer alone, as one string (draft-ietf-oauth-rfc7523bis, against
	// audience injection: CVE-2025-27370, CVE-2025-27371), as it always is
	// for an assertion whose typ is client-authentication+jwt. Default
	// false: the issuer or the token endpoint's URL, alone or in an array,
	// as clients made before the draft send it.
	StrictClientAssertionAudience bool `yaml:"strictClientAssertionAudience"`
	// TLS, when set, makes the server listen with TLS.
	TLS *TLS `yaml:"tls"`
	// HSTS is the Strict-Transport-Security header of the responses to
	// requests that came over https: with tls, or with trustProxy an
	// X-Forwarded-Proto of https. Never over plain http. On by default.
	HSTS HSTS `yaml:"hsts"`
	// Storage chooses the database: embedded SQLite by default.
	Storage Storage `yaml:"storage"`
	// Log chooses the log format and level.
	Log Log `yaml:"log"`
	// Key is the signing credential.
	Key *Key `yaml:"key"`
	// ValidationKeys are published in JWKS and accepted, never used to sign.
	ValidationKeys []Key `yaml:"validationKeys"`
	// APIScopes are the scopes clients may ask for.
	APIScopes []APIScope `yaml:"apiScopes"`
	// APIResources group scopes; a token's aud lists the resources that hold
	// its scopes.
	APIResources []APIResource `yaml:"apiResources"`
	// IdentityResources are the OpenID Connect scopes that stand for user
	// claims. openid, profile, email, address, phone and offline_access are
	// built in (BuiltInIdentityResources) and need no entry; custom ones
	// are checked by internal/claims' rules at config check and serve.
	IdentityResources []IdentityResource `yaml:"identityResources"`
	// Clients are the applications that may get tokens.
	Clients []Client `yaml:"clients"`
	// Users are people who sign in, as IdentityServer's TestUsers (users.go).
	Users []User `yaml:"users"`
	// ExternalProviders are the identity providers people may sign in
	// with (providers.go).
	ExternalProviders []ExternalProvider `yaml:"externalProviders"`
	// Session is the signed-in user's session: its cookie and lifetimes.
	Session Session `yaml:"session"`
	// UI brands the sign-in pages (login, consent, logout, error).
	UI UI `yaml:"ui"`
	// Login throttles password guessing on the login page.
	Login Login `yaml:"login"`
	// RateLimits slow the callers of the token, introspection and
	// revocation endpoints and of the login form (never discovery, the
	// JWKS or the probes).
	RateLimits RateLimits `yaml:"rateLimits"`
	// Limits bound each request: its size, its parameters, and how long
	// reading and answering it may take.
	Limits Limits `yaml:"limits"`
	// Shutdown is what the server does on SIGTERM or Ctrl-C.
	Shutdown Shutdown `yaml:"shutdown"`
	// Metrics are the Prometheus metrics at /metrics: off unless
	// metrics.listen or metrics.public is set.
	Metrics Metrics `yaml:"metrics"`
	// Audit is the audit log: one event per security-relevant act.
	Audit Audit `yaml:"audit"`
	// KeyExpiryWarning is how long before a signing or validation
	// certificate, or a client secret, expires that it is warned about
	// (default 30 days): its expiry is found while there is time to
	// replace it, not when tokens stop validating.
	KeyExpiryWarning time.Duration `yaml:"keyExpiryWarning"`
	// Tracing sends OpenTelemetry traces to a collector; off unless its
	// endpoint is set.
	Tracing Tracing `yaml:"tracing"`
	// KeyEncryptionKey (32 bytes, base64 or hex), or the file
	// KeyEncryptionKeyFile holds, encrypts the secrets Signet keeps in its
	// database besides managed keys: users' TOTP keys, the tokens of
	// external providers with saveTokens, the client secrets of providers
	// added with signet provider. Unset: a Managed key's; else, with
	// SQLite, one made once in dataDir (secrets.kek, 0600); in memory, one
	// per process; with PostgreSQL none, and what needs one says so.
	KeyEncryptionKey     string `yaml:"keyEncryptionKey"`
	KeyEncryptionKeyFile string `yaml:"keyEncryptionKeyFile"`

	// File is the path the configuration was read from ("" for none).
	File string `yaml:"-"`
	// positions maps a field path ("clients[0].secrets[1].hash") to where
	// its value is in File.
	positions map[string]Position
	// failed holds the paths whose values Load could not decode, so that
	// Validate does not report them a second time as missing.
	failed map[string]bool
	// resolved is set once Defaults has made the relative paths relative
	// to File's directory.
	resolved bool
	// env maps a path to the environment variables its value came from.
	env map[string][]string
	// display maps a path to its spelling in an ASP.NET Core settings file
	// (IdentityServer:Clients:0:ClientId); nil for a plain file.
	display map[string]string
	// loadWarnings are what Load found that does not stop the server;
	// validateWarnings what Validate found; notes are for the log.
	loadWarnings, validateWarnings []Problem
	// clientRefusals are problems with clients that Validate reports for
	// the clients it does not leave out.
	clientRefusals []Problem
	notes          []string
	// overlay is the appsettings.{Environment}.json layered on File.
	overlay string
}

// TLS is the server's own certificate: CertFile a PEM chain with KeyFile
// its PEM key, or CertFile a .pfx/.p12 (or a PEM holding both) with
// Password.
type TLS struct {
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
	Password string `yaml:"password"`
}

// HSTS is HTTP Strict Transport Security (RFC 6797): a browser that got
// the header reaches the server over https only, for maxAge. As ASP.NET
// Core's UseHsts, it is not sent to localhost, 127.0.0.1 and [::1], where a
// browser would apply it to every local development server.
type HSTS struct {
	// MaxAge is how long browsers keep to https: default 365d. 0, written,
	// turns HSTS off: the header then says max-age=0, which makes browsers
	// forget the policy an earlier response gave them (RFC 6797 6.1.1). A
	// whole number of seconds.
	MaxAge time.Duration `yaml:"maxAge"`
	// IncludeSubDomains applies it to every subdomain of the host too.
	IncludeSubDomains bool `yaml:"includeSubDomains"`
	// Preload allows browsers to build the host into their preload list
	// (hstspreload.org): it needs includeSubDomains and a maxAge of at
	// least 365d.
	Preload bool `yaml:"preload"`
}

// Storage is the database.
type Storage struct {
	// Driver is sqlite (default: a file in dataDir), postgres (shared by
	// several instances) or memory (tests and throwaway development: lost
	// on exit).
	Driver string `yaml:"driver"`
	// DSN is the SQLite file (default <dataDir>/signet.db) or the PostgreSQL
	// connection string (postgres://user:password@host:5432/db?sslmode=...,
	// or key=value pairs). Keep a password out of the file: ${PGPASSWORD}.
	DSN string `yaml:"dsn"`
	// MaxConns and MinConns size the PostgreSQL pool (default 10 and 0).
	MaxConns int `yaml:"maxConns"`
	MinConns int `yaml:"minConns"`
	// ConnectTimeout bounds a connection attempt, StatementTimeout a query
	// (PostgreSQL; default 5s each): a request never waits longer on the
	// database.
	ConnectTimeout   time.Duration `yaml:"connectTimeout"`
	StatementTimeout time.Duration `yaml:"statementTimeout"`
	// PollInterval is how often an instance looks for clients and resources
	// changed through another one (default 2s; PostgreSQL also notifies
	// at once).
	PollInterval time.Duration `yaml:"pollInterval"`
}

// Storage drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
	DriverMemory   = "memory"
)

// Log configures logging.
type Log struct {
	// Format is "text" (default) or "json".
	Format string `yaml:"format"`
	// Level is "debug", "info" (default), "warn" or "error".
	Level string `yaml:"level"`
}

// Key is a signing or validation credential, shaped like the Key section
// of IdentityServer's appsettings.json.
type Key struct {
	// Type is Development, File or Store (any case).
	Type string `yaml:"type"`
	// StoreLocation (CurrentUser, LocalMachine) and StoreName (My, ...)
	// choose the certificate store for Store; defaults CurrentUser and My.
	StoreLocation string `yaml:"storeLocation"`
	StoreName     string `yaml:"storeName"`
	// Name finds Store certificates by subject; Thumbprint by SHA-1
	// thumbprint, and wins when both are given.
	Name       string `yaml:"name"`
	Thumbprint string `yaml:"thumbprint"`
	// FilePath is the credential file for File (.pfx/.p12 or PEM) and
	// where Development keeps its key.
	FilePath string `yaml:"filePath"`
	// Password opens FilePath; or PasswordFile, a file that holds it
	// (relative to the configuration file's directory; a trailing newline
	// is not part of it), which keeps it out of the file and the
	// environment.
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"passwordFile"`
	// Algorithm is the JWS algorithm: default RS256 for RSA keys and
	// ES256/ES384/ES512 by curve; PS256 is allowed for RSA.
	Algorithm string `yaml:"algorithm"`

	// Managed: keys that Signet creates, keeps in storage encrypted under
	// the key-encryption key (32 bytes, base64 or hex: KeyEncryptionKey, or
	// the file KeyEncryptionKeyFile holds), and rotates.
	KeyEncryptionKey     string `yaml:"keyEncryptionKey"`
	KeyEncryptionKeyFile string `yaml:"keyEncryptionKeyFile"`
	// SigningAlgorithms: a key series per algorithm, the first the default
	// for tokens (default [RS256]).
	SigningAlgorithms []string `yaml:"signingAlgorithms"`
	// PropagationTime a new key is published before it signs (default 14
	// days); RotationInterval it signs (default 90 days); RetentionDuration
	// it stays published after (default 14 days).
	PropagationTime   time.Duration `yaml:"propagationTime"`
	RotationInterval  time.Duration `yaml:"rotationInterval"`
	RetentionDuration time.Duration `yaml:"retentionDuration"`

	// Pkcs11: a key that stays in a PKCS#11 token (an HSM, SoftHSM). Module
	// is the PKCS#11 library; the token by TokenLabel (or Slot); the key by
	// KeyLabel and/or KeyID (hex); the user PIN in Pin or the file PinFile.
	Module     string `yaml:"module"`
	TokenLabel string `yaml:"tokenLabel"`
	Slot       *int   `yaml:"slot"`
	KeyLabel   string `yaml:"keyLabel"`
	KeyID      string `yaml:"keyId"`
	Pin        string `yaml:"pin"`
	PinFile    string `yaml:"pinFile"`
}

// APIScope is a scope clients may be granted.
type APIScope struct {
	Name        string `yaml:"name"`
	DisplayName string `yaml:"displayName"`
	Description string `yaml:"description"`
	// Enabled false makes the scope unknown: no client is granted it
	// (IdentityServer's Enabled; default true).
	Enabled *bool `yaml:"enabled"`
	// UserClaims are the user claims a token for this scope carries, once
	// users sign in.
	UserClaims []string `yaml:"userClaims"`
	// Required scopes cannot be unticked on the consent page; Emphasize
	// shows the scope there as sensitive (IdentityServer's Required and
	// Emphasize).
	Required  bool `yaml:"required"`
	Emphasize bool `yaml:"emphasize"`
}

// APIResource is an API; its name is the audience of tokens that carry one
// of its scopes.
type APIResource struct {
	Name        string   `yaml:"name"`
	DisplayName string   `yaml:"displayName"`
	Description string   `yaml:"description"`
	Scopes      []string `yaml:"scopes"`
	// Enabled false leaves the resource out of every audience
	// (IdentityServer's Enabled; default true).
	Enabled *bool `yaml:"enabled"`
	// UserClaims are the user claims its tokens carry, once users sign in.
	UserClaims []string `yaml:"userClaims"`
	// APISecrets authenticate the API at the introspection endpoint:
	// IdentityServer's ApiSecrets, whose Value is a hash.
	APISecrets []IdentityServerSecret `yaml:"apiSecrets"`
	// Secrets are Signet's own, as a client's secrets: a plain value (hashed
	// when loaded), a valueFile, or a hash.
	Secrets []Secret `yaml:"secrets"`
	// IntrospectionResponse is how the introspection endpoint answers this
	// API: json (the default) or jwt (a signed answer, RFC 9701).
	IntrospectionResponse string `yaml:"introspectionResponse"`
	// JWKS (a JSON Web Key Set, as an object) or JWKSURI holds the public
	// keys of an API that authenticates with private_key_jwt at the
	// introspection endpoint.
	JWKS    map[string]any `yaml:"jwks"`
	JWKSURI string         `yaml:"jwksUri"`
}

// The values of APIResource.IntrospectionResponse.
const (
	IntrospectionJSON = "json"
	IntrospectionJWT  = "jwt"
)

// IdentityResource is an OpenID Connect scope standing for user claims
// (IdentityServer's IdentityResource). The built-in ones
// (BuiltInIdentityResources) need not be listed; when they are, as
// IdentityServer's files list them, Signet's built-in definition is used.
// Required scopes cannot be unticked on the consent page; Emphasize shows
// the scope there as sensitive.
type IdentityResource struct {
	Name        string   `yaml:"name"`
	DisplayName string   `yaml:"displayName"`
	Description string   `yaml:"description"`
	Enabled     *bool    `yaml:"enabled"`
	UserClaims  []string `yaml:"userClaims"`
	Required    bool     `yaml:"required"`
	Emphasize   bool     `yaml:"emphasize"`
}

// Client is an application that gets tokens. Its fields have
// IdentityServer's names, so that a client of an IdentityServer
// appsettings.json reads as it is; Secrets is Signet's own (plain secrets,
// or Signet's hashes), ClientSecrets IdentityServer's (hashes only).
type Client struct {
	ClientID    string `yaml:"clientId"`
	ClientName  string `yaml:"clientName"`
	Description string `yaml:"description"`
	// Enabled false makes the client unknown to the token endpoint
	// (invalid_client), as in IdentityServer; default true.
	Enabled *bool    `yaml:"enabled"`
	Secrets []Secret `yaml:"secrets"`
	// ClientSecrets are IdentityServer's: each Value is already a hash
	// ("secret".Sha256()).
	ClientSecrets []IdentityServerSecret `yaml:"clientSecrets"`
	// RequireClientSecret false makes a public client, which cannot use
	// client_credentials; default true.
	RequireClientSecret *bool `yaml:"requireClientSecret"`
	// AccessTokenType is Jwt (the default: self-contained JWTs) or
	// Reference (an opaque handle whose claims stay in the store, so that
	// it can be revoked; APIs introspect it), in any case, or
	// IdentityServer's numbers 0 and 1. Validate leaves "" for Jwt and
	// AccessTokenReference.
	AccessTokenType string `yaml:"accessTokenType"`
	// Claims are put in the client's access tokens (client_credentials),
	// each type prefixed with ClientClaimsPrefix (default "client_"; "" for
	// none), as IdentityServer does.
	Claims             []ClientClaim `yaml:"claims"`
	ClientClaimsPrefix *string       `yaml:"clientClaimsPrefix"`
	// AlwaysSendClientClaims puts Claims in tokens of every grant, not only
	// client_credentials; it matters once users sign in.
	AlwaysSendClientClaims bool `yaml:"alwaysSendClientClaims"`
	// AllowedCorsOrigins may call the token endpoint from a browser
	// (scheme://host[:port]).
	AllowedCorsOrigins []string `yaml:"allowedCorsOrigins"`
	// AllowedGrantTypes: client_credentials (machine clients),
	// authorization_code (people signing in) and refresh_token
	// (ServedGrantTypes). IdentityServer's implicit and hybrid are refused.
	AllowedGrantTypes []string `yaml:"allowedGrantTypes"`
	AllowedScopes     []string `yaml:"allowedScopes"`
	// AccessTokenLifetime in seconds; default 3600.
	AccessTokenLifetime int `yaml:"accessTokenLifetime"`
	// JWKS (a JSON Web Key Set, as an object) or JWKSURI holds the public
	// keys of a client that authenticates with private_key_jwt.
	JWKS    map[string]any `yaml:"jwks"`
	JWKSURI string         `yaml:"jwksUri"`

	// The sign-in settings, for a client with authorization_code; the names
	// and defaults are IdentityServer's.
	//
	// RedirectURIs are where the authorization endpoint may send the
	// browser back, compared exactly: https, or http on a loopback address
	// (127.0.0.1, [::1], localhost, whose port may then vary, RFC 8252), or
	// a native app's private-use scheme (com.example.app:/callback); no
	// fragment, no wildcard. PostLogoutRedirectURIs, by the same rule, are
	// where the end-session endpoint may send it after signing out.
	RedirectURIs           []string `yaml:"redirectUris"`
	PostLogoutRedirectURIs []string `yaml:"postLogoutRedirectUris"`
	// RequirePKCE refuses an authorization request without a
	// code_challenge; default true, and a public client must keep it.
	RequirePKCE *bool `yaml:"requirePkce"`
	// AllowPlainTextPKCE accepts code_challenge_method plain; default
	// false (S256 only).
	AllowPlainTextPKCE bool `yaml:"allowPlainTextPkce"`
	// RequireConsent shows the consent page (default false);
	// AllowRememberConsent offers "remember my decision" on it (default
	// true).
	RequireConsent       bool  `yaml:"requireConsent"`
	AllowRememberConsent *bool `yaml:"allowRememberConsent"`
	// RequireMfa makes users sign in with a second factor (default
	// false): a user without one is asked to set up an authenticator app.
	RequireMfa bool `yaml:"requireMfa"`
	// AllowOfflineAccess lets the client ask for offline_access and get
	// refresh tokens; default false.
	AllowOfflineAccess bool `yaml:"allowOfflineAccess"`
	// AlwaysIncludeUserClaimsInIdToken puts the user's claims in the ID
	// token too, not only at userinfo; default false.
	AlwaysIncludeUserClaimsInIdToken bool `yaml:"alwaysIncludeUserClaimsInIdToken"`
	// IdentityTokenLifetime and AuthorizationCodeLifetime in seconds;
	// default 300 each.
	IdentityTokenLifetime     int `yaml:"identityTokenLifetime"`
	AuthorizationCodeLifetime int `yaml:"authorizationCodeLifetime"`
	// RefreshTokenUsage is OneTimeOnly (the default: a new refresh token
	// at each use) or ReUse; IdentityServer's numbers 1 and 0 are read too.
	RefreshTokenUsage string `yaml:"refreshTokenUsage"`
	// RefreshTokenExpiration is Absolute (the default: a refresh token
	// ends absoluteRefreshTokenLifetime after the login) or Sliding (each
	// use extends it by slidingRefreshTokenLifetime, never past the
	// absolute lifetime); IdentityServer's numbers 1 and 0 are read too.
	RefreshTokenExpiration string `yaml:"refreshTokenExpiration"`
	// AbsoluteRefreshTokenLifetime (default 2592000, 30 days) and
	// SlidingRefreshTokenLifetime (default 1296000, 15 days), in seconds.
	AbsoluteRefreshTokenLifetime int `yaml:"absoluteRefreshTokenLifetime"`
	SlidingRefreshTokenLifetime  int `yaml:"slidingRefreshTokenLifetime"`
	// ClientURI and LogoURI are shown on the consent page (absolute https
	// URLs).
	ClientURI string `yaml:"clientUri"`
	LogoURI   string `yaml:"logoUri"`
	// AllowedIdentityTokenSigningAlgorithms are the algorithms its ID
	// tokens may be signed with (RS256, PS256, ES256, ES384, ES512), one
	// of which the signing keys must offer; empty: RS256, the default of
	// OpenID Connect.
	AllowedIdentityTokenSigningAlgorithms []string `yaml:"allowedIdentityTokenSigningAlgorithms"`

	// skip is why Validate left the client out ("" when it did not).
	skip string
}

// Session is the server-side session of a signed-in user, and its cookie
// (signet.session: HttpOnly, Secure unless the issuer is plain http).
type Session struct {
	// CookieSameSite is the cookie's SameSite: Lax (the default: a relying
	// party on another site that POSTs to /connect/authorize gets the login
	// page again, as the browser does not send the cookie with that POST)
	// or None (the cookie goes with every cross-site request; only with an
	// https issuer, as browsers refuse SameSite=None without Secure).
	// Strict is read, and refused by config check and serve
	// (session.CheckSameSite): the browser would not send the cookie when a
	// relying party sends the user to Signet, so every sign-in would ask
	// for the password again.
	CookieSameSite string `yaml:"cookieSameSite"`
	// IdleLifetime ends a session not used for that long (default 10h,
	// sliding, as IdentityServer's cookie); AbsoluteLifetime ends it that
	// long after the login whatever its use (default 30d).
	IdleLifetime     time.Duration `yaml:"idleLifetime"`
	AbsoluteLifetime time.Duration `yaml:"absoluteLifetime"`
}

// SameSiteMode is CookieSameSite as net/http names it (Lax when empty),
// for session.Options and session.CheckSameSite.
func (s Session) SameSiteMode() http.SameSite {
	switch s.CookieSameSite {
	case SameSiteStrict:
		return http.SameSiteStrictMode
	case SameSiteNone:
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}

// Session cookie SameSite values.
const (
	SameSiteLax    = "Lax"
	SameSiteStrict = "Strict"
	SameSiteNone   = "None"
)

// UI brands the sign-in pages without forking them. The paths are
// relative to the configuration file's directory, and must exist.
type UI struct {
	// ProductName is shown in the pages' titles and header (default
	// Signet).
	ProductName string `yaml:"productName"`
	// Logo is an image file shown in the pages' header.
	Logo string `yaml:"logo"`
	// Stylesheet is a CSS file served after the built-in one, so its rules
	// win.
	Stylesheet string `yaml:"stylesheet"`
	// TemplatesDir holds templates that replace the built-in ones of the
	// same name.
	TemplatesDir string `yaml:"templatesDir"`
}

// Login throttles password guessing per username and per client IP: after
// MaxFailures failed logins within FailureWindow, logins are refused for
// Lockout (the right password too). Lockouts are stored, so they hold
// across instances.
type Login struct {
	// MaxFailures before a lockout (default 5).
	MaxFailures int `yaml:"maxFailures"`
	// FailureWindow counts failures (default 15m).
	FailureWindow time.Duration `yaml:"failureWindow"`
	// Lockout is how long logins are refused after (default 15m).
	Lockout time.Duration `yaml:"lockout"`
}

// RateLimits are token buckets, per instance and in memory: a caller
// over one is answered 429 with Retry-After (the API endpoints' error
// slow_down; the login page says to wait). A rate not written is its
// default; a rate of 0 written turns that limit off.
type RateLimits struct {
	// TokenPerClient limits each authenticated confidential client at the
	// token, introspection and revocation endpoints (default 100/s, burst
	// 200). Public clients, whose id anyone may send, have none.
	TokenPerClient Rate `yaml:"tokenPerClient"`
	// TokenPerIP limits each client address at those endpoints (default
	// 300/s, burst 600: a busy NAT's worth).
	TokenPerIP Rate `yaml:"tokenPerIP"`
	// LoginPerIP limits the login form's POSTs (password, second step,
	// passkey) per address (default 1/s, burst 30).
	LoginPerIP Rate `yaml:"loginPerIP"`
	// LoginPerUser limits password and second-step POSTs per username
	// (default 0.1/s, burst 10).
	LoginPerUser Rate `yaml:"loginPerUser"`
	// ClientAuthFailures refuses client authentication from an address
	// that failed it maxFailures times within window (default 50 in 5m;
	// maxFailures 0 written is off). With PostgreSQL the failures are
	// counted across instances.
	ClientAuthFailures FailureLimit `yaml:"clientAuthFailures"`
}

// Rate is a token bucket: Rate requests per second over time (0.5 is one
// every two seconds; 0 is no limit), Burst at once (default twice Rate,
// at least 1).
type Rate struct {
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

// FailureLimit is MaxFailures within Window.
type FailureLimit struct {
	MaxFailures int           `yaml:"maxFailures"`
	Window      time.Duration `yaml:"window"`
}

// Limits bound requests; zero values are the defaults.
type Limits struct {
	// MaxBodyBytes bounds a request's body (default 65536, 64 KiB; the
	// token, introspection, revocation and userinfo endpoints never take
	// more than that).
	MaxBodyBytes int `yaml:"maxBodyBytes"`
	// MaxHeaderBytes bounds a request's header lines (default 32768).
	MaxHeaderBytes int `yaml:"maxHeaderBytes"`
	// MaxParams bounds the parameters of a request's query, and of its
	// form body (default 100): more is refused with invalid_request.
	MaxParams int `yaml:"maxParams"`
	// ReadHeaderTimeout bounds reading the header (default 10s),
	// ReadTimeout the whole request (30s), WriteTimeout the answer (30s),
	// IdleTimeout a kept-alive connection between requests (2m).
	ReadHeaderTimeout time.Duration `yaml:"readHeaderTimeout"`
	ReadTimeout       time.Duration `yaml:"readTimeout"`
	WriteTimeout      time.Duration `yaml:"writeTimeout"`
	IdleTimeout       time.Duration `yaml:"idleTimeout"`
}

// Shutdown is how the server stops. On SIGTERM (or Ctrl-C) it first
// drains for DrainDelay: /readyz answers 503 at once, so that a load
// balancer stops sending new requests, while everything else is still
// served; then it stops accepting connections and waits for the requests
// in flight. DrainDelay 0 (the default) skips the drain.
type Shutdown struct {
	DrainDelay time.Duration `yaml:"drainDelay"`
}

// Metrics is where the Prometheus metrics are served. They say much about
// the service (its clients, its keys' expiry, its traffic), so they are
// served on a listener of their own, for the scraper alone, and on the
// public one only when asked.
type Metrics struct {
	// Listen is the address (host:port) of a listener that serves
	// /metrics and nothing else, such as 127.0.0.1:9090. Empty, the
	// default: none. It must not be the public listen address.
	Listen string `yaml:"listen"`
	// Public serves /metrics on the public listener as well, for a
	// platform whose scraper reaches that port alone. Default false.
	Public bool `yaml:"public"`
	// MaxClients bounds the client label of the token counts: the first
	// MaxClients clients that get a token are labelled by their id, the
	// others "other" (default 100, at most 10000).
	MaxClients int `yaml:"maxClients"`
}

// Enabled reports whether the metrics are served anywhere.
func (m Metrics) Enabled() bool { return m.Listen != "" || m.Public }

// Tracing exports OpenTelemetry traces over OTLP/HTTP (protobuf): a span
// per request, per signature and per storage call of the token path, in the
// trace of a W3C traceparent header when the request has one.
type Tracing struct {
	// Endpoint is the collector's OTLP/HTTP address: http(s)://host:port,
	// to which /v1/traces is added (the OTLP convention), or a URL with
	// its own path, used as it is. Plain http sends without TLS. Empty
	// (the default): tracing is off, and nothing is traced.
	Endpoint string `yaml:"endpoint"`
	// ServiceName is the service.name of the spans ("": OTEL_SERVICE_NAME,
	// else signet).
	ServiceName string `yaml:"serviceName"`
	// SampleRatio is the share of the traces that start here (requests
	// without a traceparent) that are recorded, from 0 to 1 (nil: 1);
	// a request with a traceparent follows its caller's decision.
	SampleRatio *float64 `yaml:"sampleRatio"`
	// Headers are sent with every export, such as a hosted collector's
	// API key (written as ${VAR}).
	Headers []TracingHeader `yaml:"headers"`
}

// TracingHeader is a header of the exports to the collector.
type TracingHeader struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// Audit is the audit log (internal/audit): a token issued or refused, a
// client that failed to authenticate, a key loaded or rotated, a login, a
// consent, a logout, a change made through the CLI.
type Audit struct {
	// Log writes each event to the server's log, in its format, as a line
	// with logger=audit and event=<name>, at INFO whatever log.level is.
	// Default true; false leaves the events to the sink alone.
	Log *bool `yaml:"log"`
	// Sink keeps the events besides the log: "" (none, the default), file
	// (JSON lines in File) or postgres (the audit_events table of the
	// storage's PostgreSQL database). A sink is written in the background:
	// when it falls behind, events are dropped with a WARN, never a
	// request slowed.
	Sink string `yaml:"sink"`
	// File is the JSON-lines file of sink file (0600), relative to the
	// configuration file's directory.
	File string `yaml:"file"`
	// MaxSize is the size in megabytes at which the file is rotated
	// (default 100); MaxFiles how many rotated files (file.1, file.2, ...)
	// are kept (default 5; 0 keeps none).
	MaxSize  int  `yaml:"maxSize"`
	MaxFiles *int `yaml:"maxFiles"`
	// Exclude are events not audited, such as token.issued on a busy
	// server.
	Exclude []string `yaml:"exclude"`
}

// LogOn reports whether events go to the log (Log unset or true).
func (a Audit) LogOn() bool { return a.Log == nil || *a.Log }

// Rotation is the file's rotation: the size in bytes and the number of
// rotated files kept, defaults filled in.
func (a Audit) Rotation() (maxSize int64, maxFiles int) {
	maxSize, maxFiles = int64(DefaultAuditMaxSize)<<20, DefaultAuditMaxFiles
	if a.MaxSize > 0 {
		maxSize = int64(a.MaxSize) << 20
	}
	if a.MaxFiles != nil {
		maxFiles = *a.MaxFiles
	}
	return maxSize, maxFiles
}

// Audit sinks.
const (
	AuditSinkFile     = "file"
	AuditSinkPostgres = "postgres"
)

// Secret is a client secret: Value (hashed when loaded), ValueFile (a file
// that holds the value, relative to the configuration file's directory; a
// trailing newline is not part of it) or Hash.
type Secret struct {
	Value       string `yaml:"value"`
	ValueFile   string `yaml:"valueFile"`
	Hash        string `yaml:"hash"`
	Description string `yaml:"description"`
	// Expiration, when set, is when the secret stops working: a date
	// (YYYY-MM-DD, midnight UTC), a date and time (read as UTC unless it
	// has Z or an offset), or an RFC 3339 time.
	Expiration *time.Time `yaml:"expiration"`
	// AllowWeakSecret accepts a Value shorter than MinSecretLength, which
	// is otherwise refused.
	AllowWeakSecret bool `yaml:"allowWeakSecret"`
}

// IdentityServerSecret is a secret as IdentityServer's configuration
// writes it: Value is the hash of the secret (base64 of its SHA-256 or
// SHA-512: "secret".Sha256()), Type is SharedSecret (the default).
type IdentityServerSecret struct {
	Value       string     `yaml:"value"`
	Type        string     `yaml:"type"`
	Description string     `yaml:"description"`
	Expiration  *time.Time `yaml:"expiration"`
}

// ClientClaim is a claim of the client itself, put in its tokens.
// ValueType is a claim value type as .NET writes it
// (http://www.w3.org/2001/XMLSchema#integer, ...#boolean, ...#double, or
// json); anything else, or none, is a string.
type ClientClaim struct {
	Type      string `yaml:"type"`
	Value     string `yaml:"value"`
	ValueType string `yaml:"valueType"`
}

// Position is where a value is in the configuration file.
type Position struct {
	File string
	Line int
}
