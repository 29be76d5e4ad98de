package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

var scanSigningKeys = collect(sqlrow.SigningKey)

// CreateSigningKey implements storage.SigningKeys.
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	if err := storage.CheckSigningKey(k); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create signing key %q", k.ID), `
		INSERT INTO signing_keys (`+sqlrow.KeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.Algorithm, k.Data, k.Created.UnixMilli(), ms(k.Activates), ms(k.Retires), ms(k.Expires))
	return s.notifyKeys(ctx, err)
}

// notifyKeys tells the instances listening (WatchSigningKeys) that the
// signing keys changed, once the write (whose error is err) committed. A
// notification that cannot be sent is logged only: instances also sync
// their keys periodically, which is the guarantee.
func (s *Store) notifyKeys(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	if _, nerr := s.exec(ctx, "notify a signing key change", `SELECT pg_notify($1, $2)`, s.channel(), keysPayload); nerr != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "the signing key change is written but other instances were not notified; they see it at their next sync",
			slog.String("database", s.target), slog.Any("err", nerr))
	}
	return nil
}

// GetSigningKey implements storage.SigningKeys.
func (s *Store) GetSigningKey(ctx context.Context, id string) (storage.SigningKey, error) {
	return get(s, ctx, storage.SigningKeyKind, "signing key", id, scanSigningKeys, `SELECT `+sqlrow.KeyColumns+` FROM signing_keys WHERE id = $1`)
}

// ListSigningKeys implements storage.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	return query(s, ctx, "list signing keys", scanSigningKeys, `SELECT `+sqlrow.KeyColumns+` FROM signing_keys ORDER BY created_at, id`)
}

// UpdateSigningKey implements storage.SigningKeys.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, change func(*storage.SigningKey) error) error {
	read := func(ctx context.Context, tx pgx.Tx, op string) (storage.SigningKey, error) {
		return lockFirst(ctx, tx, op, `SELECT 1 FROM signing_keys WHERE id = $1 FOR UPDATE`,
			`SELECT `+sqlrow.KeyColumns+` FROM signing_keys WHERE id = $1`, id, scanSigningKeys)
	}
	return s.notifyKeys(ctx, update(s, ctx, storage.SigningKeyKind, "signing key", id, read, change, func(ctx context.Context, tx pgx.Tx, k storage.SigningKey) error {
		_, err := tx.Exec(ctx, `
			UPDATE signing_keys SET algorithm = $2, data = $3, created_at = $4, activates_at = $5, retires_at = $6, expires_at = $7
			WHERE id = $1`,
			id, k.Algorithm, k.Data, k.Created.UnixMilli(), ms(k.Activates), ms(k.Retires), ms(k.Expires))
		return err
	}))
}

// DeleteSigningKey implements storage.SigningKeys.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	if err := storage.CheckKey("signing key id", id); err != nil {
		return err
	}
	return s.notifyKeys(ctx, s.deleteOne(ctx, fmt.Sprintf("delete signing key %q", id), `DELETE FROM signing_keys WHERE id = $1`, id))
}

// SigningKeysVersion implements storage.SigningKeys. A trigger on
// signing_keys changes it in the transaction of every write to it.
func (s *Store) SigningKeysVersion(ctx context.Context) (int64, error) {
	return s.version(ctx, "read signing keys version", `SELECT version FROM signing_keys_version WHERE id = 1`)
}

// DatabaseTime implements storage.Clock: the server's clock_timestamp().
func (s *Store) DatabaseTime(ctx context.Context) (time.Time, error) {
	if err := s.alive(); err != nil {
		return time.Time{}, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	var t time.Time
	if err := s.pool.QueryRow(octx, `SELECT clock_timestamp()`).Scan(&t); err != nil {
		return time.Time{}, s.fail(ctx, "read the database's clock", err)
	}
	return t, nil
}
