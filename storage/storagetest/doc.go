// Package storagetest is the conformance suite that every storage backend
// runs from its own test file, so that memory, SQLite and PostgreSQL are
// proven to behave alike:
//
//	func TestConformance(t *testing.T) { storagetest.Run(t, newStore) }
//
// Run takes a constructor that returns an empty store and registers its Close
// with t.Cleanup; every subtest gets a store of its own. RunShared is the
// separate entry point for backends whose several handles share one database
// (SQLite files, PostgreSQL): it checks that instances see each other's
// writes and race safely. BenchmarkUseOnce and BenchmarkGrants give the
// performance work numbers for the storage calls of the token path.
//
// The suite pins down what the port's comments say, so that backends agree
// where the interfaces leave room: keys are exact and listed in byte order;
// an update that changes a key fails with ErrInvalid and writes nothing; an
// update function's error rolls back and is returned; Created and Updated of
// a client or user are the store's; times come back in UTC, truncated to the
// millisecond; byte slices come back byte for byte and are never shared with
// the caller; the ConfigVersion grows with every successful write of clients
// and resources, and with nothing else (not users, not sessions); each kind of record refuses what its
// Check function in storage refuses, with its message. Records are built on
// a fixed time in 2031 and grants and sessions take "now" from the caller, so
// nothing depends on the clock except the replay cache and the Created of a
// client or user.
//
// It imports storage and the standard library only.
package storagetest
