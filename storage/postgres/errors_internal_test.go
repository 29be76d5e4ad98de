package postgres

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/signetid/signet/storage"
)

// Which server errors are outages (retry: 503), with which fault, and which
// are mistakes ("").
func TestMapErrCodes(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]storage.Fault{
		"57P01": storage.FaultUnreachable, // pg_terminate_backend
		"57P03": storage.FaultUnreachable, // the server is starting up
		"57014": storage.FaultTimedOut,    // statement_timeout
		"08006": storage.FaultUnreachable, // connection_failure
		"53300": storage.FaultOverloaded,  // too_many_connections
		"53100": storage.FaultFull,        // disk_full
		"25006": storage.FaultReadOnly,    // a standby after failover
		"40001": storage.FaultConflict,    // serialization_failure
		"55P03": storage.FaultConflict,    // lock_timeout
		"08P01": "",                       // a pooler refusing a startup parameter: configuration
		"28P01": "",                       // bad password
		"3D000": "",                       // no such database
		"42P01": "",                       // undefined_table: a bug, not an outage
	} {
		err := mapErr(&pgconn.PgError{Code: code})
		if got := errors.Is(err, storage.ErrUnavailable); got != (want != "") {
			t.Errorf("%s: unavailable %v, want %v", code, got, want != "")
		}
		if got := storage.FaultOf(err); got != want {
			t.Errorf("%s: fault %q, want %q", code, got, want)
		}
	}
}
