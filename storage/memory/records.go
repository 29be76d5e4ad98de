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

// The methods of the keyed records hand their work to the record's table,
// which does what every kind shares (table.go); the contracts are those of
// the storage interfaces named.

// CreateClient implements storage.Clients.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	return s.clients.create(s, ctx, c)
}

// GetClient implements storage.Clients.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	return s.clients.get(s, ctx, id, time.Time{})
}

// ListClients implements storage.Clients.
func (s *Store) ListClients(ctx context.Context) ([]storage.Client, error) {
	return s.clients.list(s, ctx)
}

// UpdateClient implements storage.Clients.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*storage.Client) error) error {
	return s.clients.update(s, ctx, id, time.Time{}, update)
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
	return s.apiScopes.get(s, ctx, name, time.Time{})
}

// ListAPIScopes implements storage.Resources.
func (s *Store) ListAPIScopes(ctx context.Context) ([]storage.APIScope, error) {
	return s.apiScopes.list(s, ctx)
}

// UpdateAPIScope implements storage.Resources.
func (s *Store) UpdateAPIScope(ctx context.Context, name string, update func(*storage.APIScope) error) error {
	return s.apiScopes.update(s, ctx, name, time.Time{}, update)
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
	return s.apiResources.get(s, ctx, name, time.Time{})
}

// ListAPIResources implements storage.Resources.
func (s *Store) ListAPIResources(ctx context.Context) ([]storage.APIResource, error) {
	return s.apiResources.list(s, ctx)
}

// UpdateAPIResource implements storage.Resources.
func (s *Store) UpdateAPIResource(ctx context.Context, name string, update func(*storage.APIResource) error) error {
	return s.apiResources.update(s, ctx, name, time.Time{}, update)
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
	return s.identityResources.get(s, ctx, name, time.Time{})
}

// ListIdentityResources implements storage.Resources.
func (s *Store) ListIdentityResources(ctx context.Context) ([]storage.IdentityResource, error) {
	return s.identityResources.list(s, ctx)
}

// UpdateIdentityResource implements storage.Resources.
func (s *Store) UpdateIdentityResource(ctx context.Context, name string, update func(*storage.IdentityResource) error) error {
	return s.identityResources.update(s, ctx, name, time.Time{}, update)
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
	return s.signingKeys.get(s, ctx, id, time.Time{})
}

// ListSigningKeys implements storage.SigningKeys.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	return s.signingKeys.list(s, ctx)
}

// UpdateSigningKey implements storage.SigningKeys.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, update func(*storage.SigningKey) error) error {
	return s.signingKeys.update(s, ctx, id, time.Time{}, update)
}

// DeleteSigningKey implements storage.SigningKeys.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	return s.signingKeys.delete(s, ctx, id)
}

// CreateUser implements storage.Users.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	return s.users.create(s, ctx, u)
}

// GetUser implements storage.Users.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	return s.users.get(s, ctx, id, time.Time{})
}

// FindUserByUsername implements storage.Users.
func (s *Store) FindUserByUsername(ctx context.Context, username string) (storage.User, error) {
	if err := storage.CheckKey("username", username); err != nil {
		return storage.User{}, err
	}
	key := storage.NormalizeUsername(username)
	us, err := s.users.listLive(s, ctx, time.Time{}, func(u storage.User) bool {
		return storage.NormalizeUsername(u.Username) == key
	})
	if err != nil {
		return storage.User{}, err
	}
	if len(us) == 0 {
		return storage.User{}, fmt.Errorf("find user by username: %w", storage.ErrNotFound)
	}
	return us[0], nil
}

// ListUsers implements storage.Users.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]storage.User, error) {
	if err := storage.CheckListUsers(after, limit); err != nil {
		return nil, err
	}
	us, err := s.users.listLive(s, ctx, time.Time{}, func(u storage.User) bool { return u.ID > after })
	return us[:min(limit, len(us))], err
}

// UpdateUser implements storage.Users.
func (s *Store) UpdateUser(ctx context.Context, id string, update func(*storage.User) error) error {
	return s.users.update(s, ctx, id, time.Time{}, update)
}

// DeleteUser implements storage.Users: the user's links and passkeys go
// with it.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if err := storage.CheckKey("user id", id); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users.rows[id]; !ok {
		return fmt.Errorf("delete user %q: %w", id, storage.ErrNotFound)
	}
	delete(s.users.rows, id)
	for k, l := range s.userLinks.rows {
		if l.UserID == id {
			delete(s.userLinks.rows, k)
		}
	}
	for k, p := range s.passkeys.rows {
		if p.UserID == id {
			delete(s.passkeys.rows, k)
		}
	}
	return nil
}

