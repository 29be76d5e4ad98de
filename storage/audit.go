package storage

import "time"

// AuditEvent is one event of the audit log as a database keeps it
// (audit.sink: postgres; the audit_events table of migration 0011). It
// never holds a secret, token, password or assertion: the audit writer
// fills it from an observed event, which carries none.
type AuditEvent struct {
	Time time.Time
	// Event is the event's name (token.issued, login.failed, ...); Result
	// is success or the reason it failed.
	Event, Result string
	ClientID      string
	Subject       string
	GrantType     string
	Scopes        []string
	KeyID, Alg    string
	Remote        string
	RequestID     string
	Detail        string
	// Attrs are the event's own attributes, a JSON object; nil for none.
	Attrs []byte
}
