package memory

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/storage"
)

// CreateClient implements storage.Clients.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	return s.clients.create(s, ctx, c)
}

// GetClient implements storage.Clients.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	return s.clients.get(s, ctx, id)
}

// ListClients implements storage.Clients.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	return s.clients.list(s, ctx)
}

// UpdateClient implements storage.Clients.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*storage.Client) error) error {
	return s.clients.update(s, ctx, id, update)
}

// DeleteClient implements storage.Clients.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.clients.delete(s, ctx, id)
}

// CreateAPIScope implements storage.Resources.
func (s *Store) CreateAPIScope(ctx context.Context, sc storage.APIScope) error {
	return s.apiScopes.create(s, ctx, sc)
}

// GetAPIScope implements storage.Resources.
func (s *Store) GetAPIScope(ctx context.Context, name string) (storage.APIScope, error) {
	return s.apiScopes.get(s, ctx, name)
}

// ListAPIScopes implements storage.Resources.
func (s *Store) ListAPIScopes(ctx context.Context) ([]storage.APIScope, error) {
	return s.apiScopes.list(s, ctx)
}

// UpdateAPIScope implements storage.Resources.
func (s *Store) UpdateAPIScope(ctx context.Context, name string, update func(*storage.APIScope) error) error {
	return s.apiScopes.update(s, ctx, name, update)
}

// DeleteAPIScope implements storage.Resources.
func (s *Store) DeleteAPIScope(ctx context.Context, name string) error {
	return s.apiScopes.delete(s, ctx, name)
}

// CreateAPIResource implements storage.Resources.
func (s *Store) CreateAPIResource(ctx context.Context, r storage.APIResource) error {
	return s.apiResources.create(s, ctx, r)
}

// GetAPIResource implements storage.Resources.
func (s *Store) GetAPIResource(ctx context.Context, name string) (storage.APIResource, error) {
	return s.apiResources.get(s, ctx, name)
}

// ListAPIResources implements storage.Resources.
func (s *Store) ListAPIResources(ctx context.Context) ([]storage.APIResource, error) {
	return s.apiResources.list(s, ctx)
}

// UpdateAPIResource implements storage.Resources.
func (s *Store) UpdateAPIResource(ctx context.Context, name string, update func(*storage.APIResource) error) error {
	return s.apiResources.update(s, ctx, name, update)
}

// DeleteAPIResource implements storage.Resources.
func (s *Store) DeleteAPIResource(ctx context.Context, name string) error {
	return s.apiResources.delete(s, ctx, name)
}

// CreateIdentityResource implements storage.Resources.
func (s *Store) CreateIdentityResource(ctx context.Context, r storage.IdentityResource) error {
	return s.identityResources.create(s, ctx, r)
}

// GetIdentityResource implements storage.Resources.
func (s *Store) GetIdentityResource(ctx context.Context, name string) (storage.IdentityResource, error) {
	return s.identityResources.get(s, ctx, name)
}

// ListIdentityResources implements storage.Resources.
func (s *Store) ListIdentityResources(ctx context.Context) ([]storage.IdentityResource, error) {
	return s.identityResources.list(s, ctx)
}

// UpdateIdentityResource implements storage.Resources.
func (s *Store) UpdateIdentityResource(ctx context.Context, name string, update func(*storage.IdentityResource) error) error {
	return s.identityResources.update(s, ctx, name, update)
}

// DeleteIdentityResource implements storage.Resources.
func (s *Store) DeleteIdentityResource(ctx context.Context, name string) error {
	return s.identityResources.delete(s, ctx, name)
}

// CreateSigningKey implements storage.SigningKeys.
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	return s.signingKeys.create(s, ctx, k)
}

// GetSigningKey implements storage.SigningKeys.
func (s *Store) GetSigningKey(ctx context.Context, id string) (storage.SigningKey, error) {
	return s.signingKeys.get(s, ctx, id)
}

// ListSigningKeys implements storage.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	return s.signingKeys.list(s, ctx)
}

// UpdateSigningKey implements storage.SigningKeys.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, update func(*storage.SigningKey) error) error {
	return s.signingKeys.update(s, ctx, id, update)
}

// DeleteSigningKey implements storage.SigningKeys.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	return s.signingKeys.delete(s, ctx, id)
}

// CreateGrant implements storage.PersistedGrants.
func (s *Store) CreateGrant(ctx context.Context, g storage.PersistedGrant) error {
	return s.grants.create(s, ctx, g)
}

// DeleteGrant implements storage.PersistedGrants.
func (s *Store) DeleteGrant(ctx context.Context, key string) error {
	return s.grants.delete(s, ctx, key)
}

// GetGrant implements storage.PersistedGrants.
func (s *Store) GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	if err := s.lock(ctx); err != nil {
		return storage.PersistedGrant{}, err
	}
	defer s.mu.Unlock()
	g, ok := s.grants.rows[key]
	if !ok || expired(g.Expires, now) {
		return storage.PersistedGrant{}, fmt.Errorf("get grant: %w", storage.ErrNotFound)
	}
	return copyGrant(g), nil
}

