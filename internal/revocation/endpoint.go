package revocation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/cors"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// Path is the revocation endpoint's path, as IdentityServer has it.
const Path = "/connect/revocation"

// UnsupportedTokenType is RFC 7009 §2.2.1's error: the token is of a type
// this server cannot revoke (a JWT access token).
const UnsupportedTokenType = "unsupported_token_type"

// Token type hints (RFC 7009 §2.1).
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// DefaultStorageTimeout bounds a request's storage work when Options sets
// none.
const DefaultStorageTimeout = 5 * time.Second

// authMethods are the client authentication methods accepted: the token
// endpoint's, a public client's client_id included (RFC 7009 §2.1: a
// public client revokes the tokens issued to it).
var authMethods = []clientauth.Method{clientauth.SecretBasic, clientauth.SecretPost, clientauth.PrivateKeyJWT, clientauth.None}

// Grants finds and deletes the stored tokens (storage.PersistedGrants
// satisfies it).
type Grants interface {
	GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	DeleteGrant(ctx context.Context, key string) error
	DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error)
}

var _ Grants = (storage.PersistedGrants)(nil)

// Options are what a revocation endpoint is made of.
type Options struct {
	// Auth authenticates clients.
	Auth *clientauth.Authenticator
	// Grants is the store of refresh and reference tokens.
	Grants Grants
	// Origins, when set, reports whether a browser origin may call the
	// endpoint (a client's AllowedCorsOrigins).
	Origins func(origin string) bool
	// StorageTimeout bounds a request's reads and deletes (the storage's
	// statement timeout); 0 means DefaultStorageTimeout.
	StorageTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Observer is told of each client that fails to authenticate
	// (client.auth_failed); nil means observe.Discard.
	Observer observe.Observer
}

// Endpoint is the revocation endpoint. It implements endpoint.Endpoint and
// http.Handler (the issuer must be in the request's context).
type Endpoint struct {
	opts  Options
	cors  *cors.Policy
	serve http.HandlerFunc
}

var _ endpoint.Endpoint = (*Endpoint)(nil)

// New makes a revocation endpoint.
func New(opts Options) *Endpoint {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StorageTimeout <= 0 {
		opts.StorageTimeout = DefaultStorageTimeout
	}
	if opts.Auth != nil {
		// A copy, so that the token endpoint's is left alone: an
		// assertion may name this endpoint as its audience too (RFC 7523
		// §3), as at the introspection endpoint.
		auth := *opts.Auth
		auth.EndpointPath = Path
		opts.Auth = &auth
	}
	e := &Endpoint{opts: opts}
	e.cors = cors.New(opts.Origins, cors.Options{Methods: []string{http.MethodPost}, Headers: []string{"Authorization", "Content-Type"}})
	e.serve = e.cors.Wrap(e.serveRevocation)
	return e
}

// Routes are the POST, the CORS preflight, and every other method (405),
// all on Path.
func (e *Endpoint) Routes() []endpoint.Route {
	return endpoint.APIRoutes(Path, e, e.refuse, http.MethodPost, http.MethodOptions)
}

// Describe adds revocation_endpoint, the client authentication methods it
// accepts and the algorithms of client assertions (RFC 8414 §2).
func (e *Endpoint) Describe(m *endpoint.Metadata) {
	m.SetPath("revocation_endpoint", Path)
	for _, am := range authMethods {
		m.AppendList("revocation_endpoint_auth_methods_supported", string(am))
	}
	for _, alg := range clientauth.AssertionAlgorithms {
		m.AppendList("revocation_endpoint_auth_signing_alg_values_supported", string(alg))
	}
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.serve(w, r) }

// refuse writes an error the chain found before the handler.
func (e *Endpoint) refuse(w http.ResponseWriter, r *http.Request, err *oauth.Error) {
	e.cors.Headers(w, r)
	e.writeError(w, r, err)
}

func (e *Endpoint) serveRevocation(w http.ResponseWriter, r *http.Request) {
	if oerr := e.handle(r); oerr != nil {
		e.writeError(w, r, oerr)
		return
	}
	// RFC 7009 §2.2: 200, the body is ignored.
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

func (e *Endpoint) writeError(w http.ResponseWriter, r *http.Request, oerr *oauth.Error) {
	switch oerr.Code {
	case oauth.ServerError:
		e.log(r.Context(), slog.LevelError, "revocation request failed", logattr.Text("error", oerr.Error()))
	case oauth.TemporarilyUnavailable:
		// The client hears only "retry later"; the cause is for the
		// operator (the outage report for a storage outage).
		e.log(r.Context(), outage.Level(oerr.Cause, slog.LevelWarn), "revocation request failed", logattr.Text("error", oerr.Error()))
	}
	if oerr.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	oauth.WriteError(w, oerr)
}

func (e *Endpoint) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if e.opts.Logger != nil {
		e.opts.Logger.LogAttrs(ctx, level, msg, attrs...)
	}
}

