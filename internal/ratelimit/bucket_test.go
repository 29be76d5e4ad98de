package ratelimit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/testsupport"
)

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestBucketsBurstThenRate(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	b := NewBuckets(Rate{PerSecond: 2, Burst: 3}, 0, clock.Now)
	for i := range 3 {
		if wait := b.Take("a"); wait != 0 {
			t.Fatalf("request %d of the burst refused (wait %v)", i+1, wait)
		}
	}
	if wait := b.Take("a"); wait != time.Second {
		// Half a second to the next token, answered as a whole second.
		t.Fatalf("over the burst: wait %v, want 1s", wait)
	}
	if wait := b.Take("b"); wait != 0 {
		t.Fatalf("another key was refused (wait %v)", wait)
	}
	clock.Advance(500 * time.Millisecond)
	if wait := b.Take("a"); wait != 0 {
		t.Fatalf("after half a second at 2/s: refused (wait %v)", wait)
	}
	if wait := b.Take("a"); wait == 0 {
		t.Fatal("the token refilled in half a second was taken twice")
	}
	// A long pause refills to the burst, not beyond.
	clock.Advance(time.Hour)
	for i := range 3 {
		if wait := b.Take("a"); wait != 0 {
			t.Fatalf("after an hour, request %d refused", i+1)
		}
	}
	if wait := b.Take("a"); wait == 0 {
		t.Fatal("an hour's pause gave more than the burst")
	}
}

func TestBucketsSlowRateWait(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	b := NewBuckets(Rate{PerSecond: 0.1, Burst: 1}, 0, clock.Now)
	b.Take("u")
	if wait := b.Take("u"); wait != 10*time.Second {
		t.Fatalf("at 0.1/s: wait %v, want 10s", wait)
	}
	clock.Advance(4 * time.Second)
	if wait := b.Take("u"); wait != 6*time.Second {
		t.Fatalf("4 s later: wait %v, want 6s", wait)
	}
}

func TestBucketsOff(t *testing.T) {
	t.Parallel()
	b := NewBuckets(Rate{}, 0, nil)
	for range 1000 {
		if b.Take("a") != 0 {
			t.Fatal("a rate of 0 refused")
		}
	}
	if b.Len() != 0 {
		t.Errorf("a rate of 0 remembered %d keys", b.Len())
	}
	var none *Buckets
	if none.Take("a") != 0 {
		t.Fatal("nil Buckets refused")
	}
}

