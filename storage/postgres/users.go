package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// collect turns a scanner of one row into one of every row, for query.
func collect[T any](scan func(sqlrow.Row) (T, error)) func(pgx.Rows) ([]T, error) {
	return func(rows pgx.Rows) ([]T, error) {
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	}
}

// lockOne reads the one row that query (a SELECT ... FOR UPDATE of one table)
// selects and locks it until the transaction ends: ErrNotFound (through
// errUpdate) if there is none. In READ COMMITTED a single-table SELECT FOR
// UPDATE that waited for a lock reads the row as its holder committed it.
func lockOne[T any](ctx context.Context, tx pgx.Tx, op string, scan func(sqlrow.Row) (T, error), query string, args ...any) (T, error) {
	v, err := scan(tx.QueryRow(ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, errUpdate{fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)}
	}
	return v, err
}

func scanUser(row sqlrow.Row) (storage.User, error) {
	return sqlrow.User(row, newTextArray)
}

var scanUsers = collect(scanUser)

// CreateUser implements storage.Users. The unique index on username_key
// refuses a taken username.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	if err := storage.CheckUser(u); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create user %q", u.ID), `
		INSERT INTO users (username_key, `+sqlrow.UserColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16, $17)`,
		storage.NormalizeUsername(u.Username), u.ID, u.Username, u.PasswordHash, u.Email, u.EmailVerified, u.Name,
		blob(u.Claims), u.Disabled, u.FailedLogins, ms(u.LockedUntil), ms(u.FailedSince), s.now().UnixMilli(), ms(u.LastLogin),
		blob(u.TOTPSecret), u.TOTPLastStep, list(u.RecoveryCodes))
	return err
}

// GetUser implements storage.Users.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	return get(s, ctx, storage.UserKind, "user", id, scanUsers, `SELECT `+sqlrow.UserColumns+` FROM users WHERE id = $1`)
}

// FindUserByUsername implements storage.Users.
func (s *Store) FindUserByUsername(ctx context.Context, username string) (storage.User, error) {
	if err := storage.CheckKey("username", username); err != nil {
		return storage.User{}, err
	}
	const op = "find user by username"
	l, err := query(s, ctx, op, scanUsers, `SELECT `+sqlrow.UserColumns+` FROM users WHERE username_key = $1`,
		storage.NormalizeUsername(username))
	return first(op, l, err)
}

