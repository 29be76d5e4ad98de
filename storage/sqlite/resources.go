package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/sqlrow"
)

// API scopes.

func scanAPIScopes(rows *sql.Rows) ([]storage.APIScope, error) {
	defer rows.Close()
	var out []storage.APIScope
	for rows.Next() {
		var sc storage.APIScope
		if err := rows.Scan(&sc.Name, &sc.DisplayName, &sc.Description); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

const selectAPIScopes = `SELECT name, display_name, description FROM api_scopes`

func getAPIScope(ctx context.Context, q queryer, name string) (storage.APIScope, error) {
	rows, err := q.QueryContext(ctx, selectAPIScopes+` WHERE name = ?1`, name)
	if err != nil {
		return storage.APIScope{}, err
	}
	l, err := scanAPIScopes(rows)
	if err != nil {
		return storage.APIScope{}, err
	}
	if len(l) == 0 {
		return storage.APIScope{}, sql.ErrNoRows
	}
	return l[0], nil
}

// CreateAPIScope implements storage.Resources.
func (s *Store) CreateAPIScope(ctx context.Context, sc storage.APIScope) error {
	if err := storage.CheckAPIScope(sc); err != nil {
		return err
	}
	op := fmt.Sprintf("create api scope %q", sc.Name)
	_, err := s.exec(ctx, op, `INSERT INTO api_scopes (name, display_name, description) VALUES (?1, ?2, ?3)`,
		sc.Name, sc.DisplayName, sc.Description)
	return err
}

// GetAPIScope implements storage.Resources.
func (s *Store) GetAPIScope(ctx context.Context, name string) (storage.APIScope, error) {
	return get(s, ctx, storage.APIScopeKind, "api scope", name, func() (storage.APIScope, error) {
		return getAPIScope(ctx, s.r, name)
	})
}

// ListAPIScopes implements storage.Resources.
func (s *Store) ListAPIScopes(ctx context.Context) ([]storage.APIScope, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, selectAPIScopes+` ORDER BY name`)
	if err != nil {
		return nil, s.fail(ctx, "list api scopes", err)
	}
	l, err := scanAPIScopes(rows)
	if err != nil {
		return nil, s.fail(ctx, "list api scopes", err)
	}
	return l, nil
}

// UpdateAPIScope implements storage.Resources.
func (s *Store) UpdateAPIScope(ctx context.Context, name string, change func(*storage.APIScope) error) error {
	read := func(tx *sql.Tx) (storage.APIScope, error) { return getAPIScope(ctx, tx, name) }
	return update(s, ctx, storage.APIScopeKind, "api scope", name, read, change, func(tx *sql.Tx, sc storage.APIScope) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_scopes SET display_name = ?2, description = ?3 WHERE name = ?1`,
			name, sc.DisplayName, sc.Description)
		return err
	})
}

// DeleteAPIScope implements storage.Resources.
func (s *Store) DeleteAPIScope(ctx context.Context, name string) error {
	if err := storage.CheckKey("scope name", name); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete api scope %q", name), `DELETE FROM api_scopes WHERE name = ?1`, name)
}

// API resources.

// selectAPIResources reads resources with their scopes, one row per scope,
// and their secrets aggregated into one JSON column (sqlrow.ResourceSecrets).
const selectAPIResources = `
	SELECT r.name, r.display_name, r.introspection_response, r.jwks, r.jwks_uri,
		(SELECT json_group_array(json_array(x.id, x.hash, x.description, x.expires_at, x.created_at) ORDER BY x.position)
			FROM api_resource_secrets x WHERE x.resource_name = r.name),
		s.scope
	FROM api_resources r LEFT JOIN api_resource_scopes s ON s.resource_name = r.name`

func scanAPIResources(rows *sql.Rows) ([]storage.APIResource, error) {
	defer rows.Close()
	var out []storage.APIResource
	for rows.Next() {
		var r storage.APIResource
		var scope sql.NullString
		var secrets []byte
		if err := rows.Scan(&r.Name, &r.DisplayName, &r.IntrospectionResponse, &r.JWKS, &r.JWKSURI, &secrets, &scope); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != r.Name {
			var err error
			if r.Secrets, err = sqlrow.ResourceSecrets(secrets); err != nil {
				return nil, err
			}
			r.JWKS = sqlrow.Bytes(r.JWKS)
			out = append(out, r)
		}
		if scope.Valid {
			last := &out[len(out)-1]
			last.Scopes = append(last.Scopes, scope.String)
		}
	}
	return out, rows.Err()
}

func getAPIResource(ctx context.Context, q queryer, name string) (storage.APIResource, error) {
	rows, err := q.QueryContext(ctx, selectAPIResources+` WHERE r.name = ?1 ORDER BY s.position`, name)
	if err != nil {
		return storage.APIResource{}, err
	}
	l, err := scanAPIResources(rows)
	if err != nil {
		return storage.APIResource{}, err
	}
	if len(l) == 0 {
		return storage.APIResource{}, sql.ErrNoRows
	}
	return l[0], nil
}

// writeChildren replaces the names listed under parent in table (scopes of
// an API resource, claims of an identity resource).
func writeChildren(ctx context.Context, tx *sql.Tx, table, column, parent string, names []string, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE resource_name = ?1`, parent); err != nil {
			return err
		}
	}
	for i, n := range names {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO `+table+` (resource_name, `+column+`, position) VALUES (?1, ?2, ?3)`, parent, n, i); err != nil {
			return err
		}
	}
	return nil
}

// writeResourceSecrets replaces the secrets of the API resource name.
func writeResourceSecrets(ctx context.Context, tx *sql.Tx, name string, secrets []storage.ClientSecret, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_resource_secrets WHERE resource_name = ?1`, name); err != nil {
			return err
		}
	}
	for i, sec := range secrets {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO api_resource_secrets (resource_name, id, position, hash, description, expires_at, created_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
			name, sec.ID, i, sec.Hash, sec.Description, ms(sec.Expires), ms(sec.Created)); err != nil {
			return err
		}
	}
	return nil
}

