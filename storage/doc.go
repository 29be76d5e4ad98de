// Package storage is Signet's persistence port: the records Signet keeps, the
// narrow interfaces that consume them, the Store interface that every backend
// implements, and the sentinel errors callers test with errors.Is.
//
// It owns:
//   - the role interfaces (ReplayCache, Cleaner, Pinger) that handlers and
//     grants declare and depend on, and Store, which embeds them all;
//   - the sentinels ErrNotFound, ErrAlreadyExists, ErrInvalid, ErrClosed,
//     ErrMigrationsPending and ErrSchemaTooNew, which every adapter maps its
//     driver's errors to;
//   - the limits on stored values (MaxKeyLen) and the checks that enforce them,
//     so that every backend refuses the same inputs;
//   - the Janitor, which removes expired rows in bounded batches.
//
// It imports no adapter (storage/memory, storage/sqlite, storage/postgres) and
// no database driver; adapters import it. Nothing outside cmd/signet imports an
// adapter. The conformance suite every adapter runs is storage/storagetest.
//
// Times are compared and stored with millisecond precision, in UTC. A record
// whose expiry is at or before "now" is expired: it no longer blocks anything
// and DeleteExpired may remove it.
package storage
