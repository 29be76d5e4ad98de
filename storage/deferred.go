package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Deferred is a Store whose database is not there yet: it answers
// ErrUnavailable until Set gives it the real store, so that a server can
// start (and say it is not ready) while the database is unreachable, and
// serve what needs no database. It is safe for concurrent use.
type Deferred struct {
	mu    sync.RWMutex
	store Store
	cause error
}

var (
	_ Store             = (*Deferred)(nil)
	_ ConfigWatcher     = (*Deferred)(nil)
	_ SigningKeyWatcher = (*Deferred)(nil)
	_ Clock             = (*Deferred)(nil)
)

// NewDeferred returns a Deferred that answers ErrUnavailable with cause.
func NewDeferred(cause error) *Deferred { return &Deferred{cause: cause} }

// Set gives the real store; from now on every call goes to it. A store
// set after Close (it opened while the server was stopping) is closed.
func (d *Deferred) Set(s Store) {
	d.mu.Lock()
	if errors.Is(d.cause, ErrClosed) {
		d.mu.Unlock()
		s.Close()
		return
	}
	d.store = s
	d.mu.Unlock()
}

// SetCause records why the database is unavailable, for the errors.
func (d *Deferred) SetCause(err error) {
	d.mu.Lock()
	d.cause = err
	d.mu.Unlock()
}

// Store returns the real store, or nil before Set.
func (d *Deferred) Store() Store {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.store
}

func (d *Deferred) get() (Store, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.store != nil {
		return d.store, nil
	}
	if errors.Is(d.cause, ErrClosed) {
		return nil, ErrClosed
	}
	if d.cause != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, d.cause)
	}
	return nil, ErrUnavailable
}

// call runs f on the real store, or returns the zero T and the reason there
// is none (ErrUnavailable with its cause, or ErrClosed).
func call[T any](d *Deferred, f func(Store) (T, error)) (T, error) {
	st, err := d.get()
	if err != nil {
		var zero T
		return zero, err
	}
	return f(st)
}

// do is call for a method that returns only an error.
func do(d *Deferred, f func(Store) error) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return f(st)
}

// Close closes the real store, if any.
func (d *Deferred) Close() error {
	d.mu.Lock()
	s := d.store
	d.store = nil
	d.cause = ErrClosed
	d.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}

// CreateClient delegates to the real store.
func (d *Deferred) CreateClient(ctx context.Context, c Client) error {
	return do(d, func(s Store) error { return s.CreateClient(ctx, c) })
}

// GetClient delegates to the real store.
func (d *Deferred) GetClient(ctx context.Context, id string) (Client, error) {
	return call(d, func(s Store) (Client, error) { return s.GetClient(ctx, id) })
}

// ListClients delegates to the real store.
func (d *Deferred) ListClients(ctx context.Context) ([]Client, error) {
	return call(d, func(s Store) ([]Client, error) { return s.ListClients(ctx) })
}

// UpdateClient delegates to the real store.
func (d *Deferred) UpdateClient(ctx context.Context, id string, update func(*Client) error) error {
	return do(d, func(s Store) error { return s.UpdateClient(ctx, id, update) })
}

// DeleteClient delegates to the real store.
func (d *Deferred) DeleteClient(ctx context.Context, id string) error {
	return do(d, func(s Store) error { return s.DeleteClient(ctx, id) })
}

// CreateAPIScope delegates to the real store.
func (d *Deferred) CreateAPIScope(ctx context.Context, sc APIScope) error {
	return do(d, func(s Store) error { return s.CreateAPIScope(ctx, sc) })
}

// GetAPIScope delegates to the real store.
func (d *Deferred) GetAPIScope(ctx context.Context, name string) (APIScope, error) {
	return call(d, func(s Store) (APIScope, error) { return s.GetAPIScope(ctx, name) })
}

// ListAPIScopes delegates to the real store.
func (d *Deferred) ListAPIScopes(ctx context.Context) ([]APIScope, error) {
	return call(d, func(s Store) ([]APIScope, error) { return s.ListAPIScopes(ctx) })
}

// UpdateAPIScope delegates to the real store.
func (d *Deferred) UpdateAPIScope(ctx context.Context, name string, update func(*APIScope) error) error {
	return do(d, func(s Store) error { return s.UpdateAPIScope(ctx, name, update) })
}

// DeleteAPIScope delegates to the real store.
func (d *Deferred) DeleteAPIScope(ctx context.Context, name string) error {
	return do(d, func(s Store) error { return s.DeleteAPIScope(ctx, name) })
}

// CreateAPIResource delegates to the real store.
func (d *Deferred) CreateAPIResource(ctx context.Context, r APIResource) error {
	return do(d, func(s Store) error { return s.CreateAPIResource(ctx, r) })
}

