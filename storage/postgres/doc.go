// Package postgres is the storage.Store that several Signet instances share:
// one PostgreSQL database (or a PostgreSQL-compatible cluster), through
// github.com/jackc/pgx/v5 and its pool.
//
// Every method uses one pooled connection at a time and never waits for a
// second one while it holds the first, so the pool cannot deadlock: when every
// connection is busy, calls queue for the next free one. A statement timeout,
// set as a session parameter, stops a query the server is stuck on, and a
// client-side deadline (Options.RequestTimeout) stops a call whose server does
// not answer at all; both, like a lost connection, come back as
// storage.ErrUnavailable, and the pool replaces broken connections by itself.
//
// The schema is created and upgraded by the numbered SQL files in
// migrations/, embedded in the binary and recorded in schema_migrations, under
// an advisory lock, so that of several instances starting at once against one
// empty database exactly one applies each migration and the others wait. It
// lives in the first schema of the connection's search_path.
//
// Times are stored as bigint unix milliseconds (UTC), the port's precision,
// as in the SQLite schema.
//
// Changes of clients, resources and external providers are announced with NOTIFY, in the writing
// transaction, on the channel signet_config_<schema>; WatchConfig listens to
// it on a connection of its own, outside the pool.
//
// It imports storage (and storage/internal/migrate, grantsql and sqlrow), never
// another adapter.
package postgres
