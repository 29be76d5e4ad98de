// Package introspect is the token introspection endpoint (RFC 7662) at
// /connect/introspect, as IdentityServer has it: an API resource, with its
// own credentials (its secrets, IdentityServer's ApiSecrets, or
// private_key_jwt), asks whether a token is active and what it grants.
//
// It answers active for this server's JWT access tokens (signature, issuer,
// expiry, and revocation: see Endpoint), reference tokens (ReferenceTokens)
// and refresh tokens, each only to a resource that is in the token's
// audience (for a refresh token: that holds one of its scopes), and with
// only that resource's scopes. Every other token, whatever the reason,
// answers {"active":false} with 200, the same bytes; a resource that fails
// authentication gets 401 invalid_client; a database that does not answer
// in time, 503 temporarily_unavailable. A resource that asks for it (Accept:
// application/token-introspection+jwt) gets the answer signed, as RFC 9701
// says; one with introspectionResponse: jwt gets it signed unless it asks
// for JSON alone.
//
// It imports endpoint, oauth, clientauth, client, tokens (HandleKey),
// observe (a resource that fails to authenticate is reported) and
// storage ports; never the server, an adapter or another endpoint. The
// catalog's resources reach it through Resources, which cmd/signet adapts.
package introspect