// TestBucketsBounded: many keys never hold more than MaxKeys, and a key
// in use survives eviction ahead of idle ones.
func TestBucketsBounded(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	b := NewBuckets(Rate{PerSecond: 0.01, Burst: 2}, 100, clock.Now)
	b.Take("busy")
	b.Take("busy")
	for i := range 1000 {
		clock.Advance(time.Millisecond)
		b.Take(fmt.Sprint("k", i))
		if i%50 == 0 {
			// "busy" keeps being used (and refused: its bucket is
			// empty), so it is never the least recently used.
			b.Take("busy")
		}
		if n := b.Len(); n > 100 {
			t.Fatalf("%d keys remembered, want at most 100", n)
		}
	}
	if wait := b.Take("busy"); wait == 0 {
		t.Fatal("the busy key's empty bucket was evicted: its limit was reset")
	}
	// Buckets that refilled are dropped first: after a pause, all of them
	// go when the next eviction comes, leaving the new keys alone.
	clock.Advance(time.Hour)
	for i := range 20 {
		b.Take(fmt.Sprint("new", i))
	}
	if n := b.Len(); n > 20 {
		t.Fatalf("after every bucket refilled and 20 new keys, %d keys remain, want at most 20", n)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	f := NewFailures(FailureOptions{MaxFailures: 3, Window: time.Minute, Now: clock.Now})
	ctx := t.Context()
	for i := range 3 {
		if wait := f.Blocked("1.2.3.4"); wait != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		f.Fail(ctx, "1.2.3.4")
		clock.Advance(10 * time.Second)
	}
	if wait := f.Blocked("1.2.3.4"); wait != 30*time.Second {
		t.Fatalf("after 3 failures in a minute: blocked for %v, want the window's 30 s left", wait)
	}
	if f.Blocked("5.6.7.8") != 0 {
		t.Fatal("another address is blocked")
	}
	clock.Advance(30 * time.Second)
	if wait := f.Blocked("1.2.3.4"); wait != 0 {
		t.Fatalf("after the window: still blocked for %v", wait)
	}
	// A new window starts from the next failure.
	f.Fail(ctx, "1.2.3.4")
	if f.Blocked("1.2.3.4") != 0 {
		t.Fatal("one failure of a new window blocks")
	}
}

// sharedStore is a FailureStore in memory, as the database's is, for
// several Failures (instances) at once.
type sharedStore struct {
	calls int
	m     map[string]*failWindow
}

func (s *sharedStore) AddAuthFailure(_ context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	s.calls++
	w := s.m[key]
	if w == nil || !now.Before(w.start.Add(window)) {
		w = &failWindow{start: now}
		s.m[key] = w
	}
	w.count++
	return w.count, w.start, nil
}

// TestFailuresShared: two instances over one store block an address once
// its failures on both reach the limit, the second at its first failure
// there; blocked checks never reach the store.
func TestFailuresShared(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	store := &sharedStore{m: map[string]*failWindow{}}
	a := NewFailures(FailureOptions{MaxFailures: 3, Window: time.Minute, Store: store, Now: clock.Now})
	b := NewFailures(FailureOptions{MaxFailures: 3, Window: time.Minute, Store: store, Now: clock.Now})
	ctx := t.Context()
	a.Fail(ctx, "ip")
	a.Fail(ctx, "ip")
	if a.Blocked("ip") != 0 || b.Blocked("ip") != 0 {
		t.Fatal("blocked after 2 failures of 3")
	}
	b.Fail(ctx, "ip")
	if b.Blocked("ip") == 0 {
		t.Fatal("instance b: not blocked after the third failure across instances")
	}
	calls := store.calls
	for range 10 {
		b.Blocked("ip")
		a.Blocked("ip")
	}
	if store.calls != calls {
		t.Fatalf("checks reached the store %d times", store.calls-calls)
	}
}

func TestFailuresBounded(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	f := NewFailures(FailureOptions{MaxFailures: 2, Window: time.Minute, MaxKeys: 10, Now: clock.Now})
	for i := range 100 {
		f.Fail(t.Context(), fmt.Sprint("k", i))
	}
	f.mu.Lock()
	n := len(f.m)
	f.mu.Unlock()
	if n > 10 {
		t.Fatalf("%d addresses remembered, want at most 10", n)
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::9":      "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBucketsLongKeys: a key of an attacker's choosing (a username of up
// to a request body's size) is remembered in a bounded size, so that
// MaxKeys bounds the memory, and still counted as itself.
func TestBucketsLongKeys(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	b := NewBuckets(Rate{PerSecond: 0.1, Burst: 1}, 0, clock.Now)
	long := strings.Repeat("u", 64<<10)
	if b.Take(long) != 0 {
		t.Fatal("the long key's first request was refused")
	}
	if b.Take(long) == 0 {
		t.Fatal("the long key's second request was not counted against it")
	}
	if b.Take(long[1:]+"v") != 0 {
		t.Fatal("another long key shares its bucket")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.m {
		if len(k) > maxKeyLen {
			t.Errorf("a key of %d bytes is remembered as it is; want at most %d", len(k), maxKeyLen)
		}
	}
}

// TestFailuresEvictTenth: when full of windows that have not ended, a new
// address makes room for a tenth of MaxKeys at once (the oldest windows),
// so that each of the next ones is added without a pass over every
// window under the lock every client authentication takes.
func TestFailuresEvictTenth(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(start)
	f := NewFailures(FailureOptions{MaxFailures: 2, Window: time.Hour, MaxKeys: 100, Now: clock.Now})
	for i := range 101 {
		clock.Advance(time.Second)
		f.Fail(t.Context(), fmt.Sprint("k", i))
	}
	f.mu.Lock()
	n := len(f.m)
	_, newest := f.m["k100"]
	_, oldest := f.m["k0"]
	f.mu.Unlock()
	if n > 90 {
		t.Errorf("after the 101st address of at most 100: %d remembered, want at most 90", n)
	}
	if !newest || oldest {
		t.Errorf("the newest window kept: %v, the oldest: %v; want the oldest dropped", newest, oldest)
	}
}
