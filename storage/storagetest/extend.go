package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// extendTests are the tests of ExtendGrant, run with the grant tests.
var extendTests = []test{
	{"Extend", testExtend},
	{"ExtendRefused", testExtendRefused},
	{"ExtendRacingDelete", testExtendRacingDelete},
}

// testExtend checks that an extension changes the expiry and data of the
// grant, and nothing else of it or of other grants.
func testExtend(t *testing.T, s storage.Store) {
	g := sampleGrant("rt-extend")
	mustCreateGrant(t, s, g)
	mustCreateGrant(t, s, sampleGrant("other"))
	expires := g.Expires.Add(time.Hour)
	data := []byte(`{"v":2}`)
	if err := s.ExtendGrant(t.Context(), g.Key, expires, data, gnow); err != nil {
		t.Fatalf("ExtendGrant: %v", err)
	}
	want := g
	want.Expires, want.Data = expires, data
	checkGrant(t, s, want, gnow)
	checkGrant(t, s, sampleGrant("other"), gnow)
	// Alive past its old expiry.
	checkGrant(t, s, want, g.Expires.Add(time.Minute))
}

// testExtendRefused checks the refusals: a missing, expired or consumed
// grant, and bad arguments.
func testExtendRefused(t *testing.T, s storage.Store) {
	ctx := t.Context()
	later := gnow.Add(time.Hour)
	if err := s.ExtendGrant(ctx, "missing", later, nil, gnow); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ExtendGrant(missing) = %v, want ErrNotFound", err)
	}
	g := sampleGrant("rt-expired")
	mustCreateGrant(t, s, g)
	if err := s.ExtendGrant(ctx, g.Key, g.Expires.Add(time.Hour), nil, g.Expires); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ExtendGrant(expired at now) = %v, want ErrNotFound", err)
	}
	checkGrant(t, s, g, gnow) // unchanged
	c := sampleGrant("rt-consumed")
	mustCreateGrant(t, s, c)
	if _, err := s.ConsumeGrant(ctx, c.Key, gnow); err != nil {
		t.Fatal(err)
	}
	if err := s.ExtendGrant(ctx, c.Key, later, nil, gnow); !errors.Is(err, storage.ErrConsumed) {
		t.Errorf("ExtendGrant(consumed) = %v, want ErrConsumed", err)
	}
	for name, err := range map[string]error{
		"empty key":            s.ExtendGrant(ctx, "", later, nil, gnow),
		"zero now":             s.ExtendGrant(ctx, g.Key, later, nil, time.Time{}),
		"expiry not after now": s.ExtendGrant(ctx, g.Key, gnow, nil, gnow),
	} {
		if !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("ExtendGrant(%s) = %v, want ErrInvalid", name, err)
		}
	}
}

// testExtendRacingDelete runs extensions against a delete of the grant's
// family (a revocation): once the delete has returned, the grant is gone
// for good, whichever ran first; an extension never writes it back.
func testExtendRacingDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for round := range 20 {
		g := sampleGrant(fmt.Sprintf("rt-race-%02d", round))
		g.FamilyID = "family-" + g.Key
		mustCreateGrant(t, s, g)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				err := s.ExtendGrant(ctx, g.Key, g.Expires.Add(time.Duration(i+1)*time.Minute), nil, gnow)
				if err != nil && !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("ExtendGrant racing a delete: %v", err)
				}
			})
		}
		wg.Go(func() {
			if _, err := s.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: g.FamilyID}); err != nil {
				t.Errorf("DeleteGrants: %v", err)
			}
		})
		wg.Wait()
		if _, err := s.GetGrant(ctx, g.Key, gnow); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("round %d: after the delete returned, GetGrant = %v, want ErrNotFound", round, err)
		}
	}
}
