// Package tokens issues the tokens the endpoints hand out, and keeps the
// handles that stand for a grant:
//
//   - JWT access tokens (RFC 9068): the audience from the API resources
//     that hold the granted scopes, the client's own claims, a fresh jti;
//     signed with Service.AccessTokenAlg (the ring's default if unset).
//   - ID tokens (OpenID Connect Core §2): iss, sub, aud (the client_id),
//     exp, iat, auth_time, nonce, sid, amr, at_hash, and the user's claims
//     when asked; typ JWT, signed RS256 unless the client chose another of
//     the ring's algorithms, since RS256 is what every OpenID Connect
//     client accepts.
//   - Authorization codes and refresh handles: 256 random bits, base64url,
//     stored only as a SHA-256 (HandleKey) in a storage.PersistedGrant
//     whose Data says what they grant (JSON with a version). A code is
//     redeemed once (consumed, then checked: client, redirect_uri, PKCE
//     through internal/pkce); a refresh handle rotates in one transaction
//     (OneTimeOnly) or stays (ReUse), with Absolute or Sliding expiry, and
//     may narrow its scopes, never widen them. A code or rotated handle
//     presented again deletes its family (FamilyID: the code and every
//     refresh handle issued from it). Refusals are *GrantError values,
//     whose text is the invalid_grant description and never repeats a
//     handle.
//
// ClaimsSupported is the list discovery publishes, kept here beside the
// claims it names.
//
// It imports internal/signing (through the Signer interface, which
// signing.Ring satisfies), internal/client, internal/pkce and storage (the
// records, and the GrantStore interface it declares, which every backend
// satisfies); it knows nothing of HTTP or of how a client authenticated.
package tokens
