package sqlite_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/sqlite"
	"github.com/signetid/signet/storage/storagetest"
)

func open(t testing.TB, path string, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// variant is a kind of store that the conformance tests and the benchmarks
// run on.
type variant struct {
	name string
	open func(tb testing.TB) storage.Store
}

var (
	inFile = variant{"File", func(tb testing.TB) storage.Store {
		return open(tb, filepath.Join(tb.TempDir(), "signet.db"), sqlite.Options{})
	}}
	inFileFullSync = variant{"FileFullSync", func(tb testing.TB) storage.Store {
		return open(tb, filepath.Join(tb.TempDir(), "signet.db"), sqlite.Options{FullSync: true})
	}}
	inMemory = variant{"Memory", func(tb testing.TB) storage.Store { return open(tb, sqlite.Memory, sqlite.Options{}) }}
)

// benchVariants runs bench, one of storagetest's benchmarks, on each of
// variants.
func benchVariants(b *testing.B, bench func(*testing.B, func(*testing.B) storage.Store), variants ...variant) {
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			bench(b, func(b *testing.B) storage.Store { return v.open(b) })
		})
	}
}

func TestConformance(t *testing.T) {
	for _, v := range []variant{inFile, inMemory} {
		t.Run(v.name, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T) storage.Store { return v.open(t) })
		})
	}
}

// TestShared runs two stores on one file, as two processes would.
func TestShared(t *testing.T) {
	storagetest.RunShared(t, func(t *testing.T) (storage.Store, storage.Store) {
		path := filepath.Join(t.TempDir(), "signet.db")
		return open(t, path, sqlite.Options{}), open(t, path, sqlite.Options{})
	})
}

// rawDB opens the file directly, for what the port does not show.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type migrationRow struct {
	version   int
	name      string
	appliedAt int64
}

func migrationRows(t *testing.T, path string) []migrationRow {
	t.Helper()
	rows, err := rawDB(t, path).QueryContext(t.Context(), "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ms []migrationRow
	for rows.Next() {
		var m migrationRow
		if err := rows.Scan(&m.version, &m.name, &m.appliedAt); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestPoolStats: a file has a write pool of one connection and a read
// pool; an in-memory database its one connection.
func TestPoolStats(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "signet.db"), sqlite.Options{Readers: 3})
	if _, err := s.GetClient(t.Context(), "none"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetClient: %v", err)
	}
	st := s.PoolStats()
	if len(st) != 2 || st[0].Pool != "write" || st[0].Max != 1 || st[1].Pool != "read" || st[1].Max != 3 ||
		st[0].InUse != 0 || st[1].InUse != 0 || st[1].Idle != 1 {
		t.Errorf("PoolStats = %+v; want write (max 1) and read (max 3, one idle after a read), none in use", st)
	}
	mem := open(t, sqlite.Memory, sqlite.Options{})
	if st := mem.PoolStats(); len(st) != 1 || st[0].Pool != "write" || st[0].Max != 1 {
		t.Errorf("PoolStats in memory = %+v; want the one write pool", st)
	}
}

func TestReopenKeepsUsedJTIs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	exp := time.Now().Add(time.Hour)
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UseOnce(t.Context(), "client", "jti", exp); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// After a "restart" the jti is still refused: the point of storing it.
	s = open(t, path, sqlite.Options{})
	if err := s.UseOnce(t.Context(), "client", "jti", exp); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("UseOnce after reopen = %v, want ErrAlreadyExists", err)
	}
	if err := s.UseOnce(t.Context(), "client", "jti-2", exp); err != nil {
		t.Fatalf("UseOnce of a new jti after reopen = %v", err)
	}
}

func TestMigrationsAppliedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	first := time.UnixMilli(1_700_000_000_000)
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{Now: func() time.Time { return first }})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := migrationRows(t, path)
	if len(before) == 0 || before[0].version != 1 || before[0].name != "0001_client_assertion_jtis" || before[0].appliedAt != first.UnixMilli() {
		t.Fatalf("schema_migrations after the first Open = %+v", before)
	}
	for i, m := range before {
		if m.version != i+1 {
			t.Errorf("schema_migrations row %d has version %d", i, m.version)
		}
	}

	// Reopening (migrations on, with another clock) applies nothing again.
	open(t, path, sqlite.Options{Now: func() time.Time { return first.Add(time.Hour) }}).Close()
	after := migrationRows(t, path)
	if len(after) != len(before) {
		t.Fatalf("schema_migrations has %d rows after reopen, want %d", len(after), len(before))
	}
	for i := range after {
		if after[i] != before[i] {
			t.Errorf("schema_migrations row %d changed on reopen: %+v, was %+v", i, after[i], before[i])
		}
	}
}

