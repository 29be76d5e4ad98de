package session

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/signetid/signet/storage"
)

// recentMax bounds each of recentSessions' two generations: at most twice
// as many sessions are remembered (a few hundred bytes each).
const recentMax = 4096

// recentSessions remembers the sessions a Manager read or wrote lately, by
// storage id, so that Recent can answer without a read. When the newer
// generation is full it becomes the older one, and the older is dropped:
// the sessions in use stay (a hit moves the entry to the newer
// generation), the others go, without any bookkeeping per hit.
type recentSessions struct {
	mu       sync.Mutex
	cur, old map[string]storage.Session
}

// copyRecord returns rec with slices of its own, so that neither the
// memory nor a caller changes the other's.
func copyRecord(rec storage.Session) storage.Session {
	rec.AMR = slices.Clone(rec.AMR)
	rec.Clients = slices.Clone(rec.Clients)
	return rec
}

func (c *recentSessions) get(id string) (storage.Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec, ok := c.cur[id]
	if !ok {
		if rec, ok = c.old[id]; ok {
			delete(c.old, id)
			c.putLocked(rec)
		}
	}
	if !ok {
		return storage.Session{}, false
	}
	return copyRecord(rec), true
}

func (c *recentSessions) put(rec storage.Session) {
	rec = copyRecord(rec)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.old, rec.ID)
	c.putLocked(rec)
}

func (c *recentSessions) putLocked(rec storage.Session) {
	if _, ok := c.cur[rec.ID]; !ok && len(c.cur) >= recentMax {
		c.old, c.cur = c.cur, nil
	}
	if c.cur == nil {
		c.cur = make(map[string]storage.Session)
	}
	c.cur[rec.ID] = rec
}

func (c *recentSessions) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cur, id)
	delete(c.old, id)
}

func (c *recentSessions) dropSubject(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]storage.Session{c.cur, c.old} {
		for id, rec := range m {
			if rec.Subject == subject {
				delete(m, id)
			}
		}
	}
}

// Recent returns the session of r's cookie as Current does, but from the
// manager's memory when this manager read or wrote that session lately,
// without reading the store. Such a session is not Confirmed: it may
// have ended since, by a logout on another instance, the CLI, or the
// account page. Act on it only through a write that checks the session
// is live in the same statement (tokens.Service.IssueCode does), and call
// Current before anything else, or when that write finds it ended (after
// Forget). Recent reads the store as Current does when the session is not
// in memory, when its remembered expiry has passed, and when its expiry is
// due to move forward.
func (m *Manager) Recent(ctx context.Context, r *http.Request) (*Session, error) {
	handle := handleFrom(r, CookieName)
	if handle == "" {
		return nil, nil
	}
	rec, ok := m.recent.get(storageID(handle))
	if !ok {
		return m.Current(ctx, r)
	}
	now := m.now().UTC().Truncate(time.Millisecond)
	end := rec.Created.Add(m.absolute)
	if _, due := m.renewal(rec, now); due || !now.Before(rec.Expires) || !now.Before(end) {
		return m.Current(ctx, r)
	}
	return &Session{Session: rec, handle: handle, unconfirmed: true}, nil
}

// Forget drops s from the manager's memory, so that the next Recent of
// its cookie reads the store: for a session a write found ended.
func (m *Manager) Forget(s *Session) {
	if s != nil {
		m.recent.drop(s.ID)
	}
}

// Confirmed reports whether s was read from the store (Current, or Recent
// when it read) or started (Start) for this request, rather than
// remembered (Recent).
func (s *Session) Confirmed() bool { return !s.unconfirmed }

// renewal returns the expiry rec would move to at now, and whether it is
// due to move (Current moves it): when that gains a quarter of the idle
// lifetime, or reaches the absolute end (else a session used shortly
// before its end would end sooner than an idle one should).
func (m *Manager) renewal(rec storage.Session, now time.Time) (want time.Time, due bool) {
	end := rec.Created.Add(m.absolute)
	want = earlier(now.Add(m.idle), end)
	gain := want.Sub(rec.Expires)
	return want, gain >= m.idle/renewFraction || (gain > 0 && want.Equal(end))
}
