// Package metrics is Signet's Prometheus metrics (signet_*), served at
// /metrics on a listener of their own (metrics.listen), never on the
// public one unless the configuration asks (metrics.public).
//
// It measures from the outside of the code it measures, so that no
// endpoint knows of it:
//   - HTTP requests and their latency, by route and status, through the
//     server's Middleware hook (endpoint.Middleware): the route's label
//     and counters are resolved once per route when the server is built,
//     and a request costs a clock reading and a few atomic adds;
//   - tokens, client authentication failures, logins and key rotations,
//     from the events the acting code reports (an observe.Observer);
//   - signatures per key and algorithm, by wrapping the token path's
//     signer;
//   - what is read at scrape time: the seconds left of each configured
//     certificate (internal/expiry's rule), the storage's connection
//     pools, storage outages (internal/outage's Stats), the build, and the
//     Go runtime and process.
//
// Labels that a request could choose are bounded: a client id is labelled
// as itself for the first MaxClients clients that get a token, then
// "other"; grant types are the known ones or "other"; paths are the
// routes' own.
//
// It imports internal/endpoint, internal/observe, internal/oauth (the
// grant type names), internal/signing, internal/expiry, internal/outage
// (its Stats) and storage (the PoolStats record), never an endpoint package or an adapter: cmd/signet
// wires it.
package metrics
