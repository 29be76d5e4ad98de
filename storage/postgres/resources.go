package postgres

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// first returns the one record a query by key found, ErrNotFound if none.
func first[T any](op string, l []T, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(l) == 0 {
		return zero, fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)
	}
	return l[0], nil
}

// lockedFirst is first inside a write: its errors go through errUpdate.
func lockedFirst[T any](op string, l []T, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(l) == 0 {
		return zero, errUpdate{fmt.Errorf("postgres: %s: %w", op, storage.ErrNotFound)}
	}
	return l[0], nil
}

// API scopes.

const selectAPIScopes = `SELECT name, display_name, description FROM api_scopes`

func scanAPIScopes(rows pgx.Rows) ([]storage.APIScope, error) {
	var sc storage.APIScope
	var out []storage.APIScope
	_, err := pgx.ForEachRow(rows, []any{&sc.Name, &sc.DisplayName, &sc.Description}, func() error {
		out = append(out, sc)
		return nil
	})
	return out, err
}

// CreateAPIScope implements storage.Resources.
func (s *Store) CreateAPIScope(ctx context.Context, sc storage.APIScope) error {
	if err := storage.CheckAPIScope(sc); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create api scope %q", sc.Name),
		`INSERT INTO api_scopes (name, display_name, description) VALUES ($1, $2, $3)`,
		sc.Name, sc.DisplayName, sc.Description)
	return err
}

// GetAPIScope implements storage.Resources.
func (s *Store) GetAPIScope(ctx context.Context, name string) (storage.APIScope, error) {
	return get(s, ctx, storage.APIScopeKind, "api scope", name, scanAPIScopes, selectAPIScopes+` WHERE name = $1`)
}

// ListAPIScopes implements storage.Resources.
func (s *Store) ListAPIScopes(ctx context.Context) ([]storage.APIScope, error) {
	return query(s, ctx, "list api scopes", scanAPIScopes, selectAPIScopes+` ORDER BY name`)
}

// UpdateAPIScope implements storage.Resources.
func (s *Store) UpdateAPIScope(ctx context.Context, name string, change func(*storage.APIScope) error) error {
	read := func(ctx context.Context, tx pgx.Tx, op string) (storage.APIScope, error) {
		return lockFirst(ctx, tx, op, `SELECT 1 FROM api_scopes WHERE name = $1 FOR UPDATE`,
			selectAPIScopes+` WHERE name = $1`, name, scanAPIScopes)
	}
	return update(s, ctx, storage.APIScopeKind, "api scope", name, read, change, func(ctx context.Context, tx pgx.Tx, sc storage.APIScope) error {
		_, err := tx.Exec(ctx, `UPDATE api_scopes SET display_name = $2, description = $3 WHERE name = $1`,
			name, sc.DisplayName, sc.Description)
		return err
	})
}

// DeleteAPIScope implements storage.Resources.
func (s *Store) DeleteAPIScope(ctx context.Context, name string) error {
	if err := storage.CheckKey("scope name", name); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete api scope %q", name), `DELETE FROM api_scopes WHERE name = $1`, name)
}

// insertChildren inserts the names of resource $1 into a child table, in
// their order, in one statement.
func insertChildren(table, column string) string {
	return `INSERT INTO ` + table + ` (resource_name, ` + column + `, position)
		SELECT $1, t.name, t.ord - 1 FROM unnest($2::text[]) WITH ORDINALITY AS t (name, ord)`
}

// replaceChildren queues, after the update of resource name, the
// replacement of its names in a child table by names, in their order.
func replaceChildren(b *pgx.Batch, table, column, name string, names []string) {
	b.Queue(`DELETE FROM `+table+` WHERE resource_name = $1`, name)
	b.Queue(insertChildren(table, column), name, list(names))
}

// API resources.

// selectAPIResources reads resources with their scopes, one row per scope,
// and their secrets aggregated into one JSON column (sqlrow.ResourceSecrets).
const selectAPIResources = `
	SELECT r.name, r.display_name, r.introspection_response, r.jwks, r.jwks_uri,
		(SELECT json_agg(json_build_array(x.id, x.hash, x.description, x.expires_at, x.created_at) ORDER BY x.position)
			FROM api_resource_secrets x WHERE x.resource_name = r.name)::text,
		s.scope
	FROM api_resources r LEFT JOIN api_resource_scopes s ON s.resource_name = r.name`

