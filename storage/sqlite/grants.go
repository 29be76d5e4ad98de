package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/grantsql"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// live is the condition of a grant that has not expired at ?2.
const live = `(expires_at IS NULL OR expires_at > ?2)`

// CreateGrant implements storage.PersistedGrants.
func (s *Store) CreateGrant(ctx context.Context, g storage.PersistedGrant) error {
	if err := storage.CheckGrant(g); err != nil {
		return err
	}
	p, err := s.stmts()
	if err != nil {
		return err
	}
	return s.batch(ctx, "create grant", func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, p.insertGrant).ExecContext(ctx, grantArgs(g)...); err != nil {
			return s.fail(ctx, "create grant", err)
		}
		return nil
	})
}

const insertGrant = `INSERT INTO grants (` + sqlrow.GrantColumns + `) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`

// insertGrantInSession is insertGrant, inserting only while session ?5
// has not expired at ?11.
const insertGrantInSession = `INSERT INTO grants (` + sqlrow.GrantColumns + `)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
	WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?5 AND expires_at > ?11)`

// CreateGrantInSession implements storage.PersistedGrants: one INSERT
// that checks the session, in the writer's batch as CreateGrant.
func (s *Store) CreateGrantInSession(ctx context.Context, g storage.PersistedGrant, now time.Time) error {
	if err := storage.CheckGrantInSession(g, now); err != nil {
		return err
	}
	p, err := s.stmts()
	if err != nil {
		return err
	}
	const op = "create grant in session"
	return s.batch(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, p.insertGrantInSession).ExecContext(ctx, append(grantArgs(g), now.UnixMilli())...)
		if err != nil {
			return s.fail(ctx, op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.fail(ctx, op, err)
		} else if n == 0 {
			return fmt.Errorf("sqlite: %s: the session has ended: %w", op, storage.ErrNotFound)
		}
		return nil
	})
}

// consumeGrant marks grant ?1 consumed at ?2 if it is live and was not,
// and returns it; readGrant reads it if live.
const (
	consumeGrant = `UPDATE grants SET consumed_at = ?2
		WHERE key = ?1 AND consumed_at IS NULL AND ` + live + `
		RETURNING ` + sqlrow.GrantColumns
	readGrant = `SELECT ` + sqlrow.GrantColumns + ` FROM grants WHERE key = ?1 AND ` + live
	// consumeUserGrant is consumeGrant that also returns the disabled
	// flag of the grant's user, NULL if there is none.
	consumeUserGrant = `UPDATE grants SET consumed_at = ?2
		WHERE key = ?1 AND consumed_at IS NULL AND ` + live + `
		RETURNING ` + sqlrow.GrantColumns + `, ` + sqlrow.SubjectDisabled
)

// grantArgs are the arguments of insertGrant.
func grantArgs(g storage.PersistedGrant) []any {
	return []any{g.Key, g.Type, g.Subject, g.ClientID, g.SessionID, g.FamilyID,
		g.Created.UnixMilli(), ms(g.Expires), ms(g.Consumed), blob(g.Data)}
}

// GetGrant implements storage.PersistedGrants.
func (s *Store) GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	if err := s.alive(); err != nil {
		return storage.PersistedGrant{}, err
	}
	g, err := sqlrow.Grant(s.r.QueryRowContext(ctx,
		`SELECT `+sqlrow.GrantColumns+` FROM grants WHERE key = ?1 AND `+live, key, now.UnixMilli()))
	if err != nil {
		return storage.PersistedGrant{}, s.fail(ctx, "get grant", err)
	}
	return g, nil
}

// ConsumeGrant implements storage.PersistedGrants.
func (s *Store) ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	p, err := s.stmts()
	if err != nil {
		return storage.PersistedGrant{}, err
	}
	return s.consume(ctx, "consume grant", p, p.consumeGrant, key, now)
}

// ConsumeUserGrant implements storage.PersistedGrants: ConsumeGrant whose
// UPDATE also returns the user's disabled flag.
func (s *Store) ConsumeUserGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, storage.UserState, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, storage.UserMissing, err
	}
	p, err := s.stmts()
	if err != nil {
		return storage.PersistedGrant{}, storage.UserMissing, err
	}
	var disabled *bool
	g, err := s.consume(ctx, "consume user grant", p, p.consumeUserGrant, key, now, &disabled)
	if err != nil {
		return g, storage.UserMissing, err
	}
	return g, sqlrow.UserState(disabled), nil
}

// consume runs st, a prepared UPDATE that consumes grant key at now and
// returns sqlrow.GrantColumns then the columns of more (scanned into
// more), in the writer's batch. One UPDATE both checks and marks the
// grant, so that of concurrent consumers exactly one changes the row; the
// others then read it (p.readGrant) to tell a consumed grant from a
// missing one.
func (s *Store) consume(ctx context.Context, op string, p *stmts, st *sql.Stmt, key string, now time.Time, more ...any) (storage.PersistedGrant, error) {
	var g storage.PersistedGrant
	err := s.batch(ctx, op, func(tx *sql.Tx) error {
		var err error
		g, err = sqlrow.GrantAnd(tx.StmtContext(ctx, st).QueryRowContext(ctx, key, now.UnixMilli()), more...)
		if err == nil {
			return nil
		}
		if !isNoRows(err) {
			return s.fail(ctx, op, err)
		}
		// In the same transaction, which holds the write lock: a grant
		// that is there was consumed.
		g, err = sqlrow.Grant(tx.StmtContext(ctx, p.readGrant).QueryRowContext(ctx, key, now.UnixMilli()))
		if err != nil {
			g = storage.PersistedGrant{}
			return s.fail(ctx, op, err)
		}
		return fmt.Errorf("sqlite: %s: %w", op, storage.ErrConsumed)
	})
	if err != nil && !errors.Is(err, storage.ErrConsumed) {
		return storage.PersistedGrant{}, err
	}
	return g, err
}

