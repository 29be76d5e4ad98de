// Package upstream is Signet as a relying party of an upstream OpenID
// provider (federation): it reads the provider's discovery document and
// JWKS, builds the authorization request (always PKCE S256, a 256-bit state
// and nonce), and on the callback checks the state, the upstream's error,
// RFC 9207's iss, exchanges the code, verifies the ID token, reads
// userinfo (for the same sub) when the provider has one, and returns the
// (issuer, subject) pair that identifies the person, and their claims.
//
// Microsoft Entra ID's multi-tenant authorities (.../common/v2.0 and
// .../organizations/v2.0) publish an issuer with a {tenantid} placeholder;
// the ID token's iss is checked against it with the token's tid put in, as
// Microsoft documents for multi-tenant applications.
//
// At the token endpoint Signet authenticates with its client secret
// (client_secret_basic, or client_secret_post when only that is offered),
// as a public client (PKCE only), or with a ClientKey: a JWT client
// assertion (private_key_jwt, RFC 7523 and OpenID Connect Core §9) signed
// with RS256, ES256 or ES384, kid the key's RFC 7638 thumbprint, x5t and
// x5t#S256 when there is a certificate (Entra requires them), aud the
// token endpoint, 5 minutes' life and a 128-bit jti. A discovery document
// that lists token_endpoint_auth_methods_supported without the method
// Signet needs is refused.
//
// Every request to the upstream is bounded by one timeout per Start or
// Finish (default 10 s) and never follows a redirect. Tokens and secrets
// are never logged nor put in an error's text.
//
// It imports nothing of Signet's: the pages, storage, configuration and
// CLI call it; it knows none of them.
//
// GitHub, OAuth 2.0 without OpenID Connect, is NewGitHub: the same Start
// and Finish, with the person read from GitHub's API (the numeric user id
// as subject, the primary email only when verified) instead of an ID token.
package upstream
