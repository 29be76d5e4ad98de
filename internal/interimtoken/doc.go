// Package interimtoken is INTERIM: it mounts today's token endpoint
// (internal/grant's Endpoint, an http.Handler) through the endpoint
// contract, with the CORS of its clients' origins, until the token endpoint
// implements endpoint.Endpoint itself, with its own routes, CORS and
// metadata. Then this package is deleted, and cmd/signet and the server's
// tests mount that endpoint instead.
//
// It is a package rather than a part of cmd/signet so that the server's
// tests mount what serve mounts, and read the metadata (the claims list
// among it) from it rather than from a copy.
//
// It imports internal/grant, internal/endpoint and internal/oauth, never
// the server or another endpoint.
package interimtoken