// CreateSession implements storage.Sessions.
func (s *Store) CreateSession(ctx context.Context, sess storage.Session) error {
	return s.sessions.create(s, ctx, sess)
}

// GetSession implements storage.Sessions.
func (s *Store) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	if err := storage.CheckGetSession(id, now); err != nil {
		return storage.Session{}, err
	}
	return s.sessions.get(s, ctx, id, now)
}

// UpdateSession implements storage.Sessions.
func (s *Store) UpdateSession(ctx context.Context, id string, now time.Time, update func(*storage.Session) error) error {
	if err := storage.CheckGetSession(id, now); err != nil {
		return err
	}
	return s.sessions.update(s, ctx, id, now, update)
}

// DeleteSession implements storage.Sessions.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.sessions.delete(s, ctx, id)
}

// ListSessions implements storage.Sessions.
func (s *Store) ListSessions(ctx context.Context, subject string, now time.Time) ([]storage.Session, error) {
	if err := storage.CheckListSessions(subject, now); err != nil {
		return nil, err
	}
	return s.sessions.listLive(s, ctx, now, func(v storage.Session) bool { return v.Subject == subject })
}

// DeleteSessions implements storage.Sessions.
func (s *Store) DeleteSessions(ctx context.Context, subject string) (int, error) {
	if err := storage.CheckKey("session subject", subject); err != nil {
		return 0, err
	}
	return s.sessions.deleteWhere(s, ctx, func(v storage.Session) bool { return v.Subject == subject })
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
	return s.grants.get(s, ctx, key, now)
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
	g, err := s.consume(key, now)
	if err != nil {
		return g, fmt.Errorf("consume grant: %w", err)
	}
	return g, nil
}

// CreateGrantInSession implements storage.PersistedGrants: the session's
// check and the create under one hold of the mutex.
func (s *Store) CreateGrantInSession(ctx context.Context, g storage.PersistedGrant, now time.Time) error {
	if err := storage.CheckGrantInSession(g, now); err != nil {
		return err
	}
	g = copyGrant(g)
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	// The session first, as the SQL backends' statement inserts nothing
	// for an ended session, whatever the key.
	if _, ok := s.sessions.live(g.SessionID, now); !ok {
		return fmt.Errorf("create grant in session: the session has ended: %w", storage.ErrNotFound)
	}
	if _, ok := s.grants.rows[g.Key]; ok {
		return fmt.Errorf("create grant in session: %w", storage.ErrAlreadyExists)
	}
	s.grants.rows[g.Key] = g
	return nil
}

// ConsumeUserGrant implements storage.PersistedGrants: the consume and the
// read of the user under one hold of the mutex.
func (s *Store) ConsumeUserGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, storage.UserState, error) {
	if err := storage.CheckGetGrant(key, now); err != nil {
		return storage.PersistedGrant{}, storage.UserMissing, err
	}
	if err := s.lock(ctx); err != nil {
		return storage.PersistedGrant{}, storage.UserMissing, err
	}
	defer s.mu.Unlock()
	g, err := s.consume(key, now)
	if err != nil {
		return g, storage.UserMissing, fmt.Errorf("consume user grant: %w", err)
	}
	u, ok := s.users.rows[g.Subject]
	switch {
	case !ok:
		return g, storage.UserMissing, nil
	case u.Disabled:
		return g, storage.UserDisabled, nil
	}
	return g, storage.UserActive, nil
}

// consume marks the grant of key consumed at now, under the mutex. Its
// errors are the bare sentinels ErrNotFound and ErrConsumed, for the caller
// to wrap: a format with one argument less keeps the replay of a code as
// cheap as before.
func (s *Store) consume(key string, now time.Time) (storage.PersistedGrant, error) {
	g, ok := s.grants.rows[key] // not grants.live: no indirect call on the token path
	if !ok || expired(g.Expires, now) {
		return storage.PersistedGrant{}, storage.ErrNotFound
	}
	if !g.Consumed.IsZero() {
		return copyGrant(g), storage.ErrConsumed
	}
	g.Consumed = instant(now)
	s.grants.rows[key] = g
	return copyGrant(g), nil
}

