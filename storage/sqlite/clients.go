package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// insertClient and updateClient write a client's row: ?1 to ?15 are the
// columns up to 0006, the sign-in settings follow (sqlrow.ClientSignInArgs).
var (
	insertClient = `
		INSERT INTO clients (id, name, grant_types, scopes, access_token_lifetime_ms, jwks, jwks_uri, created_at, updated_at,
			description, disabled, public, claims, cors_origins, redirect_uris, post_logout_redirect_uris,
			` + strings.Join(sqlrow.ClientSignInColumns, ", ") + `)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
			` + sqlrow.Placeholders("?", 16, len(sqlrow.ClientSignInColumns)) + `)`
	updateClient = `
		UPDATE clients SET name = ?2, grant_types = ?3, scopes = ?4, access_token_lifetime_ms = ?5,
			jwks = ?6, jwks_uri = ?7, updated_at = ?8,
			description = ?9, disabled = ?10, public = ?11, claims = ?12,
			cors_origins = ?13, redirect_uris = ?14, post_logout_redirect_uris = ?15,
			` + sqlrow.Assignments(sqlrow.ClientSignInColumns, "?", 16) + `
		WHERE id = ?1`
)

// jsonListArg is jsonList for sqlrow.ClientSignInArgs.
func jsonListArg(l []string) any { return jsonList(l) }

// scanClients reads the rows of sqlrow.SelectClients.
func scanClients(rows *sql.Rows) ([]storage.Client, error) {
	defer rows.Close()
	return sqlrow.Clients(rows, newJSONList)
}

func getClient(ctx context.Context, q queryer, id string) (storage.Client, error) {
	rows, err := q.QueryContext(ctx, sqlrow.SelectClients+` WHERE c.id = ?1 ORDER BY s.position`, id)
	if err != nil {
		return storage.Client{}, err
	}
	cs, err := scanClients(rows)
	if err != nil {
		return storage.Client{}, err
	}
	if len(cs) == 0 {
		return storage.Client{}, sql.ErrNoRows
	}
	return cs[0], nil
}

// writeSecrets replaces the secrets of client id.
func writeSecrets(ctx context.Context, tx *sql.Tx, id string, secrets []storage.ClientSecret, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM client_secrets WHERE client_id = ?1`, id); err != nil {
			return err
		}
	}
	for i, sec := range secrets {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO client_secrets (client_id, id, position, hash, description, expires_at, created_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
			id, sec.ID, i, sec.Hash, sec.Description, ms(sec.Expires), ms(sec.Created)); err != nil {
			return err
		}
	}
	return nil
}

// CreateClient implements storage.Clients.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	if err := storage.CheckClient(c); err != nil {
		return err
	}
	op := fmt.Sprintf("create client %q", c.ID)
	now := s.now().UnixMilli()
	return s.write(ctx, op, func(tx *sql.Tx) error {
		args := append([]any{c.ID, c.Name, jsonList(c.GrantTypes), jsonList(c.Scopes), c.AccessTokenLifetime.Milliseconds(),
			blob(c.JWKS), c.JWKSURI, now,
			c.Description, c.Disabled, c.Public, blob(c.Claims),
			jsonList(c.CORSOrigins), jsonList(c.RedirectURIs), jsonList(c.PostLogoutRedirectURIs)},
			sqlrow.ClientSignInArgs(c, jsonListArg)...)
		if _, err := tx.ExecContext(ctx, insertClient, args...); err != nil {
			return s.fail(ctx, op, err)
		}
		if err := writeSecrets(ctx, tx, c.ID, c.Secrets, false); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

// GetClient implements storage.Clients.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	if err := storage.CheckKey("client id", id); err != nil {
		return storage.Client{}, err
	}
	if err := s.alive(); err != nil {
		return storage.Client{}, err
	}
	c, err := getClient(ctx, s.r, id)
	if err != nil {
		return storage.Client{}, s.fail(ctx, fmt.Sprintf("get client %q", id), err)
	}
	return c, nil
}

// ListClients implements storage.Clients.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, sqlrow.SelectClients+` ORDER BY c.id, s.position`)
	if err != nil {
		return nil, s.fail(ctx, "list clients", err)
	}
	cs, err := scanClients(rows)
	if err != nil {
		return nil, s.fail(ctx, "list clients", err)
	}
	return cs, nil
}

// UpdateClient implements storage.Clients.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*storage.Client) error) error {
	if err := storage.CheckKey("client id", id); err != nil {
		return err
	}
	op := fmt.Sprintf("update client %q", id)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		old, err := getClient(ctx, tx, id)
		if err != nil {
			return s.fail(ctx, op, err)
		}
		c := old
		if err := storage.ClientKind.Update(id, &c, update); err != nil {
			return err
		}
		args := append([]any{id, c.Name, jsonList(c.GrantTypes), jsonList(c.Scopes), c.AccessTokenLifetime.Milliseconds(),
			blob(c.JWKS), c.JWKSURI, s.now().UnixMilli(),
			c.Description, c.Disabled, c.Public, blob(c.Claims),
			jsonList(c.CORSOrigins), jsonList(c.RedirectURIs), jsonList(c.PostLogoutRedirectURIs)},
			sqlrow.ClientSignInArgs(c, jsonListArg)...)
		if _, err := tx.ExecContext(ctx, updateClient, args...); err != nil {
			return s.fail(ctx, op, err)
		}
		if err := writeSecrets(ctx, tx, id, c.Secrets, true); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

// DeleteClient implements storage.Clients; the client's secrets go with it.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := storage.CheckKey("client id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete client %q", id), `DELETE FROM clients WHERE id = ?1`, id)
}
