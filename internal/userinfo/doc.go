// Package userinfo implements OpenID Connect's UserInfo endpoint
// (/connect/userinfo, Core §5.3): GET or POST with a bearer access token
// (RFC 6750: the Authorization header, or for a POST the form body's
// access_token, never both), which must be one Signet issued to a user
// (signed by a published key of the ring, its issuer the request's,
// unexpired, with auth_time, which client_credentials tokens lack) and
// grant openid. The answer is sub and the user's claims of the granted
// identity scopes (internal/claims), never cached. Errors are RFC 6750 §3's:
// WWW-Authenticate Bearer with invalid_request (400), invalid_token (401)
// or insufficient_scope (403), and a bare Bearer challenge when no token
// was sent. Browser origins of the clients get CORS (internal/cors).
//
// It imports internal/endpoint, internal/oauth, internal/claims,
// internal/cors, internal/logattr, internal/signing (for the key type of its
// Verifier) and
// storage; never internal/server or another endpoint package.
package userinfo