// ListUsers implements storage.Users.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]storage.User, error) {
	if err := storage.CheckListUsers(after, limit); err != nil {
		return nil, err
	}
	return query(s, ctx, "list users", scanUsers,
		`SELECT `+sqlrow.UserColumns+` FROM users WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
}

// UpdateUser implements storage.Users. The user's row is locked (FOR
// UPDATE) from the read to the commit, so that concurrent updates queue;
// update runs once.
func (s *Store) UpdateUser(ctx context.Context, id string, change func(*storage.User) error) error {
	read := func(ctx context.Context, tx pgx.Tx, op string) (storage.User, error) {
		return lockOne(ctx, tx, op, scanUser, `SELECT `+sqlrow.UserColumns+` FROM users WHERE id = $1 FOR UPDATE`, id)
	}
	return update(s, ctx, storage.UserKind, "user", id, read, change, func(ctx context.Context, tx pgx.Tx, u storage.User) error {
		_, err := tx.Exec(ctx, `
			UPDATE users SET username_key = $2, username = $3, password_hash = $4, email = $5, email_verified = $6,
				name = $7, claims = $8, disabled = $9, failed_logins = $10, locked_until = $11, updated_at = $12,
				failed_since = $13, last_login = $14, totp_secret = $15, totp_last_step = $16, recovery_codes = $17
			WHERE id = $1`,
			id, storage.NormalizeUsername(u.Username), u.Username, u.PasswordHash, u.Email, u.EmailVerified,
			u.Name, blob(u.Claims), u.Disabled, u.FailedLogins, ms(u.LockedUntil), s.now().UnixMilli(), ms(u.FailedSince), ms(u.LastLogin),
			blob(u.TOTPSecret), u.TOTPLastStep, list(u.RecoveryCodes))
		return err
	})
}

// DeleteUser implements storage.Users. The user's links and passkeys go
// with it (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if err := storage.CheckKey("user id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete user %q", id), `DELETE FROM users WHERE id = $1`, id)
}

func scanSession(row sqlrow.Row) (storage.Session, error) {
	return sqlrow.Session(row, newTextArray)
}

var scanSessions = collect(scanSession)

// CreateSession implements storage.Sessions.
func (s *Store) CreateSession(ctx context.Context, v storage.Session) error {
	if err := storage.CheckSession(v); err != nil {
		return err
	}
	_, err := s.exec(ctx, "create session", `
		INSERT INTO sessions (`+sqlrow.SessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		v.ID, v.Subject, v.AuthTime.UnixMilli(), list(v.AMR), v.IdP, list(v.Clients),
		v.Created.UnixMilli(), v.Expires.UnixMilli())
	return err
}

// selectLiveSession reads session $1 unless it expired at $2.
const selectLiveSession = `SELECT ` + sqlrow.SessionColumns + ` FROM sessions WHERE id = $1 AND expires_at > $2`

// GetSession implements storage.Sessions.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	if err := storage.CheckGetSession(id, now); err != nil {
		return storage.Session{}, err
	}
	const op = "get session"
	l, err := query(s, ctx, op, scanSessions, selectLiveSession, id, now.UnixMilli())
	return first(op, l, err)
}

// UpdateSession implements storage.Sessions, locking the row as UpdateUser
// does.
func (s *Store) UpdateSession(ctx context.Context, id string, now time.Time, update func(*storage.Session) error) error {
	if err := storage.CheckGetSession(id, now); err != nil {
		return err
	}
	const op = "update session"
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		old, err := lockOne(ctx, tx, op, scanSession, selectLiveSession+` FOR UPDATE`, id, now.UnixMilli())
		if err != nil {
			return err
		}
		v := old
		if err := update(&v); err != nil {
			return errUpdate{err}
		}
		if err := storage.CheckSameKey("session id", id, v.ID); err != nil {
			return errUpdate{err}
		}
		if err := storage.CheckSameKey("session subject", old.Subject, v.Subject); err != nil {
			return errUpdate{err}
		}
		v.Created = old.Created
		if err := storage.CheckSession(v); err != nil {
			return errUpdate{err}
		}
		_, err = tx.Exec(ctx, `
			UPDATE sessions SET auth_time = $2, amr = $3, idp = $4, clients = $5, expires_at = $6
			WHERE id = $1`,
			id, v.AuthTime.UnixMilli(), list(v.AMR), v.IdP, list(v.Clients), v.Expires.UnixMilli())
		return err
	})
}

// DeleteSession implements storage.Sessions.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := storage.CheckKey("session id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, "delete session", `DELETE FROM sessions WHERE id = $1`, id)
}

// ListSessions implements storage.Sessions.
func (s *Store) ListSessions(ctx context.Context, subject string, now time.Time) ([]storage.Session, error) {
	if err := storage.CheckListSessions(subject, now); err != nil {
		return nil, err
	}
	return query(s, ctx, "list sessions", scanSessions, `SELECT `+sqlrow.SessionColumns+` FROM sessions
		WHERE subject = $1 AND expires_at > $2 ORDER BY created_at, id`, subject, now.UnixMilli())
}

// DeleteSessions implements storage.Sessions.
func (s *Store) DeleteSessions(ctx context.Context, subject string) (int, error) {
	if err := storage.CheckKey("session subject", subject); err != nil {
		return 0, err
	}
	n, err := s.exec(ctx, "delete sessions", `DELETE FROM sessions WHERE subject = $1`, subject)
	return int(n), err
}
