package managed_test

import (
	"crypto/rand"
	"log/slog"
	"testing"
	"time"

	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// clock is a fake clock shared by managers and stores.
type clock = testsupport.Clock

func newClock() *clock { return testsupport.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) }

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

// es256Manager is a manager of ES256 with the default lifecycle and a new
// KEK, on a fresh memory store and a new clock.
func es256Manager(t *testing.T) (*managed.Manager, *memory.Store, *clock) {
	t.Helper()
	clk := newClock()
	store := memStore(clk)
	return newManager(t, store, options(t, clk, newKEK(t), "ES256")), store, clk
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