// RotateGrant implements storage.PersistedGrants: the consume and the insert
// in one IMMEDIATE transaction, which no other writer can enter between them.
func (s *Store) RotateGrant(ctx context.Context, key string, next storage.PersistedGrant, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckRotateGrant(key, next, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	const op = "rotate grant"
	var g storage.PersistedGrant
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var err error
		g, err = sqlrow.Grant(tx.QueryRowContext(ctx, `
			UPDATE grants SET consumed_at = ?2
			WHERE key = ?1 AND consumed_at IS NULL AND `+live+`
			RETURNING `+sqlrow.GrantColumns, key, now.UnixMilli()))
		if isNoRows(err) {
			g, err = sqlrow.Grant(tx.QueryRowContext(ctx,
				`SELECT `+sqlrow.GrantColumns+` FROM grants WHERE key = ?1 AND `+live, key, now.UnixMilli()))
			if err == nil {
				return fmt.Errorf("sqlite: %s: %w", op, storage.ErrConsumed)
			}
		}
		if err != nil {
			return s.fail(ctx, op, err)
		}
		if _, err := tx.ExecContext(ctx, insertGrant, grantArgs(next)...); err != nil {
			g = storage.PersistedGrant{}
			return s.fail(ctx, op+": create the next grant", err)
		}
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrConsumed) {
		return storage.PersistedGrant{}, err
	}
	return g, err
}

// ExtendGrant implements storage.PersistedGrants: one UPDATE of a live,
// unconsumed grant; when it changed nothing, a read in the same
// transaction tells a consumed grant from a missing one.
func (s *Store) ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error {
	if err := storage.CheckExtendGrant(key, expires, now); err != nil {
		return err
	}
	const op = "extend grant"
	return s.batch(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE grants SET expires_at = ?3, data = ?4
			WHERE key = ?1 AND consumed_at IS NULL AND `+live, key, now.UnixMilli(), expires.UnixMilli(), blob(data))
		if err != nil {
			return s.fail(ctx, op, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.fail(ctx, op, err)
		} else if n == 1 {
			return nil
		}
		if _, err := sqlrow.Grant(tx.QueryRowContext(ctx, readGrant, key, now.UnixMilli())); err != nil {
			return s.fail(ctx, op, err)
		}
		return fmt.Errorf("sqlite: %s: %w", op, storage.ErrConsumed)
	})
}

func isNoRows(err error) bool { return err == sql.ErrNoRows }

// ListGrants implements storage.PersistedGrants.
func (s *Store) ListGrants(ctx context.Context, f storage.PersistedGrantFilter, now time.Time) ([]storage.PersistedGrant, error) {
	if err := storage.CheckListGrants(f, now); err != nil {
		return nil, err
	}
	query, args := listGrants(f)
	return queryAll(s, ctx, "list grants", sqlrow.Grant, query, append([]any{now.UnixMilli()}, args...)...)
}

// DeleteGrant implements storage.PersistedGrants.
func (s *Store) DeleteGrant(ctx context.Context, key string) error {
	if err := storage.CheckKey("grant key", key); err != nil {
		return err
	}
	return s.deleteOne(ctx, "delete grant", `DELETE FROM grants WHERE key = ?1`, key)
}

// DeleteGrants implements storage.PersistedGrants.
func (s *Store) DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error) {
	if err := storage.CheckDeleteGrants(f); err != nil {
		return 0, err
	}
	query, args := deleteGrants(f)
	n, err := s.exec(ctx, "delete grants", query, args...)
	return int(n), err
}

// listGrants is the query of ListGrants and its arguments after ?1 (now):
// a UNION ALL of the parts of f (grantsql.Parts), so that each finds its
// rows through an index although codes are not in the subject and session
// indexes (migration 0014).
func listGrants(f storage.PersistedGrantFilter) (string, []any) {
	parts, args := grantsql.Parts(f, "?", 2)
	selects := make([]string, len(parts))
	for i, where := range parts {
		selects[i] = `SELECT ` + sqlrow.GrantColumns + ` FROM grants WHERE ` + where + ` AND (expires_at IS NULL OR expires_at > ?1)`
	}
	return strings.Join(selects, ` UNION ALL `) + ` ORDER BY created_at, key`, args
}

// deleteGrants is the statement of DeleteGrants and its arguments: one
// statement, so that the codes and the rest of f go together, each part
// finding its keys through its own index.
func deleteGrants(f storage.PersistedGrantFilter) (string, []any) {
	parts, args := grantsql.Parts(f, "?", 1)
	if len(parts) == 1 {
		return `DELETE FROM grants WHERE ` + parts[0], args
	}
	return `DELETE FROM grants WHERE key IN (SELECT key FROM grants WHERE ` +
		strings.Join(parts, ` UNION ALL SELECT key FROM grants WHERE `) + `)`, args
}
