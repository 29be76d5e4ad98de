// Package postgrestest gives a test an empty PostgreSQL schema of its own in
// the database that SIGNET_TEST_POSTGRES_DSN names, dropped at cleanup, and
// skips the test when the variable is not set. It is the one fixture of the
// tests that need a server: storage/postgres's, internal/signing/managed's
// and cmd/signet's.
//
// Only tests import it. It imports the pgx driver and nothing of Signet's.
package postgrestest
