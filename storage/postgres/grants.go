package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/grantsql"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// live is the condition of a grant that has not expired at $2.
const live = `(expires_at IS NULL OR expires_at > $2)`

var scanGrants = collect(sqlrow.Grant)

// CreateGrant implements storage.PersistedGrants.
func (s *Store) CreateGrant(ctx context.Context, g storage.PersistedGrant) error {
	if err := storage.CheckGrant(g); err != nil {
		return err
	}
	_, err := s.exec(ctx, "create grant", `
		INSERT INTO grants (`+sqlrow.GrantColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, grantArgs(g)...)
	return err
}

// insertGrantInSession inserts grant $1 to $10 only while session $5 has
// not expired at $11: the check and the insert in one statement.
const insertGrantInSession = `
	INSERT INTO grants (` + sqlrow.GrantColumns + `)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::bigint, $9::bigint, $10::bytea
	WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $5 AND expires_at > $11)`

// CreateGrantInSession implements storage.PersistedGrants.
func (s *Store) CreateGrantInSession(ctx context.Context, g storage.PersistedGrant, now time.Time) error {
	if err := storage.CheckGrantInSession(g, now); err != nil {
		return err
	}
	const op = "create grant in session"
	n, err := s.exec(ctx, op, insertGrantInSession, append(grantArgs(g), now.UnixMilli())...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: the session has ended: %w", op, storage.ErrNotFound)
	}
	return nil
}

// grantArgs are the values of sqlrow.GrantColumns for g.
func grantArgs(g storage.PersistedGrant) []any {
	return []any{g.Key, g.Type, g.Subject, g.ClientID, g.SessionID, g.FamilyID,
		g.Created.UnixMilli(), ms(g.Expires), ms(g.Consumed), blob(g.Data)}
}

// getGrant reads a live grant; pgx.ErrNoRows if there is none.
func (s *Store) getGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	return sqlrow.Grant(s.pool.QueryRow(ctx,
		`SELECT `+sqlrow.GrantColumns+` FROM grants WHERE key = $1 AND `+live, key, now.UnixMilli()))
}

// GetGrant implements storage.PersistedGrants.
func (s *Store) GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	if err := s.alive(); err != nil {
		return storage.PersistedGrant{}, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	g, err := s.getGrant(octx, key, now)
	if err != nil {
		return storage.PersistedGrant{}, s.fail(ctx, "get grant", err)
	}
	return g, nil
}

// consumeGrant consumes grant $1 at $2, unless it is consumed or expired,
// and returns it.
const consumeGrant = `
	UPDATE grants SET consumed_at = $2
	WHERE key = $1 AND consumed_at IS NULL AND ` + live + `
	RETURNING ` + sqlrow.GrantColumns

// ConsumeGrant implements storage.PersistedGrants. One UPDATE both checks and
// marks the grant: of concurrent consumers, the first locks the row and the
// others wait for it, then find it consumed (READ COMMITTED re-reads the row)
// and change nothing.
func (s *Store) ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	return s.consume(ctx, "consume grant", key, now, consumeGrant, []any{key, now.UnixMilli()})
}

// consumeUserGrant is consumeGrant that also returns the disabled flag of
// the grant's user, NULL if there is none.
const consumeUserGrant = consumeGrant + `, ` + sqlrow.SubjectDisabled

// ConsumeUserGrant implements storage.PersistedGrants: ConsumeGrant whose
// UPDATE also returns the user's disabled flag.
func (s *Store) ConsumeUserGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, storage.UserState, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, storage.UserMissing, err
	}
	var disabled *bool
	g, err := s.consume(ctx, "consume user grant", key, now, consumeUserGrant, []any{key, now.UnixMilli()}, &disabled)
	if err != nil {
		return g, storage.UserMissing, err
	}
	return g, sqlrow.UserState(disabled), nil
}

