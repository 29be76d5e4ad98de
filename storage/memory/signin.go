package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/storage"
)

// CreateUserLink implements storage.UserLinks.
func (s *Store) CreateUserLink(ctx context.Context, l storage.UserLink) error {
	return s.userLinks.create(s, ctx, l)
}

// FindUserLink implements storage.UserLinks.
func (s *Store) FindUserLink(ctx context.Context, issuer, subject string) (storage.UserLink, error) {
	if err := storage.CheckUserLinkKey(issuer, subject); err != nil {
		return storage.UserLink{}, err
	}
	return s.userLinks.get(s, ctx, storage.UserLinkKey(issuer, subject), time.Time{})
}

// ListUserLinks implements storage.UserLinks.
func (s *Store) ListUserLinks(ctx context.Context, userID string) ([]storage.UserLink, error) {
	if err := storage.CheckKey("link user id", userID); err != nil {
		return nil, err
	}
	return s.userLinks.listLive(s, ctx, time.Time{}, func(l storage.UserLink) bool { return l.UserID == userID })
}

// UpdateUserLink implements storage.UserLinks.
func (s *Store) UpdateUserLink(ctx context.Context, issuer, subject string, update func(*storage.UserLink) error) error {
	if err := storage.CheckUserLinkKey(issuer, subject); err != nil {
		return err
	}
	return s.userLinks.update(s, ctx, storage.UserLinkKey(issuer, subject), time.Time{}, update)
}

// DeleteUserLink implements storage.UserLinks.
func (s *Store) DeleteUserLink(ctx context.Context, issuer, subject string) error {
	if err := storage.CheckUserLinkKey(issuer, subject); err != nil {
		return err
	}
	return s.userLinks.delete(s, ctx, storage.UserLinkKey(issuer, subject))
}

// CreatePasskey implements storage.Passkeys.
func (s *Store) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	return s.passkeys.create(s, ctx, p)
}

// GetPasskey implements storage.Passkeys.
func (s *Store) GetPasskey(ctx context.Context, id string) (storage.Passkey, error) {
	return s.passkeys.get(s, ctx, id, time.Time{})
}

// ListPasskeys implements storage.Passkeys.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]storage.Passkey, error) {
	if err := storage.CheckKey("passkey user id", userID); err != nil {
		return nil, err
	}
	return s.passkeys.listLive(s, ctx, time.Time{}, func(p storage.Passkey) bool { return p.UserID == userID })
}

// UpdatePasskey implements storage.Passkeys.
func (s *Store) UpdatePasskey(ctx context.Context, id string, update func(*storage.Passkey) error) error {
	return s.passkeys.update(s, ctx, id, time.Time{}, update)
}

// DeletePasskey implements storage.Passkeys.
func (s *Store) DeletePasskey(ctx context.Context, id string) error {
	return s.passkeys.delete(s, ctx, id)
}

// CreateExternalProvider implements storage.ExternalProviders.
func (s *Store) CreateExternalProvider(ctx context.Context, p storage.ExternalProvider) error {
	return s.providers.create(s, ctx, p)
}

// GetExternalProvider implements storage.ExternalProviders.
func (s *Store) GetExternalProvider(ctx context.Context, name string) (storage.ExternalProvider, error) {
	return s.providers.get(s, ctx, name, time.Time{})
}

// ListExternalProviders implements storage.ExternalProviders.
func (s *Store) ListExternalProviders(ctx context.Context) ([]storage.ExternalProvider, error) {
	return s.providers.list(s, ctx)
}

// UpdateExternalProvider implements storage.ExternalProviders.
func (s *Store) UpdateExternalProvider(ctx context.Context, name string, update func(*storage.ExternalProvider) error) error {
	return s.providers.update(s, ctx, name, time.Time{}, update)
}

// DeleteExternalProvider implements storage.ExternalProviders.
func (s *Store) DeleteExternalProvider(ctx context.Context, name string) error {
	return s.providers.delete(s, ctx, name)
}

func copyUserLink(l storage.UserLink) storage.UserLink {
	l.Tokens = bytes.Clone(l.Tokens)
	l.Created, l.LastUsed = instant(l.Created), instant(l.LastUsed)
	return l
}

func copyPasskey(p storage.Passkey) storage.Passkey {
	p.PublicKey = bytes.Clone(p.PublicKey)
	p.AAGUID = bytes.Clone(p.AAGUID)
	p.Transports = slices.Clone(p.Transports)
	p.Created, p.LastUsed = instant(p.Created), instant(p.LastUsed)
	return p
}

func copyProvider(p storage.ExternalProvider) storage.ExternalProvider {
	p.Settings = bytes.Clone(p.Settings)
	p.Created, p.Updated = instant(p.Created), instant(p.Updated)
	return p
}

func linksOldestFirst(a, b storage.UserLink) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	if c := strings.Compare(a.Issuer, b.Issuer); c != 0 {
		return c
	}
	return strings.Compare(a.Subject, b.Subject)
}

func passkeysOldestFirst(a, b storage.Passkey) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func byProviderName(a, b storage.ExternalProvider) int { return strings.Compare(a.Name, b.Name) }

func stampUserLink(v, old *storage.UserLink, now time.Time) {
	if old == nil {
		v.Created = instant(now)
		return
	}
	v.Created = old.Created
}

func stampPasskey(v, old *storage.Passkey, now time.Time) {
	if old == nil {
		v.Created = instant(now)
		return
	}
	v.Created = old.Created
}

func stampProvider(v, old *storage.ExternalProvider, now time.Time) {
	v.Updated = instant(now)
	if old == nil {
		v.Created = v.Updated
		return
	}
	v.Created = old.Created
}

func sameLinkUser(old, v storage.UserLink) error {
	if old.UserID != v.UserID {
		return fmt.Errorf("%w: link user id cannot change from %q to %q", storage.ErrInvalid, old.UserID, v.UserID)
	}
	return nil
}

func samePasskeyUser(old, v storage.Passkey) error {
	if old.UserID != v.UserID {
		return fmt.Errorf("%w: passkey user id cannot change from %q to %q", storage.ErrInvalid, old.UserID, v.UserID)
	}
	return nil
}