// TestConcurrentOpen starts several instances on one new file at once: exactly
// one applies each migration, and all of them open.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 4 {
		wg.Go(func() {
			s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
			if err != nil {
				failed.Add(1)
				t.Errorf("Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		return
	}
	rows := migrationRows(t, path)
	for i, m := range rows {
		if m.version != i+1 {
			t.Fatalf("schema_migrations = %+v, want each version once", rows)
		}
	}
}

func TestSchemaTooNewRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	open(t, path, sqlite.Options{}).Close()
	if _, err := rawDB(t, path).ExecContext(t.Context(),
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)"); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []sqlite.Options{{}, {NoMigrate: true}} {
		s, err := sqlite.Open(t.Context(), path, opts)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%+v) of a database from a newer build succeeded", opts)
		}
		if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade signet") {
			t.Errorf("Open(%+v) = %v, want ErrSchemaTooNew naming 9999 and saying to upgrade", opts, err)
		}
	}
}

func TestNoMigrate(t *testing.T) {
	t.Run("NewFileRefused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "signet.db")
		s, err := sqlite.Open(t.Context(), path, sqlite.Options{NoMigrate: true})
		if err == nil {
			s.Close()
			t.Fatal("Open with NoMigrate of a new database succeeded")
		}
		if !errors.Is(err, storage.ErrMigrationsPending) || !strings.Contains(err.Error(), "0001_client_assertion_jtis") {
			t.Errorf("Open = %v, want ErrMigrationsPending naming the pending migration", err)
		}
	})
	t.Run("UpToDateOpens", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "signet.db")
		open(t, path, sqlite.Options{}).Close()
		s := open(t, path, sqlite.Options{NoMigrate: true})
		if err := s.UseOnce(t.Context(), "client", "jti", time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions on Windows")
	}
	dir := filepath.Join(t.TempDir(), "data", "signet")
	path := filepath.Join(dir, "signet.db")
	s := open(t, path, sqlite.Options{})
	if err := s.UseOnce(t.Context(), "client", "jti", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		filepath.Dir(dir): 0o700 | os.ModeDir,
		dir:               0o700 | os.ModeDir,
		path:              0o600,
		path + "-wal":     0o600,
		path + "-shm":     0o600,
	}
	for p, mode := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("stat: %v", err)
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), mode)
		}
	}
}

func TestPathWithURICharacters(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("'?' is not allowed in Windows file names")
	}
	dir := filepath.Join(t.TempDir(), "odd ?#% dir")
	path := filepath.Join(dir, "signet.db")
	s := open(t, path, sqlite.Options{})
	if err := s.UseOnce(t.Context(), "client", "jti", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not created at the literal path: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("stray files beside the data directory: %v", entries)
	}
}

func TestClock(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	s := open(t, sqlite.Memory, sqlite.Options{Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	exp := time.UnixMilli(now.Load()).Add(time.Minute)
	if err := s.UseOnce(t.Context(), "client", "jti", exp); err != nil {
		t.Fatal(err)
	}
	now.Add(time.Minute.Milliseconds() - 1)
	if err := s.UseOnce(t.Context(), "client", "jti", exp); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("a millisecond before expiry: %v, want ErrAlreadyExists", err)
	}
	now.Add(1)
	if err := s.UseOnce(t.Context(), "client", "jti", exp.Add(time.Minute)); err != nil {
		t.Fatalf("at expiry: %v, want nil", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := sqlite.Open(t.Context(), "", sqlite.Options{}); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	dir := t.TempDir()
	if _, err := sqlite.Open(t.Context(), dir, sqlite.Options{}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open(a directory) = %v, want an error naming it", err)
	}
	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(t.Context(), notDB, sqlite.Options{}); err == nil || !strings.Contains(err.Error(), "not.db") {
		t.Errorf("Open(a text file) = %v, want an error naming it", err)
	}
}

func BenchmarkUseOnce(b *testing.B) {
	benchVariants(b, storagetest.BenchmarkUseOnce, inFile, inFileFullSync, inMemory)
}

func BenchmarkGrants(b *testing.B) {
	benchVariants(b, storagetest.BenchmarkGrants, inFile, inMemory)
}

// BenchmarkSignInReads measures the reads of a code exchange besides its
// grant: the session at the authorization, the user at the token request.
func BenchmarkSignInReads(b *testing.B) {
	for _, v := range []variant{inFile, inMemory} {
		b.Run(v.name, func(b *testing.B) {
			s := v.open(b)
			ctx := b.Context()
			now := time.Now()
			if err := s.CreateUser(ctx, storage.User{ID: "u1", Username: "alice", PasswordHash: "x", Created: now}); err != nil {
				b.Fatal(err)
			}
			sess := storage.Session{ID: "sid", Subject: "u1", AuthTime: now, AMR: []string{"pwd"}, Clients: []string{"web"}, Created: now, Expires: now.Add(time.Hour)}
			if err := s.CreateSession(ctx, sess); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.GetSession(ctx, "sid", now); err != nil {
					b.Fatal(err)
				}
				if _, err := s.GetUser(ctx, "u1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
