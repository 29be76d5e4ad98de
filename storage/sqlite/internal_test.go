package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

func TestMigrationsEmbedded(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
	if ms[0].Name != "0001_client_assertion_jtis" {
		t.Errorf("first migration = %q", ms[0].Name)
	}
}

func TestMapErr(t *testing.T) {
	s, err := Open(t.Context(), Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	exec := func(q string, args ...any) error {
		_, err := s.w.ExecContext(ctx, q, args...)
		return mapErr(err)
	}
	if err := exec(`CREATE TEMP TABLE parent (id TEXT PRIMARY KEY, name TEXT UNIQUE);
		CREATE TEMP TABLE child (parent_id TEXT NOT NULL REFERENCES parent (id))`); err != nil {
		t.Fatal(err)
	}
	if err := exec(`INSERT INTO parent VALUES ('a', 'x')`); err != nil {
		t.Fatal(err)
	}
	ms := time.Now().UnixMilli()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"primary key", exec(`INSERT INTO parent VALUES ('a', 'y')`), storage.ErrAlreadyExists},
		{"unique", exec(`INSERT INTO parent VALUES ('b', 'x')`), storage.ErrAlreadyExists},
		{"composite primary key", errors.Join(
			exec(`INSERT INTO client_assertion_jtis VALUES ('c', 'j', ?)`, ms),
			exec(`INSERT INTO client_assertion_jtis VALUES ('c', 'j', ?)`, ms)), storage.ErrAlreadyExists},
		{"foreign key", exec(`INSERT INTO child VALUES ('missing')`), storage.ErrNotFound},
		{"no rows", mapErr(s.w.QueryRowContext(ctx, `SELECT id FROM parent WHERE id = 'zz'`).Scan(new(string))), storage.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("mapped error = %v, want %v", tt.err, tt.want)
			}
		})
	}
	if err := exec(`INSERT INTO child VALUES (NULL)`); errors.Is(err, storage.ErrAlreadyExists) || errors.Is(err, storage.ErrNotFound) || err == nil {
		t.Errorf("NOT NULL violation mapped to %v, want it unmapped", err)
	}
	if got := mapErr(sql.ErrConnDone); !errors.Is(got, storage.ErrUnavailable) || !errors.Is(got, sql.ErrConnDone) {
		t.Errorf("mapErr(ErrConnDone) = %v, want ErrUnavailable wrapping it", got)
	}
	if got := mapErr(context.DeadlineExceeded); !errors.Is(got, storage.ErrUnavailable) || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("mapErr(DeadlineExceeded) = %v, want ErrUnavailable wrapping it", got)
	}
	if got := mapErr(context.Canceled); got != context.Canceled {
		t.Errorf("mapErr(Canceled) = %v, want it unchanged", got)
	}
}

func TestDSN(t *testing.T) {
	// The writer's WAL bounds, as dsn writes them.
	wal := fmt.Sprintf("&_pragma=wal_autocheckpoint%%28%d%%29&_pragma=journal_size_limit%%28%d%%29", walAutocheckpoint, journalSizeLimit)
	got := dsn("/data/a?b#c%d/signet.db", time.Second, false, false)
	want := "file:/data/a%3fb%23c%25d/signet.db?_pragma=busy_timeout%281000%29&_pragma=foreign_keys%281%29&_pragma=synchronous%28NORMAL%29" + wal + "&_txlock=immediate"
	if got != want {
		t.Errorf("dsn =\n%s\nwant\n%s", got, want)
	}
	if got := dsn(Memory, time.Second, false, true); got != ":memory:?_pragma=busy_timeout%281000%29&_pragma=foreign_keys%281%29&_pragma=synchronous%28FULL%29"+wal+"&_txlock=immediate" {
		t.Errorf("memory dsn = %s", got)
	}
	if got := dsn("/x.db", time.Second, true, false); got != "file:/x.db?_pragma=busy_timeout%281000%29&_pragma=foreign_keys%281%29&_pragma=query_only%281%29" {
		t.Errorf("reader dsn = %s", got)
	}
}

// recorder is a storage.Monitor that keeps what it hears.
type recorder struct {
	mu     sync.Mutex
	failed []error
	ctxs   []context.Context
	wrote  int
}

func (r *recorder) Failed(ctx context.Context, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, err)
	r.ctxs = append(r.ctxs, ctx)
}

func (r *recorder) Wrote(context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wrote++
}

func (r *recorder) counts() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failed), r.wrote
}

type ctxKey struct{}

// A database that has no room left (max_page_count stands in for a full
// disk) fails writes as ErrUnavailable of FaultFull; the Monitor hears of
// each failure with the caller's context, and of each committed write, the
// probe's too; a read-only connection's write is FaultReadOnly; a lock
// held past the busy timeout is FaultLocked.
func TestFaults(t *testing.T) {
	t.Parallel()
	mon := &recorder{}
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "signet.db"), Options{Monitor: mon, BusyTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.WithValue(t.Context(), ctxKey{}, "request")
	exp := time.Now().Add(time.Hour)
	if err := s.UseOnce(ctx, "c", "first", exp); err != nil {
		t.Fatal(err)
	}
	if err := s.ProbeWrite(ctx); err != nil {
		t.Fatalf("ProbeWrite: %v", err)
	}
	if f, w := mon.counts(); f != 0 || w != 2 {
		t.Fatalf("after a jti and a probe: %d failures, %d writes heard, want 0 and 2", f, w)
	}

	var pages int64
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	var full error
	for i := 0; i < 10000 && full == nil; i++ {
		full = s.UseOnce(ctx, "c", fmt.Sprintf("jti-%d-%s", i, strings.Repeat("x", 200)), exp)
	}
	if !errors.Is(full, storage.ErrUnavailable) || storage.FaultOf(full) != storage.FaultFull || !strings.Contains(full.Error(), "full") {
		t.Fatalf("write into a full database = %v (fault %q), want ErrUnavailable of fault full", full, storage.FaultOf(full))
	}
	mon.mu.Lock()
	if len(mon.failed) != 1 || mon.ctxs[0].Value(ctxKey{}) != "request" || storage.FaultOf(mon.failed[0]) != storage.FaultFull {
		t.Errorf("Monitor heard %v, want the one failure with the caller's context", mon.failed)
	}
	mon.mu.Unlock()
	if err := s.UseOnce(ctx, "c", "first", exp); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("replay of a jti stored before the disk filled = %v, want ErrAlreadyExists", err)
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	_, before := mon.counts()
	if err := s.UseOnce(ctx, "c", "after", exp); err != nil {
		t.Fatalf("write after room was made: %v", err)
	}
	if _, w := mon.counts(); w != before+1 {
		t.Errorf("writes heard %d, want %d", w, before+1)
	}

	if _, err := s.r.ExecContext(ctx, `DELETE FROM client_assertion_jtis`); storage.FaultOf(mapErr(err)) != storage.FaultReadOnly {
		t.Errorf("write on a query_only connection = %v (fault %q), want read-only", mapErr(err), storage.FaultOf(mapErr(err)))
	}

	// Another process's lock, held past the busy timeout.
	other, err := sql.Open("sqlite", dsn(s.path, 10*time.Millisecond, false, false))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	hold, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, `DELETE FROM client_assertion_jtis WHERE jti = 'nothing'`); err != nil {
		t.Fatal(err)
	}
	if err := s.ProbeWrite(ctx); storage.FaultOf(err) != storage.FaultLocked {
		t.Errorf("probe while another process holds the lock = %v (fault %q), want locked", err, storage.FaultOf(err))
	}
}