// ConsumeGrant implements storage.PersistedGrants.
func (s *Store) ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	if err := s.lock(ctx); err != nil {
		return storage.PersistedGrant{}, err
	}
	defer s.mu.Unlock()
	g, ok := s.grants.rows[key]
	if !ok || expired(g.Expires, now) {
		return storage.PersistedGrant{}, fmt.Errorf("consume grant: %w", storage.ErrNotFound)
	}
	if !g.Consumed.IsZero() {
		return copyGrant(g), fmt.Errorf("consume grant: %w", storage.ErrConsumed)
	}
	g.Consumed = instant(now)
	s.grants.rows[key] = g
	return copyGrant(g), nil
}

// RotateGrant implements storage.PersistedGrants: the consume and the create
// under one hold of the mutex.
func (s *Store) RotateGrant(ctx context.Context, key string, next storage.PersistedGrant, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckRotateGrant(key, next, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	next = copyGrant(next)
	if err := s.lock(ctx); err != nil {
		return storage.PersistedGrant{}, err
	}
	defer s.mu.Unlock()
	g, ok := s.grants.rows[key]
	if !ok || expired(g.Expires, now) {
		return storage.PersistedGrant{}, fmt.Errorf("rotate grant: %w", storage.ErrNotFound)
	}
	if !g.Consumed.IsZero() {
		return copyGrant(g), fmt.Errorf("rotate grant: %w", storage.ErrConsumed)
	}
	if _, ok := s.grants.rows[next.Key]; ok {
		return storage.PersistedGrant{}, fmt.Errorf("rotate grant: create the next grant: %w", storage.ErrAlreadyExists)
	}
	g.Consumed = instant(now)
	s.grants.rows[key] = g
	s.grants.rows[next.Key] = next
	return copyGrant(g), nil
}

// ListGrants implements storage.PersistedGrants.
func (s *Store) ListGrants(ctx context.Context, f storage.PersistedGrantFilter, now time.Time) ([]storage.PersistedGrant, error) {
	if err := storage.CheckListGrants(f, now); err != nil {
		return nil, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var gs []storage.PersistedGrant
	for _, g := range s.grants.rows {
		if matches(f, g) && !expired(g.Expires, now) {
			gs = append(gs, copyGrant(g))
		}
	}
	slices.SortFunc(gs, grantsOldestFirst)
	return gs, nil
}

// DeleteGrants implements storage.PersistedGrants.
func (s *Store) DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error) {
	if err := storage.CheckDeleteGrants(f); err != nil {
		return 0, err
	}
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, g := range s.grants.rows {
		if matches(f, g) {
			delete(s.grants.rows, k)
			n++
		}
	}
	return n, nil
}

func matches(f storage.PersistedGrantFilter, g storage.PersistedGrant) bool {
	return (f.Subject == "" || f.Subject == g.Subject) &&
		(f.ClientID == "" || f.ClientID == g.ClientID) &&
		(f.SessionID == "" || f.SessionID == g.SessionID) &&
		(f.FamilyID == "" || f.FamilyID == g.FamilyID) &&
		(f.Type == "" || f.Type == g.Type)
}

// Orders, as the port documents them.

func byClientID(a, b storage.Client) int          { return strings.Compare(a.ID, b.ID) }
func byScopeName(a, b storage.APIScope) int       { return strings.Compare(a.Name, b.Name) }
func byResourceName(a, b storage.APIResource) int { return strings.Compare(a.Name, b.Name) }
func byIdentityResourceName(a, b storage.IdentityResource) int {
	return strings.Compare(a.Name, b.Name)
}

func grantsOldestFirst(a, b storage.PersistedGrant) int {
	return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Key, b.Key))
}

func keysOldestFirst(a, b storage.SigningKey) int {
	return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
}

// stampClient sets the times the store owns: Created on create (kept on
// update) and Updated on every write.
func stampClient(c, old *storage.Client, now time.Time) {
	now = instant(now)
	c.Created, c.Updated = now, now
	if old != nil {
		c.Created = old.Created
	}
}

// Deep copies, with times as the store keeps them: to the millisecond, in
// UTC, and a zero time as zero.

func instant(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func copyClient(c storage.Client) storage.Client {
	c.Secrets = slices.Clone(c.Secrets)
	for i := range c.Secrets {
		c.Secrets[i].Created = instant(c.Secrets[i].Created)
		c.Secrets[i].Expires = instant(c.Secrets[i].Expires)
	}
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.Scopes = slices.Clone(c.Scopes)
	c.JWKS = bytes.Clone(c.JWKS)
	c.Claims = bytes.Clone(c.Claims)
	c.CORSOrigins = slices.Clone(c.CORSOrigins)
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	c.Created, c.Updated = instant(c.Created), instant(c.Updated)
	return c
}

func copyAPIScope(s storage.APIScope) storage.APIScope { return s }

func copyAPIResource(r storage.APIResource) storage.APIResource {
	r.Scopes = slices.Clone(r.Scopes)
	return r
}

func copyIdentityResource(r storage.IdentityResource) storage.IdentityResource {
	r.Claims = slices.Clone(r.Claims)
	return r
}

func copyGrant(g storage.PersistedGrant) storage.PersistedGrant {
	g.Data = bytes.Clone(g.Data)
	g.Created, g.Expires, g.Consumed = instant(g.Created), instant(g.Expires), instant(g.Consumed)
	return g
}

func copySigningKey(k storage.SigningKey) storage.SigningKey {
	k.Data = bytes.Clone(k.Data)
	k.Created, k.Activates = instant(k.Created), instant(k.Activates)
	k.Retires, k.Expires = instant(k.Retires), instant(k.Expires)
	return k
}
