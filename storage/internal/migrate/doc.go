// Package migrate reads the numbered, embedded SQL migrations of a storage
// adapter and works out which of them a database still needs. It knows no SQL
// dialect: each adapter applies the migrations its own way (SQLite under a
// write transaction, PostgreSQL under an advisory lock).
//
// It imports only storage, for the sentinel errors. It also holds the Status
// type that the adapters export as MigrationStatus.
package migrate
