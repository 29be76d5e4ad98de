package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable with the DSN of a PostgreSQL
// database the tests may create schemas in, e.g. ExampleDSN.
const EnvDSN = "SIGNET_TEST_POSTGRES_DSN"

// ExampleDSN is what CI sets EnvDSN to.
const ExampleDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseDSN returns the test database's DSN, or skips t.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skipf("%s is not set; skipping the PostgreSQL tests (e.g. %s=%s)", EnvDSN, EnvDSN, ExampleDSN)
	}
	return dsn
}

// DB is one empty schema of the test database, so that tests run in
// parallel without seeing each other.
type DB struct {
	Schema string
	// DSN uses the schema: its search_path, and its application_name, so
	// that a test can cut the sessions of its stores (Terminate).
	DSN string
}

// New makes a schema named prefix and random hex, dropped at cleanup, or
// skips t.
func New(t testing.TB, prefix string) DB {
	t.Helper()
	base := BaseDSN(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
	if err := exec(base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := exec(base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return DB{Schema: schema, DSN: WithParams(t, base, map[string]string{"search_path": schema, "application_name": schema})}
}

// exec runs one statement on a connection of its own, for 15 seconds at
// most: a test's context may be done by then (at cleanup).
func exec(dsn, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// WithParams adds connection parameters to a URL or key=value DSN.
func WithParams(t testing.TB, dsn string, params map[string]string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse %s: %v", EnvDSN, err)
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range params {
		dsn += " " + k + "=" + v
	}
	return dsn
}

// Admin connects to the test database outside any store, for setting up and
// for what a store does not show; the connection is closed at cleanup.
func Admin(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), BaseDSN(t))
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvDSN, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Terminate ends the server sessions whose application_name starts with
// prefix (a DB's Schema: its stores' sessions), as an administrator or a
// failover would, and returns how many there were.
func Terminate(t testing.TB, prefix string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, BaseDSN(t))
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name LIKE $1 || '%' AND pid <> pg_backend_pid()`, prefix).Scan(&n); err != nil {
		t.Fatalf("terminate the sessions of %s: %v", prefix, err)
	}
	return n
}
