package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// The records of signing in with more (issue 16): user links, passkeys and
// external providers. Links and passkeys are run-time data written on the
// single writer like users; providers are configuration, whose writes the
// triggers of migration 0010 count in the config version.

// CreateUserLink implements storage.UserLinks. The primary key refuses a
// taken (issuer, subject); the foreign key a missing user.
func (s *Store) CreateUserLink(ctx context.Context, l storage.UserLink) error {
	if err := storage.CheckUserLink(l); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create link (%q, %q) of user %q", l.Issuer, l.Subject, l.UserID), `
		INSERT INTO user_links (`+sqlrow.UserLinkColumns+`) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
		l.Issuer, l.Subject, l.Provider, l.UserID, blob(l.Tokens), s.now().UnixMilli(), ms(l.LastUsed))
	return err
}

// selectUserLink reads the link of (?1, ?2).
const selectUserLink = `SELECT ` + sqlrow.UserLinkColumns + ` FROM user_links WHERE issuer = ?1 AND subject = ?2`

// FindUserLink implements storage.UserLinks.
func (s *Store) FindUserLink(ctx context.Context, issuer, subject string) (storage.UserLink, error) {
	if err := storage.CheckUserLinkKey(issuer, subject); err != nil {
		return storage.UserLink{}, err
	}
	if err := s.alive(); err != nil {
		return storage.UserLink{}, err
	}
	l, err := sqlrow.UserLink(s.r.QueryRowContext(ctx, selectUserLink, issuer, subject))
	if err != nil {
		return storage.UserLink{}, s.fail(ctx, fmt.Sprintf("find link (%q, %q)", issuer, subject), err)
	}
	return l, nil
}

// ListUserLinks implements storage.UserLinks.
func (s *Store) ListUserLinks(ctx context.Context, userID string) ([]storage.UserLink, error) {
	if err := storage.CheckKey("link user id", userID); err != nil {
		return nil, err
	}
	return queryAll(s, ctx, "list links", sqlrow.UserLink, `SELECT `+sqlrow.UserLinkColumns+` FROM user_links
		WHERE user_id = ?1 ORDER BY created_at, issuer, subject`, userID)
}

// UpdateUserLink implements storage.UserLinks, in one write transaction.
func (s *Store) UpdateUserLink(ctx context.Context, issuer, subject string, change func(*storage.UserLink) error) error {
	if err := storage.CheckUserLinkKey(issuer, subject); err != nil {
		return err
	}
	op := fmt.Sprintf("update link (%q, %q)", issuer, subject)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		old, err := sqlrow.UserLink(tx.QueryRowContext(ctx, selectUserLink, issuer, subject))
		if err != nil {
			return s.fail(ctx, op, err)
		}
		l := old
		if err := storage.UserLinkKind.Update(storage.UserLinkKey(issuer, subject), &l, keepLinkUser(change)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE user_links SET provider = ?3, tokens = ?4, last_used_at = ?5 WHERE issuer = ?1 AND subject = ?2`,
			issuer, subject, l.Provider, blob(l.Tokens), ms(l.LastUsed)); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

// DeleteUserLink implements storage.UserLinks.
func (s *Store) DeleteUserLink(ctx context.Context, issuer, subject string) error {
	if err := storage.CheckUserLinkKey(issuer, subject); err != nil {
		return err
	}
	op := fmt.Sprintf("delete link (%q, %q)", issuer, subject)
	n, err := s.exec(ctx, op, `DELETE FROM user_links WHERE issuer = ?1 AND subject = ?2`, issuer, subject)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// keepLinkUser runs change and refuses a change of the link's user; the
// link's Created is kept (UPDATE does not write it).
func keepLinkUser(change func(*storage.UserLink) error) func(*storage.UserLink) error {
	return func(l *storage.UserLink) error {
		user := l.UserID
		if err := change(l); err != nil {
			return err
		}
		return storage.CheckSameKey("link user id", user, l.UserID)
	}
}

func scanPasskey(row sqlrow.Row) (storage.Passkey, error) {
	return sqlrow.Passkey(row, newJSONList)
}

// CreatePasskey implements storage.Passkeys. The primary key refuses a taken
// id; the foreign key a missing user.
func (s *Store) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	if err := storage.CheckPasskey(p); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create passkey %q of user %q", p.ID, p.UserID), `
		INSERT INTO passkeys (`+sqlrow.PasskeyColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)`,
		p.ID, p.UserID, p.Name, p.PublicKey, p.AttestationType, blob(p.AAGUID), int64(p.SignCount), p.CloneWarning,
		jsonList(p.Transports), p.Attachment, p.UserVerified, p.BackupEligible, p.BackupState,
		s.now().UnixMilli(), ms(p.LastUsed))
	return err
}

// selectPasskey reads passkey ?1.
const selectPasskey = `SELECT ` + sqlrow.PasskeyColumns + ` FROM passkeys WHERE id = ?1`

// GetPasskey implements storage.Passkeys.
func (s *Store) GetPasskey(ctx context.Context, id string) (storage.Passkey, error) {
	return get(s, ctx, storage.PasskeyKind, "passkey", id, func() (storage.Passkey, error) {
		return scanPasskey(s.r.QueryRowContext(ctx, selectPasskey, id))
	})
}

// ListPasskeys implements storage.Passkeys.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]storage.Passkey, error) {
	if err := storage.CheckKey("passkey user id", userID); err != nil {
		return nil, err
	}
	return queryAll(s, ctx, "list passkeys", scanPasskey, `SELECT `+sqlrow.PasskeyColumns+` FROM passkeys
		WHERE user_id = ?1 ORDER BY created_at, id`, userID)
}

