package storage

import (
	"context"
	"time"
)

// Client is an application that gets tokens, as the database keeps it.
// Secrets are kept only as hashes (what internal/secret's Hash makes).
//
// Every list (Secrets, GrantTypes, Scopes, CORSOrigins, RedirectURIs,
// PostLogoutRedirectURIs, AllowedIdentityTokenSigningAlgorithms) comes back
// in the order it was written, without duplicates (CheckClient refuses
// them); an empty list may come back nil.
// JWKS and Claims come back byte for byte as written.
//
// It holds what a configuration file's client holds, so that a file client
// converts to it once.
type Client struct {
	ID          string
	Name        string
	Description string
	// Disabled clients get no token (IdentityServer's Enabled: false); the
	// store keeps them as any other.
	Disabled bool
	// Public clients have no secret: they authenticate with their client_id
	// alone (token endpoint auth method none; IdentityServer's
	// RequireClientSecret: false).
	Public bool
	// Secrets are the hashed secrets; any one that has not expired works.
	Secrets []ClientSecret
	// GrantTypes and Scopes are what the client may use and get.
	GrantTypes []string
	Scopes     []string
	// AccessTokenLifetime of its access tokens; zero means the default.
	AccessTokenLifetime time.Duration
	// AccessTokenType is IdentityServer's AccessTokenType: AccessTokenJwt
	// or empty (self-contained JWTs, the default, which rows stored before
	// the setting existed read as), or AccessTokenReference (an opaque
	// handle whose claims stay in the store, so that it can be revoked).
	AccessTokenType string
	// RequireMfa makes the client's users sign in with a second factor
	// (issue 16).
	RequireMfa bool
	// JWKS (a JSON Web Key Set document) or JWKSURI: the public keys of a
	// client that authenticates with private_key_jwt.
	JWKS    []byte
	JWKSURI string
	// Claims are the client's own claims for its access tokens: one JSON
	// object, kept byte for byte (not re-encoded); empty for none.
	Claims []byte
	// CORSOrigins are the origins (scheme://host[:port]) whose browsers may
	// call the token endpoints.
	CORSOrigins []string
	// RedirectURIs are where an authorization response may be sent, and
	// PostLogoutRedirectURIs where the end-session endpoint may send the
	// browser back; compared exactly by their users.
	RedirectURIs           []string
	PostLogoutRedirectURIs []string

	// The sign-in settings (issue 14), named as IdentityServer's Client
	// properties. RequirePKCE and AllowRememberConsent default to true
	// there: a row stored before they existed reads true (their columns
	// default to true), but a record built in Go starts false, so whoever
	// builds one from a file or flags sets them.
	RequirePKCE                      bool
	AllowPlainTextPKCE               bool
	RequireConsent                   bool
	AllowRememberConsent             bool
	AllowOfflineAccess               bool
	AlwaysIncludeUserClaimsInIdToken bool
	// The lifetimes, in whole seconds; zero means the default
	// (internal/client applies them).
	IdentityTokenLifetime        time.Duration
	AuthorizationCodeLifetime    time.Duration
	AbsoluteRefreshTokenLifetime time.Duration
	SlidingRefreshTokenLifetime  time.Duration
	// RefreshTokenUsage is RefreshTokenOneTimeOnly or RefreshTokenReUse,
	// RefreshTokenExpiration RefreshTokenAbsolute or RefreshTokenSliding;
	// empty means the first of each.
	RefreshTokenUsage      string
	RefreshTokenExpiration string
	// ClientURI and LogoURI, absolute URIs or empty, are shown on the
	// consent page.
	ClientURI string
	LogoURI   string
	// AllowedIdentityTokenSigningAlgorithms are the JWS algorithms its ID
	// tokens may be signed with; empty for the default.
	AllowedIdentityTokenSigningAlgorithms []string

	// Created and Updated are set by the store.
	Created, Updated time.Time
}

// The values of Client.RefreshTokenUsage and RefreshTokenExpiration,
// IdentityServer's enumerations' names.
const (
	// RefreshTokenOneTimeOnly rotates a refresh token at each use.
	RefreshTokenOneTimeOnly = "OneTimeOnly"
	// RefreshTokenReUse keeps a refresh token usable until it expires.
	RefreshTokenReUse = "ReUse"
	// RefreshTokenAbsolute ends a refresh token at the absolute lifetime.
	RefreshTokenAbsolute = "Absolute"
	// RefreshTokenSliding extends a refresh token by the sliding lifetime
	// at each use, up to the absolute lifetime.
	RefreshTokenSliding = "Sliding"
)

// The values of Client.AccessTokenType, IdentityServer's enumeration's
// names; empty means AccessTokenJwt.
const (
	AccessTokenJwt       = "Jwt"
	AccessTokenReference = "Reference"
)

