package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage"
)

var auditColumns = []string{"time", "event", "result", "client_id", "subject", "grant_type", "scopes", "kid", "alg", "remote", "request_id", "detail", "attrs"}

// AppendAuditEvents appends events to the audit_events table in one COPY:
// the audit writer calls it with a batch, off the request path.
func (s *Store) AppendAuditEvents(ctx context.Context, events []storage.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := s.alive(); err != nil {
		return err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.pool.CopyFrom(octx, pgx.Identifier{"audit_events"}, auditColumns, pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
		e := &events[i]
		scopes := e.Scopes
		if scopes == nil {
			scopes = []string{}
		}
		var attrs any
		if e.Attrs != nil {
			attrs = string(e.Attrs)
		}
		return []any{e.Time.UnixMilli(), e.Event, e.Result, e.ClientID, e.Subject, e.GrantType, scopes, e.KeyID, e.Alg, e.Remote, e.RequestID, e.Detail, attrs}, nil
	}))
	if err != nil {
		return s.fail(ctx, "append audit events", err)
	}
	s.wrote(ctx)
	return nil
}
