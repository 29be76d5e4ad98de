package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// envPostgresDSN names the PostgreSQL server the tests that need one use;
// they are skipped without it (.ci/run sets it).
const envPostgresDSN = "SIGNET_TEST_POSTGRES_DSN"

// pgDB is one empty schema of the test database, dropped at cleanup, so
// that tests run in parallel without seeing each other. Its sessions carry
// the schema as application_name, so that a test can cut them
// (pgTerminate).
type pgDB struct {
	schema string
	dsn    string // with search_path and application_name
}

// newPGDB makes a schema, or skips the test when no server is configured.
func newPGDB(t testing.TB) pgDB {
	t.Helper()
	base := os.Getenv(envPostgresDSN)
	if base == "" {
		t.Skipf("%s is not set; skipping (e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", envPostgresDSN, envPostgresDSN)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "signet_cmd_" + hex.EncodeToString(b)
	pgExec(t, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { pgExec(t, "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(base, "postgres") {
		t.Fatalf("%s must be a postgres:// URL: %q", envPostgresDSN, base)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return pgDB{schema: schema, dsn: u.String()}
}

// pgExec runs one statement on the test database as its administrator.
func pgExec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv(envPostgresDSN))
	if err != nil {
		t.Fatalf("connect to %s: %v", envPostgresDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// terminate ends every server session of the schema, as a failover or an
// administrator would, and returns how many there were.
func (db pgDB) terminate(t testing.TB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv(envPostgresDSN))
	if err != nil {
		t.Fatalf("connect to %s: %v", envPostgresDSN, err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`, db.schema).Scan(&n); err != nil {
		t.Fatalf("terminate the sessions of %s: %v", db.schema, err)
	}
	return n
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
