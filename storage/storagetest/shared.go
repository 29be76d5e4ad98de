package storagetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// RunShared runs the multi-instance suite: newStores returns two stores, each
// closed by its own t.Cleanup, that are separate handles (separate pools, as
// two Signet processes would have) on one empty database.
func RunShared(t *testing.T, newStores func(t *testing.T) (first, second storage.Store)) {
	tests := []struct {
		name string
		run  func(t *testing.T, a, b storage.Store)
	}{
		{"ReplayAcrossInstances", testReplayAcrossInstances},
		{"ConcurrentUseOnceAcrossInstances", testConcurrentUseOnceAcrossInstances},
		{"DeleteExpiredAcrossInstances", testDeleteExpiredAcrossInstances},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newStores(t)
			tt.run(t, a, b)
		})
	}
}

func testReplayAcrossInstances(t *testing.T, a, b storage.Store) {
	mustUse(t, a, "client", "jti", later())
	mustRefuse(t, b, "client", "jti", later())
	mustUse(t, b, "client", "jti-2", later())
	mustRefuse(t, a, "client", "jti-2", later())
}

func testConcurrentUseOnceAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	exp := later()
	for round := range 3 {
		jti := fmt.Sprintf("contended-%d", round)
		checkOneWinner(t, race(16, func(i int) error {
			return stores[i%2].UseOnce(t.Context(), "client", jti, exp)
		}))
	}
}

func testDeleteExpiredAcrossInstances(t *testing.T, a, b storage.Store) {
	const rows = 60
	cutoff := later()
	for i := range rows {
		mustUse(t, a, "client", fmt.Sprintf("jti-%d", i), cutoff.Add(-time.Duration(i+1)*time.Second))
	}
	mustUse(t, b, "client", "live", cutoff.Add(time.Hour))

	// Four sweepers, two per instance, each deleting batches of 7 until one
	// comes back empty: together they delete every expired row exactly once.
	stores := []storage.Store{a, b}
	var total atomic.Int64
	errs := race(4, func(i int) error {
		for {
			n, err := stores[i%2].DeleteExpired(t.Context(), cutoff, 7)
			if err != nil {
				return err
			}
			total.Add(int64(n))
			if n == 0 {
				return nil
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	if total.Load() != rows {
		t.Errorf("sweepers deleted %d rows in all, want %d", total.Load(), rows)
	}
	mustRefuse(t, a, "client", "live", later())
	mustUse(t, b, "client", "jti-0", later())
}
