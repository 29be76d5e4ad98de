// Package discovery serves the OpenID Connect discovery document (also at
// RFC 8414's well-known path) and the JWKS.
//
// The document lists what the mounted endpoints described of themselves
// (endpoint.Metadata), so that it names an endpoint exactly when its
// package is mounted; this package adds the issuer, the scopes and the
// signing algorithms, which change while the server runs. Both bodies are
// encoded once (the document per issuer, per scope set and per key-set
// change; the JWKS per key-set change) and served with an ETag, so that the
// APIs that poll them cost next to nothing.
//
// It imports internal/endpoint, never the server or another endpoint.
package discovery
