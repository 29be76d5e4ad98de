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
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.CreateClient(ctx, c)
}

// GetClient delegates to the real store.
func (d *Deferred) GetClient(ctx context.Context, id string) (Client, error) {
	st, err := d.get()
	if err != nil {
		return Client{}, err
	}
	return st.GetClient(ctx, id)
}

// ListClients delegates to the real store.
func (d *Deferred) ListClients(ctx context.Context) ([]Client, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	return st.ListClients(ctx)
}

// UpdateClient delegates to the real store.
func (d *Deferred) UpdateClient(ctx context.Context, id string, update func(*Client) error) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.UpdateClient(ctx, id, update)
}

// DeleteClient delegates to the real store.
func (d *Deferred) DeleteClient(ctx context.Context, id string) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.DeleteClient(ctx, id)
}

// CreateAPIScope delegates to the real store.
func (d *Deferred) CreateAPIScope(ctx context.Context, s APIScope) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.CreateAPIScope(ctx, s)
}

// GetAPIScope delegates to the real store.
func (d *Deferred) GetAPIScope(ctx context.Context, name string) (APIScope, error) {
	st, err := d.get()
	if err != nil {
		return APIScope{}, err
	}
	return st.GetAPIScope(ctx, name)
}

// ListAPIScopes delegates to the real store.
func (d *Deferred) ListAPIScopes(ctx context.Context) ([]APIScope, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	return st.ListAPIScopes(ctx)
}

// UpdateAPIScope delegates to the real store.
func (d *Deferred) UpdateAPIScope(ctx context.Context, name string, update func(*APIScope) error) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.UpdateAPIScope(ctx, name, update)
}

// DeleteAPIScope delegates to the real store.
func (d *Deferred) DeleteAPIScope(ctx context.Context, name string) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.DeleteAPIScope(ctx, name)
}

// CreateAPIResource delegates to the real store.
func (d *Deferred) CreateAPIResource(ctx context.Context, r APIResource) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.CreateAPIResource(ctx, r)
}

// GetAPIResource delegates to the real store.
func (d *Deferred) GetAPIResource(ctx context.Context, name string) (APIResource, error) {
	st, err := d.get()
	if err != nil {
		return APIResource{}, err
	}
	return st.GetAPIResource(ctx, name)
}

// ListAPIResources delegates to the real store.
func (d *Deferred) ListAPIResources(ctx context.Context) ([]APIResource, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	return st.ListAPIResources(ctx)
}

// UpdateAPIResource delegates to the real store.
func (d *Deferred) UpdateAPIResource(ctx context.Context, name string, update func(*APIResource) error) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.UpdateAPIResource(ctx, name, update)
}

// DeleteAPIResource delegates to the real store.
func (d *Deferred) DeleteAPIResource(ctx context.Context, name string) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.DeleteAPIResource(ctx, name)
}

// CreateIdentityResource delegates to the real store.
func (d *Deferred) CreateIdentityResource(ctx context.Context, r IdentityResource) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.CreateIdentityResource(ctx, r)
}

// GetIdentityResource delegates to the real store.
func (d *Deferred) GetIdentityResource(ctx context.Context, name string) (IdentityResource, error) {
	st, err := d.get()
	if err != nil {
		return IdentityResource{}, err
	}
	return st.GetIdentityResource(ctx, name)
}

// ListIdentityResources delegates to the real store.
func (d *Deferred) ListIdentityResources(ctx context.Context) ([]IdentityResource, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	return st.ListIdentityResources(ctx)
}

// UpdateIdentityResource delegates to the real store.
func (d *Deferred) UpdateIdentityResource(ctx context.Context, name string, update func(*IdentityResource) error) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.UpdateIdentityResource(ctx, name, update)
}

// DeleteIdentityResource delegates to the real store.
func (d *Deferred) DeleteIdentityResource(ctx context.Context, name string) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.DeleteIdentityResource(ctx, name)
}

// CreateGrant delegates to the real store.
func (d *Deferred) CreateGrant(ctx context.Context, g PersistedGrant) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.CreateGrant(ctx, g)
}

// GetGrant delegates to the real store.
func (d *Deferred) GetGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, error) {
	st, err := d.get()
	if err != nil {
		return PersistedGrant{}, err
	}
	return st.GetGrant(ctx, key, now)
}

// ConsumeGrant delegates to the real store.
func (d *Deferred) ConsumeGrant(ctx context.Context, key string, now time.Time) (PersistedGrant, error) {
	st, err := d.get()
	if err != nil {
		return PersistedGrant{}, err
	}
	return st.ConsumeGrant(ctx, key, now)
}

// RotateGrant delegates to the real store.
func (d *Deferred) RotateGrant(ctx context.Context, key string, next PersistedGrant, now time.Time) (PersistedGrant, error) {
	st, err := d.get()
	if err != nil {
		return PersistedGrant{}, err
	}
	return st.RotateGrant(ctx, key, next, now)
}

// ListGrants delegates to the real store.
func (d *Deferred) ListGrants(ctx context.Context, f PersistedGrantFilter, now time.Time) ([]PersistedGrant, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	return st.ListGrants(ctx, f, now)
}

// DeleteGrant delegates to the real store.
func (d *Deferred) DeleteGrant(ctx context.Context, key string) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.DeleteGrant(ctx, key)
}

// DeleteGrants delegates to the real store.
func (d *Deferred) DeleteGrants(ctx context.Context, f PersistedGrantFilter) (int, error) {
	st, err := d.get()
	if err != nil {
		return 0, err
	}
	return st.DeleteGrants(ctx, f)
}

// CreateSigningKey delegates to the real store.
func (d *Deferred) CreateSigningKey(ctx context.Context, k SigningKey) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.CreateSigningKey(ctx, k)
}

// GetSigningKey delegates to the real store.
func (d *Deferred) GetSigningKey(ctx context.Context, id string) (SigningKey, error) {
	st, err := d.get()
	if err != nil {
		return SigningKey{}, err
	}
	return st.GetSigningKey(ctx, id)
}

// ListSigningKeys delegates to the real store.
func (d *Deferred) ListSigningKeys(ctx context.Context) ([]SigningKey, error) {
	st, err := d.get()
	if err != nil {
		return nil, err
	}
	return st.ListSigningKeys(ctx)
}

// UpdateSigningKey delegates to the real store.
func (d *Deferred) UpdateSigningKey(ctx context.Context, id string, update func(*SigningKey) error) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.UpdateSigningKey(ctx, id, update)
}

// DeleteSigningKey delegates to the real store.
func (d *Deferred) DeleteSigningKey(ctx context.Context, id string) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.DeleteSigningKey(ctx, id)
}

// SigningKeysVersion delegates to the real store.
func (d *Deferred) SigningKeysVersion(ctx context.Context) (int64, error) {
	st, err := d.get()
	if err != nil {
		return 0, err
	}
	return st.SigningKeysVersion(ctx)
}

// ConfigVersion delegates to the real store.
func (d *Deferred) ConfigVersion(ctx context.Context) (int64, error) {
	st, err := d.get()
	if err != nil {
		return 0, err
	}
	return st.ConfigVersion(ctx)
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
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.UseOnce(ctx, clientID, jti, expires)
}

// DeleteExpired delegates to the real store.
func (d *Deferred) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	st, err := d.get()
	if err != nil {
		return 0, err
	}
	return st.DeleteExpired(ctx, now, limit)
}

// Ping delegates to the real store.
func (d *Deferred) Ping(ctx context.Context) error {
	st, err := d.get()
	if err != nil {
		return err
	}
	return st.Ping(ctx)
}
