package postgres

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/signetid/signet/storage"
)

// Which server errors are outages (retry: 503) and which are mistakes.
func TestMapErrCodes(t *testing.T) {
	t.Parallel()
	for code, unavailable := range map[string]bool{
		"57P01": true,  // pg_terminate_backend
		"57014": true,  // statement_timeout
		"08006": true,  // connection_failure
		"53300": true,  // too_many_connections
		"25006": true,  // a standby after failover
		"08P01": false, // a pooler refusing a startup parameter: configuration
		"28P01": false, // bad password
		"3D000": false, // no such database
		"42P01": false, // undefined_table: a bug, not an outage
	} {
		err := mapErr(&pgconn.PgError{Code: code})
		if got := errors.Is(err, storage.ErrUnavailable); got != unavailable {
			t.Errorf("%s: unavailable %v, want %v", code, got, unavailable)
		}
	}
}
