package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/postgres/postgrestest"
	"github.com/signetid/signet/storage/storagetest"
)

func TestConformance(t *testing.T) {
	postgrestest.BaseDSN(t)
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return open(t, newDB(t).dsn, postgres.Options{})
	})
}

// TestShared runs two stores, with pools of their own, on one schema, as two
// instances would.
func TestShared(t *testing.T) {
	postgrestest.BaseDSN(t)
	storagetest.RunShared(t, func(t *testing.T) (storage.Store, storage.Store) {
		db := newDB(t)
		return open(t, db.dsn, postgres.Options{}), open(t, db.dsn, postgres.Options{})
	})
}

type migrationRow struct {
	version   int
	name      string
	appliedAt int64
}

func migrationRows(t *testing.T, db testDB) []migrationRow {
	t.Helper()
	rows, err := admin(t).Query(t.Context(),
		"SELECT version, name, applied_at FROM "+db.schema+".schema_migrations ORDER BY version")
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

// countingHandler counts the "applied storage migration" lines.
type countingHandler struct {
	slog.Handler
	applied *atomic.Int32
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "applied storage migration" {
		h.applied.Add(1)
	}
	return nil
}

// TestConcurrentOpen starts four instances at once on one empty schema:
// exactly one applies each migration, the others wait for it and open.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	var applied atomic.Int32
	logger := slog.New(countingHandler{slog.DiscardHandler, &applied})
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			<-start
			s, err := postgres.Open(t.Context(), db.dsn, postgres.Options{Logger: logger})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			if err := s.UseOnce(t.Context(), "client", "jti", time.Now().Add(time.Minute)); err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
				t.Errorf("UseOnce: %v", err)
			}
			s.Close()
		})
	}
	close(start)
	wg.Wait()
	rows := migrationRows(t, db)
	if len(rows) < 2 {
		t.Fatalf("schema_migrations = %+v, want every migration", rows)
	}
	for i, m := range rows {
		if m.version != i+1 {
			t.Fatalf("schema_migrations = %+v, want each version once", rows)
		}
	}
	if int(applied.Load()) != len(rows) {
		t.Errorf("%d migrations applied by 4 instances, want %d (each once)", applied.Load(), len(rows))
	}
}

func TestMigrationsAppliedOnce(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	first := time.UnixMilli(1_700_000_000_000)
	open(t, db.dsn, postgres.Options{Now: func() time.Time { return first }}).Close()
	before := migrationRows(t, db)
	if len(before) < 2 || before[0].name != "0001_client_assertion_jtis" || before[1].name != "0002_records" || before[0].appliedAt != first.UnixMilli() {
		t.Fatalf("schema_migrations after the first Open = %+v", before)
	}
	open(t, db.dsn, postgres.Options{Now: func() time.Time { return first.Add(time.Hour) }}).Close()
	after := migrationRows(t, db)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("schema_migrations changed on reopen: %+v, was %+v", after, before)
	}
}

