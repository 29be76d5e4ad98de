// Package pkce checks Proof Key for Code Exchange (RFC 7636): the
// code_challenge an authorization request carries and the code_verifier
// the token request later proves it with. S256 is the only method unless
// the client allows plain (IdentityServer's AllowPlainTextPkce), and a
// verifier sent for a code that had no challenge is refused: accepting it
// would let an attacker who strips the challenge from the authorization
// request pass the check (the PKCE downgrade of RFC 9700 §4.8.2).
//
// It imports nothing of Signet's, so that the authorize endpoint and
// internal/tokens share one rule.
package pkce
