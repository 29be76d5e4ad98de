// Package welcome serves the welcome page at /: what this server is (its
// issuer, version, the endpoints mounted, the keys it publishes, never
// private material) and, in development, how to get a token.
//
// It imports internal/endpoint and internal/signing (for the key type of
// its Keys interface), never the server or another endpoint: the endpoints
// it lists are those the mounted packages described.
package welcome
