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
