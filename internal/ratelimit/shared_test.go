package ratelimit_test

import (
	"testing"
	"time"

	"github.com/signetid/signet/internal/ratelimit"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
)

// TestFailuresAcrossInstances: two instances on one PostgreSQL database
// block an address once its failures on both reach the limit, the second
// at its first failure there. (Skipped without SIGNET_TEST_POSTGRES_DSN.)
func TestFailuresAcrossInstances(t *testing.T) {
	t.Parallel()
	var pg stores.Backend
	for _, b := range stores.All {
		if b.Name == "postgres" {
			pg = b
		}
	}
	clock := testsupport.NewClock(time.UnixMilli(1_800_000_000_000))
	dbs := pg.Open(t, clock.Now, 2)
	var counters []*ratelimit.Failures
	for _, db := range dbs {
		shared, ok := db.(ratelimit.FailureStore)
		if !ok {
			t.Fatalf("%T does not count failures across instances", db)
		}
		counters = append(counters, ratelimit.NewFailures(ratelimit.FailureOptions{MaxFailures: 4, Window: time.Minute, Store: shared, Now: clock.Now}))
	}
	one, two := counters[0], counters[1]
	for range 3 {
		one.Fail(t.Context(), "198.51.100.7")
	}
	if one.Blocked("198.51.100.7") != 0 || two.Blocked("198.51.100.7") != 0 {
		t.Fatal("blocked before the limit")
	}
	two.Fail(t.Context(), "198.51.100.7")
	if wait := two.Blocked("198.51.100.7"); wait != time.Minute {
		t.Fatalf("instance two after the fourth failure across both: blocked %v, want 1m", wait)
	}
	clock.Advance(time.Minute)
	if one.Blocked("198.51.100.7") != 0 || two.Blocked("198.51.100.7") != 0 {
		t.Fatal("blocked after the window")
	}
}