func TestNoMigrate(t *testing.T) {
	t.Parallel()
	t.Run("NewSchemaRefused", func(t *testing.T) {
		t.Parallel()
		db := newDB(t)
		s, err := postgres.Open(t.Context(), db.dsn, postgres.Options{NoMigrate: true})
		if err == nil {
			s.Close()
			t.Fatal("Open with NoMigrate of an empty schema succeeded")
		}
		if !errors.Is(err, storage.ErrMigrationsPending) || !strings.Contains(err.Error(), "0001_client_assertion_jtis") {
			t.Errorf("Open = %v, want ErrMigrationsPending naming the pending migration", err)
		}
		// It created nothing.
		if rows := countTables(t, db); rows != 0 {
			t.Errorf("NoMigrate left %d tables in the schema", rows)
		}
	})
	t.Run("UpToDateOpens", func(t *testing.T) {
		t.Parallel()
		db := newDB(t)
		open(t, db.dsn, postgres.Options{}).Close()
		s := open(t, db.dsn, postgres.Options{NoMigrate: true})
		if err := s.UseOnce(t.Context(), "client", "jti", time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
}

func countTables(t *testing.T, db testDB) int {
	var n int
	if err := admin(t).QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = $1", db.schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSchemaTooNewRefused(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	open(t, db.dsn, postgres.Options{}).Close()
	if _, err := admin(t).Exec(t.Context(), "INSERT INTO "+db.schema+
		".schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 0)"); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []postgres.Options{{}, {NoMigrate: true}} {
		s, err := postgres.Open(t.Context(), db.dsn, opts)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%+v) of a database from a newer build succeeded", opts)
		}
		if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade signet") {
			t.Errorf("Open(%+v) = %v, want ErrSchemaTooNew naming 9999 and saying to upgrade", opts, err)
		}
	}
	// Status shows it, for `signet migrate status`.
	s := open(t, db.dsn, postgres.Options{ForMigration: true})
	st, err := s.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if last := st[len(st)-1]; last.Version != 9999 || !last.Unknown || last.Name != "9999_from_the_future" {
		t.Errorf("Status ends with %+v, want the unknown migration 9999", last)
	}
}

func TestMigrateAndStatus(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	at := time.UnixMilli(1_800_000_000_000).UTC()
	s := open(t, db.dsn, postgres.Options{ForMigration: true, Now: func() time.Time { return at }})
	st, err := s.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(st) < 2 || st[0].Name != "0001_client_assertion_jtis" || !st[0].Applied.IsZero() || !st[1].Applied.IsZero() {
		t.Fatalf("Status of an empty schema = %+v, want every migration pending", st)
	}
	applied, err := s.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(st) || applied[0] != "0001_client_assertion_jtis" {
		t.Errorf("Migrate applied %v, want all of %d", applied, len(st))
	}
	st, err = s.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if !m.Applied.Equal(at) || m.Unknown {
			t.Errorf("after Migrate: %+v, want applied at %v", m, at)
		}
	}
	if applied, err := s.Migrate(t.Context()); err != nil || len(applied) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	if err := s.UseOnce(t.Context(), "client", "jti", time.Now().Add(time.Minute)); err != nil {
		t.Errorf("UseOnce after Migrate: %v", err)
	}
}

// TestPoolExhaustion runs 256 concurrent calls, each needing the database,
// against a pool of 4: they queue for connections and all complete. No
// method holds one connection while it waits for another, so this cannot
// deadlock (a peer token service stalled at 64 requests on a pool of 32).
func TestPoolExhaustion(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	s := open(t, db.dsn, postgres.Options{MaxConns: 4})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	now := time.Now()
	if err := s.CreateClient(ctx, storage.Client{ID: "client", Name: "Client"}); err != nil {
		t.Fatal(err)
	}
	const n = 256
	for i := range n / 4 {
		if err := s.CreateGrant(ctx, storage.PersistedGrant{Key: fmt.Sprintf("code-%d", i), Type: storage.GrantAuthorizationCode,
			ClientID: "client", Created: now, Expires: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	var wins, consumed atomic.Int32
	errs := make(chan error, n)
	release := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-release
			var err error
			switch i % 4 {
			case 0:
				err = s.UseOnce(ctx, "client", fmt.Sprintf("jti-%d", i), now.Add(time.Minute))
			case 1:
				// Every fourth code is raced by two callers: one wins.
				_, err = s.ConsumeGrant(ctx, fmt.Sprintf("code-%d", i/8), now)
				if errors.Is(err, storage.ErrConsumed) {
					consumed.Add(1)
					err = nil
				} else if err == nil {
					wins.Add(1)
				}
			case 2:
				// A transaction: holds its connection while update runs.
				err = s.UpdateClient(ctx, "client", func(c *storage.Client) error {
					c.Scopes = append(c.Scopes, fmt.Sprintf("scope-%d", i))
					return nil
				})
			case 3:
				_, err = s.GetClient(ctx, "client")
			}
			if err != nil {
				errs <- fmt.Errorf("call %d: %w", i, err)
			}
		})
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if wins.Load()+consumed.Load() != n/4 || wins.Load() != n/8 {
		t.Errorf("ConsumeGrant: %d won, %d found it consumed; want %d and %d", wins.Load(), consumed.Load(), n/8, n/8)
	}
	c, err := s.GetClient(ctx, "client")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Scopes) != n/4 {
		t.Errorf("client has %d scopes after %d concurrent updates, want every one", len(c.Scopes), n/4)
	}
	t.Logf("%d calls on a pool of 4 in %v", n, time.Since(start).Round(time.Millisecond))
	// The metrics' view of it: 256 callers on 4 connections waited.
	if st := s.PoolStats(); len(st) != 1 || st[0].Pool != "main" || st[0].Max != 4 || st[0].InUse != 0 || st[0].Waits == 0 || st[0].WaitTime <= 0 {
		t.Errorf("PoolStats = %+v; want the main pool, max 4, none in use, some waits", st)
	}
}

