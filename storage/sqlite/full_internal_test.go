package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/signetid/signet/storage"
)

// TestFullFilesystemRecovers fills the file system the database is on, as
// a small data volume fills up, and checks that writes then fail as
// unavailable, that nothing committed is lost, and that freeing some space
// is enough for writes to succeed again, under continued writes and without
// a restart. Seen before: with the default wal_autocheckpoint of 1000
// pages the WAL grew into the space freed, toward the 4 MB of its first
// checkpoint, until that checkpoint could not grow the database file and
// every write failed again with SQLITE_FULL. It also checks that a failed
// write leaves the single writer connection usable: no transaction left
// open, the batcher's included.
func TestFullFilesystemRecovers(t *testing.T) {
	t.Parallel()
	const (
		fsSize = 8 << 20
		// freed is the space given back: less than the 4 MB the WAL
		// reaches with the default wal_autocheckpoint.
		freed = 1536 << 10
		// after is the number of rounds of writes that must succeed once
		// freed: a jti, a grant created and the grant consumed each. They
		// grow the database file by about 0.7 MB; the WAL takes no more
		// than walAutocheckpoint pages of the rest. (With 256 pages, 1 MB,
		// the writes failed again after about 1700 rounds; with 1000 after
		// 38, the WAL at 1.7 MB and not checkpointed once.)
		after = 2000
		// maxWAL bounds the WAL file once space was freed.
		maxWAL = 1 << 20
	)
	dir := mountTmpfs(t, fsSize)
	path := filepath.Join(dir, "signet.db")
	ctx := t.Context()
	l := &writeLoad{now: time.Now()}

	// Some writes, then a restart, after which the WAL starts empty (Close
	// checkpointed it into the database file and removed it); the file
	// system fills up after a few more writes. The WAL is then far from the
	// size it reaches before its first checkpoint, and takes what it lacks
	// from the space freed below.
	for i, n := range []int{50, 3} {
		s, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		l.s = s
		for range n {
			if err := l.write(ctx); err != nil {
				t.Fatalf("write %d before the file system is full: %v", l.n, err)
			}
		}
		if i == 0 {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
	}
	s := l.s
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	t.Logf("full: database %d bytes, WAL %d bytes", fileSize(t, path), fileSize(t, path+"-wal"))

	// Writes go on until they fail: some may still fit in pages the WAL
	// already has.
	var failed []error
	fit := 0
	for len(failed) < 20 {
		if fit == 20000 {
			t.Fatalf("%d writes succeeded on a full file system", fit)
		}
		if err := l.write(ctx); err != nil {
			failed = append(failed, err)
		} else {
			fit++
		}
	}
	for _, err := range failed {
		if !isFull(err) {
			t.Fatalf("write on a full file system: %v, want ErrUnavailable wrapping SQLITE_FULL (database or disk is full)", err)
		}
	}
	// Concurrent grant writes share the batcher's transactions: one that
	// fails rolls its batch back and each write is tried again alone.
	for _, err := range l.burst(ctx) {
		if err != nil && !isFull(err) {
			t.Fatalf("concurrent write on a full file system: %v, want ErrUnavailable wrapping SQLITE_FULL", err)
		}
	}
	t.Logf("on the full file system %d writes succeeded, then %d failed: WAL %d bytes; first failure: %v",
		fit, len(failed), fileSize(t, path+"-wal"), failed[0])
	l.checkCommitted(t, "on a full file system")

	f, err := os.OpenFile(filler, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		err = f.Truncate(size - freed)
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		t.Fatalf("free space: %v", err)
	}

	peak := int64(0)
	for i := range after {
		if err := l.write(ctx); err != nil {
			t.Fatalf("write %d after %d bytes were freed: %v (WAL %d bytes, database %d bytes)",
				i, freed, err, fileSize(t, path+"-wal"), fileSize(t, path))
		}
		peak = max(peak, fileSize(t, path+"-wal"))
	}
	for _, err := range l.burst(ctx) {
		if err != nil {
			t.Fatalf("concurrent write after %d bytes were freed: %v", freed, err)
		}
	}
	peak = max(peak, fileSize(t, path+"-wal"))
	t.Logf("%d writes after freeing %d bytes: WAL at most %d bytes, now %d; database %d bytes",
		after, freed, peak, fileSize(t, path+"-wal"), fileSize(t, path))
	if peak > maxWAL {
		t.Errorf("WAL grew to %d bytes after space was freed, want at most %d", peak, maxWAL)
	}
	l.checkCommitted(t, "after space was freed")

	// And all of it is in the database file: Close checkpoints the WAL.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if l.s, err = Open(ctx, path, Options{}); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { l.s.Close() })
	l.checkCommitted(t, "after a restart")
}

// writeLoad writes as a server under load does, and remembers what
// committed.
type writeLoad struct {
	s   *Store
	now time.Time
	n   int
	// jtis and grants were committed; consumed, of grants, were consumed.
	jtis, grants []string
	consumed     map[string]bool
}

// write uses a fresh jti, creates a grant and consumes it (through the
// batcher, as the code exchange does). It stops at the first error.
func (l *writeLoad) write(ctx context.Context) error {
	l.n++
	jti := fmt.Sprintf("jti-%d", l.n)
	if err := l.s.UseOnce(ctx, "client", jti, l.now.Add(time.Hour)); err != nil {
		return err
	}
	l.jtis = append(l.jtis, jti)
	key := fmt.Sprintf("code-%d", l.n)
	if err := l.s.CreateGrant(ctx, l.grant(key)); err != nil {
		return err
	}
	l.grants = append(l.grants, key)
	if _, err := l.s.ConsumeGrant(ctx, key, l.now); err != nil {
		return err
	}
	if l.consumed == nil {
		l.consumed = map[string]bool{}
	}
	l.consumed[key] = true
	return nil
}

// burst creates grants from several goroutines at once and returns their
// errors.
func (l *writeLoad) burst(ctx context.Context) []error {
	const n = 64
	errs := make([]error, n)
	keys := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		l.n++
		keys[i] = fmt.Sprintf("code-%d", l.n)
		wg.Go(func() {
			errs[i] = l.s.CreateGrant(ctx, l.grant(keys[i]))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			l.grants = append(l.grants, keys[i])
		}
	}
	return errs
}

func (l *writeLoad) grant(key string) storage.PersistedGrant {
	return storage.PersistedGrant{
		Key: key, Type: storage.GrantAuthorizationCode, Subject: "alice", ClientID: "client",
		SessionID: "sid", FamilyID: "family-" + key, Created: l.now, Expires: l.now.Add(time.Hour),
		Data: []byte(`{"scope":"openid api","redirect_uri":"https://client.example/cb"}`),
	}
}

// isFull reports whether err is a write refused because the disk is full:
// ErrUnavailable, wrapping SQLITE_FULL and saying so.
func isFull(err error) bool {
	var se *sqlite.Error
	return errors.Is(err, storage.ErrUnavailable) && errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL &&
		strings.Contains(err.Error(), "database or disk is full")
}

// checkCommitted checks that every jti committed is refused as a replay and
// every grant committed is there, consumed if it was.
func (l *writeLoad) checkCommitted(t *testing.T, when string) {
	t.Helper()
	ctx := t.Context()
	for _, jti := range l.jtis {
		if err := l.s.UseOnce(ctx, "client", jti, l.now.Add(time.Hour)); !errors.Is(err, storage.ErrAlreadyExists) {
			t.Fatalf("%s: replay of committed jti %s: %v, want ErrAlreadyExists", when, jti, err)
		}
	}
	for _, key := range l.grants {
		g, err := l.s.GetGrant(ctx, key, l.now)
		if err != nil {
			t.Fatalf("%s: committed grant %s: %v", when, key, err)
		}
		if g.Consumed.IsZero() == l.consumed[key] {
			t.Fatalf("%s: grant %s consumed at %v, want consumed %v", when, key, g.Consumed, l.consumed[key])
		}
	}
}

// mountTmpfs mounts a tmpfs of size bytes for the test and returns its
// directory; it skips the test where it cannot.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a size-limited tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dk,mode=0700", size>>10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		// Not root in the sense that matters: a container without
		// CAP_SYS_ADMIN, or no mount(8) at all.
		t.Skipf("needs a size-limited tmpfs, and this environment does not allow mounting one: %v: %s", err, bytesTrim(out))
	}
	// Registered after t.TempDir's removal, so it runs before it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, bytesTrim(out))
		}
	})
	return dir
}

