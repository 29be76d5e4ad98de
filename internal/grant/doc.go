// Package grant implements the token endpoint (/connect/token). The
// endpoint runs the steps every grant shares, once: it parses the request
// (Request), authenticates the client (internal/clientauth), checks that
// the client may use the grant type, and hands the request to the Grant
// registered for its grant_type, which fills in only what is its own and
// issues its tokens through internal/tokens. GrantTypes, the list the CLI
// and discovery show, is derived from the registered grants.
//
// The grants: client_credentials (RFC 6749 §4.4); authorization_code
// (§4.1.3, OpenID Connect Core §3.1.3: the code redeemed once through
// internal/tokens with its redirect_uri and PKCE verifier, a public
// client's code must have had PKCE, the user must still exist and be
// enabled; an access token with auth_time, an ID token when openid was
// granted, a refresh token when offline_access was and the client allows
// offline access); refresh_token (§6: rotated or reused by the client's
// settings, the scope narrowed never widened, invalid_scope when widened).
// A client may refresh when it lists refresh_token or has
// authorization_code and allowOfflineAccess, as IdentityServer's clients
// do. Every grant's access token is a JWT, or for a client of reference
// tokens (accessTokenType Reference) an opaque handle stored with its
// claims (tokens.Service.IssueAccessToken), in the family of the code or
// refresh token it comes from; the ID token's at_hash is over what was
// returned. A JWT client's token costs no store work.
//
// The endpoint implements internal/endpoint's contract: its Routes (the
// POST, the CORS preflight of its clients' browser origins through
// internal/cors, and a 405 for every other method) and what it adds to
// discovery (Describe).
//
// Each request is reported to an internal/observe Observer, once:
// token.issued (client, grant type, scopes, user, signing key) or
// token.refused (its OAuth error code), and client.auth_failed for a
// client that failed to authenticate.
//
// It imports internal/clientauth, internal/tokens, internal/client,
// internal/claims, internal/cors, internal/endpoint, internal/oauth,
// internal/observe and storage (its records and sentinels; users through the narrow Users
// interface); never internal/server or another endpoint package.
package grant
