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
// writes and race safely. BenchmarkUseOnce gives the performance work a number.
//
// It imports storage and the standard library only.
package storagetest
