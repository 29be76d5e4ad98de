package managed_test

import (
	"maps"
	"sync"
	"testing"

	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/internal/testsupport/stores"
)

// TestInstances runs several managers (instances) on one store, syncing at
// once: on an empty store they make exactly one key per algorithm, at a
// rotation exactly one successor, and after the retention each old key is
// deleted once, without errors.
func TestInstances(t *testing.T) {
	t.Parallel()
	const n = 8
	algs := []string{"ES256", "RS256"}
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			handles := b.Open(t, clk.Now, n)
			kek := newKEK(t)
			managers := make([]*managed.Manager, n)
			for i := range managers {
				managers[i] = newManager(t, handles[i], options(t, clk, kek, algs...))
			}
			// same: every instance must return the same keys; true on an
			// empty store (Sync waits for the first keys) and on a second
			// round, but not in the round that makes a successor, which
			// the losers see at their next sync.
			syncAll := func(what string, same bool) {
				t.Helper()
				var wg sync.WaitGroup
				start := make(chan struct{})
				results := make([]map[string]bool, n)
				errs := make([]error, n)
				for i, m := range managers {
					wg.Go(func() {
						<-start
						keys, err := m.Sync(t.Context())
						errs[i] = err
						results[i] = map[string]bool{}
						for _, k := range keys {
							results[i][k.ID] = true
						}
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("%s: instance %d: Sync: %v", what, i, err)
					}
				}
				for i := 1; same && i < n; i++ {
					if !maps.Equal(results[i], results[0]) {
						t.Fatalf("%s: instance %d has keys %v, instance 0 %v", what, i, results[i], results[0])
					}
				}
			}
			want := func(what string, perAlg int) {
				t.Helper()
				got := count(t, handles[0])
				for _, alg := range algs {
					if got[alg] != perAlg {
						t.Errorf("%s: %d %s keys stored, want %d", what, got[alg], alg, perAlg)
					}
				}
			}

			syncAll("empty store", true)
			want("empty store", 1)
			// Every instance, synced again, sees the same keys.
			syncAll("again", true)
			want("again", 1)

			clk.Advance(defaultRot - defaultProp)
			syncAll("rotation due", false)
			want("rotation due", 2)
			syncAll("rotation due, again", true)
			want("rotation due, again", 2)

			clk.Advance(defaultProp + defaultRet)
			syncAll("retention over", true)
			want("retention over", 1)

			// The next rotation, too.
			clk.Advance(defaultRot - defaultProp - defaultRet)
			syncAll("second rotation", false)
			want("second rotation", 2)
		})
	}
}
