package ratelimit

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/outage"
)

// Default limit of failed client authentications per address.
const (
	DefaultMaxFailures   = 50
	DefaultFailureWindow = 5 * time.Minute
)

// FailureStore counts failed client authentications across instances
// (storage/postgres). It is called only when an authentication fails.
type FailureStore interface {
	// AddAuthFailure counts a failure of key at now in key's window,
	// starting a new window when the last one began window or more before
	// now, and returns the window's count and start.
	AddAuthFailure(ctx context.Context, key string, now time.Time, window time.Duration) (count int, start time.Time, err error)
}

// Failures counts failed client authentications per address in fixed
// windows: MaxFailures in a Window block the address until the window
// ends. Whether an address is blocked is answered from memory alone; with
// a Store, each failure is counted there and the shared count comes back,
// so an address that failed on other instances is blocked here at its
// first failure here, and a success costs the database nothing.
type Failures struct {
	max     int
	window  time.Duration
	maxKeys int
	store   FailureStore
	now     func() time.Time
	logger  *slog.Logger

	mu sync.Mutex
	m  map[string]*failWindow
}

type failWindow struct {
	start time.Time
	count int
}

// FailureOptions configure Failures; zero values are the defaults.
type FailureOptions struct {
	MaxFailures int
	Window      time.Duration
	// MaxKeys bounds the addresses remembered (default DefaultMaxKeys).
	MaxKeys int
	Store   FailureStore
	Now     func() time.Time
	// Logger hears a store that fails (the failure is then counted here
	// alone); nil: no log.
	Logger *slog.Logger
}

// NewFailures makes a failure counter.
func NewFailures(o FailureOptions) *Failures {
	f := &Failures{max: o.MaxFailures, window: o.Window, maxKeys: o.MaxKeys, store: o.Store, now: o.Now, logger: o.Logger, m: map[string]*failWindow{}}
	if f.max <= 0 {
		f.max = DefaultMaxFailures
	}
	if f.window <= 0 {
		f.window = DefaultFailureWindow
	}
	if f.maxKeys <= 0 {
		f.maxKeys = DefaultMaxKeys
	}
	if f.now == nil {
		f.now = time.Now
	}
	return f
}

// Blocked returns how long key is blocked for, or 0.
func (f *Failures) Blocked(key string) time.Duration {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.m[key]
	if w == nil || w.count < f.max {
		return 0
	}
	left := w.start.Add(f.window).Sub(now)
	if left <= 0 {
		delete(f.m, key)
		return 0
	}
	return max(left, time.Second)
}

// Fail counts a failure of key.
func (f *Failures) Fail(ctx context.Context, key string) {
	now := f.now()
	if f.store != nil {
		// Not the request's own write: a storage outage that fails it does
		// not make the request one "answered 503" (it is answered 401).
		count, start, err := f.store.AddAuthFailure(endpoint.WithoutRequest(ctx), key, now, f.window)
		if err == nil {
			f.set(key, now, start, count)
			return
		}
		if f.logger != nil {
			// A storage outage is reported once by the outage report.
			f.logger.LogAttrs(ctx, outage.Level(err, slog.LevelWarn), "failed client authentication not counted in the database; counted on this instance only", slog.String("error", err.Error()))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.m[key]
	if w == nil || !now.Before(w.start.Add(f.window)) {
		w = f.add(key, now, now)
	}
	w.count++
}

// set records the shared count of key's window.
func (f *Failures) set(key string, now, start time.Time, count int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.m[key]
	if w == nil {
		w = f.add(key, now, start)
	}
	w.start, w.count = start, count
}

// add starts key's window at start, making room when full: the ended
// windows go first, then, if that is not a tenth of them, the oldest down
// to nine tenths, so that a pass over every window (under the lock each
// client authentication takes) comes once per tenth of MaxKeys new
// addresses, not at each.
func (f *Failures) add(key string, now, start time.Time) *failWindow {
	if _, ok := f.m[key]; !ok && len(f.m) >= f.maxKeys {
		for k, w := range f.m {
			if !now.Before(w.start.Add(f.window)) {
				delete(f.m, k)
			}
		}
		if target := f.maxKeys - f.maxKeys/10 - 1; len(f.m) > target {
			starts := make([]time.Time, 0, len(f.m))
			for _, w := range f.m {
				starts = append(starts, w.start)
			}
			slices.SortFunc(starts, time.Time.Compare)
			// The windows that started before cut go; those at cut
			// stay, unless they are all that is left to drop.
			cut := starts[len(starts)-target-1]
			for k, w := range f.m {
				if w.start.Before(cut) {
					delete(f.m, k)
				}
			}
			for k, w := range f.m {
				if len(f.m) <= target {
					break
				}
				if w.start.Equal(cut) {
					delete(f.m, k)
				}
			}
		}
	}
	w := &failWindow{start: start}
	f.m[key] = w
	return w
}
