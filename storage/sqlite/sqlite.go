package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/signetid/signet/storage"
)

var (
	_ storage.Store       = (*Store)(nil)
	_ storage.WriteProber = (*Store)(nil)
)

// Memory, as Open's path, opens a private in-memory database: nothing touches
// the disk and everything is lost at Close. It is for tests.
const Memory = ":memory:"

// Defaults for Options.
const (
	DefaultBusyTimeout = 5 * time.Second
	DefaultReaders     = 4
)

// Options configures Open. The zero value is the production default:
// migrations applied, WAL with synchronous=NORMAL, a 5 s busy timeout.
type Options struct {
	// NoMigrate makes Open refuse a database whose schema is behind this
	// build (storage.ErrMigrationsPending) instead of migrating it
	// (`serve --no-migrate`).
	NoMigrate bool

	// BusyTimeout bounds how long a statement waits for a lock held by
	// another process on the same file; DefaultBusyTimeout if zero. Within
	// one process writes queue for the single write connection instead.
	BusyTimeout time.Duration

	// Readers is the size of the read-only connection pool;
	// DefaultReaders if zero.
	Readers int

	// FullSync syncs the WAL to disk at every commit (synchronous=FULL).
	// Without it (synchronous=NORMAL) a commit survives a crash or SIGKILL of
	// the process, but the last commits before a power loss or an OS crash
	// may be lost; for the jti replay cache that reopens, at worst, the
	// window of assertions that were still valid then.
	FullSync bool

	// ForMigration opens the database without applying or checking
	// migrations, for `signet migrate` and `signet migrate status`: only
	// Migrate, Status, Ping and Close may be used until Migrate succeeds.
	ForMigration bool

	// Now is the clock that decides whether a record has expired and stamps
	// applied migrations; time.Now if nil.
	Now func() time.Time

	// Logger receives a line per applied migration; nothing is logged if nil.
	Logger *slog.Logger

	// Monitor hears of every call that fails for the database being
	// unavailable, and of every write that commits; none if nil.
	Monitor storage.Monitor
}

// Store is a storage.Store in one SQLite database. It is safe for concurrent
// use.
type Store struct {
	path string  // absolute file path, or Memory
	w    *sql.DB // the single write connection
	r    *sql.DB // read-only connections; w itself for Memory
	now  func() time.Time
	log  *slog.Logger
	mon  storage.Monitor

	// st holds the prepared statements once the schema is up to date: from
	// Open, or from Migrate for a store opened ForMigration.
	st atomic.Pointer[stmts]

	closed atomic.Bool

	busy    time.Duration // the busy timeout
	batcher batcher       // commits concurrent grant writes together
}

// stmts are the statements of the hot paths, prepared once: SQLite
// compiles a statement at every call otherwise, which was about an eighth
// of the server's CPU in a code exchange (go run ./bench/load -endpoints
// authcode). Those on the writer run on its one connection; those on the
// read pool (getSession, getUser) are prepared on each connection as it is
// first used (database/sql keeps them per connection).
type stmts struct {
	useOnce       *sql.Stmt
	deleteExpired []*sql.Stmt
	// The sign-in's: a code created (insertGrant, or
	// insertGrantInSession while its session lasts) and redeemed
	// (consumeGrant, or consumeUserGrant with its user's state, then
	// readGrant for a code already consumed); the session and the user
	// as read where the sign-in needs them (a session not remembered, an
	// ID token with the user's claims).
	insertGrant, insertGrantInSession         *sql.Stmt
	consumeGrant, consumeUserGrant, readGrant *sql.Stmt
	getSession, getUser                       *sql.Stmt
}

