package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/introspect"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// introspectionEndpoint makes /connect/introspect: the API resources of
// the catalog authenticate with the token endpoint's settings (auth's
// replay cache, remote keys, issuer and assertion audience); reference
// tokens are found by tok, refresh tokens in db, within the configured
// statement timeout.
func (a *app) introspectionEndpoint(svc *services, db storage.Store, cat *catalog.Catalog, auth *clientauth.Authenticator, tok *tokens.Service, logger *slog.Logger) *introspect.Endpoint {
	return introspect.New(introspect.Options{
		Resources:      catalogResources{cat},
		Auth:           *auth,
		Keys:           svc.ring,
		References:     tokenReferences{tok},
		Grants:         db,
		Clients:        cat,
		Users:          db,
		StorageTimeout: svc.cfg.Storage.StatementTimeout,
		Now:            a.now,
		Logger:         logger,
		Observer:       svc.observer,
	})
}

// catalogResources gives the introspection endpoint the catalog's API
// resources.
type catalogResources struct{ cat *catalog.Catalog }

func (c catalogResources) Resource(ctx context.Context, name string) (introspect.Resource, error) {
	r, err := c.cat.APIResource(ctx, name)
	if err != nil {
		return introspect.Resource{}, err
	}
	return introspect.Resource{Name: r.Name, Scopes: r.Scopes, JWTResponse: r.JWTResponse, Client: r.Client}, nil
}

// tokenReferences gives the introspection endpoint the reference tokens of
// the tokens service.
type tokenReferences struct{ tok *tokens.Service }

func (r tokenReferences) LookupReference(ctx context.Context, token string, now time.Time) (introspect.Reference, error) {
	ref, err := r.tok.LookupReference(ctx, token, now)
	switch {
	case errors.Is(err, tokens.ErrUnknownReference):
		return introspect.Reference{}, introspect.ErrNoReference
	case err != nil:
		return introspect.Reference{}, err
	}
	return introspect.Reference{Claims: ref.Claims}, nil
}