// TestStatementTimeout holds a row lock from another session: a call that
// needs the row is cancelled by the server's statement timeout and fails with
// ErrUnavailable soon, not when the lock goes away.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	const timeout = 200 * time.Millisecond
	s := open(t, db.dsn, postgres.Options{StatementTimeout: timeout})
	ctx := t.Context()
	now := time.Now()
	if err := s.CreateClient(ctx, storage.Client{ID: "client"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGrant(ctx, storage.PersistedGrant{Key: "code", Type: storage.GrantAuthorizationCode, ClientID: "client",
		Created: now, Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}

	locker := admin(t)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SELECT 1 FROM "+db.schema+".clients WHERE id = 'client' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM "+db.schema+".grants WHERE key = 'code' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}

	calls := []struct {
		name string
		call func() error
	}{
		{"UpdateClient", func() error {
			return s.UpdateClient(ctx, "client", func(c *storage.Client) error { c.Name = "x"; return nil })
		}},
		{"ConsumeGrant", func() error { _, err := s.ConsumeGrant(ctx, "code", now); return err }},
		{"DeleteClient", func() error { return s.DeleteClient(ctx, "client") }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.call()
		took := time.Since(start)
		if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), "57014") {
			t.Errorf("%s on a locked row = %v, want ErrUnavailable from the statement timeout (57014)", c.name, err)
		}
		if took > timeout+2*time.Second {
			t.Errorf("%s took %v, want about the statement timeout of %v", c.name, took, timeout)
		}
	}
	// Reads are not blocked by the lock.
	if _, err := s.GetClient(ctx, "client"); err != nil {
		t.Errorf("GetClient of a locked row: %v", err)
	}
	tx.Rollback(ctx)
	if _, err := s.ConsumeGrant(ctx, "code", now); err != nil {
		t.Errorf("ConsumeGrant after the lock went: %v", err)
	}
}

// TestTerminatedConnections ends the store's server sessions, as a restart
// or failover would: calls then either succeed (the pool noticed) or fail
// with ErrUnavailable, at once, and succeed again by themselves.
func TestTerminatedConnections(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	s := open(t, db.dsn, postgres.Options{MaxConns: 4})
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	// Warm the pool: four connections in use at once.
	useMany(t, s, "warm", 16)

	if n := postgrestest.Terminate(t, db.schema); n == 0 {
		t.Fatal("no session to terminate")
	}
	var unavailable int
	for i := range 8 {
		start := time.Now()
		err := s.UseOnce(ctx, "client", fmt.Sprintf("after-%d", i), exp)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("UseOnce after the sessions were terminated took %v", took)
		}
		switch {
		case errors.Is(err, storage.ErrUnavailable):
			unavailable++
		case err != nil:
			t.Errorf("UseOnce after the sessions were terminated = %v, want nil or ErrUnavailable", err)
		}
	}
	t.Logf("%d of 8 calls right after termination failed with ErrUnavailable", unavailable)
	// And then it works again, with nothing done.
	waitFor(t, 10*time.Second, func() error { return s.Ping(ctx) })
	useMany(t, s, "recovered", 16)
}

