package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/signetid/signet/storage"
)

// mapErr wraps the storage sentinel that matches a driver error, keeping the
// driver's message:
//   - unique violation (23505): ErrAlreadyExists;
//   - foreign-key violation (23503) and no row: ErrNotFound;
//   - the server or the network failing us: ErrUnavailable, with the
//     storage.Fault it is (see fault). That is a query
//     cancelled by the statement timeout (57014) or a lock timeout (55P03), a
//     serialization failure or deadlock (40001, 40P01: retry later), a
//     connection exception (class 08), too many connections or another
//     resource shortage (class 53; 53100 is a full disk), the server shutting down or starting up
//     or a terminated backend (57P01-57P03), a read-only transaction (25006,
//     a failover to a standby), a failed connection attempt that is not a
//     refused login, a broken or closed connection, a closed pool, and a
//     context deadline (the pool's wait or the request timeout).
//
// Other errors, a cancelled context among them, are returned unchanged.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return fmt.Errorf("%w: %w", storage.ErrAlreadyExists, err)
		case pe.Code == "23503":
			return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
		}
		if f := fault(pe.Code); f != "" {
			return storage.Unavailable(f, err)
		}
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) && !refusedLogin(pe.Code) {
			return storage.Unavailable(storage.FaultUnreachable, err)
		}
		return err
	}
	if errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		pgconn.Timeout(err):
		return storage.Unavailable(storage.FaultTimedOut, err)
	case errors.As(err, &ce),
		errors.As(err, &ne),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, pgconn.ErrConnClosed),
		pgconn.SafeToRetry(err):
		return storage.Unavailable(storage.FaultUnreachable, err)
	}
	return err
}

// fault is the storage.Fault of a SQLSTATE that means "try again later",
// "" for any other.
func fault(code string) storage.Fault {
	switch code {
	case "57014": // query_canceled: statement_timeout
		return storage.FaultTimedOut
	case "55P03", // lock_not_available: lock_timeout
		"40001", // serialization_failure
		"40P01": // deadlock_detected
		return storage.FaultConflict
	case "57P01", "57P02", "57P03": // admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now
		return storage.FaultUnreachable
	case "25006": // read_only_sql_transaction: a standby after failover
		return storage.FaultReadOnly
	case "53100": // disk_full
		return storage.FaultFull
	case "08P01": // protocol_violation: a misconfiguration (see refusedLogin)
		return ""
	}
	switch {
	case strings.HasPrefix(code, "08"): // connection_exception
		return storage.FaultUnreachable
	case strings.HasPrefix(code, "53"): // insufficient_resources: memory, connections
		return storage.FaultOverloaded
	}
	return ""
}

// refusedLogin reports whether a connection attempt failed because the
// server refused the login or the database (class 28, 3D000): a
// configuration error, not an outage.
//
// 08P01 (protocol_violation) at connect is what a connection pooler such as
// PgBouncer answers to a startup parameter it does not pass on
// (statement_timeout, search_path): retrying would never succeed.
func refusedLogin(code string) bool {
	return strings.HasPrefix(code, "28") || code == "3D000" || code == "08P01"
}