func (p *stmts) close() error {
	if p == nil {
		return nil
	}
	var errs []error
	for _, st := range append([]*sql.Stmt{p.useOnce, p.insertGrant, p.insertGrantInSession, p.consumeGrant, p.consumeUserGrant, p.readGrant, p.getSession, p.getUser}, p.deleteExpired...) {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// Open opens the database file at path, creating it (0600) and its directory
// (0700) if they are missing, and applies pending migrations unless
// opts.NoMigrate. A database written by a newer build is refused with
// storage.ErrSchemaTooNew. path may be Memory.
//
// Permissions of an existing file or directory are left as they are.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite database: empty path")
	}
	s := &Store{path: path, now: opts.Now, log: opts.Logger, mon: opts.Monitor}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if path != Memory {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
		}
		if err := createFile(abs); err != nil {
			return nil, fmt.Errorf("open sqlite database: %w", err)
		}
		s.path = abs
	}
	if err := s.open(ctx, opts); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("open sqlite database %q: %w", s.path, err)
	}
	return s, nil
}

// createFile creates the database file with mode 0600, and its missing
// directories with 0700, before SQLite opens it. SQLite gives the -wal and
// -shm files it creates later the database file's mode.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func (s *Store) open(ctx context.Context, opts Options) error {
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	s.busy = busy
	memory := s.path == Memory

	w, err := sql.Open("sqlite", dsn(s.path, busy, false, opts.FullSync))
	if err != nil {
		return err
	}
	// One write connection, kept open forever: an in-memory database lives
	// only as long as its connection, and a file needs no more than one.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w

	if !memory {
		if err := setWAL(ctx, w, busy); err != nil {
			return err
		}
	}

	if !opts.ForMigration {
		if _, err := s.migrate(ctx, opts.NoMigrate); err != nil {
			return err
		}
	}

	if memory {
		s.r = w
	} else {
		readers := opts.Readers
		if readers <= 0 {
			readers = DefaultReaders
		}
		r, err := sql.Open("sqlite", dsn(s.path, busy, true, false))
		if err != nil {
			return err
		}
		r.SetMaxOpenConns(readers)
		r.SetMaxIdleConns(readers)
		s.r = r
	}

	if opts.ForMigration {
		return nil
	}
	return s.prepare(ctx)
}

// prepare prepares the statements of the hot paths on the writer.
func (s *Store) prepare(ctx context.Context) error {
	// Liveness is decided by ?4 (now), so that a row that expired but was not
	// cleaned up yet is replaced rather than blocking; the upsert makes the
	// check and the write one atomic statement. RowsAffected is 0 exactly when
	// a live row was there.
	p := new(stmts)
	var err error
	if p.useOnce, err = s.w.PrepareContext(ctx, `
		INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE client_assertion_jtis.expires_at <= ?4`); err != nil {
		p.close()
		return err
	}
	// Bounded: at most ?2 rows per statement, oldest first, so one call never
	// holds the write lock for long.
	for _, q := range deleteExpiredSQL {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			p.close()
			return err
		}
		p.deleteExpired = append(p.deleteExpired, st)
	}
	for _, q := range []struct {
		db   *sql.DB
		st   **sql.Stmt
		text string
	}{
		{s.w, &p.insertGrant, insertGrant},
		{s.w, &p.insertGrantInSession, insertGrantInSession},
		{s.w, &p.consumeGrant, consumeGrant},
		{s.w, &p.consumeUserGrant, consumeUserGrant},
		{s.w, &p.readGrant, readGrant},
		{s.r, &p.getSession, selectLiveSession},
		{s.r, &p.getUser, selectUserByID},
	} {
		if *q.st, err = q.db.PrepareContext(ctx, q.text); err != nil {
			p.close()
			return err
		}
	}
	if old := s.st.Swap(p); old != nil {
		old.close()
	}
	return nil
}

// deleteExpiredSQL removes at most ?2 expired rows of one kind each, in the
// order DeleteExpired runs them.
var deleteExpiredSQL = []string{
	`DELETE FROM client_assertion_jtis
		WHERE expires_at <= ?1 AND (client_id, jti) IN (
			SELECT client_id, jti FROM client_assertion_jtis
			WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`,
	`DELETE FROM grants
		WHERE expires_at <= ?1 AND key IN (
			SELECT key FROM grants
			WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`,
	`DELETE FROM sessions
		WHERE expires_at <= ?1 AND id IN (
			SELECT id FROM sessions
			WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`,
	`DELETE FROM signing_keys
		WHERE expires_at <= ?1 AND id IN (
			SELECT id FROM signing_keys
			WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`,
}

