package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/signetid/signet/storage"
)

var _ storage.Store = (*Store)(nil)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock that decides whether a record has expired; time.Now if
	// nil.
	Now func() time.Time
}

// Store is an in-memory storage.Store, safe for concurrent use.
type Store struct {
	now func() time.Time

	mu     sync.Mutex
	closed bool
	jtis   map[jtiKey]int64 // expiry, unix milliseconds, like the SQL backends
}

type jtiKey struct{ clientID, jti string }

// New returns an empty Store.
func New(opts Options) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, jtis: make(map[jtiKey]int64)}
}

// UseOnce implements storage.ReplayCache.
func (s *Store) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	if err := storage.CheckUseOnce(clientID, jti, expires); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now().UnixMilli()
	k := jtiKey{clientID, jti}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.ErrClosed
	}
	if exp, ok := s.jtis[k]; ok && exp > now {
		return fmt.Errorf("use jti: %w", storage.ErrAlreadyExists)
	}
	s.jtis[k] = expires.UnixMilli()
	return nil
}

// DeleteExpired implements storage.Cleaner.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	if err := storage.CheckLimit(limit); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	cutoff := now.UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, storage.ErrClosed
	}
	n := 0
	for k, exp := range s.jtis {
		if n == limit {
			break
		}
		if exp <= cutoff {
			delete(s.jtis, k)
			n++
		}
	}
	return n, nil
}

// Ping implements storage.Pinger.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.ErrClosed
	}
	return nil
}

// Close discards the contents. Later calls return storage.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.jtis = nil
	return nil
}