// errNoIssuer is a server that serves the endpoint without its chain.
var errNoIssuer = errors.New("the revocation endpoint got a request without an issuer in its context (endpoint.WithIssuer): it must be served through the server's chain")

// handle authenticates the client and revokes the token; nil is 200.
func (e *Endpoint) handle(r *http.Request) *oauth.Error {
	req, oerr := ParseRequest(r)
	if oerr != nil {
		return oerr
	}
	ctx := r.Context()
	issuer := endpoint.Issuer(ctx)
	if issuer == "" {
		return oauth.AsError(errNoIssuer)
	}
	c, _, oerr := e.opts.Auth.Authenticate(ctx, &req.Credentials, issuer, authMethods)
	if oerr != nil {
		clientauth.ReportFailure(ctx, observe.Or(e.opts.Observer), &req.Credentials, r.RemoteAddr, oerr)
		return oerr
	}
	if req.Token == "" {
		return oauth.Errorf(oauth.InvalidRequest, "the token parameter is missing: send the refresh token or reference access token to revoke (RFC 7009 section 2.1)")
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.StorageTimeout)
	defer cancel()
	return e.revoke(ctx, c.ID, req)
}

// lookupOrder is the grant types a token is looked for as: the hinted one
// first, then the other (RFC 7009 §2.1: a wrong hint must not keep a token
// alive). An unknown hint is ignored.
func lookupOrder(hint string) [2]string {
	if hint == HintAccessToken {
		return [2]string{storage.GrantReferenceToken, storage.GrantRefreshToken}
	}
	return [2]string{storage.GrantRefreshToken, storage.GrantReferenceToken}
}

// revoke finds the token as each type in turn and deletes what the client
// owns of it.
func (e *Endpoint) revoke(ctx context.Context, clientID string, req *Request) *oauth.Error {
	now := e.opts.Now()
	for _, typ := range lookupOrder(req.TokenTypeHint) {
		key := tokens.HandleKey(typ, req.Token)
		g, err := e.opts.Grants.GetGrant(ctx, key, now)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			continue
		case err != nil:
			return storageError(fmt.Errorf("read the %s to revoke: %w", typ, err))
		case g.Type != typ:
			// The key is a hash of the type and the handle: a record of
			// another type under it would be a bug or a tampered row.
			continue
		case g.ClientID != clientID:
			// Not revoked, and answered as an unknown token is: the
			// caller learns nothing of other clients' tokens.
			e.log(ctx, slog.LevelWarn, "revocation refused: the token was issued to another client",
				logattr.String("client_id", clientID), logattr.String("owner_client_id", g.ClientID), slog.String("type", typ))
			return nil
		}
		n, err := e.delete(ctx, g)
		if err != nil {
			return storageError(fmt.Errorf("revoke the %s: %w", typ, err))
		}
		e.log(ctx, slog.LevelInfo, "token revoked", logattr.String("client_id", clientID), slog.String("type", typ),
			logattr.String("family_id", g.FamilyID), slog.Int("grants_deleted", n))
		return nil
	}
	if LooksLikeJWT(req.Token) {
		return oauth.Errorf(UnsupportedTokenType, "JWT access tokens cannot be revoked: they stay valid until they expire (keep their lifetime short, or give the client reference tokens); revoke the refresh token instead")
	}
	// RFC 7009 §2.2: an invalid token is no error, the client could do
	// nothing with one.
	e.log(ctx, slog.LevelDebug, "revocation of an unknown token", logattr.String("client_id", clientID))
	return nil
}

// delete deletes a refresh token's family (its successors and the
// reference tokens issued from it), or a token without a family alone.
func (e *Endpoint) delete(ctx context.Context, g storage.PersistedGrant) (int, error) {
	if g.Type != storage.GrantRefreshToken || g.FamilyID == "" {
		err := e.opts.Grants.DeleteGrant(ctx, g.Key)
		if errors.Is(err, storage.ErrNotFound) {
			// Revoked or rotated at the same moment: gone either way.
			return 0, nil
		}
		return 1, err
	}
	// Twice, as tokens' reuse detection does: a refresh rotating at this
	// moment may create its successor after the first delete's snapshot
	// (PostgreSQL's read committed); the second begins after the first
	// committed, when the old handle is gone and no rotation of it can
	// succeed any more.
	filter := storage.PersistedGrantFilter{FamilyID: g.FamilyID, ClientID: g.ClientID}
	n, err := e.opts.Grants.DeleteGrants(ctx, filter)
	if err != nil {
		return n, err
	}
	m, err := e.opts.Grants.DeleteGrants(ctx, filter)
	return n + m, err
}

// storageError turns a storage failure into the OAuth error: a database
// that is unavailable or slower than the timeout is temporarily_unavailable
// (503, retry); anything else is a server_error.
func storageError(err error) *oauth.Error {
	if errors.Is(err, storage.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &oauth.Error{Code: oauth.TemporarilyUnavailable, Status: http.StatusServiceUnavailable,
			Description: "the database is unavailable; retry in a few seconds", Cause: err}
	}
	return oauth.AsError(err)
}
