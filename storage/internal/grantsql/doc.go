// Package grantsql builds the SQL condition of a storage.PersistedGrantFilter for the
// SQL adapters. It writes only constant, portable fragments (column names,
// "=", "<>" an empty string, "AND", "1 = 1") and numbered parameters whose mark the adapter gives
// ("$" for PostgreSQL, "?" for SQLite); the values go in as arguments. The
// rest of each query, and the scanning of rows, stays in the adapter.
//
// It imports only storage, for the filter type.
package grantsql