// ClientSecret is one hashed secret of a client.
type ClientSecret struct {
	// ID names the secret so that it can be removed; unique within the
	// client.
	ID string
	// Hash is the secret's hash; never the secret.
	Hash        string
	Description string
	// Expires is when it stops working; zero for never.
	Expires time.Time
	// Created is set by the caller (required); the store keeps it as given.
	Created time.Time
}

// APIScope is a scope clients may be granted.
type APIScope struct {
	Name        string
	DisplayName string
	Description string
}

// APIResource is an API; its name is the audience of tokens that carry one
// of its scopes.
//
// Its Secrets, JWKS and JWKSURI are how it authenticates at the
// introspection endpoint (IdentityServer's ApiSecrets), as a client does at
// the token endpoint; Secrets come back in the order written, JWKS byte for
// byte.
type APIResource struct {
	Name        string
	DisplayName string
	Scopes      []string
	// Secrets are the hashed secrets (internal/secret's Hash), as a
	// client's; any one that has not expired works.
	Secrets []ClientSecret
	// IntrospectionResponse is how the introspection endpoint answers it:
	// IntrospectionJSON (empty, the default) or IntrospectionJWT (RFC 9701).
	IntrospectionResponse string
	// JWKS (a JSON Web Key Set document) or JWKSURI: its public keys for
	// private_key_jwt.
	JWKS    []byte
	JWKSURI string
}

// The values of APIResource.IntrospectionResponse.
const (
	IntrospectionJSON = ""
	IntrospectionJWT  = "jwt"
)

// IdentityResource is a set of user claims requested by an OpenID Connect
// scope (openid, profile, email, ...).
type IdentityResource struct {
	Name        string
	DisplayName string
	Description string
	Claims      []string
}

// Grant types of a persisted grant.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantReferenceToken    = "reference_token"
	GrantUserConsent       = "user_consent"
	GrantDeviceCode        = "device_code"
	// GrantAuthorizationRequest is a validated authorization request kept
	// while the user signs in and consents (internal/authorize's Pending).
	GrantAuthorizationRequest = "authorization_request"
	// GrantUpstreamLogin is a sign-in sent to an external identity
	// provider (issue 16): its state, nonce and PKCE verifier, kept until
	// the provider sends the browser back, used once.
	GrantUpstreamLogin = "upstream_login"
	// GrantWebAuthnCeremony is a passkey registration or sign-in under way
	// (issue 16): its challenge, kept until the browser answers, used once.
	GrantWebAuthnCeremony = "webauthn_ceremony"
	// GrantLoginStep is a sign-in half done (issue 16): the password was
	// right and the second factor is still to come, used once.
	GrantLoginStep = "login_step"
)

// PersistedGrant is a persisted grant: an authorization code, refresh token,
// reference token, consent or device code (IdentityServer's name, so that it
// is not taken for an OAuth grant type).
type PersistedGrant struct {
	// Key identifies the grant: a hash of its handle (the code or token the
	// client holds), made by the caller. The store never sees a handle, so
	// a leaked database gives no usable code or token.
	Key       string
	Type      string
	Subject   string
	ClientID  string
	SessionID string
	// FamilyID, optional, is shared by the grants one grant led to: an
	// authorization code and what it produced, a refresh token and its
	// successors. When a consumed refresh token is used again, deleting by
	// family revokes every token issued from it. Made by the caller.
	FamilyID string
	Created  time.Time
	// Expires is when the grant stops existing; DeleteExpired removes it.
	Expires time.Time
	// Consumed is when the grant was used (an authorization code is used
	// once); zero while unused.
	Consumed time.Time
	// Data is the grant's content, opaque to the store.
	Data []byte
}

// PersistedGrantFilter selects grants; empty fields match everything, set
// fields must match exactly, and at least one must be set for a delete.
type PersistedGrantFilter struct {
	Subject, ClientID, SessionID, FamilyID, Type string
}

// Empty reports whether the filter selects every grant.
func (f PersistedGrantFilter) Empty() bool { return f == PersistedGrantFilter{} }

// SigningKey is a key that Signet manages itself: created, encrypted with
// the key-encryption key, announced, used, retired and deleted.
type SigningKey struct {
	// ID is the key's kid.
	ID        string
	Algorithm string
	// Data is the private key, encrypted by the caller; the store keeps it
	// as it is given.
	Data    []byte
	Created time.Time
	// Activates is when the key starts signing (it is published from
	// Created); Retires when it stops; Expires when it is deleted.
	Activates, Retires, Expires time.Time
}

