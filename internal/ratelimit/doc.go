// Package ratelimit slows the callers of the token, introspection and
// revocation endpoints, and of the login form: token buckets per client
// address and per authenticated client, and a count of failed client
// authentications per address, past which an address is refused for the
// rest of a window.
//
// Buckets keeps token buckets in memory, per instance, with a bound on the
// keys it remembers. Middleware is an endpoint.Middleware: it refuses a
// request to a limited path whose address has no token left, through the
// route's Refuse (429, error slow_down, Retry-After), and puts the address
// in the request's context for Limits, which internal/clientauth asks before
// and after it authenticates a client. Failed authentications are counted in
// memory, and with a FailureStore (PostgreSQL's) across instances; the store
// is read and written only when an authentication fails.
//
// It imports internal/endpoint and internal/oauth, never an endpoint
// package.
package ratelimit