// GetAPIResource delegates to the real store.
func (d *Deferred) GetAPIResource(ctx context.Context, name string) (APIResource, error) {
	return call(d, func(s Store) (APIResource, error) { return s.GetAPIResource(ctx, name) })
}

// ListAPIResources delegates to the real store.
func (d *Deferred) ListAPIResources(ctx context.Context) ([]APIResource, error) {
	return call(d, func(s Store) ([]APIResource, error) { return s.ListAPIResources(ctx) })
}

// UpdateAPIResource delegates to the real store.
func (d *Deferred) UpdateAPIResource(ctx context.Context, name string, update func(*APIResource) error) error {
	return do(d, func(s Store) error { return s.UpdateAPIResource(ctx, name, update) })
}

// DeleteAPIResource delegates to the real store.
func (d *Deferred) DeleteAPIResource(ctx context.Context, name string) error {
	return do(d, func(s Store) error { return s.DeleteAPIResource(ctx, name) })
}

// CreateIdentityResource delegates to the real store.
func (d *Deferred) CreateIdentityResource(ctx context.Context, r IdentityResource) error {
	return do(d, func(s Store) error { return s.CreateIdentityResource(ctx, r) })
}

// GetIdentityResource delegates to the real store.
func (d *Deferred) GetIdentityResource(ctx context.Context, name string) (IdentityResource, error) {
	return call(d, func(s Store) (IdentityResource, error) { return s.GetIdentityResource(ctx, name) })
}

// ListIdentityResources delegates to the real store.
func (d *Deferred) ListIdentityResources(ctx context.Context) ([]IdentityResource, error) {
	return call(d, func(s Store) ([]IdentityResource, error) { return s.ListIdentityResources(ctx) })
}

// UpdateIdentityResource delegates to the real store.
func (d *Deferred) UpdateIdentityResource(ctx context.Context, name string, update func(*IdentityResource) error) error {
	return do(d, func(s Store) error { return s.UpdateIdentityResource(ctx, name, update) })
}

// DeleteIdentityResource delegates to the real store.
func (d *Deferred) DeleteIdentityResource(ctx context.Context, name string) error {
	return do(d, func(s Store) error { return s.DeleteIdentityResource(ctx, name) })
}

// CreateGrant delegates to the real store.
func (d *Deferred) CreateGrant(ctx context.Context, g PersistedGrant) error {
	return do(d, func(s Store) error { return s.CreateGrant(ctx, g) })
}

// GetGrant delegates to the real store.
func (d *Deferred) GetGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, error) {
	return call(d, func(s Store) (PersistedGrant, error) { return s.GetGrant(ctx, key, now) })
}

// ConsumeGrant delegates to the real store.
func (d *Deferred) ConsumeGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, error) {
	return call(d, func(s Store) (PersistedGrant, error) { return s.ConsumeGrant(ctx, key, now) })
}

// CreateGrantInSession delegates to the real store.
func (d *Deferred) CreateGrantInSession(ctx context.Context, g PersistedGrant, now time.Time) error {
	return do(d, func(s Store) error { return s.CreateGrantInSession(ctx, g, now) })
}

// ConsumeUserGrant delegates to the real store.
func (d *Deferred) ConsumeUserGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, UserState, error) {
	s, err := d.get()
	if err != nil {
		return PersistedGrant{}, UserMissing, err
	}
	return s.ConsumeUserGrant(ctx, key, now)
}

// RotateGrant delegates to the real store.
func (d *Deferred) RotateGrant(ctx context.Context, key string, next PersistedGrant, now time.Time) (PersistedGrant, error) {
	return call(d, func(s Store) (PersistedGrant, error) { return s.RotateGrant(ctx, key, next, now) })
}

// ExtendGrant delegates to the real store.
func (d *Deferred) ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error {
	_, err := call(d, func(s Store) (struct{}, error) { return struct{}{}, s.ExtendGrant(ctx, key, expires, data, now) })
	return err
}

// ListGrants delegates to the real store.
func (d *Deferred) ListGrants(ctx context.Context, f PersistedGrantFilter, now time.Time) ([]PersistedGrant, error) {
	return call(d, func(s Store) ([]PersistedGrant, error) { return s.ListGrants(ctx, f, now) })
}

// DeleteGrant delegates to the real store.
func (d *Deferred) DeleteGrant(ctx context.Context, key string) error {
	return do(d, func(s Store) error { return s.DeleteGrant(ctx, key) })
}

// DeleteGrants delegates to the real store.
func (d *Deferred) DeleteGrants(ctx context.Context, f PersistedGrantFilter) (int, error) {
	return call(d, func(s Store) (int, error) { return s.DeleteGrants(ctx, f) })
}

// CreateSigningKey delegates to the real store.
func (d *Deferred) CreateSigningKey(ctx context.Context, k SigningKey) error {
	return do(d, func(s Store) error { return s.CreateSigningKey(ctx, k) })
}

