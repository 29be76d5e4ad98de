package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/postgres/postgrestest"
)

// TestAuthFailuresShared: two instances count one address's failures
// together, a window that ended starts again at 1, and DeleteExpired
// removes the ended windows' rows.
func TestAuthFailuresShared(t *testing.T) {
	postgrestest.BaseDSN(t)
	t.Parallel()
	db := newDB(t)
	a, b := open(t, db.dsn, postgres.Options{}), open(t, db.dsn, postgres.Options{})
	ctx := t.Context()
	now := time.UnixMilli(1_800_000_000_000)
	for i, s := range []*postgres.Store{a, b, a} {
		n, start, err := s.AddAuthFailure(ctx, "192.0.2.1", now.Add(time.Duration(i)*time.Second), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if n != i+1 || !start.Equal(now) {
			t.Fatalf("failure %d: count %d from %v, want %d from %v", i+1, n, start, i+1, now)
		}
	}
	if n, _, err := b.AddAuthFailure(ctx, "2001:db8::/64", now, time.Minute); err != nil || n != 1 {
		t.Fatalf("another address: %d, %v", n, err)
	}
	later := now.Add(time.Minute)
	n, start, err := b.AddAuthFailure(ctx, "192.0.2.1", later, time.Minute)
	if err != nil || n != 1 || !start.Equal(later) {
		t.Fatalf("after the window: count %d from %v (%v), want 1 from %v", n, start, err, later)
	}
	// The other address's window ended: its row goes, this one's stays.
	removed, err := a.DeleteExpired(ctx, later.Add(time.Second), 100)
	if err != nil || removed != 1 {
		t.Fatalf("DeleteExpired: %d, %v; want 1", removed, err)
	}
	if n, _, _ := a.AddAuthFailure(ctx, "192.0.2.1", later.Add(2*time.Second), time.Minute); n != 2 {
		t.Fatalf("the live window was removed: count %d, want 2", n)
	}
	if _, _, err := a.AddAuthFailure(ctx, "", now, time.Minute); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("empty key: %v, want ErrInvalid", err)
	}
}
