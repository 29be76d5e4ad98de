// Package tracing sends OpenTelemetry traces of the token service to a
// collector over OTLP/HTTP: a server span per request, named by its route
// (never the raw path) and in the trace of the request's W3C traceparent
// when it has one; a span per token signature, with the key's kid and
// algorithm; a span per storage call of the token path, named by the
// operation. Spans never carry a parameter's value: client ids, jtis, grant
// keys and hashes stay out of them.
//
// It is off unless configured (tracing.endpoint): serve then wraps
// nothing, so the token path costs what it did. When on, serve builds a
// Tracer once, adds its Middleware to the server, and wraps the token
// path's signer and stores; Shutdown flushes what is left.
//
// It imports internal/endpoint (the Middleware's contract), internal/signing
// (the signed key) and storage (its records), never the endpoints.
package tracing