// CreateAPIResource implements storage.Resources.
func (s *Store) CreateAPIResource(ctx context.Context, r storage.APIResource) error {
	if err := storage.CheckAPIResource(r); err != nil {
		return err
	}
	op := fmt.Sprintf("create api resource %q", r.Name)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO api_resources (name, display_name, introspection_response, jwks, jwks_uri)
			VALUES (?1, ?2, ?3, ?4, ?5)`,
			r.Name, r.DisplayName, r.IntrospectionResponse, blob(r.JWKS), r.JWKSURI); err != nil {
			return s.fail(ctx, op, err)
		}
		if err := writeChildren(ctx, tx, "api_resource_scopes", "scope", r.Name, r.Scopes, false); err != nil {
			return s.fail(ctx, op, err)
		}
		if err := writeResourceSecrets(ctx, tx, r.Name, r.Secrets, false); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

// GetAPIResource implements storage.Resources.
func (s *Store) GetAPIResource(ctx context.Context, name string) (storage.APIResource, error) {
	return get(s, ctx, storage.APIResourceKind, "api resource", name, func() (storage.APIResource, error) {
		return getAPIResource(ctx, s.r, name)
	})
}

// ListAPIResources implements storage.Resources.
func (s *Store) ListAPIResources(ctx context.Context) ([]storage.APIResource, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, selectAPIResources+` ORDER BY r.name, s.position`)
	if err != nil {
		return nil, s.fail(ctx, "list api resources", err)
	}
	l, err := scanAPIResources(rows)
	if err != nil {
		return nil, s.fail(ctx, "list api resources", err)
	}
	return l, nil
}

// UpdateAPIResource implements storage.Resources.
func (s *Store) UpdateAPIResource(ctx context.Context, name string, change func(*storage.APIResource) error) error {
	read := func(tx *sql.Tx) (storage.APIResource, error) { return getAPIResource(ctx, tx, name) }
	return update(s, ctx, storage.APIResourceKind, "api resource", name, read, change, func(tx *sql.Tx, r storage.APIResource) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE api_resources SET display_name = ?2, introspection_response = ?3, jwks = ?4, jwks_uri = ?5
			WHERE name = ?1`, name, r.DisplayName, r.IntrospectionResponse, blob(r.JWKS), r.JWKSURI); err != nil {
			return err
		}
		if err := writeChildren(ctx, tx, "api_resource_scopes", "scope", name, r.Scopes, true); err != nil {
			return err
		}
		return writeResourceSecrets(ctx, tx, name, r.Secrets, true)
	})
}