func useMany(t *testing.T, s *postgres.Store, prefix string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := s.UseOnce(t.Context(), "client", fmt.Sprintf("%s-%d", prefix, i), time.Now().Add(time.Hour)); err != nil {
				t.Errorf("UseOnce: %v", err)
			}
		})
	}
	wg.Wait()
}

// waitFor calls f until it returns nil, failing the test after d.
func waitFor(t *testing.T, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// viaProxy points a DSN at addr instead of the server.
func viaProxy(t *testing.T, dsn, addr string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Host = addr
		return u.String()
	}
	return dsn + " host=" + host + " port=" + port
}

// TestDatabaseLost takes the database away (every connection cut, new ones
// refused) and brings it back: meanwhile every call fails with
// ErrUnavailable within a bounded time, and afterwards calls succeed with
// nothing done. Then the network hangs instead (connections accepted, never
// answered): the request timeout bounds the calls.
func TestDatabaseLost(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	p := newProxy(t, hostPort(t, db.dsn))
	const requestTimeout = 1500 * time.Millisecond
	s := open(t, viaProxy(t, db.dsn, p.addr), postgres.Options{
		MaxConns: 4, ConnectTimeout: time.Second, RequestTimeout: requestTimeout,
	})
	ctx := t.Context()
	useMany(t, s, "before", 8)
	now := time.Now()

	calls := map[string]func() error{
		"UseOnce": func() error {
			return s.UseOnce(ctx, "client", fmt.Sprint("lost-", time.Now().UnixNano()), now.Add(time.Hour))
		},
		"Ping":     func() error { return s.Ping(ctx) },
		"GetGrant": func() error { _, err := s.GetGrant(ctx, "missing", now); return err },
		"UpdateClient": func() error {
			return s.UpdateClient(ctx, "missing", func(*storage.Client) error { return nil })
		},
		"ConfigVersion": func() error { _, err := s.ConfigVersion(ctx); return err },
	}
	check := func(phase string) {
		t.Helper()
		for name, call := range calls {
			start := time.Now()
			err := call()
			took := time.Since(start)
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("%s: %s = %v, want ErrUnavailable", phase, name, err)
			}
			if took > requestTimeout+time.Second {
				t.Errorf("%s: %s took %v, want at most about the request timeout %v", phase, name, took, requestTimeout)
			}
		}
	}

	p.down()
	check("database down")
	p.up()
	waitFor(t, 10*time.Second, func() error { return s.Ping(ctx) })
	useMany(t, s, "after-down", 8)

	p.setHang(true)
	p.down()
	p.up()
	check("network hangs")
	p.setHang(false)
	p.down()
	p.up()
	waitFor(t, 10*time.Second, func() error { return s.Ping(ctx) })
	useMany(t, s, "after-hang", 8)
}

// TestOpenUnreachable: Open gives up within the connect timeout, with an
// error that wraps ErrUnavailable and names the server but not the password.
// It needs no database.
func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()
	// A listener that accepts and never answers: the connect timeout.
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Close() })
	go func() {
		var conns []net.Conn
		for {
			c, err := hung.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	for name, addr := range map[string]string{"Refused": closedAddr, "Hangs": hung.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dsn := "postgres://signet:hunter2secret@" + addr + "/signetdb?sslmode=disable"
			start := time.Now()
			s, err := postgres.Open(t.Context(), dsn, postgres.Options{ConnectTimeout: 500 * time.Millisecond})
			took := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("Open = %v, want ErrUnavailable", err)
			}
			if msg := err.Error(); !strings.Contains(msg, addr) || !strings.Contains(msg, "signetdb") || strings.Contains(msg, "hunter2") {
				t.Errorf("Open = %q, want the address and database named and the password not", msg)
			}
			if took > 3*time.Second {
				t.Errorf("Open took %v with a connect timeout of 500ms", took)
			}
		})
	}
	if _, err := postgres.Open(t.Context(), "postgres://x:y@[bad", postgres.Options{}); err == nil {
		t.Error("Open of a malformed dsn succeeded")
	}
}

