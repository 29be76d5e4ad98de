package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/signetid/signet/storage"
)

// UseOnce implements storage.ReplayCache. Liveness is decided by $4 (now),
// so that a row that expired but was not cleaned up yet is replaced rather
// than blocking; INSERT ... ON CONFLICT DO UPDATE makes the check and the
// write one atomic statement, across connections and instances. No row is
// affected exactly when a live row was there.
func (s *Store) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	if err := storage.CheckUseOnce(clientID, jti, expires); err != nil {
		return err
	}
	n, err := s.exec(ctx, "use jti", `
		INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE client_assertion_jtis.expires_at <= $4`,
		clientID, jti, expires.UnixMilli(), s.now().UnixMilli())
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("postgres: use jti: %w", storage.ErrAlreadyExists)
	}
	return nil
}

// deleteExpiredSQL removes at most $2 expired rows of one kind each, in the
// order DeleteExpired runs them. SKIP LOCKED lets several sweepers (one per
// instance) take disjoint batches instead of queueing on the same rows; the
// outer condition repeats the inner one, so that a row changed by a
// concurrent UseOnce between the subquery's snapshot and the lock is checked
// again.
var deleteExpiredSQL = []string{
	`DELETE FROM client_assertion_jtis
		WHERE expires_at <= $1 AND (client_id, jti) IN (
			SELECT client_id, jti FROM client_assertion_jtis
			WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	`DELETE FROM grants
		WHERE expires_at <= $1 AND key IN (
			SELECT key FROM grants
			WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	`DELETE FROM sessions
		WHERE expires_at <= $1 AND id IN (
			SELECT id FROM sessions
			WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	`DELETE FROM signing_keys
		WHERE expires_at <= $1 AND id IN (
			SELECT id FROM signing_keys
			WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	`DELETE FROM client_auth_failures
		WHERE expires_at <= $1 AND key IN (
			SELECT key FROM client_auth_failures
			WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
}

// DeleteExpired implements storage.Cleaner: it removes expired jtis, then
// grants, then sessions, then signing keys, then the failed client
// authentication counts of windows that ended, each statement bounded by what is left of limit
// and committed on its own.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	if err := storage.CheckLimit(limit); err != nil {
		return 0, err
	}
	total := 0
	for _, q := range deleteExpiredSQL {
		n, err := s.exec(ctx, "delete expired", q, now.UnixMilli(), limit-total)
		if err != nil {
			return total, err
		}
		total += int(n)
		if total >= limit {
			break
		}
	}
	return total, nil
}

// ConfigVersion implements storage.ConfigVersioner. Triggers on the client
// and resource tables change it in the transaction of every write to them.
func (s *Store) ConfigVersion(ctx context.Context) (int64, error) {
	return s.version(ctx, "read config version", `SELECT version FROM config_version WHERE id = 1`)
}

// version reads the one number that query selects.
func (s *Store) version(ctx context.Context, op, query string) (int64, error) {
	if err := s.alive(); err != nil {
		return 0, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	var v int64
	if err := s.pool.QueryRow(octx, query).Scan(&v); err != nil {
		return 0, s.fail(ctx, op, err)
	}
	return v, nil
}
