package users

import (
	"sync"
	"time"

	"github.com/signetid/signet/storage"
)

// defaultPhantoms bounds the usernames without a stored failure count that
// an Authenticator remembers: about 100 bytes each, so about 1 MiB.
const defaultPhantoms = 10000

// phantoms counts the failed sign-ins of usernames that have no stored
// failure count (no such user, a disabled user, one without a usable
// password) and locks them out by the same policy as real users, so that
// the lockout message does not tell which usernames exist. They are
// counted in memory, per instance: nothing is written for a username
// that matches nobody.
type phantoms struct {
	max             int
	window, lockout time.Duration
	cap             int

	mu sync.Mutex
	m  map[string]*phantom
}

type phantom struct {
	since       time.Time
	failures    int
	lockedUntil time.Time
}

func newPhantoms(o Options, capacity int) *phantoms {
	return &phantoms{max: o.MaxFailures, window: o.FailureWindow, lockout: o.Lockout, cap: capacity, m: map[string]*phantom{}}
}

// locked returns when username's lockout ends, or the zero time.
func (p *phantoms) locked(username string, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.m[storage.NormalizeUsername(username)]; e != nil && e.lockedUntil.After(now) {
		return e.lockedUntil
	}
	return time.Time{}
}

// fail counts a failure of username at now, as Authenticator.fail does
// for a stored user, and returns the lockout it starts, or the zero time.
func (p *phantoms) fail(username string, now time.Time) time.Time {
	key := storage.NormalizeUsername(username)
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[key]
	if e == nil {
		if len(p.m) >= p.cap {
			p.evict(now)
		}
		e = &phantom{}
		p.m[key] = e
	}
	if e.lockedUntil.After(now) {
		return e.lockedUntil
	}
	if !e.lockedUntil.IsZero() || e.since.IsZero() || !now.Before(e.since.Add(p.window)) {
		e.failures, e.since, e.lockedUntil = 0, now, time.Time{}
	}
	e.failures++
	if e.failures >= p.max {
		e.lockedUntil = now.Add(p.lockout)
		return e.lockedUntil
	}
	return time.Time{}
}

// evict makes room: drops the entries that no longer count, or else the
// one whose window started first.
func (p *phantoms) evict(now time.Time) {
	var oldest string
	var oldestSince time.Time
	for k, e := range p.m {
		if !e.lockedUntil.After(now) && !now.Before(e.since.Add(p.window)) {
			delete(p.m, k)
			continue
		}
		if oldest == "" || e.since.Before(oldestSince) {
			oldest, oldestSince = k, e.since
		}
	}
	if len(p.m) >= p.cap && oldest != "" {
		delete(p.m, oldest)
	}
}