// rotateGrant is consumeGrant that also inserts the next grant ($3 to $12),
// in one statement, so one transaction: the insert happens only if the
// update changed the row, and a taken next key fails the whole statement,
// the update with it. Concurrent rotations queue on the row lock as
// consumers do.
const rotateGrant = `
	WITH old AS (` + consumeGrant + `
	), next AS (
		INSERT INTO grants (` + sqlrow.GrantColumns + `)
		SELECT $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::bigint, $10::bigint, $11::bigint, $12::bytea
		FROM old
	)
	SELECT ` + sqlrow.GrantColumns + ` FROM old`

// RotateGrant implements storage.PersistedGrants.
func (s *Store) RotateGrant(ctx context.Context, key string, next storage.PersistedGrant, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckRotateGrant(key, next, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	return s.consume(ctx, "rotate grant", key, now, rotateGrant, append([]any{key, now.UnixMilli()}, grantArgs(next)...))
}

// consume runs stmt with args, a statement that consumes grant key at now
// and returns it (consumeGrant, consumeUserGrant, rotateGrant): the
// columns of sqlrow.GrantColumns, then those scanned into more. When it
// changed nothing, a second statement reads the grant to tell a consumed
// grant (ErrConsumed, with the grant) from a missing or expired one
// (ErrNotFound).
func (s *Store) consume(ctx context.Context, op, key string, now time.Time, stmt string, args []any, more ...any) (storage.PersistedGrant, error) {
	if err := s.alive(); err != nil {
		return storage.PersistedGrant{}, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	for {
		g, err := sqlrow.GrantAnd(s.pool.QueryRow(octx, stmt, args...), more...)
		if err == nil {
			s.wrote(ctx)
			return g, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return storage.PersistedGrant{}, s.fail(ctx, op, err)
		}
		g, err = s.getGrant(octx, key, now)
		if err != nil {
			return storage.PersistedGrant{}, s.fail(ctx, op, err)
		}
		if !g.Consumed.IsZero() {
			return g, fmt.Errorf("postgres: %s: %w", op, storage.ErrConsumed)
		}
		// Deleted and created again, unconsumed, between the two
		// statements: try again.
	}
}

// ExtendGrant implements storage.PersistedGrants: one UPDATE of a live,
// unconsumed grant (atomic against a concurrent delete or consume); when it
// changed nothing, a read tells a consumed grant from a missing one.
func (s *Store) ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error {
	if err := storage.CheckExtendGrant(key, expires, now); err != nil {
		return err
	}
	const op = "extend grant"
	n, err := s.exec(ctx, op, `UPDATE grants SET expires_at = $3, data = $4
		WHERE key = $1 AND consumed_at IS NULL AND `+live, key, now.UnixMilli(), expires.UnixMilli(), blob(data))
	if err != nil || n == 1 {
		return err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	if _, err := s.getGrant(octx, key, now); err != nil {
		return s.fail(ctx, op, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, storage.ErrConsumed)
}

// ListGrants implements storage.PersistedGrants.
func (s *Store) ListGrants(ctx context.Context, f storage.PersistedGrantFilter, now time.Time) ([]storage.PersistedGrant, error) {
	if err := storage.CheckListGrants(f, now); err != nil {
		return nil, err
	}
	where, args := grantsql.Where(f, "$", 2)
	return query(s, ctx, "list grants", scanGrants,
		`SELECT `+sqlrow.GrantColumns+` FROM grants WHERE `+where+` AND (expires_at IS NULL OR expires_at > $1)
		ORDER BY created_at, key`, append([]any{now.UnixMilli()}, args...)...)
}

// DeleteGrant implements storage.PersistedGrants.
func (s *Store) DeleteGrant(ctx context.Context, key string) error {
	if err := storage.CheckKey("grant key", key); err != nil {
		return err
	}
	return s.deleteOne(ctx, "delete grant", `DELETE FROM grants WHERE key = $1`, key)
}

// DeleteGrants implements storage.PersistedGrants.
func (s *Store) DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error) {
	if err := storage.CheckDeleteGrants(f); err != nil {
		return 0, err
	}
	where, args := grantsql.Where(f, "$", 1)
	n, err := s.exec(ctx, "delete grants", `DELETE FROM grants WHERE `+where, args...)
	return int(n), err
}
