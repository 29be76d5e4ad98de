package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/signetid/signet/storage"
)

// maxAuthFailureKey bounds the key of AddAuthFailure: an address, or an
// IPv6 /64, is far shorter.
const maxAuthFailureKey = 256

// AddAuthFailure counts a failed client authentication of key (the
// client's address) at now, for internal/ratelimit's shared counters: in
// key's window, or in a new one starting at now when the last one began
// window or more before. It returns the window's count and start. One
// statement, atomic across connections and instances.
func (s *Store) AddAuthFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	if key == "" || len(key) > maxAuthFailureKey || window <= 0 {
		return 0, time.Time{}, fmt.Errorf("postgres: count client authentication failure: %w: key of 1 to %d bytes and a positive window", storage.ErrInvalid, maxAuthFailureKey)
	}
	if err := s.alive(); err != nil {
		return 0, time.Time{}, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	var count int
	var start int64
	err := s.pool.QueryRow(octx, `
		INSERT INTO client_auth_failures AS f (key, window_start, failures, expires_at) VALUES ($1, $2, 1, $4)
		ON CONFLICT (key) DO UPDATE SET
			failures     = CASE WHEN f.window_start <= $3 THEN 1 ELSE f.failures + 1 END,
			expires_at   = CASE WHEN f.window_start <= $3 THEN $4 ELSE f.expires_at END,
			window_start = CASE WHEN f.window_start <= $3 THEN $2 ELSE f.window_start END
		RETURNING failures, window_start`,
		key, now.UnixMilli(), now.Add(-window).UnixMilli(), now.Add(window).UnixMilli()).Scan(&count, &start)
	if err != nil {
		return 0, time.Time{}, s.fail(ctx, "count client authentication failure", err)
	}
	s.wrote(ctx)
	return count, time.UnixMilli(start), nil
}
