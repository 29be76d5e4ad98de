// Package stores opens the storage backends (memory, SQLite, PostgreSQL)
// for the tests of the packages that keep state through storage, so that
// each such test runs against every backend the same way.
//
// Only _test.go files import it. It is apart from internal/testsupport so
// that the tests that need only a log buffer or a certificate do not link
// the database drivers.
package stores

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/postgres/postgrestest"
	"github.com/signetid/signet/storage/sqlite"
)

// Backend opens stores of one kind.
type Backend struct {
	Name string
	// Open opens n handles on one fresh, empty store, as n instances of
	// Signet would: the memory one is a single store shared, the others
	// are n connections to one database. The stores read the time from
	// now (nil: the wall clock) and are closed at cleanup. The PostgreSQL
	// one skips t without SIGNET_TEST_POSTGRES_DSN (postgrestest.EnvDSN).
	Open func(t *testing.T, now func() time.Time, n int) []storage.Store
}

// All are the backends, memory first.
var All = []Backend{
	{"memory", func(t *testing.T, now func() time.Time, n int) []storage.Store {
		s := memory.New(memory.Options{Now: now})
		out := make([]storage.Store, n)
		for i := range out {
			out[i] = s
		}
		return out
	}},
	{"sqlite", func(t *testing.T, now func() time.Time, n int) []storage.Store {
		path := filepath.Join(t.TempDir(), "signet.db")
		return openN(t, n, "sqlite.Open", func() (storage.Store, error) {
			return sqlite.Open(t.Context(), path, sqlite.Options{Now: now})
		})
	}},
	{"postgres", func(t *testing.T, now func() time.Time, n int) []storage.Store {
		dsn := postgrestest.New(t, "signet_test_").DSN
		return openN(t, n, "postgres.Open", func() (storage.Store, error) {
			return postgres.Open(t.Context(), dsn, postgres.Options{Now: now, MaxConns: 4})
		})
	}},
}

// OpenOne opens one fresh store of b.
func (b Backend) OpenOne(t *testing.T, now func() time.Time) storage.Store {
	return b.Open(t, now, 1)[0]
}

func openN(t *testing.T, n int, what string, open func() (storage.Store, error)) []storage.Store {
	t.Helper()
	out := make([]storage.Store, n)
	for i := range out {
		s, err := open()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out
}
