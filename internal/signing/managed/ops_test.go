package managed_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
)

// states maps kid to state, as List says.
func states(t *testing.T, m *managed.Manager) map[string]managed.State {
	out := map[string]managed.State{}
	for _, info := range list(t, m) {
		out[info.ID] = info.State
		if !info.Readable {
			t.Errorf("%s not readable: %s", info.ID, info.Problem)
		}
	}
	return out
}

// signer syncs and returns the kid a ring made of the keys signs with.
func signer(t *testing.T, m *managed.Manager, clk *clock) string {
	t.Helper()
	keys, err := m.Sync(t.Context())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	ring, err := signing.NewRing(keys, nil, signing.RingOptions{Algorithms: m.Algorithms(), Now: clk.Now})
	if err != nil {
		t.Fatalf("NewRing: %v", err)
	}
	return ring.Signer().ID
}

func TestRotate(t *testing.T) {
	t.Parallel()
	m, _, clk := es256Manager(t)
	first := signer(t, m, clk)
	clk.Advance(day)

	ann, err := m.Rotate(t.Context(), "ES256", false)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if ann.State != managed.Announced || !ann.SignsFrom.Equal(clk.Now().Add(defaultProp)) || !ann.Created.Equal(clk.Now()) {
		t.Fatalf("Rotate = %+v, want announced, signing from now + propagation", ann)
	}
	again, err := m.Rotate(t.Context(), "ES256", false)
	if err != nil || again.ID != ann.ID {
		t.Fatalf("Rotate again = %+v, %v; want the announced key %s", again, err, ann.ID)
	}
	if got := signer(t, m, clk); got != first {
		t.Fatalf("signer = %s before the propagation, want %s", got, first)
	}
	if got := states(t, m); got[first] != managed.Signing || got[ann.ID] != managed.Announced {
		t.Fatalf("states %v", got)
	}
	clk.Advance(defaultProp)
	if got := signer(t, m, clk); got != ann.ID {
		t.Fatalf("signer after the propagation = %s, want %s", got, ann.ID)
	}
	if got := states(t, m); got[first] != managed.Retired || got[ann.ID] != managed.Signing {
		t.Fatalf("states %v", got)
	}

	clk.Advance(time.Hour)
	now, err := m.Rotate(t.Context(), "ES256", true)
	if err != nil {
		t.Fatalf("Rotate now: %v", err)
	}
	if now.State != managed.Signing || !now.SignsFrom.Equal(clk.Now()) {
		t.Fatalf("Rotate now = %+v, want signing now", now)
	}
	if got := signer(t, m, clk); got != now.ID {
		t.Fatalf("signer = %s, want the new key %s", got, now.ID)
	}
	for _, info := range list(t, m) {
		if info.ID == ann.ID && (info.State != managed.Retired || !info.SignsUntil.Equal(clk.Now()) || !info.PublishedUntil.Equal(clk.Now().Add(defaultRet))) {
			t.Errorf("the compromised key: %+v, want retired now and published for the retention", info)
		}
	}
	if _, err := m.Rotate(t.Context(), "RS256", false); err == nil {
		t.Error("Rotate of an algorithm not configured succeeded")
	}
}

// announced makes m's first key and, a day later, announces its successor:
// it returns the first key's id and the successor.
func announced(t *testing.T, m *managed.Manager, clk *clock) (string, managed.KeyInfo) {
	t.Helper()
	first := signer(t, m, clk)
	clk.Advance(day)
	ann, err := m.Rotate(t.Context(), "ES256", false)
	if err != nil {
		t.Fatal(err)
	}
	return first, ann
}

