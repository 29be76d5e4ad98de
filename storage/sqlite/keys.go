package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// CreateSigningKey implements storage.SigningKeys.
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	if err := storage.CheckSigningKey(k); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create signing key %q", k.ID), `
		INSERT INTO signing_keys (`+sqlrow.KeyColumns+`) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
		k.ID, k.Algorithm, blob(k.Data), k.Created.UnixMilli(), ms(k.Activates), ms(k.Retires), ms(k.Expires))
	return err
}

// GetSigningKey implements storage.SigningKeys.
func (s *Store) GetSigningKey(ctx context.Context, id string) (storage.SigningKey, error) {
	return get(s, ctx, storage.SigningKeyKind, "signing key", id, func() (storage.SigningKey, error) {
		return sqlrow.SigningKey(s.r.QueryRowContext(ctx, `SELECT `+sqlrow.KeyColumns+` FROM signing_keys WHERE id = ?1`, id))
	})
}

// ListSigningKeys implements storage.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	return queryAll(s, ctx, "list signing keys", sqlrow.SigningKey,
		`SELECT `+sqlrow.KeyColumns+` FROM signing_keys ORDER BY created_at, id`)
}

// UpdateSigningKey implements storage.SigningKeys.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, change func(*storage.SigningKey) error) error {
	read := func(tx *sql.Tx) (storage.SigningKey, error) {
		return sqlrow.SigningKey(tx.QueryRowContext(ctx, `SELECT `+sqlrow.KeyColumns+` FROM signing_keys WHERE id = ?1`, id))
	}
	return update(s, ctx, storage.SigningKeyKind, "signing key", id, read, change, func(tx *sql.Tx, k storage.SigningKey) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE signing_keys SET algorithm = ?2, data = ?3, created_at = ?4, activates_at = ?5, retires_at = ?6, expires_at = ?7
			WHERE id = ?1`,
			id, k.Algorithm, blob(k.Data), k.Created.UnixMilli(), ms(k.Activates), ms(k.Retires), ms(k.Expires))
		return err
	})
}

// DeleteSigningKey implements storage.SigningKeys.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	if err := storage.CheckKey("signing key id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete signing key %q", id), `DELETE FROM signing_keys WHERE id = ?1`, id)
}

// ConfigVersion implements storage.ConfigVersioner. Triggers on the client
// and resource tables change it in the transaction of every write to them.
func (s *Store) ConfigVersion(ctx context.Context) (int64, error) {
	return s.version(ctx, "read config version", `SELECT version FROM config_version WHERE id = 1`)
}

// SigningKeysVersion implements storage.SigningKeys. Triggers on the
// signing_keys table change it in the transaction of every write to it.
func (s *Store) SigningKeysVersion(ctx context.Context) (int64, error) {
	return s.version(ctx, "read signing keys version", `SELECT version FROM signing_keys_version WHERE id = 1`)
}

// version reads the one number that query selects.
func (s *Store) version(ctx context.Context, op, query string) (int64, error) {
	if err := s.alive(); err != nil {
		return 0, err
	}
	var v int64
	if err := s.r.QueryRowContext(ctx, query).Scan(&v); err != nil {
		return 0, s.fail(ctx, op, err)
	}
	return v, nil
}
