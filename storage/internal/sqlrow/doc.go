// Package sqlrow reads the rows that the SQL adapters store alike: users,
// persisted grants, signing keys, user links, passkeys and external
// providers (their column lists, and the scanning of
// one row into a record), and the values every column of theirs holds the
// same way: a time as Unix milliseconds, NULL for the zero time, and NULL or
// empty bytes for none. What an adapter stores its own way (lists, as
// PostgreSQL's text[] or SQLite's JSON), its writes, and its SQL around the
// columns stay in the adapter.
//
// It imports only storage, for the records.
package sqlrow
