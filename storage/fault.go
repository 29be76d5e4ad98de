package storage

import (
	"context"
	"errors"
)

// Fault is why the database is unavailable, in the words the log and
// /readyz use: an operator acts differently on a full disk than on a
// server that does not answer.
type Fault string

// The faults a backend tells apart.
const (
	// FaultFull: no space left for the database (SQLITE_FULL, SQLSTATE
	// 53100 disk_full).
	FaultFull Fault = "full"
	// FaultReadOnly: the database takes no writes (a read-only file or
	// file system, SQLSTATE 25006 on a standby).
	FaultReadOnly Fault = "read-only"
	// FaultLocked: another process held the database's lock longer than
	// the busy timeout (SQLITE_BUSY, SQLITE_LOCKED).
	FaultLocked Fault = "locked"
	// FaultUnreachable: the database cannot be reached or opened (a
	// refused or broken connection, a server shutting down or starting up,
	// a file that cannot be opened).
	FaultUnreachable Fault = "unreachable"
	// FaultTimedOut: the database did not answer in time (the request or
	// statement timeout).
	FaultTimedOut Fault = "timed out"
	// FaultOverloaded: the database is short of something other than disk
	// (connections, memory). A retry usually succeeds.
	FaultOverloaded Fault = "overloaded"
	// FaultConflict: the database refused one transaction to let another
	// go on (a serialization failure, a deadlock, a row lock not granted in
	// time). A retry usually succeeds.
	FaultConflict Fault = "conflict"
	// FaultIO: the file could not be read or written (SQLITE_IOERR).
	FaultIO Fault = "I/O error"
)

// StopsWrites reports whether the fault means no write can succeed until it
// is repaired, so that the instance is not ready (/readyz) even though its
// connections work: full, read-only, locked, unreachable, I/O error.
// Timeouts, overload and conflicts come and go with load, and taking an instance out
// of rotation for them would push its load onto the others.
func (f Fault) StopsWrites() bool {
	switch f {
	case FaultFull, FaultReadOnly, FaultLocked, FaultUnreachable, FaultIO:
		return true
	}
	return false
}

// UnavailableError is ErrUnavailable with its Fault: errors.Is(err,
// ErrUnavailable) holds for it, and FaultOf reads the fault.
type UnavailableError struct {
	Fault Fault
	Err   error // the driver's error
}

// Unavailable wraps a driver's err as ErrUnavailable for fault f.
func Unavailable(f Fault, err error) error { return &UnavailableError{Fault: f, Err: err} }

func (e *UnavailableError) Error() string {
	return ErrUnavailable.Error() + ": " + e.Err.Error()
}

func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

func (e *UnavailableError) Unwrap() error { return e.Err }

// FaultOf returns the fault of an error that wraps ErrUnavailable: the one an
// UnavailableError names, FaultTimedOut for a context deadline, else
// FaultUnreachable. It is "" for any other error.
func FaultOf(err error) Fault {
	var ue *UnavailableError
	switch {
	case errors.As(err, &ue):
		return ue.Fault
	case !errors.Is(err, ErrUnavailable):
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		return FaultTimedOut
	}
	return FaultUnreachable
}

// Monitor hears from a store how its calls went, so that an outage is
// reported once and /readyz says whether the instance can do its work
// (internal/outage). A store calls it from every call: its methods must be
// cheap and safe for concurrent use.
type Monitor interface {
	// Failed is told of an error that wraps ErrUnavailable, with the
	// context of the call that failed.
	Failed(ctx context.Context, err error)
	// Wrote is told that a write committed, with the context of the call
	// (the Monitor's own probe is told apart by it).
	Wrote(ctx context.Context)
}

// WriteProber is a store that can check that a write succeeds now, by
// writing a row that exists for that (a Monitor asks while writes fail and
// no request writes).
type WriteProber interface {
	ProbeWrite(ctx context.Context) error
}