// UpdatePasskey implements storage.Passkeys, in one write transaction.
func (s *Store) UpdatePasskey(ctx context.Context, id string, change func(*storage.Passkey) error) error {
	read := func(tx *sql.Tx) (storage.Passkey, error) {
		return scanPasskey(tx.QueryRowContext(ctx, selectPasskey, id))
	}
	return update(s, ctx, storage.PasskeyKind, "passkey", id, read, keepPasskeyUser(change), func(tx *sql.Tx, p storage.Passkey) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE passkeys SET name = ?2, public_key = ?3, attestation_type = ?4, aaguid = ?5, sign_count = ?6,
				clone_warning = ?7, transports = ?8, attachment = ?9, user_verified = ?10, backup_eligible = ?11,
				backup_state = ?12, last_used_at = ?13
			WHERE id = ?1`,
			id, p.Name, p.PublicKey, p.AttestationType, blob(p.AAGUID), int64(p.SignCount),
			p.CloneWarning, jsonList(p.Transports), p.Attachment, p.UserVerified, p.BackupEligible,
			p.BackupState, ms(p.LastUsed))
		return err
	})
}

// DeletePasskey implements storage.Passkeys.
func (s *Store) DeletePasskey(ctx context.Context, id string) error {
	if err := storage.CheckKey("passkey id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete passkey %q", id), `DELETE FROM passkeys WHERE id = ?1`, id)
}

// keepPasskeyUser runs change and refuses a change of the passkey's user;
// its Created is kept (UPDATE does not write it).
func keepPasskeyUser(change func(*storage.Passkey) error) func(*storage.Passkey) error {
	return func(p *storage.Passkey) error {
		user := p.UserID
		if err := change(p); err != nil {
			return err
		}
		return storage.CheckSameKey("passkey user id", user, p.UserID)
	}
}

// CreateExternalProvider implements storage.ExternalProviders.
func (s *Store) CreateExternalProvider(ctx context.Context, p storage.ExternalProvider) error {
	if err := storage.CheckExternalProvider(p); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create provider %q", p.Name), `
		INSERT INTO external_providers (`+sqlrow.ProviderColumns+`) VALUES (?1, ?2, ?3, ?4, ?4)`,
		p.Name, p.Type, p.Settings, s.now().UnixMilli())
	return err
}

// selectProvider reads provider ?1.
const selectProvider = `SELECT ` + sqlrow.ProviderColumns + ` FROM external_providers WHERE name = ?1`

// GetExternalProvider implements storage.ExternalProviders.
func (s *Store) GetExternalProvider(ctx context.Context, name string) (storage.ExternalProvider, error) {
	return get(s, ctx, storage.ExternalProviderKind, "provider", name, func() (storage.ExternalProvider, error) {
		return sqlrow.Provider(s.r.QueryRowContext(ctx, selectProvider, name))
	})
}

// ListExternalProviders implements storage.ExternalProviders.
func (s *Store) ListExternalProviders(ctx context.Context) ([]storage.ExternalProvider, error) {
	return queryAll(s, ctx, "list providers", sqlrow.Provider,
		`SELECT `+sqlrow.ProviderColumns+` FROM external_providers ORDER BY name`)
}

// UpdateExternalProvider implements storage.ExternalProviders.
func (s *Store) UpdateExternalProvider(ctx context.Context, name string, change func(*storage.ExternalProvider) error) error {
	read := func(tx *sql.Tx) (storage.ExternalProvider, error) {
		return sqlrow.Provider(tx.QueryRowContext(ctx, selectProvider, name))
	}
	return update(s, ctx, storage.ExternalProviderKind, "provider", name, read, change, func(tx *sql.Tx, p storage.ExternalProvider) error {
		_, err := tx.ExecContext(ctx, `UPDATE external_providers SET type = ?2, settings = ?3, updated_at = ?4 WHERE name = ?1`,
			name, p.Type, p.Settings, s.now().UnixMilli())
		return err
	})
}

// DeleteExternalProvider implements storage.ExternalProviders.
func (s *Store) DeleteExternalProvider(ctx context.Context, name string) error {
	if err := storage.CheckKey("provider name", name); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete provider %q", name), `DELETE FROM external_providers WHERE name = ?1`, name)
}