func bytesTrim(b []byte) string { return strings.TrimSpace(string(b)) }

// fill writes a file at path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for len(buf) > 0 {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the file system: %v", err)
			}
			// Perhaps after part of buf: try smaller writes until not
			// one byte fits.
			buf = buf[:len(buf)/2]
		}
	}
}

// fileSize is the size of the file at path, 0 if there is none.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestWALTruncatedAfterLongRead: a WAL that grew past journalSizeLimit,
// here because a long read kept the checkpoints from reaching its end, is
// truncated back once it restarts, so the space it took is given back.
func TestWALTruncatedAfterLongRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "signet.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := t.Context()
	l := &writeLoad{s: s, now: time.Now()}

	for _, p := range []struct {
		name string
		want int
	}{{"wal_autocheckpoint", walAutocheckpoint}, {"journal_size_limit", journalSizeLimit}} {
		var got int
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil || got != p.want {
			t.Errorf("writer's %s = %d, %v; want %d", p.name, got, err, p.want)
		}
	}

	read, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer read.Rollback()
	if err := read.QueryRowContext(ctx, "SELECT count(*) FROM grants").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	for fileSize(t, path+"-wal") <= 2*journalSizeLimit {
		if l.n > 10000 {
			t.Fatalf("WAL %d bytes after %d writes, want it past %d", fileSize(t, path+"-wal"), l.n, 2*journalSizeLimit)
		}
		if err := l.write(ctx); err != nil {
			t.Fatal(err)
		}
	}
	grown := fileSize(t, path+"-wal")
	if err := read.Rollback(); err != nil {
		t.Fatal(err)
	}
	// The first write's commit checkpoints the whole WAL, the next one
	// restarts it.
	for range 3 {
		if err := l.write(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := fileSize(t, path+"-wal")
	t.Logf("WAL grew to %d bytes during the long read, %d bytes after it", grown, got)
	if got > journalSizeLimit {
		t.Errorf("WAL %d bytes after the long read ended (it had grown to %d), want at most journalSizeLimit %d", got, grown, journalSizeLimit)
	}
	l.checkCommitted(t, "after the long read")
}