// TestWatchConfig: a change made through one store reaches a watcher of
// another within moments, also after the listening connection was killed;
// other writes send nothing (a connection of the test's own, listening on the
// same channel, sees what came before a marker write).
func TestWatchConfig(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	a := open(t, db.dsn, postgres.Options{})
	b := open(t, db.dsn, postgres.Options{})
	raw := listenRaw(t, db)
	ctx := t.Context()

	wctx, cancel := context.WithCancel(ctx)
	ch, err := a.WatchConfig(wctx)
	if err != nil {
		t.Fatal(err)
	}
	v0, err := a.ConfigVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expect := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no notification within 10s after %s", what)
		}
	}
	// version is the payload the trigger sends: the new ConfigVersion.
	version := func() string {
		t.Helper()
		v, err := a.ConfigVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(v)
	}

	if err := b.CreateClient(ctx, storage.Client{ID: "client", Name: "One"}); err != nil {
		t.Fatal(err)
	}
	expect("CreateClient")
	wantPayload(t, raw, version(), "CreateClient")
	if v1, _ := a.ConfigVersion(ctx); v1 <= v0 {
		t.Fatalf("ConfigVersion after CreateClient = %d; want more than %d", v1, v0)
	}
	// A write that is not a client or resource is not announced: the next
	// notification is the marker's.
	if err := b.UseOnce(ctx, "client", "jti", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateAPIScope(ctx, storage.APIScope{Name: "marker"}); err != nil {
		t.Fatal(err)
	}
	wantPayload(t, raw, version(), "UseOnce and a marker scope")
	expect("the marker scope")

	// The listener's session is killed: it reconnects, and wakes the watcher
	// (changes may have been missed), and later changes arrive again.
	if n := postgrestest.Terminate(t, db.schema+" listener"); n != 1 {
		t.Fatalf("terminated %d listener sessions, want 1", n)
	}
	expect("the listener reconnected")
	drain(ch)
	if err := b.UpdateClient(ctx, "client", func(c *storage.Client) error { c.Name = "Two"; return nil }); err != nil {
		t.Fatal(err)
	}
	expect("UpdateClient after the reconnection")

	cancel()
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after its context was cancelled")
	}

	// Closing the store closes the channels of its watchers.
	ch2, err := a.WatchConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	select {
	case _, ok := <-ch2:
		for ok {
			_, ok = <-ch2
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after Close")
	}
	if _, err := a.WatchConfig(ctx); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("WatchConfig after Close = %v, want ErrClosed", err)
	}
}

