// Package clientauth authenticates the clients that call an endpoint: by a
// secret in the Authorization header (client_secret_basic) or in the body
// (client_secret_post), by a JWT signed with one of their keys
// (private_key_jwt, RFC 7523), or, for a public client, by its client_id
// alone (none). The token endpoint uses it, and so will authorize,
// introspection, revocation and end session: each parses a request's
// Credentials once, and says which methods it accepts.
//
// Every failure gets one answer per method, in the time a success would
// take: an unknown client's secret is checked against a dummy hash, and an
// assertion without a key to verify it with is verified with a dummy key,
// so that neither the answer nor its time tells whether a client exists.
// Why it failed goes to the log; ReportFailure tells an internal/observe
// Observer of it (client.auth_failed, with the client id as sent).
//
// Authenticator.Limits, when set (internal/ratelimit's Limiter), is asked
// before each authentication (an address with too many failures is
// refused: 429 slow_down), told of each invalid_client, and asked after a
// confidential client proved who it is (its bucket per endpoint). A public
// client has no bucket: its id proves nothing, so a bucket keyed by it
// would let anyone empty it.
//
// It imports internal/client (the client model), internal/oauth (the
// errors it returns), internal/secret, internal/observe and the storage
// sentinels; the
// stores it reads (Clients, ReplayCache) are declared here, where they are
// used. It never imports an endpoint package or internal/server.
package clientauth