// Clients keeps clients.
//
// Every method checks its arguments first (CheckKey, CheckClient) and refuses
// bad ones with ErrInvalid.
type Clients interface {
	// CreateClient adds a client; ErrAlreadyExists if its id is taken.
	// The store sets Created and Updated to the time of the write, ignoring
	// the values given.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns a client; ErrNotFound if there is none.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client, by id in byte order (as Go compares
	// strings; PostgreSQL's COLLATE "C").
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient reads the client, lets update change it, and writes it
	// back, all in one transaction: concurrent updates do not lose each
	// other's changes. When update returns an error nothing is written and
	// that error is returned. update may be called more than once (on a
	// retried transaction) and must not have other effects. The id cannot
	// change: if update changes it, the call fails with ErrInvalid
	// (CheckSameKey) and writes nothing. The result is checked as on create.
	// The store keeps Created and sets Updated to the time of the write,
	// ignoring changes update makes to either. ErrNotFound if there is no
	// such client.
	UpdateClient(ctx context.Context, id string, update func(*Client) error) error
	// DeleteClient removes a client; ErrNotFound if there is none.
	DeleteClient(ctx context.Context, id string) error
}

// Resources keeps API scopes, API resources and identity resources, with
// the same semantics as Clients: keyed by name, listed by name in byte
// order, and a name cannot change through an update. They have no
// references to each other: an API resource's scopes are names that need
// not be stored APIScopes, and deleting a scope leaves resources alone.
type Resources interface {
	CreateAPIScope(ctx context.Context, s APIScope) error
	GetAPIScope(ctx context.Context, name string) (APIScope, error)
	ListAPIScopes(ctx context.Context) ([]APIScope, error)
	UpdateAPIScope(ctx context.Context, name string, update func(*APIScope) error) error
	DeleteAPIScope(ctx context.Context, name string) error

	CreateAPIResource(ctx context.Context, r APIResource) error
	GetAPIResource(ctx context.Context, name string) (APIResource, error)
	ListAPIResources(ctx context.Context) ([]APIResource, error)
	UpdateAPIResource(ctx context.Context, name string, update func(*APIResource) error) error
	DeleteAPIResource(ctx context.Context, name string) error

	CreateIdentityResource(ctx context.Context, r IdentityResource) error
	GetIdentityResource(ctx context.Context, name string) (IdentityResource, error)
	ListIdentityResources(ctx context.Context) ([]IdentityResource, error)
	UpdateIdentityResource(ctx context.Context, name string, update func(*IdentityResource) error) error
	DeleteIdentityResource(ctx context.Context, name string) error
}

// PersistedGrants keeps persisted grants, by the hash of their handle. Grants
// are consumed, and an unconsumed one may be extended (ExtendGrant); nothing
// else of them changes. A grant expired at now (Expires at or
// before now) does not exist for GetGrant, ConsumeGrant and ListGrants; a
// zero now is refused with ErrInvalid.
type PersistedGrants interface {
	// CreateGrant stores a grant (checked by CheckGrant); ErrAlreadyExists
	// if its key is taken, even by an expired grant not yet removed.
	CreateGrant(ctx context.Context, g PersistedGrant) error
	// GetGrant returns a grant that has not expired at now; ErrNotFound
	// otherwise. A consumed grant is returned with Consumed set.
	GetGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, error)
	// ConsumeGrant marks a grant consumed at now and returns it, atomically:
	// of several concurrent consumers, across instances too, exactly one
	// succeeds. ErrNotFound if it does not exist or has expired;
	// ErrConsumed (with the grant, Consumed unchanged) if it was consumed
	// before.
	ConsumeGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, error)
	// CreateGrantInSession stores g as CreateGrant does, but only while
	// the session g.SessionID exists and has not expired at now, checked
	// in the same statement as the insert: ErrNotFound, with nothing
	// stored, once the session has ended (logged out, expired, ended by
	// another instance or the CLI). The authorization endpoint issues
	// codes this way, so that it need not read the session to be sure of
	// it. Checked by CheckGrantInSession (a session id is required).
	CreateGrantInSession(ctx context.Context, g PersistedGrant, now time.Time) error
	// ConsumeUserGrant is ConsumeGrant, and also returns the state of the
	// user the grant's Subject names, read in the same statement as the
	// consumption: the redemption of an authorization code needs no read
	// of its user besides. The state means nothing when the error is not
	// nil.
	ConsumeUserGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, UserState, error)
	// RotateGrant consumes the grant key at now and creates next, in one
	// transaction, and returns the consumed grant (Consumed set): a refresh
	// token traded for its successor, a code for what it produced. It fails
	// as ConsumeGrant does (ErrNotFound; ErrConsumed with the grant), and
	// then creates nothing. If next's key is taken (ErrAlreadyExists, as
	// CreateGrant), key is left unconsumed. Of several concurrent rotations
	// of one key, across instances too, exactly one succeeds; the others
	// get ErrConsumed. next is checked as by CreateGrant (CheckRotateGrant);
	// a next with the key it replaces is refused with ErrInvalid.
	RotateGrant(ctx context.Context, key string, next PersistedGrant, now time.Time) (PersistedGrant, error)
	// ExtendGrant sets the Expires and Data of the grant key, if it exists
	// at now and is unconsumed, in one atomic statement: a refresh token
	// reused with a sliding lifetime. ErrNotFound if it does not exist or
	// has expired (a revocation that deleted it first wins: nothing is
	// written again); ErrConsumed if it was consumed. expires must be after
	// now (CheckExtendGrant).
	ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error
	// ListGrants returns the grants the filter selects, unexpired at now,
	// consumed ones included, oldest first (by Created, then by key in byte
	// order).
	ListGrants(ctx context.Context, f PersistedGrantFilter, now time.Time) ([]PersistedGrant, error)
	// DeleteGrant removes a grant; ErrNotFound if there is none.
	DeleteGrant(ctx context.Context, key string) error
	// DeleteGrants removes the grants the filter selects, expired ones not
	// yet removed included, and returns how many; an empty filter is
	// refused with ErrInvalid.
	DeleteGrants(ctx context.Context, f PersistedGrantFilter) (int, error)
}

