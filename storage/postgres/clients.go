package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// scanClients reads the rows of sqlrow.SelectClients.
func scanClients(rows pgx.Rows) ([]storage.Client, error) {
	defer rows.Close()
	return sqlrow.Clients(rows, newTextArray)
}

// insertSecrets inserts the secrets of client $1, in their order, in one
// statement whatever their number.
const insertSecrets = `
	INSERT INTO client_secrets (client_id, id, position, hash, description, expires_at, created_at)
	SELECT $1, t.id, t.ord - 1, t.hash, t.description, t.expires_at, t.created_at
	FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
		WITH ORDINALITY AS t (id, hash, description, expires_at, created_at, ord)`

// secretArgs are the arguments $2 to $6 of insertSecrets.
func secretArgs(secrets []storage.ClientSecret) []any {
	ids := make([]string, len(secrets))
	hashes := make([]string, len(secrets))
	descs := make([]string, len(secrets))
	expires := make([]*int64, len(secrets))
	created := make([]*int64, len(secrets))
	for i, sec := range secrets {
		ids[i], hashes[i], descs[i] = sec.ID, sec.Hash, sec.Description
		expires[i], created[i] = ms(sec.Expires), ms(sec.Created)
	}
	return []any{ids, hashes, descs, expires, created}
}

// insertClient (with insertSecrets) and updateClient write a client's row:
// the parameters up to $20 and $15 are the columns up to 0006, the sign-in
// settings follow (sqlrow.ClientSignInArgs).
var (
	insertClient = `
		WITH c AS (
			INSERT INTO clients (id, name, grant_types, scopes, access_token_lifetime_ms, jwks, jwks_uri, created_at, updated_at,
				description, disabled, public, claims, cors_origins, redirect_uris, post_logout_redirect_uris,
				` + strings.Join(sqlrow.ClientSignInColumns, ", ") + `)
			VALUES ($1, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16, $17, $18, $19, $20,
				` + sqlrow.Placeholders("$", 21, len(sqlrow.ClientSignInColumns)) + `)
		)` + insertSecrets
	updateClient = `
		UPDATE clients SET name = $2, grant_types = $3, scopes = $4, access_token_lifetime_ms = $5,
			jwks = $6, jwks_uri = $7, updated_at = $8,
			description = $9, disabled = $10, public = $11, claims = $12,
			cors_origins = $13, redirect_uris = $14, post_logout_redirect_uris = $15,
			` + sqlrow.Assignments(sqlrow.ClientSignInColumns, "$", 16) + `
		WHERE id = $1`
)

// listArg is list for sqlrow.ClientSignInArgs.
func listArg(l []string) any { return list(l) }

// CreateClient implements storage.Clients: the client and its secrets in one
// statement.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	if err := storage.CheckClient(c); err != nil {
		return err
	}
	now := s.now().UnixMilli()
	args := append([]any{c.ID}, secretArgs(c.Secrets)...)
	args = append(args, c.Name, list(c.GrantTypes), list(c.Scopes), c.AccessTokenLifetime.Milliseconds(),
		blob(c.JWKS), c.JWKSURI, now,
		c.Description, c.Disabled, c.Public, blob(c.Claims),
		list(c.CORSOrigins), list(c.RedirectURIs), list(c.PostLogoutRedirectURIs))
	args = append(args, sqlrow.ClientSignInArgs(c, listArg)...)
	_, err := s.exec(ctx, fmt.Sprintf("create client %q", c.ID), insertClient, args...)
	return err
}

// GetClient implements storage.Clients.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	if err := storage.CheckKey("client id", id); err != nil {
		return storage.Client{}, err
	}
	op := fmt.Sprintf("get client %q", id)
	cs, err := query(s, ctx, op, scanClients, sqlrow.SelectClients+` WHERE c.id = $1 ORDER BY s.position`, id)
	if err != nil {
		return storage.Client{}, err
	}
	if len(cs) == 0 {
		return storage.Client{}, fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)
	}
	return cs[0], nil
}

// ListClients implements storage.Clients.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	return query(s, ctx, "list clients", scanClients, sqlrow.SelectClients+` ORDER BY c.id, s.position`)
}

// UpdateClient implements storage.Clients. The client's row is locked (FOR
// UPDATE) before the read and until the commit, so that concurrent updates
// queue rather than overwrite each other; update runs once.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*storage.Client) error) error {
	if err := storage.CheckKey("client id", id); err != nil {
		return err
	}
	op := fmt.Sprintf("update client %q", id)
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		if err := lockRow(ctx, tx, op, `SELECT 1 FROM clients WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sqlrow.SelectClients+` WHERE c.id = $1 ORDER BY s.position`, id)
		if err != nil {
			return err
		}
		cs, err := scanClients(rows)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return errUpdate{fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)}
		}
		c := cs[0]
		if err := storage.ClientKind.Update(id, &c, update); err != nil {
			return errUpdate{err}
		}
		b := &pgx.Batch{}
		args := append([]any{id, c.Name, list(c.GrantTypes), list(c.Scopes), c.AccessTokenLifetime.Milliseconds(),
			blob(c.JWKS), c.JWKSURI, s.now().UnixMilli(),
			c.Description, c.Disabled, c.Public, blob(c.Claims),
			list(c.CORSOrigins), list(c.RedirectURIs), list(c.PostLogoutRedirectURIs)},
			sqlrow.ClientSignInArgs(c, listArg)...)
		b.Queue(updateClient, args...)
		b.Queue(`DELETE FROM client_secrets WHERE client_id = $1`, id)
		if len(c.Secrets) > 0 {
			b.Queue(insertSecrets, append([]any{id}, secretArgs(c.Secrets)...)...)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// DeleteClient implements storage.Clients; the client's secrets go with it.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := storage.CheckKey("client id", id); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete client %q", id), `DELETE FROM clients WHERE id = $1`, id)
}