func TestRetire(t *testing.T) {
	t.Parallel()
	t.Run("signer with an announced successor", func(t *testing.T) {
		t.Parallel()
		m, _, clk := es256Manager(t)
		first, ann := announced(t, m, clk)
		clk.Advance(time.Hour)
		if err := m.Retire(t.Context(), first); err != nil {
			t.Fatalf("Retire: %v", err)
		}
		if got := signer(t, m, clk); got != ann.ID {
			t.Fatalf("signer = %s, want the announced successor %s", got, ann.ID)
		}
		if got := states(t, m); len(got) != 2 || got[first] != managed.Retired {
			t.Fatalf("states %v", got)
		}
	})
	t.Run("signer alone", func(t *testing.T) {
		t.Parallel()
		m, store, clk := es256Manager(t)
		first := signer(t, m, clk)
		clk.Advance(time.Hour)
		if err := m.Retire(t.Context(), first); err != nil {
			t.Fatalf("Retire: %v", err)
		}
		got := states(t, m)
		if len(got) != 2 || got[first] != managed.Retired {
			t.Fatalf("states %v", got)
		}
		if s := signer(t, m, clk); s == first {
			t.Fatal("the retired key still signs")
		}
		// Retiring it again is refused, pointing to Revoke, and changes
		// nothing.
		before := rows(t, store)
		if err := m.Retire(t.Context(), first); !errors.Is(err, managed.ErrRetired) {
			t.Fatalf("Retire of a retired key: %v, want ErrRetired", err)
		}
		if after := rows(t, store); len(after) != len(before) {
			t.Fatal("Retire of a retired key changed the keys")
		}
		// It is deleted after the retention.
		clk.Advance(defaultRet)
		signer(t, m, clk)
		if _, ok := states(t, m)[first]; ok {
			t.Fatal("the retired key is still stored after its retention")
		}
	})
	t.Run("announced key", func(t *testing.T) {
		t.Parallel()
		m, store, clk := es256Manager(t)
		first, ann := announced(t, m, clk)
		if err := m.Retire(t.Context(), ann.ID); err != nil {
			t.Fatalf("Retire: %v", err)
		}
		ks := rows(t, store)
		if len(ks) != 1 || ks[0].ID != first || !ks[0].Retires.IsZero() || !ks[0].Expires.IsZero() {
			t.Fatalf("after withdrawing the announced key: %+v", ks)
		}
		clk.Advance(defaultProp)
		if got := signer(t, m, clk); got != first {
			t.Fatalf("signer %s, want %s", got, first)
		}
	})
	t.Run("announced key about to sign", func(t *testing.T) {
		t.Parallel()
		m, store, clk := es256Manager(t)
		_, ann := announced(t, m, clk)
		clk.Advance(defaultProp - 3*time.Minute)
		if err := m.Retire(t.Context(), ann.ID); err == nil || !strings.Contains(err.Error(), "retire it once it signs") {
			t.Fatalf("Retire of a key about to sign: %v", err)
		}
		if len(rows(t, store)) != 2 {
			t.Fatal("a refused Retire changed the keys")
		}
	})
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		m, _, _ := es256Manager(t)
		if err := m.Retire(t.Context(), "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Retire = %v, want ErrNotFound", err)
		}
		if err := m.Revoke(t.Context(), "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Revoke = %v, want ErrNotFound", err)
		}
	})
}

