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
//   - Reference access tokens (IdentityServer's AccessTokenType
//     Reference), for a client whose ReferenceTokens is set
//     (IssueAccessToken chooses; ReferenceToken issues one): the same
//     claims as the JWT, kept in the store instead of signed, so that
//     deleting the record revokes the token at once. LookupReference
//     finds one by its handle.
//
// The conventions of a reference token's record, which the introspection
// and revocation endpoints rely on:
//
//   - The handle the client holds is 256 random bits in unpadded base64url
//     (43 characters; opaque.Valid holds); it is never stored.
//   - Type is storage.GrantReferenceToken and Key is
//     HandleKey(storage.GrantReferenceToken, handle), so a lookup is one
//     GetGrant by key, and a refresh token or code presented as a reference
//     token (or the reverse) is not found.
//   - ClientID is the client; Subject the user, "" for a client's own
//     token (client_credentials; its sub claim is the client id);
//     SessionID the sign-in session.
//   - FamilyID is the family of the code and refresh tokens it was issued
//     from (the refresh token's FamilyID), "" for client_credentials: so
//     DeleteGrants{FamilyID} (a refresh token revoked, or a code or
//     refresh token reused) revokes its reference tokens too.
//   - Created is its iat and Expires its exp (whole seconds): the store
//     drops it when its claims say it ends, and the janitor sweeps it
//     with the other expired grants.
//   - Data is one JSON object, the claims: exactly the JWT's (iss, aud as a
//     string or an array, client_id, sub, scope space-separated, iat, nbf,
//     exp, jti, auth_time for a user's token, then the client's own
//     claims), plus amr for a user's token. No version member: a later
//     format adds claims, never changes one.
//   - It is never consumed; revoking it is deleting it.
//
// ClaimsSupported is the list discovery publishes, kept here beside the
// claims it names.
//
// It imports internal/signing (through the Signer interface, which
// signing.Ring satisfies), internal/client, internal/pkce, internal/opaque
// and storage (the records, and the GrantStore interface it declares,
// which every backend satisfies); it knows nothing of HTTP or of how a
// client authenticated.
package tokens
