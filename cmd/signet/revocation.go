package main

import (
	"log/slog"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/revocation"
	"github.com/signetid/signet/storage"
)

// revocationEndpoint makes /connect/revocation (RFC 7009): clients
// authenticate as at the token endpoint (auth), and every lookup and
// delete goes to the database, bounded by its statement timeout, so that
// a revocation holds on every instance at once.
func (a *app) revocationEndpoint(svc *services, auth *clientauth.Authenticator, db storage.Store, cat *catalog.Catalog, logger *slog.Logger) endpoint.Endpoint {
	return revocation.New(revocation.Options{
		Auth:           auth,
		Grants:         db,
		Origins:        cat.AllowedOrigin,
		StorageTimeout: svc.cfg.Storage.StatementTimeout,
		Now:            a.now,
		Logger:         logger,
		Observer:       svc.observer,
	})
}
