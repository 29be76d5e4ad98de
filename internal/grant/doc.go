// Package grant implements the token endpoint (/connect/token): it parses
// the request once, authenticates the client (client_secret_basic,
// client_secret_post, private_key_jwt), runs the grant for the grant_type,
// and writes the response. The shared steps live on the Endpoint, so a grant
// only fills in what is its own and cannot forget one.
//
// It speaks the protocol through internal/oauth, signs through
// internal/signing, and declares the narrow interfaces it needs of storage
// (Clients, ReplayCache) where it uses them.
package grant