// apiResourceByName reads the resource named $1.
const apiResourceByName = selectAPIResources + ` WHERE r.name = $1 ORDER BY s.position`

func scanAPIResources(rows pgx.Rows) ([]storage.APIResource, error) {
	var r storage.APIResource
	var scope, secrets *string
	var out []storage.APIResource
	_, err := pgx.ForEachRow(rows, []any{&r.Name, &r.DisplayName, &r.IntrospectionResponse, &r.JWKS, &r.JWKSURI, &secrets, &scope}, func() error {
		if len(out) == 0 || out[len(out)-1].Name != r.Name {
			next := storage.APIResource{Name: r.Name, DisplayName: r.DisplayName, IntrospectionResponse: r.IntrospectionResponse,
				JWKS: sqlrow.Bytes(bytes.Clone(r.JWKS)), JWKSURI: r.JWKSURI}
			if secrets != nil {
				var err error
				if next.Secrets, err = sqlrow.ResourceSecrets([]byte(*secrets)); err != nil {
					return err
				}
			}
			out = append(out, next)
		}
		if scope != nil {
			last := &out[len(out)-1]
			last.Scopes = append(last.Scopes, *scope)
		}
		return nil
	})
	return out, err
}

// insertResourceSecrets inserts the secrets of API resource $1 (arguments
// $2 to $6 as secretArgs makes them), in their order, in one statement.
const insertResourceSecrets = `
	INSERT INTO api_resource_secrets (resource_name, id, position, hash, description, expires_at, created_at)
	SELECT $1, t.id, t.ord - 1, t.hash, t.description, t.expires_at, t.created_at
	FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
		WITH ORDINALITY AS t (id, hash, description, expires_at, created_at, ord)`

// CreateAPIResource implements storage.Resources: the resource and its
// scopes in one statement.
func (s *Store) CreateAPIResource(ctx context.Context, r storage.APIResource) error {
	if err := storage.CheckAPIResource(r); err != nil {
		return err
	}
	args := append([]any{r.Name}, secretArgs(r.Secrets)...)
	args = append(args, list(r.Scopes), r.DisplayName, r.IntrospectionResponse, blob(r.JWKS), r.JWKSURI)
	_, err := s.exec(ctx, fmt.Sprintf("create api resource %q", r.Name), `
		WITH r AS (
			INSERT INTO api_resources (name, display_name, introspection_response, jwks, jwks_uri)
			VALUES ($1, $8, $9, $10, $11)
		), sc AS (
			INSERT INTO api_resource_scopes (resource_name, scope, position)
			SELECT $1, t.name, t.ord - 1 FROM unnest($7::text[]) WITH ORDINALITY AS t (name, ord)
		)`+insertResourceSecrets, args...)
	return err
}

// GetAPIResource implements storage.Resources.
func (s *Store) GetAPIResource(ctx context.Context, name string) (storage.APIResource, error) {
	return get(s, ctx, storage.APIResourceKind, "api resource", name, scanAPIResources, apiResourceByName)
}

// ListAPIResources implements storage.Resources.
func (s *Store) ListAPIResources(ctx context.Context) ([]storage.APIResource, error) {
	return query(s, ctx, "list api resources", scanAPIResources, selectAPIResources+` ORDER BY r.name, s.position`)
}

