package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

func scanUser(row sqlrow.Row) (storage.User, error) {
	return sqlrow.User(row, newJSONList)
}

// CreateUser implements storage.Users. The unique index on username_key
// refuses a taken username.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	if err := storage.CheckUser(u); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create user %q", u.ID), `
		INSERT INTO users (username_key, `+sqlrow.UserColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17)`,
		storage.NormalizeUsername(u.Username), u.ID, u.Username, u.PasswordHash, u.Email, u.EmailVerified, u.Name,
		blob(u.Claims), u.Disabled, u.FailedLogins, ms(u.LockedUntil), ms(u.FailedSince), s.now().UnixMilli(), ms(u.LastLogin),
		blob(u.TOTPSecret), u.TOTPLastStep, jsonList(u.RecoveryCodes))
	return err
}

// getUser reads one user by a unique column.
func (s *Store) getUser(ctx context.Context, op, column, value string) (storage.User, error) {
	if err := s.alive(); err != nil {
		return storage.User{}, err
	}
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+sqlrow.UserColumns+` FROM users WHERE `+column+` = ?1`, value))
	if err != nil {
		return storage.User{}, s.fail(ctx, op, err)
	}
	return u, nil
}

// GetUser implements storage.Users.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	if err := storage.CheckKey("user id", id); err != nil {
		return storage.User{}, err
	}
	p, err := s.stmts()
	if err != nil {
		return storage.User{}, err
	}
	u, err := scanUser(p.getUser.QueryRowContext(ctx, id))
	if err != nil {
		return storage.User{}, s.fail(ctx, fmt.Sprintf("get user %q", id), err)
	}
	return u, nil
}

// selectUserByID is GetUser's query, prepared (stmts.getUser).
const selectUserByID = `SELECT ` + sqlrow.UserColumns + ` FROM users WHERE id = ?1`

// FindUserByUsername implements storage.Users.
func (s *Store) FindUserByUsername(ctx context.Context, username string) (storage.User, error) {
	if err := storage.CheckKey("username", username); err != nil {
		return storage.User{}, err
	}
	return s.getUser(ctx, "find user by username", "username_key", storage.NormalizeUsername(username))
}

// ListUsers implements storage.Users.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]storage.User, error) {
	if err := storage.CheckListUsers(after, limit); err != nil {
		return nil, err
	}
	return queryAll(s, ctx, "list users", scanUser,
		`SELECT `+sqlrow.UserColumns+` FROM users WHERE id > ?1 ORDER BY id LIMIT ?2`, after, limit)
}

// UpdateUser implements storage.Users.
func (s *Store) UpdateUser(ctx context.Context, id string, change func(*storage.User) error) error {
	read := func(tx *sql.Tx) (storage.User, error) {
		return scanUser(tx.QueryRowContext(ctx, `SELECT `+sqlrow.UserColumns+` FROM users WHERE id = ?1`, id))
	}
	return update(s, ctx, storage.UserKind, "user", id, read, change, func(tx *sql.Tx, u storage.User) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE users SET username_key = ?2, username = ?3, password_hash = ?4, email = ?5, email_verified = ?6,
				name = ?7, claims = ?8, disabled = ?9, failed_logins = ?10, locked_until = ?11, updated_at = ?12,
				failed_since = ?13, last_login = ?14, totp_secret = ?15, totp_last_step = ?16, recovery_codes = ?17
			WHERE id = ?1`,
			id, storage.NormalizeUsername(u.Username), u.Username, u.PasswordHash, u.Email, u.EmailVerified,
			u.Name, blob(u.Claims), u.Disabled, u.FailedLogins, ms(u.LockedUntil), s.now().UnixMilli(), ms(u.FailedSince), ms(u.LastLogin),
			blob(u.TOTPSecret), u.TOTPLastStep, jsonList(u.RecoveryCodes))
		return err
	})
}

// DeleteUser implements storage.Users. The user's links and passkeys go
// with it (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if err := storage.CheckKey("user id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete user %q", id), `DELETE FROM users WHERE id = ?1`, id)
}

func scanSession(row sqlrow.Row) (storage.Session, error) {
	return sqlrow.Session(row, newJSONList)
}

// CreateSession implements storage.Sessions.
func (s *Store) CreateSession(ctx context.Context, v storage.Session) error {
	if err := storage.CheckSession(v); err != nil {
		return err
	}
	_, err := s.exec(ctx, "create session", `
		INSERT INTO sessions (`+sqlrow.SessionColumns+`) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
		v.ID, v.Subject, v.AuthTime.UnixMilli(), jsonList(v.AMR), v.IdP, jsonList(v.Clients),
		v.Created.UnixMilli(), v.Expires.UnixMilli())
	return err
}

// selectLiveSession reads session ?1 unless it expired at ?2.
const selectLiveSession = `SELECT ` + sqlrow.SessionColumns + ` FROM sessions WHERE id = ?1 AND expires_at > ?2`

// GetSession implements storage.Sessions.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	if err := storage.CheckGetSession(id, now); err != nil {
		return storage.Session{}, err
	}
	p, err := s.stmts()
	if err != nil {
		return storage.Session{}, err
	}
	v, err := scanSession(p.getSession.QueryRowContext(ctx, id, now.UnixMilli()))
	if err != nil {
		return storage.Session{}, s.fail(ctx, "get session", err)
	}
	return v, nil
}

// UpdateSession implements storage.Sessions.
func (s *Store) UpdateSession(ctx context.Context, id string, now time.Time, update func(*storage.Session) error) error {
	if err := storage.CheckGetSession(id, now); err != nil {
		return err
	}
	const op = "update session"
	return s.write(ctx, op, func(tx *sql.Tx) error {
		old, err := scanSession(tx.QueryRowContext(ctx, selectLiveSession, id, now.UnixMilli()))
		if err != nil {
			return s.fail(ctx, op, err)
		}
		v := old
		if err := update(&v); err != nil {
			return err
		}
		if err := storage.CheckSameKey("session id", id, v.ID); err != nil {
			return err
		}
		if err := storage.CheckSameKey("session subject", old.Subject, v.Subject); err != nil {
			return err
		}
		v.Created = old.Created
		if err := storage.CheckSession(v); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE sessions SET auth_time = ?2, amr = ?3, idp = ?4, clients = ?5, expires_at = ?6
			WHERE id = ?1`,
			id, v.AuthTime.UnixMilli(), jsonList(v.AMR), v.IdP, jsonList(v.Clients), v.Expires.UnixMilli()); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

// DeleteSession implements storage.Sessions.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := storage.CheckKey("session id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, "delete session", `DELETE FROM sessions WHERE id = ?1`, id)
}

// ListSessions implements storage.Sessions.
func (s *Store) ListSessions(ctx context.Context, subject string, now time.Time) ([]storage.Session, error) {
	if err := storage.CheckListSessions(subject, now); err != nil {
		return nil, err
	}
	return queryAll(s, ctx, "list sessions", scanSession, `SELECT `+sqlrow.SessionColumns+` FROM sessions
		WHERE subject = ?1 AND expires_at > ?2 ORDER BY created_at, id`, subject, now.UnixMilli())
}

// DeleteSessions implements storage.Sessions.
func (s *Store) DeleteSessions(ctx context.Context, subject string) (int, error) {
	if err := storage.CheckKey("session subject", subject); err != nil {
		return 0, err
	}
	n, err := s.exec(ctx, "delete sessions", `DELETE FROM sessions WHERE subject = ?1`, subject)
	return int(n), err
}
