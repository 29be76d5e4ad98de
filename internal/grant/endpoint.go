package grant

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/signetid/signet/internal/claims"
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

// Path is the token endpoint's path, as IdentityServer has it.
const Path = "/connect/token"

// authMethods are the client authentication methods the token endpoint
// implements. None, a public client's client_id alone, is accepted (and
// published) only when a grant served takes public clients: otherwise a
// client_id alone is no authentication, whichever client it names, as
// discovery says.
var authMethods = []clientauth.Method{clientauth.SecretBasic, clientauth.SecretPost, clientauth.PrivateKeyJWT, clientauth.None}

// Options are what a token endpoint is made of.
type Options struct {
	// Auth authenticates clients.
	Auth *clientauth.Authenticator
	// Tokens issues the tokens of the built-in grants.
	Tokens *tokens.Service
	// Grants are the grants served; nil means this version's (GrantTypes),
	// issuing through Tokens, Users and IdentityResources.
	Grants []Grant
	// Users finds the users of authorization codes and refresh tokens
	// (storage.Store satisfies it); a disabled or removed one gets no
	// token. It must be the database of Tokens' grants: a code's
	// redemption takes its user's state from the code's consumption
	// (storage's ConsumeUserGrant) and reads Users only for the user's
	// claims.
	Users Users
	// IdentityResources returns the identity resources now (built-in and
	// custom), for the user's claims in ID tokens; nil means the built-in
	// ones.
	IdentityResources func() *claims.Resources
	// Origins, when set, reports whether a browser origin may call the
	// endpoint (a client's AllowedCorsOrigins).
	Origins func(origin string) bool
	Logger  *slog.Logger
	// Observer is told of each token issued or refused, and of each
	// client that failed to authenticate; nil means observe.Discard.
	Observer observe.Observer
}

// Endpoint is the token endpoint. It implements endpoint.Endpoint and
// http.Handler (the issuer must be in the request's context:
// endpoint.WithIssuer).
type Endpoint struct {
	auth    *clientauth.Authenticator
	grants  []Grant
	types   []string
	origins func(origin string) bool
	logger  *slog.Logger
	obs     observe.Observer
	// public is whether a grant takes public clients.
	public bool
	// accepted are the authentication methods accepted: authMethods,
	// without none unless public.
	accepted []clientauth.Method
	// cors is the CORS of the clients' origins; serve the handler with it.
	cors  *cors.Policy
	serve http.HandlerFunc
}

var _ endpoint.Endpoint = (*Endpoint)(nil)

// New makes a token endpoint.
func New(opts Options) *Endpoint {
	e := &Endpoint{auth: opts.Auth, grants: opts.Grants, origins: opts.Origins, logger: opts.Logger, obs: observe.Or(opts.Observer)}
	if e.grants == nil {
		e.grants = builtin(opts)
	}
	e.types = types(e.grants)
	for _, g := range e.grants {
		e.public = e.public || g.PublicClients()
	}
	for _, am := range authMethods {
		if am != clientauth.None || e.public {
			e.accepted = append(e.accepted, am)
		}
	}
	e.cors = cors.New(e.origins, cors.Options{Methods: []string{http.MethodPost}, Headers: []string{"Authorization", "Content-Type"}})
	e.serve = e.cors.Wrap(e.serveToken)
	return e
}

// Routes are the POST, the CORS preflight, and every other method (405,
// as an OAuth error), all on Path; a refusal of the chain is an OAuth
// error, with CORS headers for a browser origin allowed to read it.
func (e *Endpoint) Routes() []endpoint.Route {
	return endpoint.APIRoutes(Path, e, e.refuse, http.MethodPost, http.MethodOptions)
}

// Describe adds the token endpoint's path, its grant types, the client
// authentication methods it accepts (none only when a grant takes public
// clients) and the algorithms of client assertions, and the claims of its
// tokens.
func (e *Endpoint) Describe(m *endpoint.Metadata) {
	m.SetPath("token_endpoint", Path)
	m.GrantTypes = endpoint.AppendNew(m.GrantTypes, e.types...)
	for _, am := range e.accepted {
		m.AuthMethods = endpoint.AppendNew(m.AuthMethods, string(am))
	}
	for _, alg := range clientauth.AssertionAlgorithms {
		m.AuthSigningAlgs = endpoint.AppendNew(m.AuthSigningAlgs, string(alg))
	}
	m.Claims = endpoint.AppendNew(m.Claims, tokens.ClaimsSupported...)
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.serve(w, r) }

// refuse writes an error the chain found before the handler.
func (e *Endpoint) refuse(w http.ResponseWriter, r *http.Request, err *oauth.Error) {
	e.cors.Headers(w, r)
	e.writeError(w, r, err)
}

func (e *Endpoint) serveToken(w http.ResponseWriter, r *http.Request) {
	var o outcome
	resp, oerr := e.handle(r, &o)
	if e.obs != observe.Discard {
		e.report(r, &o, resp, oerr)
	}
	if oerr != nil {
		e.writeError(w, r, oerr)
		return
	}
	oauth.WriteJSON(w, http.StatusOK, resp)
}

func (e *Endpoint) writeError(w http.ResponseWriter, r *http.Request, oerr *oauth.Error) {
	switch oerr.Code {
	case oauth.ServerError:
		e.logError(r.Context(), slog.LevelError, oerr)
	case oauth.TemporarilyUnavailable:
		// The client hears only "retry later"; the cause (the database's
		// error) is for the operator: the outage report when it is a
		// storage outage, this line otherwise.
		e.logError(r.Context(), outage.Level(oerr.Cause, slog.LevelWarn), oerr)
	}
	if oerr.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	oauth.WriteError(w, oerr)
}

