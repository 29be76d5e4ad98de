package storage

import "time"

// PoolStats is the state of one of a store's connection pools, for the
// metrics (internal/metrics reads it at each scrape through a narrow
// interface of its own; a store without a pool, as memory, has no such
// method). The counts are since the store was opened.
type PoolStats struct {
	// Pool names the pool within the store: "write" and "read" for
	// SQLite, "main" for PostgreSQL.
	Pool string
	// InUse and Idle are the connections open now; Max bounds them.
	InUse, Idle, Max int
	// Waits counts the times a caller found no free connection and had
	// to wait, for WaitTime in all.
	Waits    int64
	WaitTime time.Duration
	// Errors counts acquisitions that failed: a caller that gave up
	// waiting (its context ended) or a connection that could not be
	// made. Zero where the pool does not count them (database/sql).
	Errors int64
}
