package storage

import "errors"

// Sentinel errors. Adapters wrap them with context (fmt.Errorf("...: %w", ...));
// callers test them with errors.Is, never ==.
var (
	// ErrNotFound: the record does not exist (or a record it refers to does
	// not).
	ErrNotFound = errors.New("storage: not found")

	// ErrAlreadyExists: a record with the same key exists, or, for a
	// consume-once record such as a client-assertion jti, has already been used.
	ErrAlreadyExists = errors.New("storage: already exists")

	// ErrInvalid: the call was refused before it reached the database because a
	// value breaks the port's limits (empty key, key over MaxKeyLen, NUL byte,
	// invalid UTF-8, zero time, non-positive limit), a record breaks its check
	// (CheckClient, CheckGrant, ...), an update function changed a record's
	// key, or a delete filter is empty. The wrapping message says which, in the
	// same words from every backend: they all call the checks in check.go.
	ErrInvalid = errors.New("storage: invalid value")

	// ErrConsumed: a consume-once grant (an authorization code) was
	// consumed before. Returned with the grant, so that the caller can
	// revoke what was issued from it.
	ErrConsumed = errors.New("storage: already consumed")

	// ErrUnavailable: the database cannot be reached or did not answer in
	// time. Callers answer 503 and retry later.
	ErrUnavailable = errors.New("storage: database unavailable")

	// ErrClosed: the store was closed.
	ErrClosed = errors.New("storage: closed")

	// ErrMigrationsPending: the database schema is older than this build and
	// the store was opened with migrations disabled (--no-migrate).
	ErrMigrationsPending = errors.New("storage: database schema is behind this build and migrations are disabled")

	// ErrSchemaTooNew: the database records a migration this build does not
	// know, so it was written by a newer Signet. Opening it could corrupt it.
	ErrSchemaTooNew = errors.New("storage: database schema is newer than this build")
)
