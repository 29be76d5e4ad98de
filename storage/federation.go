package storage

import (
	"context"
	"time"
)

// UserLink ties a local user to the account of a person at an external
// identity provider (issue 16). A person is identified there by the pair
// (Issuer, Subject), never by an email address: two links cannot share a
// pair, and a user may have many links.
type UserLink struct {
	// Issuer is the provider's issuer (the ID token's iss; for GitHub,
	// https://github.com), Subject the person's id there (sub; GitHub's
	// numeric user id). Together they are the link's key.
	Issuer, Subject string
	// Provider is the name of the configured provider the link was made
	// through (what the login page showed); informative, since a provider
	// may be renamed.
	Provider string
	// UserID is the local user's id; it cannot change.
	UserID string
	// Tokens are the provider's tokens, sealed by the caller under the
	// key-encryption key when the provider has saveTokens; empty otherwise.
	Tokens []byte
	// Created is set by the store; LastUsed is the caller's (the last
	// sign-in through the link), zero for never.
	Created, LastUsed time.Time
}

// UserLinks keeps the links between local users and their accounts at
// external identity providers.
//
// Every method checks its arguments first and refuses bad ones with
// ErrInvalid. Writes do not change the ConfigVersion.
type UserLinks interface {
	// CreateUserLink adds a link (checked by CheckUserLink);
	// ErrAlreadyExists if its (Issuer, Subject) is taken, ErrNotFound if
	// its user does not exist. The store sets Created.
	CreateUserLink(ctx context.Context, l UserLink) error
	// FindUserLink returns the link of (issuer, subject); ErrNotFound if
	// there is none.
	FindUserLink(ctx context.Context, issuer, subject string) (UserLink, error)
	// ListUserLinks returns the user's links, oldest first (by Created,
	// then by issuer and subject in byte order); none for an unknown user.
	ListUserLinks(ctx context.Context, userID string) ([]UserLink, error)
	// UpdateUserLink reads the link, lets update change it, and writes it
	// back in one transaction, as UpdateUser does. The issuer, subject and
	// user cannot change (ErrInvalid); Created is kept. ErrNotFound if
	// there is no such link.
	UpdateUserLink(ctx context.Context, issuer, subject string, update func(*UserLink) error) error
	// DeleteUserLink removes a link; ErrNotFound if there is none.
	DeleteUserLink(ctx context.Context, issuer, subject string) error
}

// ExternalProvider is an external identity provider kept in the database
// (`signet provider add`), beside those of the configuration file. Like
// clients, providers are configuration: their writes change the
// ConfigVersion, so that every instance reloads them.
type ExternalProvider struct {
	// Name identifies the provider: the path of its callback
	// (/signin/<name>/callback) and the idp: hint.
	Name string
	// Type is the caller's (oidc, entra, google, github); the store keeps
	// it as given.
	Type string
	// Settings are the rest of the provider's configuration, one JSON
	// object whose shape is the caller's, kept byte for byte (a client
	// secret in it is sealed by the caller).
	Settings []byte
	// Created and Updated are set by the store.
	Created, Updated time.Time
}

// ExternalProviders keeps the external identity providers of the database.
//
// Every method checks its arguments first and refuses bad ones with
// ErrInvalid. Writes change the ConfigVersion.
type ExternalProviders interface {
	// CreateExternalProvider adds a provider (checked by
	// CheckExternalProvider); ErrAlreadyExists if its name is taken.
	CreateExternalProvider(ctx context.Context, p ExternalProvider) error
	// GetExternalProvider returns a provider; ErrNotFound if there is none.
	GetExternalProvider(ctx context.Context, name string) (ExternalProvider, error)
	// ListExternalProviders returns every provider, by name in byte order.
	ListExternalProviders(ctx context.Context) ([]ExternalProvider, error)
	// UpdateExternalProvider reads, changes and writes back a provider in
	// one transaction, as UpdateClient does; the name cannot change.
	UpdateExternalProvider(ctx context.Context, name string, update func(*ExternalProvider) error) error
	// DeleteExternalProvider removes a provider; ErrNotFound if there is
	// none. The links made through it stay: they are keyed by issuer.
	DeleteExternalProvider(ctx context.Context, name string) error
}