// setWAL switches the file to WAL mode, which then persists in the file.
// Switching needs an exclusive lock, and SQLite reports SQLITE_BUSY at once,
// without its busy handler, when another process opens the new file at the
// same moment; so it is retried here, within the busy timeout.
func setWAL(ctx context.Context, w *sql.DB, busy time.Duration) error {
	deadline := time.Now().Add(busy)
	for {
		var mode string
		err := w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("journal mode is %q, not wal (is the file on a network file system?)", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return fmt.Errorf("set WAL mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("set WAL mode: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// The writer's bounds on the WAL, so that a full disk is over once some
// space is freed, without a restart (TestFullFilesystemRecovers).
//
// A checkpoint copies the WAL into the database file, which must grow for
// new pages: on a full disk it fails, and the WAL, not reset, grows into
// whatever space is freed until the next checkpoint is due. With SQLite's
// default of 1000 pages (4 MB) the WAL took all of 1.5 MB freed, from
// 135 kB to 1.7 MB, without a checkpoint, and every write failed again.
// With walAutocheckpoint pages (0.5 MB) it took at most 0.56-0.66 MB
// (a batch of grants can pass the mark before its checkpoint).
//
// The cost is more checkpoints, each syncing the WAL and the database file
// (with synchronous=NORMAL the only syncs): per code created and consumed
// (BenchmarkGrants/File/CreateConsume, counted with strace over 20000)
// 0.027 fsyncs with 1000 pages, 0.10 with 256, 0.20 with 128, 0.26 with
// 100, 0.49 with 50. In time, on a shared 2-core VM (benchstat, 10 runs,
// ext4), 256 and 128 were both +14% geomean over the write benchmarks,
// within the noise (±20-50%); 100 was +21% and 50 +65%, significant. 256
// pages (1 MB of WAL) did not recover in the test: the WAL and the data
// written exhausted the 1.5 MB freed after 1700 rounds of writes.
//
// journalSizeLimit truncates a WAL that grew past twice its usual size
// (checkpoints failed on a full disk, or a long read held them back) when
// it restarts, giving the space back; at its usual size it is never
// truncated, which would cost a truncate and a regrowth per checkpoint.
const (
	walAutocheckpoint = 128 // pages
	journalSizeLimit  = 2 * walAutocheckpoint * 4096
)

// dsn builds the modernc.org/sqlite data source name. Every connection gets
// the busy timeout and foreign keys; the writer also sets the sync level,
// the WAL's bounds (walAutocheckpoint, journalSizeLimit; a connection's
// settings, and only the writer commits) and BEGIN IMMEDIATE for transactions (so a
// transaction takes the write lock at its start, under the busy timeout,
// rather than failing with SQLITE_BUSY when it first writes); readers are
// query_only.
func dsn(path string, busy time.Duration, readOnly, fullSync bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		if fullSync {
			q.Add("_pragma", "synchronous(FULL)")
		} else {
			q.Add("_pragma", "synchronous(NORMAL)")
		}
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walAutocheckpoint))
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", journalSizeLimit))
		q.Set("_txlock", "immediate")
	}
	if path == Memory {
		return Memory + "?" + q.Encode()
	}
	// A file: URI, so that '?' or '#' in a directory name is a character of
	// the path and not the start of the parameters.
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: C:/x becomes /C:/x, as SQLite's URIs want
	}
	p = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
	return "file:" + p + "?" + q.Encode()
}

// fail wraps err from the driver for op, as storage.ErrClosed if the store was
// closed meanwhile, else mapped to the storage sentinels; the Monitor hears
// of an ErrUnavailable, with the context of the call.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("sqlite: %s: %w", op, storage.ErrClosed)
	}
	err = fmt.Errorf("sqlite: %s: %w", op, mapErr(err))
	if s.mon != nil && errors.Is(err, storage.ErrUnavailable) {
		s.mon.Failed(ctx, err)
	}
	return err
}

