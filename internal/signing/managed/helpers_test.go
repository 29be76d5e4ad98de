package managed_test

import (
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/postgres/postgrestest"
	"github.com/signetid/signet/storage/sqlite"
)

// clock is a fake clock shared by managers and stores.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func newKEK(t testing.TB) []byte {
	k := make([]byte, managed.KEKSize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	day         = 24 * time.Hour
	defaultProp = 14 * day
	defaultRot  = 90 * day
	defaultRet  = 14 * day
	testSource  = "Managed (test)"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// options are the default lifecycle with kek and algs on clk.
func options(t *testing.T, clk *clock, kek []byte, algs ...string) managed.Options {
	return managed.Options{
		KEK: kek, Algorithms: algs,
		Propagation: defaultProp, Rotation: defaultRot, Retention: defaultRet,
		Now: clk.Now, Logger: testLogger(t), Source: testSource,
	}
}

func newManager(t *testing.T, store managed.Store, opts managed.Options) *managed.Manager {
	t.Helper()
	m, err := managed.New(store, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func memStore(clk *clock) *memory.Store { return memory.New(memory.Options{Now: clk.Now}) }

// backend opens n handles on one fresh store, as n instances would.
type backend struct {
	name string
	open func(t *testing.T, clk *clock, n int) []managed.Store
}

var backends = []backend{
	{"memory", func(t *testing.T, clk *clock, n int) []managed.Store {
		s := memStore(clk)
		out := make([]managed.Store, n)
		for i := range out {
			out[i] = s
		}
		return out
	}},
	{"sqlite", func(t *testing.T, clk *clock, n int) []managed.Store {
		path := filepath.Join(t.TempDir(), "signet.db")
		out := make([]managed.Store, n)
		for i := range out {
			s, err := sqlite.Open(t.Context(), path, sqlite.Options{Now: clk.Now})
			if err != nil {
				t.Fatalf("sqlite.Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			out[i] = s
		}
		return out
	}},
	{"postgres", func(t *testing.T, clk *clock, n int) []managed.Store {
		dsn := newSchema(t)
		out := make([]managed.Store, n)
		for i := range out {
			s, err := postgres.Open(t.Context(), dsn, postgres.Options{Now: clk.Now, MaxConns: 4})
			if err != nil {
				t.Fatalf("postgres.Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			out[i] = s
		}
		return out
	}},
}

// newSchema makes an empty schema in the test database, dropped at
// cleanup, and returns a DSN that uses it; it skips the test without
// SIGNET_TEST_POSTGRES_DSN (as storage/postgres's tests do).
func newSchema(t *testing.T) string {
	t.Helper()
	return postgrestest.New(t, "signet_managed_test_").DSN
}

// rows lists the stored keys.
func rows(t *testing.T, s managed.Store) []storage.SigningKey {
	t.Helper()
	ks, err := s.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatalf("ListSigningKeys: %v", err)
	}
	return ks
}

// count counts the stored keys per algorithm.
func count(t *testing.T, s managed.Store) map[string]int {
	n := map[string]int{}
	for _, k := range rows(t, s) {
		n[k.Algorithm]++
	}
	return n
}

// syncedRing makes m's first keys (Sync) and a ring of them, as serve does
// before it runs the manager.
func syncedRing(t *testing.T, m *managed.Manager, clk *clock) *signing.Ring {
	t.Helper()
	keys, err := m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewRing(keys, nil, signing.RingOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return ring
}
