package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/signetid/signet/storage/postgres/postgrestest"
)

// envPostgresDSN names the PostgreSQL server the tests that need one use;
// they are skipped without it (.ci/run sets it).
const envPostgresDSN = postgrestest.EnvDSN

// pgDB is one empty schema of the test database, dropped at cleanup, so
// that tests run in parallel without seeing each other. Its sessions carry
// the schema as application_name, so that a test can cut them
// (terminate).
type pgDB struct {
	schema string
	dsn    string // with search_path and application_name
}

// newPGDB makes a schema, or skips the test when no server is configured.
func newPGDB(t testing.TB) pgDB {
	t.Helper()
	db := postgrestest.New(t, "signet_cmd_")
	if !strings.HasPrefix(db.DSN, "postgres") {
		t.Fatalf("%s must be a postgres:// URL: %q", envPostgresDSN, db.DSN)
	}
	return pgDB{schema: db.Schema, dsn: db.DSN}
}

// terminate ends every server session of the schema, as a failover or an
// administrator would, and returns how many there were.
func (db pgDB) terminate(t testing.TB) int {
	t.Helper()
	return postgrestest.Terminate(t, db.schema)
}

var (
	builtOnce sync.Once
	builtPath string
	builtErr  error
	builtOut  []byte
)

// builtBinary builds cmd/signet once for the tests that run the real
// binary, and returns its path.
func builtBinary(t testing.TB) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "signet-bin-")
		if err != nil {
			builtErr = err
			return
		}
		builtPath = filepath.Join(dir, "signet")
		builtOut, builtErr = exec.Command("go", "build", "-o", builtPath, ".").CombinedOutput()
	})
	if builtErr != nil {
		t.Fatalf("go build: %v\n%s", builtErr, builtOut)
	}
	return builtPath
}
