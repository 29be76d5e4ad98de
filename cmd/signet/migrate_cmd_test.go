package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to look at the schema
)

// signet migrate and signet migrate status against SQLite and, when
// SIGNET_TEST_POSTGRES_DSN is set, PostgreSQL: run in process, with the
// database looked at directly.

// migrateDB is one empty database and a configuration file naming it.
type migrateDB struct {
	config string
	db     *sql.DB // the same database, in the same schema
	// tablesSQL lists the tables of the database (postgres: of the schema).
	tablesSQL string
}

// migrateBackends are the databases the tests run against; newDB makes an
// empty one in c's directory.
var migrateBackends = []struct {
	name  string
	newDB func(t *testing.T, c *cli) migrateDB
}{
	{"sqlite", func(t *testing.T, c *cli) migrateDB {
		// An empty file: a database without tables.
		path := c.write("signet.db", "")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return migrateDB{
			config:    c.write("signet.yaml", "storage:\n  driver: sqlite\n  dsn: signet.db\n"),
			db:        db,
			tablesSQL: `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`,
		}
	}},
	{"postgres", func(t *testing.T, c *cli) migrateDB {
		pg := newPGDB(t)
		db, err := sql.Open("pgx", pg.dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return migrateDB{
			config:    c.write("signet.yaml", fmt.Sprintf("storage:\n  driver: postgres\n  dsn: '%s'\n", pg.dsn)),
			db:        db,
			tablesSQL: `SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
		}
	}},
}

func (m migrateDB) strings(t *testing.T, query string) []string {
	t.Helper()
	rows, err := m.db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (m migrateDB) tables(t *testing.T) []string { return m.strings(t, m.tablesSQL) }

// recorded lists schema_migrations: "version name" per row.
func (m migrateDB) recorded(t *testing.T) []string {
	return m.strings(t, `SELECT CAST(version AS TEXT) || ' ' || name FROM schema_migrations ORDER BY version`)
}

// statusJSON is what signet migrate status --json prints.
type statusJSON struct {
	Driver     string
	Database   string
	UpToDate   bool
	Missing    bool
	Migrations []struct {
		Version int
		Name    string
		State   string
		Applied time.Time
	}
	Pending []string
	Unknown []string
}

// migrateJSON is what signet migrate --json prints.
type migrateJSON struct {
	Applied    []string
	Migrations int
}

func decode[T any](t *testing.T, stdout string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	return v
}

// runWant runs a command line that must end with the exit code want.
func runWant(t *testing.T, c *cli, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := c.run(args...)
	if code != want {
		t.Fatalf("signet %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// TestMigrateCommands: status on an empty database lists every migration
// pending (exit 1) and creates nothing; migrate applies them, then has
// nothing to do; status is then 0. A migration recorded by a newer build is
// listed as unknown (exit 1), and migrate refuses it, changing nothing.
func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	for _, b := range migrateBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			m := b.newDB(t, c)

			stdout, stderr := runWant(t, c, exitError, "migrate", "status", "--config", m.config)
			contains(t, "status stdout", stdout, "Database: "+b.name, "VERSION  NAME", "0001_client_assertion_jtis  pending")
			contains(t, "status stderr", stderr, "pending (0001_client_assertion_jtis", "run signet migrate")
			stdout, _ = runWant(t, c, exitError, "migrate", "status", "--config", m.config, "--json")
			st := decode[statusJSON](t, stdout)
			if st.UpToDate || st.Missing || st.Driver != b.name || len(st.Pending) < 2 || len(st.Pending) != len(st.Migrations) || len(st.Unknown) != 0 {
				t.Fatalf("status --json on an empty database: %+v", st)
			}
			known := st.Pending
			if got := m.tables(t); len(got) != 0 {
				t.Fatalf("status created tables: %q", got)
			}

			stdout, _ = runWant(t, c, exitOK, "migrate", "--config", m.config)
			for _, name := range known {
				contains(t, "migrate stdout", stdout, "Applied "+name+"\n")
			}
			contains(t, "migrate stdout", stdout, fmt.Sprintf("The schema is up to date (%d migrations).\n", len(known)))
			if got := m.recorded(t); len(got) != len(known) {
				t.Fatalf("schema_migrations holds %q; want %q", got, known)
			}
			stdout, _ = runWant(t, c, exitOK, "migrate", "--config", m.config)
			contains(t, "migrate again", stdout, "up to date", "nothing to apply")
			if mj := decode[migrateJSON](t, runStdout(t, c, exitOK, "migrate", "--config", m.config, "--json")); mj.Applied == nil || len(mj.Applied) != 0 || mj.Migrations != len(known) {
				t.Fatalf("migrate --json when up to date: %+v", mj)
			}

			stdout, stderr = runWant(t, c, exitOK, "migrate", "status", "--config", m.config)
			contains(t, "status stdout", stdout, "The schema is up to date")
			if strings.Contains(stdout, "pending") || stderr != "" {
				t.Fatalf("status after migrate:\n%s\nstderr: %s", stdout, stderr)
			}
			st = decode[statusJSON](t, runStdout(t, c, exitOK, "migrate", "status", "--config", m.config, "--json"))
			for _, mg := range st.Migrations {
				if mg.State != "applied" || time.Since(mg.Applied) > time.Hour {
					t.Errorf("after migrate: %+v", mg)
				}
			}

			// A newer Signet applied migration 99.
			if _, err := m.db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_from_the_future', 1767225600000)`); err != nil {
				t.Fatal(err)
			}
			before := m.recorded(t)
			stdout, stderr = runWant(t, c, exitError, "migrate", "status", "--config", m.config)
			if !regexp.MustCompile(`(?m)^99 +0099_from_the_future +2026-01-01 00:00:00 UTC, unknown \(written by a newer Signet\)$`).MatchString(stdout) {
				t.Errorf("status does not list migration 99 as unknown:\n%s", stdout)
			}
			contains(t, "status stderr", stderr, "written by a newer Signet", "0099_from_the_future", "upgrade signet")
			st = decode[statusJSON](t, runStdout(t, c, exitError, "migrate", "status", "--config", m.config, "--json"))
			if st.UpToDate || !slices.Equal(st.Unknown, []string{"0099_from_the_future"}) || len(st.Pending) != 0 || st.Migrations[len(st.Migrations)-1].State != "unknown" {
				t.Fatalf("status --json with an unknown migration: %+v", st)
			}
			stdout, stderr = runWant(t, c, exitError, "migrate", "--config", m.config)
			contains(t, "migrate stderr", stderr, "written by a newer Signet", "0099_from_the_future", "Nothing was changed", "upgrade signet")
			if stdout != "" {
				t.Errorf("migrate refused but printed %q", stdout)
			}
			if after := m.recorded(t); !slices.Equal(after, before) {
				t.Errorf("migrate changed schema_migrations: %q, was %q", after, before)
			}
		})
	}
}

