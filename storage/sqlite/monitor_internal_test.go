package sqlite

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// A batch in which no write changed anything (a code consumed before, a
// grant that cannot be extended) commits an empty transaction, which
// succeeds on a full disk as anywhere: it is no evidence that writes
// succeed, and must not tell the Monitor Wrote (which ends "not ready" and,
// after the quiet period, the outage). exec counts only n > 0, and UseOnce
// only a jti stored, for the same reason.
func TestBatchWithoutAWriteIsNotWrote(t *testing.T) {
	t.Parallel()
	mon := &recorder{}
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "signet.db"), Options{Monitor: mon})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	now := time.Now()
	if err := s.CreateGrant(ctx, codeGrant("code", now)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeGrant(ctx, "code", now); err != nil {
		t.Fatal(err)
	}
	_, before := mon.counts()
	if _, err := s.ConsumeGrant(ctx, "code", now); !errors.Is(err, storage.ErrConsumed) {
		t.Fatalf("second consume = %v, want ErrConsumed", err)
	}
	if err := s.ExtendGrant(ctx, "code", now.Add(time.Hour), nil, now); !errors.Is(err, storage.ErrConsumed) {
		t.Fatalf("extend of a consumed grant = %v, want ErrConsumed", err)
	}
	if _, w := mon.counts(); w != before {
		t.Errorf("Monitor heard %d writes from batches that wrote nothing, want 0", w-before)
	}
}

// A probe that updates no row (health_probe emptied by hand) tells the
// Monitor nothing, so it must say so: returning nil would leave the
// instance not ready for ever, with nothing in the log.
func TestProbeWriteWithoutItsRow(t *testing.T) {
	t.Parallel()
	mon := &recorder{}
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "signet.db"), Options{Monitor: mon})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.w.ExecContext(t.Context(), `DELETE FROM health_probe`); err != nil {
		t.Fatal(err)
	}
	if err := s.ProbeWrite(t.Context()); err == nil {
		t.Error("ProbeWrite without its row = nil, want an error naming health_probe")
	}
}
