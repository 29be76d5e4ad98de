package audit

import (
	"context"

	"github.com/signetid/signet/storage"
)

// Appender appends audit events to a database (storage/postgres.Store).
type Appender interface {
	AppendAuditEvents(ctx context.Context, events []storage.AuditEvent) error
}

// Database is a Sink that appends events to the database's audit_events
// table, one batch a statement.
type Database struct {
	db     Appender
	events []storage.AuditEvent
}

// NewDatabase makes a Sink of db. Closing it leaves db open.
func NewDatabase(db Appender) *Database { return &Database{db: db} }

// Write appends the batch.
func (d *Database) Write(ctx context.Context, batch []Record) error {
	d.events = d.events[:0]
	for i := range batch {
		r := &batch[i]
		d.events = append(d.events, storage.AuditEvent{
			Time: r.Time, Event: r.Event, Result: r.Result, ClientID: r.Client, Subject: r.Subject,
			GrantType: r.GrantType, Scopes: r.Scopes, KeyID: r.KeyID, Alg: r.Alg, Remote: r.Remote,
			RequestID: r.RequestID, Detail: r.Detail, Attrs: attrsJSON(r),
		})
	}
	return d.db.AppendAuditEvents(ctx, d.events)
}

// Close does nothing: the database is the server's.
func (d *Database) Close() error { return nil }