// RotateGrant implements storage.PersistedGrants: the consume and the create
// under one hold of the mutex, the create's key checked first so that a
// taken one leaves the grant unconsumed.
func (s *Store) RotateGrant(ctx context.Context, key string, next storage.PersistedGrant, now time.Time) (storage.PersistedGrant, error) {
	if err := storage.CheckRotateGrant(key, next, now); err != nil {
		return storage.PersistedGrant{}, err
	}
	next = copyGrant(next)
	if err := s.lock(ctx); err != nil {
		return storage.PersistedGrant{}, err
	}
	defer s.mu.Unlock()
	if g, ok := s.grants.live(key, now); ok && g.Consumed.IsZero() {
		if _, taken := s.grants.rows[next.Key]; taken {
			return storage.PersistedGrant{}, fmt.Errorf("rotate grant: create the next grant: %w", storage.ErrAlreadyExists)
		}
	}
	g, err := s.consume(key, now)
	if err != nil {
		return g, fmt.Errorf("rotate grant: %w", err)
	}
	s.grants.rows[next.Key] = next
	return g, nil
}

// ExtendGrant implements storage.PersistedGrants, under the mutex.
func (s *Store) ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error {
	if err := storage.CheckExtendGrant(key, expires, now); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	g, ok := s.grants.rows[key]
	switch {
	case !ok || expired(g.Expires, now):
		return fmt.Errorf("extend grant: %w", storage.ErrNotFound)
	case !g.Consumed.IsZero():
		return fmt.Errorf("extend grant: %w", storage.ErrConsumed)
	}
	g.Expires = instant(expires)
	g.Data = bytes.Clone(data)
	if len(g.Data) == 0 {
		g.Data = nil
	}
	s.grants.rows[key] = g
	return nil
}

// ListGrants implements storage.PersistedGrants.
func (s *Store) ListGrants(ctx context.Context, f storage.PersistedGrantFilter, now time.Time) ([]storage.PersistedGrant, error) {
	if err := storage.CheckListGrants(f, now); err != nil {
		return nil, err
	}
	return s.grants.listLive(s, ctx, now, func(g storage.PersistedGrant) bool { return matches(f, g) })
}

// DeleteGrants implements storage.PersistedGrants.
func (s *Store) DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error) {
	if err := storage.CheckDeleteGrants(f); err != nil {
		return 0, err
	}
	return s.grants.deleteWhere(s, ctx, func(g storage.PersistedGrant) bool { return matches(f, g) })
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
func byUserID(a, b storage.User) int { return strings.Compare(a.ID, b.ID) }

func grantsOldestFirst(a, b storage.PersistedGrant) int {
	return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Key, b.Key))
}

func keysOldestFirst(a, b storage.SigningKey) int {
	return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
}

func sessionsOldestFirst(a, b storage.Session) int {
	return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
}

// stampClient and stampUser set the times the store owns: Created on create
// (kept on update) and Updated on every write.

func stampClient(c, old *storage.Client, now time.Time) {
	c.Created, c.Updated = instant(now), instant(now)
	if old != nil {
		c.Created = old.Created
	}
}

func stampUser(u, old *storage.User, now time.Time) {
	u.Created, u.Updated = instant(now), instant(now)
	if old != nil {
		u.Created = old.Created
	}
}

// keepSessionCreated keeps a session's Created through updates: the caller
// sets it once, at the create.
func keepSessionCreated(v, old *storage.Session, _ time.Time) {
	if old != nil {
		v.Created = old.Created
	}
}

// sameSubject refuses an update that gives a session to another user.
func sameSubject(old, v storage.Session) error {
	return storage.CheckSameKey("session subject", old.Subject, v.Subject)
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
	c.AllowedIdentityTokenSigningAlgorithms = slices.Clone(c.AllowedIdentityTokenSigningAlgorithms)
	c.Created, c.Updated = instant(c.Created), instant(c.Updated)
	return c
}

func copyAPIScope(s storage.APIScope) storage.APIScope { return s }

func copyAPIResource(r storage.APIResource) storage.APIResource {
	r.Scopes = slices.Clone(r.Scopes)
	r.Secrets = slices.Clone(r.Secrets)
	for i := range r.Secrets {
		r.Secrets[i].Created = instant(r.Secrets[i].Created)
		r.Secrets[i].Expires = instant(r.Secrets[i].Expires)
	}
	r.JWKS = bytes.Clone(r.JWKS)
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

func copyUser(u storage.User) storage.User {
	u.Claims = bytes.Clone(u.Claims)
	u.TOTPSecret = bytes.Clone(u.TOTPSecret)
	u.RecoveryCodes = slices.Clone(u.RecoveryCodes)
	u.LockedUntil, u.FailedSince, u.LastLogin = instant(u.LockedUntil), instant(u.FailedSince), instant(u.LastLogin)
	u.Created, u.Updated = instant(u.Created), instant(u.Updated)
	return u
}

func copySession(s storage.Session) storage.Session {
	s.AMR = slices.Clone(s.AMR)
	s.Clients = slices.Clone(s.Clients)
	s.AuthTime, s.Created, s.Expires = instant(s.AuthTime), instant(s.Created), instant(s.Expires)
	return s
}