// GetSigningKey delegates to the real store.
func (d *Deferred) GetSigningKey(ctx context.Context, id string) (SigningKey, error) {
	return call(d, func(s Store) (SigningKey, error) { return s.GetSigningKey(ctx, id) })
}

// ListSigningKeys delegates to the real store.
func (d *Deferred) ListSigningKeys(ctx context.Context) ([]SigningKey, error) {
	return call(d, func(s Store) ([]SigningKey, error) { return s.ListSigningKeys(ctx) })
}

// UpdateSigningKey delegates to the real store.
func (d *Deferred) UpdateSigningKey(ctx context.Context, id string, update func(*SigningKey) error) error {
	return do(d, func(s Store) error { return s.UpdateSigningKey(ctx, id, update) })
}

// DeleteSigningKey delegates to the real store.
func (d *Deferred) DeleteSigningKey(ctx context.Context, id string) error {
	return do(d, func(s Store) error { return s.DeleteSigningKey(ctx, id) })
}

// SigningKeysVersion delegates to the real store.
func (d *Deferred) SigningKeysVersion(ctx context.Context) (int64, error) {
	return call(d, func(s Store) (int64, error) { return s.SigningKeysVersion(ctx) })
}

// ConfigVersion delegates to the real store.
func (d *Deferred) ConfigVersion(ctx context.Context) (int64, error) {
	return call(d, func(s Store) (int64, error) { return s.ConfigVersion(ctx) })
}

// WatchConfig delegates to the real store when it can push changes; it
// fails while there is none (the caller polls ConfigVersion meanwhile).
func (d *Deferred) WatchConfig(ctx context.Context) (<-chan struct{}, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	w, ok := st.(ConfigWatcher)
	if !ok {
		return nil, fmt.Errorf("%T cannot push changes", st)
	}
	return w.WatchConfig(ctx)
}

// WatchSigningKeys delegates to the real store when it can push changes; it
// fails while there is none (the caller syncs periodically meanwhile).
func (d *Deferred) WatchSigningKeys(ctx context.Context) (<-chan struct{}, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	w, ok := st.(SigningKeyWatcher)
	if !ok {
		return nil, fmt.Errorf("%T cannot push changes", st)
	}
	return w.WatchSigningKeys(ctx)
}

// DatabaseTime delegates to the real store when it has a clock of its own.
func (d *Deferred) DatabaseTime(ctx context.Context) (time.Time, error) {
	st, err := d.get()
	if err != nil {
		return time.Time{}, err
	}
	c, ok := st.(Clock)
	if !ok {
		return time.Time{}, fmt.Errorf("%T has no clock of its own", st)
	}
	return c.DatabaseTime(ctx)
}

// UseOnce delegates to the real store.
func (d *Deferred) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	return do(d, func(s Store) error { return s.UseOnce(ctx, clientID, jti, expires) })
}

// DeleteExpired delegates to the real store.
func (d *Deferred) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	return call(d, func(s Store) (int, error) { return s.DeleteExpired(ctx, now, limit) })
}

// Ping delegates to the real store.
func (d *Deferred) Ping(ctx context.Context) error {
	return do(d, func(s Store) error { return s.Ping(ctx) })
}

// CreateUser delegates to the real store.
func (d *Deferred) CreateUser(ctx context.Context, u User) error {
	return do(d, func(s Store) error { return s.CreateUser(ctx, u) })
}

// GetUser delegates to the real store.
func (d *Deferred) GetUser(ctx context.Context, id string) (User, error) {
	return call(d, func(s Store) (User, error) { return s.GetUser(ctx, id) })
}

// FindUserByUsername delegates to the real store.
func (d *Deferred) FindUserByUsername(ctx context.Context, username string) (User, error) {
	return call(d, func(s Store) (User, error) { return s.FindUserByUsername(ctx, username) })
}

// ListUsers delegates to the real store.
func (d *Deferred) ListUsers(ctx context.Context, after string, limit int) ([]User, error) {
	return call(d, func(s Store) ([]User, error) { return s.ListUsers(ctx, after, limit) })
}

// UpdateUser delegates to the real store.
func (d *Deferred) UpdateUser(ctx context.Context, id string, update func(*User) error) error {
	return do(d, func(s Store) error { return s.UpdateUser(ctx, id, update) })
}

// DeleteUser delegates to the real store.
func (d *Deferred) DeleteUser(ctx context.Context, id string) error {
	return do(d, func(s Store) error { return s.DeleteUser(ctx, id) })
}

// CreateSession delegates to the real store.
func (d *Deferred) CreateSession(ctx context.Context, sess Session) error {
	return do(d, func(s Store) error { return s.CreateSession(ctx, sess) })
}

