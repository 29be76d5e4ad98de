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
//   - the records (Client, APIScope, APIResource, IdentityResource,
//     PersistedGrant, User, Session, SigningKey) and their interfaces
//     (Clients, Resources, PersistedGrants, Users, Sessions, SigningKeys,
//     ConfigVersioner, and the optional ConfigWatcher);
//   - the limits on stored values (MaxKeyLen, MaxTextLen, MaxDataLen,
//     MaxSecrets, MaxListLen, MaxPageLen) and the checks that enforce them
//     (CheckKey, CheckClient, CheckGrant, CheckUser, CheckSession, ... in
//     check.go), so that every backend refuses the same inputs with the same
//     message, and NormalizeUsername, the one username comparison;
//   - Kind (ClientKind, UserKind, ...), which names, reads and checks the key
//     of a kind of record, and whose Update makes the checks every backend
//     makes on the result of an update function;
//   - the Janitor, which removes expired rows in bounded batches.
//
// It imports no adapter (storage/memory, storage/sqlite, storage/postgres) and
// no database driver, and beyond the standard library only golang.org/x/text
// (for NormalizeUsername); adapters import it. Nothing outside cmd/signet
// imports an adapter. The conformance suite every adapter runs is
// storage/storagetest.
//
// Times are compared and stored with millisecond precision (truncated, as
// UnixMilli does), in UTC, and a zero time comes back zero. A record whose
// expiry is at or before "now" is expired: it no longer blocks anything and
// DeleteExpired may remove it. Byte values (a client's JWKS and Claims, Data)
// come back byte for byte, and a record's lists in the order written. Keys
// are compared exactly, and List methods order by key in byte order
// (PostgreSQL's COLLATE "C") unless they say otherwise. Records are values: a
// backend keeps no slice a caller gave or got.
package storage
