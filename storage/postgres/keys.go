package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage"
)

const keyColumns = `id, algorithm, data, created_at, activates_at, retires_at, expires_at`

func scanSigningKeys(rows pgx.Rows) ([]storage.SigningKey, error) {
	var k storage.SigningKey
	var created int64
	var activates, retires, expires *int64
	var out []storage.SigningKey
	_, err := pgx.ForEachRow(rows, []any{&k.ID, &k.Algorithm, &k.Data, &created, &activates, &retires, &expires}, func() error {
		out = append(out, storage.SigningKey{
			ID:        k.ID,
			Algorithm: k.Algorithm,
			Data:      readBlob(k.Data),
			Created:   time.UnixMilli(created).UTC(),
			Activates: fromMS(activates),
			Retires:   fromMS(retires),
			Expires:   fromMS(expires),
		})
		return nil
	})
	return out, err
}

// CreateSigningKey implements storage.SigningKeys.
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	if err := storage.CheckSigningKey(k); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create signing key %q", k.ID), `
		INSERT INTO signing_keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.Algorithm, k.Data, k.Created.UnixMilli(), ms(k.Activates), ms(k.Retires), ms(k.Expires))
	return err
}

// GetSigningKey implements storage.SigningKeys.
func (s *Store) GetSigningKey(ctx context.Context, id string) (storage.SigningKey, error) {
	if err := storage.CheckKey("signing key id", id); err != nil {
		return storage.SigningKey{}, err
	}
	op := fmt.Sprintf("get signing key %q", id)
	l, err := query(s, ctx, op, scanSigningKeys, `SELECT `+keyColumns+` FROM signing_keys WHERE id = $1`, id)
	return first(op, l, err)
}

// ListSigningKeys implements storage.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	return query(s, ctx, "list signing keys", scanSigningKeys, `SELECT `+keyColumns+` FROM signing_keys ORDER BY created_at, id`)
}

// UpdateSigningKey implements storage.SigningKeys.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, update func(*storage.SigningKey) error) error {
	if err := storage.CheckKey("signing key id", id); err != nil {
		return err
	}
	op := fmt.Sprintf("update signing key %q", id)
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		if err := lockRow(ctx, tx, op, `SELECT 1 FROM signing_keys WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+keyColumns+` FROM signing_keys WHERE id = $1`, id)
		if err != nil {
			return err
		}
		l, err := scanSigningKeys(rows)
		k, err := lockedFirst(op, l, err)
		if err != nil {
			return err
		}
		if err := update(&k); err != nil {
			return errUpdate{err}
		}
		if err := storage.CheckSameKey("signing key id", id, k.ID); err != nil {
			return errUpdate{err}
		}
		if err := storage.CheckSigningKey(k); err != nil {
			return errUpdate{err}
		}
		_, err = tx.Exec(ctx, `
			UPDATE signing_keys SET algorithm = $2, data = $3, created_at = $4, activates_at = $5, retires_at = $6, expires_at = $7
			WHERE id = $1`,
			id, k.Algorithm, k.Data, k.Created.UnixMilli(), ms(k.Activates), ms(k.Retires), ms(k.Expires))
		return err
	})
}

// DeleteSigningKey implements storage.SigningKeys.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	if err := storage.CheckKey("signing key id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete signing key %q", id), `DELETE FROM signing_keys WHERE id = $1`, id)
}