// TestRevoke: a compromised key leaves the JWKS at once, whether it signs
// or was retired already; its successor signs.
func TestRevoke(t *testing.T) {
	t.Parallel()
	for _, retireFirst := range []bool{false, true} {
		m, store, clk := es256Manager(t)
		first := signer(t, m, clk)
		clk.Advance(time.Hour)
		if retireFirst {
			if _, err := m.Rotate(t.Context(), "ES256", true); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Revoke(t.Context(), first); err != nil {
			t.Fatalf("Revoke (retired first: %v): %v", retireFirst, err)
		}
		keys, err := m.Sync(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if k.ID == first {
				t.Fatalf("retired first %v: the revoked key is still published", retireFirst)
			}
		}
		if s := signer(t, m, clk); s == first || s == "" {
			t.Fatalf("retired first %v: signer %q after the revocation", retireFirst, s)
		}
		for _, r := range rows(t, store) {
			if r.ID == first {
				t.Fatalf("retired first %v: the revoked key is still stored", retireFirst)
			}
		}
	}
}

// TestDroppedAlgorithm: keys of an algorithm no longer configured are
// published, never sign.
func TestDroppedAlgorithm(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := memStore(clk)
	kek := newKEK(t)
	if _, err := newManager(t, store, options(t, clk, kek, "ES256", "ES384")).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, store, options(t, clk, kek, "ES256"))
	keys, err := m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Algorithm != "ES256" || keys[0].Signer == nil || keys[1].Algorithm != "ES384" || keys[1].Signer != nil {
		t.Fatalf("keys %+v", keys)
	}
	for _, info := range list(t, m) {
		if info.Configured != (info.Algorithm == "ES256") {
			t.Errorf("%+v", info)
		}
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	clk := newClock()
	good := options(t, clk, newKEK(t), "RS256")
	cases := []struct {
		name   string
		change func(o *managed.Options)
		want   string
	}{
		{"short KEK", func(o *managed.Options) { o.KEK = o.KEK[:16] }, "16 bytes; it must be 32"},
		{"no algorithms", func(o *managed.Options) { o.Algorithms = nil }, "no signing algorithms"},
		{"unknown algorithm", func(o *managed.Options) { o.Algorithms = []string{"HS256"} }, `unknown signing algorithm "HS256"`},
		{"twice", func(o *managed.Options) { o.Algorithms = []string{"ES256", "ES256"} }, "listed twice"},
		{"no propagation", func(o *managed.Options) { o.Propagation = 0 }, "propagation time (0s) must be positive"},
		{"rotation not longer", func(o *managed.Options) { o.Rotation = o.Propagation }, "must be longer than the propagation"},
		{"no retention", func(o *managed.Options) { o.Retention = -time.Hour }, "retention (-1h0m0s) must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.change(&o)
			_, err := managed.New(memStore(clk), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if _, err := managed.New(memStore(clk), good); err != nil {
		t.Fatalf("New with good options: %v", err)
	}
}

// logs is a slog handler that keeps records, for checking what Run logs.
type logs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logs) Enabled(_ context.Context, _ slog.Level) bool { return true }
func (l *logs) WithAttrs([]slog.Attr) slog.Handler           { return l }
func (l *logs) WithGroup(string) slog.Handler                { return l }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	l.mu.Lock()
	l.msgs = append(l.msgs, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logs) find(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// TestRun: Run brings a key rotated by another instance into the ring, and
// keeps the last keys when it cannot open the stored ones.
func TestRun(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := memStore(clk)
	kek := newKEK(t)
	rec := &logs{}
	opts := options(t, clk, kek, "ES256")
	opts.Logger = slog.New(rec)
	m := newManager(t, store, opts)
	ring := syncedRing(t, m, clk)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		m.Run(ctx, managed.RunOptions{Interval: 10 * time.Millisecond, Apply: func(keys []*signing.Key) error { return ring.Replace(keys, nil, m.Algorithms()) }})
		close(done)
	}()
	defer func() { cancel(); <-done }()

	other := newManager(t, store, options(t, clk, kek, "ES256"))
	clk.Advance(time.Hour)
	now, err := other.Rotate(t.Context(), "ES256", true)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return ring.Signer().ID == now.ID }, "the ring to sign with the key rotated elsewhere")

	// The key's data changed in the database: logged, and the ring keeps
	// signing with what it had.
	err = store.UpdateSigningKey(t.Context(), now.ID, func(k *storage.SigningKey) error {
		k.Data = append([]byte(nil), k.Data...)
		k.Data[len(k.Data)-1] ^= 1
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return rec.find("refresh managed signing keys") && rec.find(now.ID) }, "the failed refresh to be logged")
	if got := ring.Signer().ID; got != now.ID {
		t.Fatalf("signer after a failed refresh = %s, want %s", got, now.ID)
	}
	if _, _, err := ring.Sign("at+jwt", map[string]any{"sub": "x"}); err != nil {
		t.Fatalf("Sign after a failed refresh: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, msg := range rec.msgs {
		if strings.Contains(msg, string(kek)) {
			t.Fatal("the KEK was logged")
		}
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pushStore is a store that can push signing key changes: PostgreSQL's
// own watch, or for the others a channel of the test's. subscribed is
// closed once Run has asked to watch.
type pushStore struct {
	managed.Store
	watch      func(context.Context) (<-chan struct{}, error)
	subscribed chan struct{}
	once       sync.Once
}

func (s *pushStore) WatchSigningKeys(ctx context.Context) (<-chan struct{}, error) {
	ch, err := s.watch(ctx)
	s.once.Do(func() { close(s.subscribed) })
	return ch, err
}

// TestRunWakesOnPush: with a store that pushes signing key changes, Run
// syncs at once when told, not at its next interval (an hour here); a
// closed channel leaves it syncing every interval.
func TestRunWakesOnPush(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		if b.Name == "sqlite" {
			continue // the same as memory here
		}
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			kek := newKEK(t)
			handles := b.Open(t, clk.Now, 2)
			ch := make(chan struct{}, 1)
			store := &pushStore{Store: handles[0], subscribed: make(chan struct{}),
				watch: func(context.Context) (<-chan struct{}, error) { return ch, nil }}
			pg, native := handles[0].(storage.SigningKeyWatcher)
			if native {
				store.watch = pg.WatchSigningKeys
			}
			m := newManager(t, store, options(t, clk, kek, "ES256"))
			ring := syncedRing(t, m, clk)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() {
				m.Run(ctx, managed.RunOptions{Interval: time.Hour, Poll: time.Hour, Apply: func(keys []*signing.Key) error { return ring.Replace(keys, nil, m.Algorithms()) }})
				close(done)
			}()
			defer func() { cancel(); <-done }()
			select {
			case <-store.subscribed:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not ask the store to watch its signing keys")
			}

			other := newManager(t, handles[1], options(t, clk, kek, "ES256"))
			clk.Advance(time.Hour)
			now, err := other.Rotate(t.Context(), "ES256", true)
			if err != nil {
				t.Fatal(err)
			}
			if !native {
				ch <- struct{}{} // what PostgreSQL's notification does
			}
			start := time.Now()
			waitFor(t, func() bool { return ring.Signer().ID == now.ID }, "the ring to sign with the key rotated elsewhere")
			t.Logf("%s: rotated elsewhere to signing here in %v (interval 1h)", b.Name, time.Since(start).Round(time.Millisecond))
			if !native {
				close(ch) // the store closed: Run goes on, syncing every interval
				time.Sleep(50 * time.Millisecond)
				select {
				case <-done:
					t.Fatal("Run returned when the store's channel closed")
				default:
				}
			}
		})
	}
}

// countingStore counts the reads of every key, to tell them from the reads
// of the version.
type countingStore struct {
	managed.Store
	lists, versions atomic.Int64
}

func (s *countingStore) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	s.lists.Add(1)
	return s.Store.ListSigningKeys(ctx)
}

