// Package server is Signet's HTTP side: the router, the discovery document,
// the JWKS, the welcome page, health checks and the middleware around them.
// The token endpoint itself is internal/grant's; the server mounts it.
//
// The discovery and JWKS bodies are encoded once (per issuer and per key-set
// change) and served with an ETag, so that the APIs that poll them cost
// next to nothing.
package server