// drain empties a watch channel of the wake-up it holds, if any.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// TestWatchSigningKeys: a signing key created, updated or deleted through
// one store reaches a watcher of another at once, and neither watch hears
// of the other's changes.
//
// That a watch was not woken is checked without waiting for silence: the
// listener handles notifications one after the other, so once a watch heard
// of a later write, the wake-ups of the earlier one were all sent, and the
// other watch's channel holds whatever it got from it. A connection of the
// test's own checks what each write sent.
func TestWatchSigningKeys(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	a := open(t, db.dsn, postgres.Options{})
	b := open(t, db.dsn, postgres.Options{})
	raw := listenRaw(t, db)
	ctx := t.Context()
	keys, err := a.WatchSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	config, err := a.WatchConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expect := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no notification within 10s after %s", what)
		}
	}
	quiet := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
			t.Errorf("notified after %s", what)
		default:
		}
	}
	const keysPayload = "signing_keys" // what the store sends for a key write
	now := time.Now()
	key := storage.SigningKey{ID: "k1", Algorithm: "ES256", Data: []byte("sealed"), Created: now, Activates: now}
	if err := b.CreateSigningKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	expect(keys, "CreateSigningKey")
	wantPayload(t, raw, keysPayload, "CreateSigningKey")
	if err := b.UpdateSigningKey(ctx, "k1", func(k *storage.SigningKey) error { k.Retires = now.Add(time.Hour); return nil }); err != nil {
		t.Fatal(err)
	}
	expect(keys, "UpdateSigningKey")
	wantPayload(t, raw, keysPayload, "UpdateSigningKey")
	quiet(config, "CreateSigningKey (the configuration watch)")
	if err := b.DeleteSigningKey(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	expect(keys, "DeleteSigningKey")
	wantPayload(t, raw, keysPayload, "DeleteSigningKey")
	quiet(config, "UpdateSigningKey (the configuration watch)")

	// A failed write announces nothing: the next notification is the
	// client's. A client is not a signing key.
	if err := b.DeleteSigningKey(ctx, "k1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteSigningKey of a deleted key = %v, want ErrNotFound", err)
	}
	if err := b.CreateClient(ctx, storage.Client{ID: "client", Name: "One"}); err != nil {
		t.Fatal(err)
	}
	expect(config, "CreateClient")
	v, err := a.ConfigVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantPayload(t, raw, fmt.Sprint(v), "a failed DeleteSigningKey and CreateClient")
	if err := b.UpdateClient(ctx, "client", func(c *storage.Client) error { c.Name = "Two"; return nil }); err != nil {
		t.Fatal(err)
	}
	expect(config, "UpdateClient")
	quiet(keys, "DeleteSigningKey, a failed one and CreateClient (the signing key watch)")

	// A reconnection wakes both: changes may have been missed meanwhile.
	if n := postgrestest.Terminate(t, db.schema+" listener"); n != 1 {
		t.Fatalf("terminated %d listener sessions, want 1", n)
	}
	expect(keys, "the listener reconnected")
	expect(config, "the listener reconnected")
}

// TestConfigVersionOncePerTransaction: an update that rewrites a client and
// its secrets bumps the version once.
func TestConfigVersionOncePerTransaction(t *testing.T) {
	t.Parallel()
	s := open(t, newDB(t).dsn, postgres.Options{})
	ctx := t.Context()
	now := time.Now()
	secrets := []storage.ClientSecret{{ID: "a", Hash: "h1", Created: now}, {ID: "b", Hash: "h2", Created: now}}
	if err := s.CreateClient(ctx, storage.Client{ID: "client", Secrets: secrets}); err != nil {
		t.Fatal(err)
	}
	v1, _ := s.ConfigVersion(ctx)
	if err := s.UpdateClient(ctx, "client", func(c *storage.Client) error { c.Name = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	v2, _ := s.ConfigVersion(ctx)
	if v2 != v1+1 {
		t.Errorf("ConfigVersion went from %d to %d in one update, want one step", v1, v2)
	}
}

func BenchmarkUseOnce(b *testing.B) {
	postgrestest.BaseDSN(b)
	storagetest.BenchmarkUseOnce(b, func(b *testing.B) storage.Store {
		return open(b, newDB(b).dsn, postgres.Options{})
	})
}

func BenchmarkGrants(b *testing.B) {
	postgrestest.BaseDSN(b)
	storagetest.BenchmarkGrants(b, func(b *testing.B) storage.Store {
		return open(b, newDB(b).dsn, postgres.Options{})
	})
}

// DatabaseTime is the server's clock: here, the same machine's.
func TestDatabaseTime(t *testing.T) {
	t.Parallel()
	s := open(t, newDB(t).dsn, postgres.Options{})
	before := time.Now()
	at, err := s.DatabaseTime(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("DatabaseTime = %v, want about %v", at, before)
	}
	s.Close()
	if _, err := s.DatabaseTime(t.Context()); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("DatabaseTime after Close = %v, want ErrClosed", err)
	}
}