func (s *countingStore) SigningKeysVersion(ctx context.Context) (int64, error) {
	s.versions.Add(1)
	return s.Store.SigningKeysVersion(ctx)
}

// TestRunPollsVersion: on a store that does not push changes (SQLite, or
// memory here), Run sees a key rotated elsewhere within its poll, not its
// interval (an hour here), reading only the keys version while nothing
// changes; and a request (SIGHUP) syncs at once, even with no poll due.
func TestRunPollsVersion(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		if b.Name == "postgres" {
			continue // it pushes; the poll is the same code
		}
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			kek := newKEK(t)
			handles := b.Open(t, clk.Now, 2)
			if _, ok := handles[0].(storage.SigningKeyWatcher); ok {
				t.Fatal("the store pushes changes: this test is for those that do not")
			}
			store := &countingStore{Store: handles[0]}
			m := newManager(t, store, options(t, clk, kek, "ES256"))
			ring := syncedRing(t, m, clk)
			apply := func(keys []*signing.Key) error { return ring.Replace(keys, nil, m.Algorithms()) }
			// run runs Run with opts until the returned function stops it.
			run := func(opts managed.RunOptions) (stop func()) {
				opts.Interval, opts.Apply = time.Hour, apply
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan struct{})
				go func() {
					m.Run(ctx, opts)
					close(done)
				}()
				return func() { cancel(); <-done }
			}
			other := newManager(t, handles[1], options(t, clk, kek, "ES256"))

			// A request syncs at once, with no poll due, and says how it
			// went.
			requests := make(chan chan<- error)
			stop := run(managed.RunOptions{Poll: time.Hour, Requests: requests})
			clk.Advance(time.Hour)
			first, err := other.Rotate(t.Context(), "ES256", true)
			if err != nil {
				t.Fatal(err)
			}
			reply := make(chan error, 1)
			requests <- reply
			if err := <-reply; err != nil {
				t.Fatalf("requested sync: %v", err)
			}
			if got := ring.Signer().ID; got != first.ID {
				t.Errorf("after the requested sync the ring signs with %s, want %s", got, first.ID)
			}
			stop()

			const poll = 20 * time.Millisecond
			defer run(managed.RunOptions{Poll: poll})()
			// Idle: the version is read at every poll, the keys are not.
			lists, versions := store.lists.Load(), store.versions.Load()
			waitFor(t, func() bool { return store.versions.Load() >= versions+10 }, "ten polls")
			if n := store.lists.Load(); n != lists {
				t.Errorf("%d reads of every key in ten polls with nothing changed, want none", n-lists)
			}

			clk.Advance(time.Hour)
			now, err := other.Rotate(t.Context(), "ES256", true)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			waitFor(t, func() bool { return ring.Signer().ID == now.ID }, "the ring to sign with the key rotated elsewhere")
			t.Logf("rotated elsewhere to signing here in %v (poll %v, interval 1h)", time.Since(start).Round(time.Millisecond), poll)
			// Its own sync wrote nothing that makes the polls after it
			// read every key again.
			time.Sleep(3 * poll)
			lists, versions = store.lists.Load(), store.versions.Load()
			waitFor(t, func() bool { return store.versions.Load() >= versions+5 }, "five polls")
			if n := store.lists.Load(); n != lists {
				t.Errorf("%d reads of every key in five polls after the sync, want none", n-lists)
			}
		})
	}
}