// DeleteAPIResource implements storage.Resources.
func (s *Store) DeleteAPIResource(ctx context.Context, name string) error {
	if err := storage.CheckKey("resource name", name); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete api resource %q", name), `DELETE FROM api_resources WHERE name = ?1`, name)
}

// Identity resources.

const selectIdentityResources = `
	SELECT r.name, r.display_name, r.description, c.claim
	FROM identity_resources r LEFT JOIN identity_resource_claims c ON c.resource_name = r.name`

func scanIdentityResources(rows *sql.Rows) ([]storage.IdentityResource, error) {
	defer rows.Close()
	var out []storage.IdentityResource
	for rows.Next() {
		var r storage.IdentityResource
		var claim sql.NullString
		if err := rows.Scan(&r.Name, &r.DisplayName, &r.Description, &claim); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != r.Name {
			out = append(out, r)
		}
		if claim.Valid {
			last := &out[len(out)-1]
			last.Claims = append(last.Claims, claim.String)
		}
	}
	return out, rows.Err()
}

func getIdentityResource(ctx context.Context, q queryer, name string) (storage.IdentityResource, error) {
	rows, err := q.QueryContext(ctx, selectIdentityResources+` WHERE r.name = ?1 ORDER BY c.position`, name)
	if err != nil {
		return storage.IdentityResource{}, err
	}
	l, err := scanIdentityResources(rows)
	if err != nil {
		return storage.IdentityResource{}, err
	}
	if len(l) == 0 {
		return storage.IdentityResource{}, sql.ErrNoRows
	}
	return l[0], nil
}

// CreateIdentityResource implements storage.Resources.
func (s *Store) CreateIdentityResource(ctx context.Context, r storage.IdentityResource) error {
	if err := storage.CheckIdentityResource(r); err != nil {
		return err
	}
	op := fmt.Sprintf("create identity resource %q", r.Name)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO identity_resources (name, display_name, description) VALUES (?1, ?2, ?3)`,
			r.Name, r.DisplayName, r.Description); err != nil {
			return s.fail(ctx, op, err)
		}
		if err := writeChildren(ctx, tx, "identity_resource_claims", "claim", r.Name, r.Claims, false); err != nil {
			return s.fail(ctx, op, err)
		}
		return nil
	})
}

// GetIdentityResource implements storage.Resources.
func (s *Store) GetIdentityResource(ctx context.Context, name string) (storage.IdentityResource, error) {
	return get(s, ctx, storage.IdentityResourceKind, "identity resource", name, func() (storage.IdentityResource, error) {
		return getIdentityResource(ctx, s.r, name)
	})
}

// ListIdentityResources implements storage.Resources.
func (s *Store) ListIdentityResources(ctx context.Context) ([]storage.IdentityResource, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, selectIdentityResources+` ORDER BY r.name, c.position`)
	if err != nil {
		return nil, s.fail(ctx, "list identity resources", err)
	}
	l, err := scanIdentityResources(rows)
	if err != nil {
		return nil, s.fail(ctx, "list identity resources", err)
	}
	return l, nil
}

// UpdateIdentityResource implements storage.Resources.
func (s *Store) UpdateIdentityResource(ctx context.Context, name string, change func(*storage.IdentityResource) error) error {
	read := func(tx *sql.Tx) (storage.IdentityResource, error) { return getIdentityResource(ctx, tx, name) }
	return update(s, ctx, storage.IdentityResourceKind, "identity resource", name, read, change, func(tx *sql.Tx, r storage.IdentityResource) error {
		if _, err := tx.ExecContext(ctx, `UPDATE identity_resources SET display_name = ?2, description = ?3 WHERE name = ?1`,
			name, r.DisplayName, r.Description); err != nil {
			return err
		}
		return writeChildren(ctx, tx, "identity_resource_claims", "claim", name, r.Claims, true)
	})
}

// DeleteIdentityResource implements storage.Resources.
func (s *Store) DeleteIdentityResource(ctx context.Context, name string) error {
	if err := storage.CheckKey("identity resource name", name); err != nil {
		return err
	}
	return s.deleteOne(ctx, fmt.Sprintf("delete identity resource %q", name), `DELETE FROM identity_resources WHERE name = ?1`, name)
}