// GetSession delegates to the real store.
func (d *Deferred) GetSession(ctx context.Context, id string, now time.Time) (Session, error) {
	return call(d, func(s Store) (Session, error) { return s.GetSession(ctx, id, now) })
}

// UpdateSession delegates to the real store.
func (d *Deferred) UpdateSession(ctx context.Context, id string, now time.Time, update func(*Session) error) error {
	return do(d, func(s Store) error { return s.UpdateSession(ctx, id, now, update) })
}

// DeleteSession delegates to the real store.
func (d *Deferred) DeleteSession(ctx context.Context, id string) error {
	return do(d, func(s Store) error { return s.DeleteSession(ctx, id) })
}

// ListSessions delegates to the real store.
func (d *Deferred) ListSessions(ctx context.Context, subject string, now time.Time) ([]Session, error) {
	return call(d, func(s Store) ([]Session, error) { return s.ListSessions(ctx, subject, now) })
}

// DeleteSessions delegates to the real store.
func (d *Deferred) DeleteSessions(ctx context.Context, subject string) (int, error) {
	return call(d, func(s Store) (int, error) { return s.DeleteSessions(ctx, subject) })
}

// CreateUserLink delegates to the real store.
func (d *Deferred) CreateUserLink(ctx context.Context, l UserLink) error {
	return do(d, func(s Store) error { return s.CreateUserLink(ctx, l) })
}

// FindUserLink delegates to the real store.
func (d *Deferred) FindUserLink(ctx context.Context, issuer, subject string) (UserLink, error) {
	return call(d, func(s Store) (UserLink, error) { return s.FindUserLink(ctx, issuer, subject) })
}

// ListUserLinks delegates to the real store.
func (d *Deferred) ListUserLinks(ctx context.Context, userID string) ([]UserLink, error) {
	return call(d, func(s Store) ([]UserLink, error) { return s.ListUserLinks(ctx, userID) })
}

// UpdateUserLink delegates to the real store.
func (d *Deferred) UpdateUserLink(ctx context.Context, issuer, subject string, update func(*UserLink) error) error {
	return do(d, func(s Store) error { return s.UpdateUserLink(ctx, issuer, subject, update) })
}

// DeleteUserLink delegates to the real store.
func (d *Deferred) DeleteUserLink(ctx context.Context, issuer, subject string) error {
	return do(d, func(s Store) error { return s.DeleteUserLink(ctx, issuer, subject) })
}

// CreatePasskey delegates to the real store.
func (d *Deferred) CreatePasskey(ctx context.Context, p Passkey) error {
	return do(d, func(s Store) error { return s.CreatePasskey(ctx, p) })
}

// GetPasskey delegates to the real store.
func (d *Deferred) GetPasskey(ctx context.Context, id string) (Passkey, error) {
	return call(d, func(s Store) (Passkey, error) { return s.GetPasskey(ctx, id) })
}

// ListPasskeys delegates to the real store.
func (d *Deferred) ListPasskeys(ctx context.Context, userID string) ([]Passkey, error) {
	return call(d, func(s Store) ([]Passkey, error) { return s.ListPasskeys(ctx, userID) })
}

// UpdatePasskey delegates to the real store.
func (d *Deferred) UpdatePasskey(ctx context.Context, id string, update func(*Passkey) error) error {
	return do(d, func(s Store) error { return s.UpdatePasskey(ctx, id, update) })
}

// DeletePasskey delegates to the real store.
func (d *Deferred) DeletePasskey(ctx context.Context, id string) error {
	return do(d, func(s Store) error { return s.DeletePasskey(ctx, id) })
}

// CreateExternalProvider delegates to the real store.
func (d *Deferred) CreateExternalProvider(ctx context.Context, p ExternalProvider) error {
	return do(d, func(s Store) error { return s.CreateExternalProvider(ctx, p) })
}

// GetExternalProvider delegates to the real store.
func (d *Deferred) GetExternalProvider(ctx context.Context, name string) (ExternalProvider, error) {
	return call(d, func(s Store) (ExternalProvider, error) { return s.GetExternalProvider(ctx, name) })
}

// ListExternalProviders delegates to the real store.
func (d *Deferred) ListExternalProviders(ctx context.Context) ([]ExternalProvider, error) {
	return call(d, func(s Store) ([]ExternalProvider, error) { return s.ListExternalProviders(ctx) })
}

// UpdateExternalProvider delegates to the real store.
func (d *Deferred) UpdateExternalProvider(ctx context.Context, name string, update func(*ExternalProvider) error) error {
	return do(d, func(s Store) error { return s.UpdateExternalProvider(ctx, name, update) })
}

// DeleteExternalProvider delegates to the real store.
func (d *Deferred) DeleteExternalProvider(ctx context.Context, name string) error {
	return do(d, func(s Store) error { return s.DeleteExternalProvider(ctx, name) })
}
