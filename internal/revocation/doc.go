// Package revocation implements OAuth 2.0 Token Revocation (RFC 7009) at
// /connect/revocation: a client revokes its own refresh tokens and
// reference access tokens. Revoking a refresh token deletes its family
// (storage.PersistedGrant.FamilyID): its successors, and the reference
// access tokens issued from it. A JWT access token cannot be revoked (it is
// valid until it expires, wherever it is checked): it is answered 400
// unsupported_token_type.
//
// The store is the truth: every request reads and deletes there, with no
// cache, so that a revocation holds at once on every instance sharing the
// database and survives restarts. A database that does not answer within
// the storage timeout gives 503 temporarily_unavailable, never a hang.
//
// Clients authenticate as at the token endpoint (internal/clientauth:
// client_secret_basic, client_secret_post, private_key_jwt, and a public
// client by its client_id). As RFC 7009 §2.2 says, an unknown token answers
// 200; so does a token of another client, which is left alone (as
// IdentityServer does: the caller learns nothing of other clients' tokens).
//
// The endpoint implements internal/endpoint's contract: its Routes (the
// POST, the CORS preflight of the clients' browser origins through
// internal/cors, a 405 for every other method) and its discovery metadata
// (Describe).
//
// It imports internal/clientauth, internal/cors, internal/endpoint,
// internal/logattr, internal/oauth, internal/observe (a client that fails
// to authenticate is reported), internal/tokens (the handles' storage
// keys) and storage (its records and sentinels, the grants through the
// narrow Grants interface); never internal/server or another endpoint
// package.
package revocation
