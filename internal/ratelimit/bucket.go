package ratelimit

import (
	"crypto/sha256"
	"math"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the keys a Buckets remembers when Options.MaxKeys
// is 0: about 100 bytes each, so about 10 MiB at most.
const DefaultMaxKeys = 100_000

// maxKeyLen bounds the length of a key as remembered: a longer one (a
// username, which a caller chooses, up to a request body's size) is
// remembered by its SHA-256, so that each key costs about 100 bytes and
// DefaultMaxKeys bounds the memory.
const maxKeyLen = 64

// Rate is a token bucket's refill rate and size.
type Rate struct {
	// PerSecond is how many requests a key may make per second over
	// time; 0 is no limit.
	PerSecond float64
	// Burst is how many it may make at once; at least 1 when PerSecond is
	// set.
	Burst int
}

// Off is whether r limits nothing.
func (r Rate) Off() bool { return r.PerSecond <= 0 }

// Buckets is a token bucket per key (an address, a client id), in memory.
// When it holds MaxKeys keys, a new key first drops the buckets that have
// refilled (they are as good as new), then, if still full, the least
// recently used tenth: an attacker cycling through addresses resets
// someone's bucket, never grows memory.
type Buckets struct {
	rate  Rate
	max   int
	mu    sync.Mutex
	m     map[string]*bucket
	nowFn func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewBuckets makes buckets of rate r, remembering at most maxKeys keys (0:
// DefaultMaxKeys). now is the clock (nil: time.Now).
func NewBuckets(r Rate, maxKeys int, now func() time.Time) *Buckets {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if r.Burst < 1 {
		r.Burst = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Buckets{rate: r, max: maxKeys, m: map[string]*bucket{}, nowFn: now}
}

// Take takes a token from key's bucket. It returns 0 when there was one,
// else how long until there is, in whole seconds rounded up (as
// Retry-After counts).
func (b *Buckets) Take(key string) time.Duration {
	if b == nil || b.rate.Off() {
		return 0
	}
	if len(key) > maxKeyLen {
		sum := sha256.Sum256([]byte(key))
		key = string(sum[:])
	}
	now := b.nowFn()
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.m[key]
	if k == nil {
		if len(b.m) >= b.max {
			b.evict(now)
		}
		k = &bucket{tokens: float64(b.rate.Burst), last: now}
		b.m[key] = k
	} else {
		b.refill(k, now)
	}
	if k.tokens >= 1 {
		k.tokens--
		return 0
	}
	// In whole seconds, rounded up (after a rounding to the millisecond,
	// so that float error does not add a second).
	wait := time.Duration((1 - k.tokens) / b.rate.PerSecond * float64(time.Second)).Round(time.Millisecond)
	return max((wait+time.Second-1)/time.Second*time.Second, time.Second)
}

func (b *Buckets) refill(k *bucket, now time.Time) {
	if el := now.Sub(k.last); el > 0 {
		k.tokens = math.Min(float64(b.rate.Burst), k.tokens+el.Seconds()*b.rate.PerSecond)
		k.last = now
	}
}

// evict makes room for a key: it drops the full buckets, and if that is not
// a tenth of them, the least recently used ones down to nine tenths.
func (b *Buckets) evict(now time.Time) {
	full := time.Duration(float64(b.rate.Burst) / b.rate.PerSecond * float64(time.Second))
	for key, k := range b.m {
		if now.Sub(k.last) >= full {
			delete(b.m, key)
		}
	}
	target := b.max - b.max/10 - 1
	if len(b.m) <= target {
		return
	}
	// The cutoff is the last-use time below which the oldest tenth lies:
	// found by sorting the times would cost more than one pass per
	// halving, so drop by age, oldest first, in a few passes.
	oldest, newest := now, time.Time{}
	for _, k := range b.m {
		if k.last.Before(oldest) {
			oldest = k.last
		}
		if k.last.After(newest) {
			newest = k.last
		}
	}
	for len(b.m) > target && !oldest.After(newest) {
		cut := oldest.Add(max(newest.Sub(oldest)/8, 1))
		for key, k := range b.m {
			if k.last.Before(cut) {
				delete(b.m, key)
			}
		}
		oldest = cut
	}
}

// Len is how many keys are remembered.
func (b *Buckets) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}