// wrote tells the Monitor that a write committed.
func (s *Store) wrote(ctx context.Context) {
	if s.mon != nil {
		s.mon.Wrote(ctx)
	}
}

// UseOnce implements storage.ReplayCache.
func (s *Store) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	if err := storage.CheckUseOnce(clientID, jti, expires); err != nil {
		return err
	}
	if s.closed.Load() {
		return storage.ErrClosed
	}
	p, err := s.stmts()
	if err != nil {
		return err
	}
	res, err := p.useOnce.ExecContext(ctx, clientID, jti, expires.UnixMilli(), s.now().UnixMilli())
	if err != nil {
		return s.fail(ctx, "use jti", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.fail(ctx, "use jti", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: use jti: %w", storage.ErrAlreadyExists)
	}
	s.wrote(ctx)
	return nil
}

// DeleteExpired implements storage.Cleaner: it removes expired jtis, then
// grants, then sessions, then signing keys, each statement bounded by what is left of limit
// and committed on its own, so the write lock is never held for long.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	if err := storage.CheckLimit(limit); err != nil {
		return 0, err
	}
	if s.closed.Load() {
		return 0, storage.ErrClosed
	}
	p, err := s.stmts()
	if err != nil {
		return 0, err
	}
	total := 0
	for _, st := range p.deleteExpired {
		res, err := st.ExecContext(ctx, now.UnixMilli(), limit-total)
		if err != nil {
			return total, s.fail(ctx, "delete expired", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, s.fail(ctx, "delete expired", err)
		}
		total += int(n)
		if total >= limit {
			break
		}
	}
	if total > 0 {
		s.wrote(ctx)
	}
	return total, nil
}

// ProbeWrite implements storage.WriteProber: it updates the one row of
// health_probe, on the writer, as any write would.
func (s *Store) ProbeWrite(ctx context.Context) error {
	n, err := s.exec(ctx, "probe a write", `UPDATE health_probe SET probed_at = ?1 WHERE id = 1`, s.now().UnixMilli())
	if err == nil && n != 1 {
		// Nothing written, nothing heard by the Monitor: say why.
		return errors.New("sqlite: probe a write: health_probe has no row (migration 0013 inserts it): insert (1, 0) again")
	}
	return err
}

// Ping implements storage.Pinger: it reads the schema table through the read
// pool, so it fails if the file cannot be read.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		return s.fail(ctx, "ping", err)
	}
	return nil
}

// Close closes the database; with the last connection SQLite checkpoints the
// WAL into the file. It is safe to call more than once.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.closeDBs(); err != nil {
		return fmt.Errorf("sqlite: close %q: %w", s.path, err)
	}
	return nil
}

func (s *Store) closeDBs() error {
	errs := []error{s.st.Swap(nil).close()}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// errNotMigrated is returned by a store opened ForMigration before Migrate.
var errNotMigrated = errors.New("sqlite: the store was opened for migration and Migrate has not run")

// stmts returns the prepared statements, ErrClosed after Close.
func (s *Store) stmts() (*stmts, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	p := s.st.Load()
	if p == nil {
		if s.closed.Load() {
			return nil, storage.ErrClosed
		}
		return nil, errNotMigrated
	}
	return p, nil
}

// PoolStats returns the state of the writer's pool and of the readers'
// (one pool, "write", for Memory), for the metrics.
func (s *Store) PoolStats() []storage.PoolStats {
	out := []storage.PoolStats{dbStats("write", s.w)}
	if s.r != s.w {
		out = append(out, dbStats("read", s.r))
	}
	return out
}

func dbStats(name string, db *sql.DB) storage.PoolStats {
	st := db.Stats()
	return storage.PoolStats{Pool: name, InUse: st.InUse, Idle: st.Idle, Max: st.MaxOpenConnections,
		Waits: st.WaitCount, WaitTime: st.WaitDuration}
}