func runStdout(t *testing.T, c *cli, want int, args ...string) string {
	t.Helper()
	stdout, _ := runWant(t, c, want, args...)
	return stdout
}

// TestMigrateConcurrently: four signet migrate at once on one empty
// database all succeed, and each migration is applied by exactly one.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	for _, b := range migrateBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			m := b.newDB(t, c)
			const n = 4
			type result struct {
				code           int
				stdout, stderr string
			}
			results := make([]result, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					r := &results[i]
					r.code, r.stdout, r.stderr = c.run("migrate", "--config", m.config, "--json")
				})
			}
			wg.Wait()
			applied := map[string]int{}
			for i, r := range results {
				if r.code != exitOK {
					t.Fatalf("migrate %d: exit %d\nstdout:\n%s\nstderr:\n%s", i, r.code, r.stdout, r.stderr)
				}
				for _, name := range decode[migrateJSON](t, r.stdout).Applied {
					applied[name]++
				}
			}
			recorded := m.recorded(t)
			if len(recorded) < 2 || len(applied) != len(recorded) {
				t.Fatalf("applied %v; schema_migrations holds %q", applied, recorded)
			}
			for i, row := range recorded {
				version, name, _ := strings.Cut(row, " ")
				if version != fmt.Sprint(i+1) || applied[name] != 1 {
					t.Errorf("%s: applied %d times (want once); schema_migrations %q", name, applied[name], recorded)
				}
			}
			runWant(t, c, exitOK, "migrate", "status", "--config", m.config)
		})
	}
}

// TestServeNoMigrateRefusesPendingMigrations: serve --no-migrate on an
// empty database does not start, and says to run signet migrate; after it,
// it starts.
func TestServeNoMigrateRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	for _, b := range migrateBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t)
			m := b.newDB(t, c)
			h := newHost(t)
			storage, err := os.ReadFile(m.config)
			if err != nil {
				t.Fatal(err)
			}
			extra := strings.Replace(string(storage), "dsn: signet.db", "dsn: "+c.path("signet.db"), 1)
			cfg := h.config(fileKey(t, "rsa-openssl3.pfx"), extra)
			// The configuration's client secret comes from $APP_SECRET, which
			// migrate, needing the storage section only, does without.

			err = serveNoMigrate(t, h, cfg)
			if err == nil {
				t.Fatal("serve --no-migrate started on an empty database")
			}
			contains(t, "the refusal", err.Error(), "run signet migrate", "0001_client_assertion_jtis")
			if got := m.tables(t); len(got) != 0 {
				t.Fatalf("serve --no-migrate created tables: %q", got)
			}
			runWant(t, c, exitOK, "migrate", "--config", cfg)
			if err := serveNoMigrate(t, h, cfg); err != nil {
				t.Fatalf("serve --no-migrate after signet migrate: %v", err)
			}
		})
	}
}

// serveNoMigrate runs signet serve --no-migrate in process: the error that
// stopped it, or nil once it listened (then it is stopped).
func serveNoMigrate(t *testing.T, h *host, cfg string) error {
	t.Helper()
	logs := &syncBuffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		done <- h.app(logs).serve(ctx, &serveCmd{config: cfg, listen: "127.0.0.1:0", noMigrate: true, ready: ready})
	}()
	select {
	case <-ready:
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v after a cancellation", err)
		}
		return nil
	case err := <-done:
		if err == nil {
			err = errors.New("serve returned nil before listening")
		}
		t.Logf("serve --no-migrate: %v\nlog:\n%s", err, logs)
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("signet serve neither listened nor failed within 30 s; log:\n%s", logs)
		return nil
	}
}