// UpdateAPIResource implements storage.Resources.
func (s *Store) UpdateAPIResource(ctx context.Context, name string, change func(*storage.APIResource) error) error {
	read := func(ctx context.Context, tx pgx.Tx, op string) (storage.APIResource, error) {
		return lockFirst(ctx, tx, op, `SELECT 1 FROM api_resources WHERE name = $1 FOR UPDATE`,
			apiResourceByName, name, scanAPIResources)
	}
	return update(s, ctx, storage.APIResourceKind, "api resource", name, read, change, func(ctx context.Context, tx pgx.Tx, r storage.APIResource) error {
		b := &pgx.Batch{}
		b.Queue(`UPDATE api_resources SET display_name = $2, introspection_response = $3, jwks = $4, jwks_uri = $5 WHERE name = $1`,
			name, r.DisplayName, r.IntrospectionResponse, blob(r.JWKS), r.JWKSURI)
		replaceChildren(b, "api_resource_scopes", "scope", name, r.Scopes)
		b.Queue(`DELETE FROM api_resource_secrets WHERE resource_name = $1`, name)
		if len(r.Secrets) > 0 {
			b.Queue(insertResourceSecrets, append([]any{name}, secretArgs(r.Secrets)...)...)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// DeleteAPIResource implements storage.Resources.
func (s *Store) DeleteAPIResource(ctx context.Context, name string) error {
	if err := storage.CheckKey("resource name", name); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete api resource %q", name), `DELETE FROM api_resources WHERE name = $1`, name)
}

// Identity resources.

const selectIdentityResources = `
	SELECT r.name, r.display_name, r.description, c.claim
	FROM identity_resources r LEFT JOIN identity_resource_claims c ON c.resource_name = r.name`

// identityResourceByName reads the resource named $1.
const identityResourceByName = selectIdentityResources + ` WHERE r.name = $1 ORDER BY c.position`

func scanIdentityResources(rows pgx.Rows) ([]storage.IdentityResource, error) {
	var r storage.IdentityResource
	var claim *string
	var out []storage.IdentityResource
	_, err := pgx.ForEachRow(rows, []any{&r.Name, &r.DisplayName, &r.Description, &claim}, func() error {
		if len(out) == 0 || out[len(out)-1].Name != r.Name {
			out = append(out, storage.IdentityResource{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description})
		}
		if claim != nil {
			last := &out[len(out)-1]
			last.Claims = append(last.Claims, *claim)
		}
		return nil
	})
	return out, err
}

// CreateIdentityResource implements storage.Resources: the resource and its
// claims in one statement.
func (s *Store) CreateIdentityResource(ctx context.Context, r storage.IdentityResource) error {
	if err := storage.CheckIdentityResource(r); err != nil {
		return err
	}
	_, err := s.exec(ctx, fmt.Sprintf("create identity resource %q", r.Name), `
		WITH r AS (INSERT INTO identity_resources (name, display_name, description) VALUES ($1, $3, $4))
		`+insertChildren("identity_resource_claims", "claim"), r.Name, list(r.Claims), r.DisplayName, r.Description)
	return err
}

// GetIdentityResource implements storage.Resources.
func (s *Store) GetIdentityResource(ctx context.Context, name string) (storage.IdentityResource, error) {
	return get(s, ctx, storage.IdentityResourceKind, "identity resource", name, scanIdentityResources, identityResourceByName)
}

// ListIdentityResources implements storage.Resources.
func (s *Store) ListIdentityResources(ctx context.Context) ([]storage.IdentityResource, error) {
	return query(s, ctx, "list identity resources", scanIdentityResources, selectIdentityResources+` ORDER BY r.name, c.position`)
}

// UpdateIdentityResource implements storage.Resources.
func (s *Store) UpdateIdentityResource(ctx context.Context, name string, change func(*storage.IdentityResource) error) error {
	read := func(ctx context.Context, tx pgx.Tx, op string) (storage.IdentityResource, error) {
		return lockFirst(ctx, tx, op, `SELECT 1 FROM identity_resources WHERE name = $1 FOR UPDATE`,
			identityResourceByName, name, scanIdentityResources)
	}
	return update(s, ctx, storage.IdentityResourceKind, "identity resource", name, read, change, func(ctx context.Context, tx pgx.Tx, r storage.IdentityResource) error {
		b := &pgx.Batch{}
		b.Queue(`UPDATE identity_resources SET display_name = $2, description = $3 WHERE name = $1`,
			name, r.DisplayName, r.Description)
		replaceChildren(b, "identity_resource_claims", "claim", name, r.Claims)
		return tx.SendBatch(ctx, b).Close()
	})
}

// DeleteIdentityResource implements storage.Resources.
func (s *Store) DeleteIdentityResource(ctx context.Context, name string) error {
	if err := storage.CheckKey("identity resource name", name); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete identity resource %q", name), `DELETE FROM identity_resources WHERE name = $1`, name)
}
