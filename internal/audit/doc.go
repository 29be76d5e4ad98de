// Package audit is the audit log: an internal/observe Observer that
// writes one structured line per security-relevant act (a token issued or
// refused, a client that failed to authenticate, a key loaded, rotated,
// retired or revoked, a login, a consent, a logout, a change made through
// the CLI), with who, what, when, from where and the result.
//
// Every event goes, unless excluded, to the log (Options.Logger: a logger
// of its own whose lines all carry logger=audit and event=<name>, at INFO
// whatever the server's log level, so that the default level never hides
// them), and to at most one Sink: a JSON-lines file rotated by size
// (File), or the database's audit_events table (Database). A sink is
// written by a goroutine of its own, in batches, from a bounded buffer: a
// slow or failing sink never blocks a request; when the buffer is full an
// event is dropped, counted (Dropped) and reported by a WARN.
//
// An event never carries a secret, a token, a password or an assertion
// (internal/observe's rule); this package writes only the event's fields,
// each bounded by internal/logattr.
//
// It imports internal/observe, internal/endpoint (the request id),
// internal/logattr and storage (its AuditEvent record;
// the database through the narrow Appender interface); never an adapter.
package audit
