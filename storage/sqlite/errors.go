package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/signetid/signet/storage"
)

// mapErr wraps the storage sentinel that matches a driver error, keeping the
// driver's message:
//   - a primary-key or unique violation is ErrAlreadyExists;
//   - a foreign-key violation (a row that refers to a missing one) and no row
//     are ErrNotFound;
//   - a lock that was not released within the busy timeout (SQLITE_BUSY,
//     SQLITE_LOCKED), a file that cannot be opened or read or written
//     (SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_NOMEM), a database
//     that takes no writes (SQLITE_READONLY: the file, its directory or its
//     file system made read-only), a connection that is gone, and a context
//     deadline are ErrUnavailable, with the storage.Fault they are: the
//     caller answers 503 and tries again later, and the outage report
//     names the fault.
//
// Other errors, a cancelled context among them, are returned unchanged.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %w", storage.ErrAlreadyExists, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
		}
		if f := fault(se.Code()); f != "" {
			return storage.Unavailable(f, err)
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return storage.Unavailable(storage.FaultTimedOut, err)
	case errors.Is(err, sql.ErrConnDone):
		return storage.Unavailable(storage.FaultUnreachable, err)
	}
	return err
}

// fault is the storage.Fault of an SQLite result code, "" for a code that is
// not an outage.
func fault(code int) storage.Fault {
	switch code & 0xff {
	case sqlite3.SQLITE_FULL:
		return storage.FaultFull
	case sqlite3.SQLITE_READONLY:
		return storage.FaultReadOnly
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return storage.FaultLocked
	case sqlite3.SQLITE_CANTOPEN:
		return storage.FaultUnreachable
	case sqlite3.SQLITE_IOERR:
		return storage.FaultIO
	case sqlite3.SQLITE_NOMEM:
		return storage.FaultOverloaded
	}
	return ""
}

// isBusy reports whether err is SQLITE_BUSY or one of its extended codes.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