func (e *Endpoint) logError(ctx context.Context, level slog.Level, err *oauth.Error) {
	if e.logger != nil {
		e.logger.LogAttrs(ctx, level, "token request failed", logattr.Text("error", err.Error()))
	}
}

// unavailable turns a grant's server_error whose cause is the database
// not answering (storage.ErrUnavailable: refused, shutting down, starting
// up, timed out) into temporarily_unavailable, 503 with Retry-After, which a
// client can act on: the soak (bench/load soak) saw 500s for reference
// tokens and code redemptions while PostgreSQL restarted. Any other error
// is left as it is.
func unavailable(oerr *oauth.Error) *oauth.Error {
	if oerr.Code != oauth.ServerError || !(errors.Is(oerr.Cause, storage.ErrUnavailable) || errors.Is(oerr.Cause, context.DeadlineExceeded)) {
		return oerr
	}
	return &oauth.Error{Code: oauth.TemporarilyUnavailable, Status: http.StatusServiceUnavailable,
		Description: "the database is unavailable; retry in a few seconds", Cause: oerr.Cause}
}

// errNoIssuer is a server that serves the endpoint without its chain.
var errNoIssuer = errors.New("the token endpoint got a request without an issuer in its context (endpoint.WithIssuer): it must be served through the server's chain")

// outcome is what the report of a token request needs besides the
// response: the request, once parsed, and the client, once authenticated.
type outcome struct {
	req    *Request
	client string
	// authFailed is set when the client failed to authenticate.
	authFailed bool
}

// report tells the observer of the token issued (token.issued: client,
// grant type, scopes, the user, the signing key) or refused
// (token.refused, its OAuth error code as the result), and of a client
// that failed to authenticate (client.auth_failed, with the client id as
// sent). One event per request, two for a failed authentication.
func (e *Endpoint) report(r *http.Request, o *outcome, resp *oauth.TokenResponse, oerr *oauth.Error) {
	ev := observe.Event{Name: observe.TokenIssued, Client: o.client, Remote: r.RemoteAddr}
	if o.req != nil {
		ev.GrantType = o.req.GrantType
		if ev.Client == "" {
			ev.Client = o.req.Credentials.SentID()
		}
	}
	ctx := r.Context()
	if oerr != nil {
		if o.authFailed {
			clientauth.ReportFailure(ctx, e.obs, &o.req.Credentials, r.RemoteAddr, oerr)
		}
		ev.Name, ev.Result, ev.Detail = observe.TokenRefused, oerr.Code, oerr.Description
		if o.req != nil {
			ev.Scopes = strings.Fields(o.req.Scope)
		}
	} else {
		ev.Scopes = strings.Fields(resp.Scope)
		ev.Subject, ev.KeyID, ev.Alg = resp.Subject, resp.KeyID, resp.Alg
	}
	e.obs.Observe(ctx, &ev)
}

func (e *Endpoint) handle(r *http.Request, o *outcome) (*oauth.TokenResponse, *oauth.Error) {
	req, oerr := ParseRequest(r)
	if oerr != nil {
		return nil, oerr
	}
	o.req = req
	var g Grant
	for _, gg := range e.grants {
		if gg.Type() == req.GrantType {
			g = gg
			break
		}
	}
	switch {
	case req.GrantType == "":
		return nil, oauth.Errorf(oauth.InvalidRequest, "grant_type is missing")
	case g == nil:
		return nil, oauth.Errorf(oauth.UnsupportedGrantType, "grant_type %q is not supported; this server supports %s", logattr.Cut(req.GrantType), strings.Join(e.types, ", "))
	}
	ctx := r.Context()
	req.Issuer = endpoint.Issuer(ctx)
	if req.Issuer == "" {
		return nil, oauth.AsError(errNoIssuer)
	}
	c, method, oerr := e.auth.Authenticate(ctx, &req.Credentials, req.Issuer, e.accepted)
	if oerr != nil {
		o.authFailed = true
		return nil, oerr
	}
	o.client = c.ID
	if c.Public && !g.PublicClients() {
		return nil, oauth.Errorf(oauth.UnauthorizedClient, "client %q is a public client (requireClientSecret: false), and grant_type %s needs a confidential client, one that authenticates with a secret or private_key_jwt", logattr.Cut(c.ID), req.GrantType)
	}
	if !allowsGrant(c.GrantTypes, c.AllowOfflineAccess, req.GrantType) {
		return nil, oauth.Errorf(oauth.UnauthorizedClient, "client %q may not use grant_type %s; its allowedGrantTypes are %s", logattr.Cut(c.ID), req.GrantType, strings.Join(c.GrantTypes, ", "))
	}
	req.Client, req.AuthMethod = c, method
	resp, oerr := g.Handle(ctx, req)
	if oerr != nil {
		return nil, unavailable(oerr)
	}
	if e.logger != nil {
		e.logger.LogAttrs(ctx, slog.LevelDebug, "token issued", logattr.String("client_id", c.ID),
			slog.String("grant_type", req.GrantType), slog.String("auth", string(method)), logattr.Text("scope", resp.Scope))
	}
	return resp, oerr
}