// UserState is what ConsumeUserGrant found of a grant's user when it
// consumed the grant. The zero value is UserMissing, so that a state not
// set refuses the grant.
type UserState int

const (
	// UserMissing: no user has the grant's subject (removed since, or a
	// grant of no user).
	UserMissing UserState = iota
	// UserDisabled: the user is there and disabled.
	UserDisabled
	// UserActive: the user is there and not disabled.
	UserActive
)

// SigningKeys keeps managed signing keys, with the semantics of Clients
// (CheckSigningKey; the id cannot change through an update), except that
// every time, Created included, is the caller's, and that writes do not
// change the ConfigVersion (they change the SigningKeysVersion). Expired
// keys (Expires set and at or before now) are still returned until
// DeleteExpired removes them.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k SigningKey) error
	GetSigningKey(ctx context.Context, id string) (SigningKey, error)
	// ListSigningKeys returns every key, oldest first (by Created, then by
	// id in byte order).
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	UpdateSigningKey(ctx context.Context, id string, update func(*SigningKey) error) error
	DeleteSigningKey(ctx context.Context, id string) error
	// SigningKeysVersion returns a number that every write to the signing
	// keys makes greater, in the same transaction: a create, an update, a
	// delete, DeleteExpired removing a key, by any instance or program on
	// the database (an operator's SQL too); it never goes backwards. A
	// write that fails or rolls back leaves it alone, and so do writes of
	// other records. An instance polls it, one small read, to know when to
	// read the keys again.
	SigningKeysVersion(ctx context.Context) (int64, error)
}

// ConfigVersioner tells whether clients or resources changed: the version
// changes (in the same transaction) with every write to them, so an
// instance that caches them polls one cheap number.
//
// Every successful create, update and delete of a client, API scope, API
// resource or identity resource makes it greater; it never goes backwards.
// A write that fails or rolls back leaves it alone, and so do writes of
// grants, users, sessions, signing keys, jtis and DeleteExpired.
type ConfigVersioner interface {
	// ConfigVersion returns the current version.
	ConfigVersion(ctx context.Context) (int64, error)
}

// ConfigWatcher is implemented by stores that can push changes (PostgreSQL
// LISTEN/NOTIFY). Callers check for it with a type assertion and still poll
// ConfigVersion, which is the guarantee; the watch only makes it sooner.
type ConfigWatcher interface {
	// WatchConfig sends on the channel after clients or resources change,
	// by any instance, until ctx is done. Sends may be coalesced.
	WatchConfig(ctx context.Context) (<-chan struct{}, error)
}

// Clock is implemented by stores on a database server with a clock of its
// own (PostgreSQL), so that a program on another machine can compare its
// clock with the database's before it dates signing keys by it.
type Clock interface {
	// DatabaseTime returns the database server's current time.
	DatabaseTime(ctx context.Context) (time.Time, error)
}

// SigningKeyWatcher is implemented by stores that can push changes to the
// signing keys (PostgreSQL LISTEN/NOTIFY), so that a key rotated, retired
// or revoked with signet keys reaches every instance at once. Callers check
// for it with a type assertion and still sync periodically, which is the
// guarantee; the watch only makes it sooner.
type SigningKeyWatcher interface {
	// WatchSigningKeys sends on the channel after a signing key is
	// created, updated or deleted, by any instance, until ctx is done.
	// Sends may be coalesced.
	WatchSigningKeys(ctx context.Context) (<-chan struct{}, error)
}
