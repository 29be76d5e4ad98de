package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

func openFile(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "signet.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func codeGrant(key string, now time.Time) storage.PersistedGrant {
	return storage.PersistedGrant{Key: key, Type: storage.GrantAuthorizationCode, Subject: "alice",
		ClientID: "web", Created: now, Expires: now.Add(time.Minute)}
}

// holdBatch makes the next batch wait, once it has begun, until release is
// called: the writes started meanwhile queue, and commit together in the
// batch after it.
func holdBatch(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, hold := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.batch(t.Context(), "hold", func(*sql.Tx) error {
			close(started)
			<-hold
			return nil
		})
	}()
	<-started
	return func() {
		close(hold)
		if err := <-done; err != nil {
			t.Errorf("held batch: %v", err)
		}
	}
}

// waitQueued waits until n writes queue behind the batch in progress.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.batcher.mu.Lock()
		q := len(s.batcher.queue)
		s.batcher.mu.Unlock()
		if q >= n {
			return
		}
	}
	t.Fatalf("fewer than %d writes queued", n)
}

// A batch's writes keep their own results: a duplicate key fails only its
// own write, every write reported done is committed, and a code consumed
// twice in one batch is consumed once.
func TestBatchResultsAreEachWrites(t *testing.T) {
	t.Parallel()
	s := openFile(t)
	ctx := t.Context()
	now := time.Now()
	if err := s.CreateGrant(ctx, codeGrant("taken", now)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGrant(ctx, codeGrant("code", now)); err != nil {
		t.Fatal(err)
	}
	release := holdBatch(t, s)
	const writers = 10
	var wg sync.WaitGroup
	errs := make([]error, writers+3)
	for i := range writers {
		wg.Go(func() { errs[i] = s.CreateGrant(ctx, codeGrant(fmt.Sprintf("new-%d", i), now)) })
	}
	wg.Go(func() { errs[writers] = s.CreateGrant(ctx, codeGrant("taken", now)) })
	wg.Go(func() { _, errs[writers+1] = s.ConsumeGrant(ctx, "code", now) })
	wg.Go(func() { _, errs[writers+2] = s.ConsumeGrant(ctx, "code", now) })
	waitQueued(t, s, writers+3)
	release()
	wg.Wait()
	for i := range writers {
		if errs[i] != nil {
			t.Errorf("create new-%d: %v", i, errs[i])
		}
		// Through the read pool: what was reported done is committed.
		if _, err := s.GetGrant(ctx, fmt.Sprintf("new-%d", i), now); err != nil {
			t.Errorf("read new-%d after its create returned: %v", i, err)
		}
	}
	if !errors.Is(errs[writers], storage.ErrAlreadyExists) {
		t.Errorf("create of a taken key = %v, want ErrAlreadyExists", errs[writers])
	}
	a, b := errs[writers+1], errs[writers+2]
	if (a == nil) == (b == nil) || !errors.Is(errors.Join(a, b), storage.ErrConsumed) {
		t.Errorf("two consumes of one code = %v and %v, want one nil and one ErrConsumed", a, b)
	}
}

// A write that fails the transaction itself (not only its statement) fails
// alone: the batch is rolled back and its other writes are committed each
// on its own.
func TestBatchFailureFailsOnlyItsWrite(t *testing.T) {
	t.Parallel()
	s := openFile(t)
	ctx := t.Context()
	now := time.Now()
	release := holdBatch(t, s)
	boom := errors.New("boom")
	var wg sync.WaitGroup
	var created [4]error
	var failed error
	for i := range created {
		wg.Go(func() { created[i] = s.CreateGrant(ctx, codeGrant(fmt.Sprintf("k%d", i), now)) })
	}
	waitQueued(t, s, len(created))
	wg.Go(func() { failed = s.batch(ctx, "fail", func(*sql.Tx) error { return boom }) })
	waitQueued(t, s, len(created)+1)
	release()
	wg.Wait()
	if !errors.Is(failed, boom) {
		t.Errorf("failing write = %v, want boom", failed)
	}
	for i, err := range created {
		if err != nil {
			t.Errorf("create k%d in the failed batch: %v", i, err)
		}
		if _, err := s.GetGrant(ctx, fmt.Sprintf("k%d", i), now); err != nil {
			t.Errorf("k%d after its create returned: %v", i, err)
		}
	}
}

// A write whose context ends while it waits is not made, and its caller
// hears so.
func TestBatchSkipsCancelledWrite(t *testing.T) {
	t.Parallel()
	s := openFile(t)
	now := time.Now()
	release := holdBatch(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.CreateGrant(ctx, codeGrant("gone", now)) }()
	waitQueued(t, s, 1)
	cancel()
	release()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled create = %v, want context.Canceled", err)
	}
	if _, err := s.GetGrant(t.Context(), "gone", now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("grant of a cancelled create: %v, want ErrNotFound", err)
	}
}
