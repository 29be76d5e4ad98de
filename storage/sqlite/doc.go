// Package sqlite is the embedded storage.Store: one SQLite database file,
// through modernc.org/sqlite (pure Go, no cgo), in WAL mode.
//
// Writes go through a pool of one connection, because SQLite has one writer
// at a time anyway: queueing in database/sql is cheaper and fairer than
// SQLITE_BUSY retries. Reads (issue 5 adds them) go through a separate pool of
// read-only connections, which WAL lets run beside the writer. Code that holds a
// write transaction must do its reads through that transaction, never through
// the read pool, and must not wait for a second write connection: there is only
// one.
//
// The schema is created and upgraded by the numbered SQL files in migrations/,
// embedded in the binary and recorded in the schema_migrations table.
//
// Times are stored as INTEGER unix milliseconds (UTC).
//
// It imports storage (and storage/internal/migrate, grantsql and sqlrow), never
// another adapter.
package sqlite
