package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
