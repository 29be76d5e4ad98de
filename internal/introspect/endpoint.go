package introspect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// Path is the introspection endpoint's path, as IdentityServer has it.
const Path = "/connect/introspect"

// JWTMediaType is the media type of a signed answer (RFC 9701 §4), which
// a resource asks for in Accept.
const JWTMediaType = "application/token-introspection+jwt"

// Leeway is the clock skew allowed on nbf: instances of one deployment
// share a clock closely, but not to the second. exp has none: this server
// is the one that set it.
const Leeway = 30 * time.Second

// DefaultStorageTimeout bounds a request's wait for the database when
// Options.StorageTimeout is zero.
const DefaultStorageTimeout = 5 * time.Second

// Resource is an API resource as the endpoint knows it.
type Resource struct {
	// Name is the resource's name: the audience of its tokens, and the
	// client_id it authenticates with.
	Name string
	// Scopes are its own scopes: the only ones it is told of.
	Scopes []string
	// JWTResponse makes every answer to it signed (introspectionResponse:
	// jwt).
	JWTResponse bool
	// Client is its credentials as clientauth reads a client's: ID (its
	// Name), Secrets, Keys or KeysURI.
	Client *client.Client
}

// Resources finds API resources by name.
type Resources interface {
	// Resource returns the resource, an error wrapping client.ErrUnknown
	// when there is none (or it is disabled), or another error (such as
	// storage.ErrUnavailable) when it cannot be known now.
	// It is returned by value: the lookup costs no allocation.
	Resource(ctx context.Context, name string) (Resource, error)
}

// Keys verifies this server's tokens and signs answers (signing.Ring).
type Keys interface {
	Verify(token string) (payload []byte, key *signing.Key, err error)
	SignWith(alg, typ string, claims any) (string, *signing.Key, error)
}

var _ Keys = (*signing.Ring)(nil)

// Users finds the users tokens were issued to (storage.Users satisfies it).
type Users interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
}

// Options are what an introspection endpoint is made of.
type Options struct {
	Resources Resources
	// Auth is the client authentication settings (replay cache, remote
	// keys, issuer, assertion audience, logger); its Clients are replaced
	// by the resources.
	Auth clientauth.Authenticator
	// Keys verify JWT access tokens and sign RFC 9701 answers: the ring.
	Keys Keys
	// References finds reference tokens; nil: none exist.
	References ReferenceTokens
	// Grants finds refresh tokens (storage.Store satisfies it).
	Grants Grants
	// Clients are the clients tokens were issued to, and Users their
	// users: a token of a disabled or removed client or user is inactive.
	Clients clientauth.Clients
	Users   Users
	// StorageTimeout bounds the database reads of one request (the
	// configured statement timeout); default DefaultStorageTimeout.
	StorageTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Observer is told of each resource that fails to authenticate
	// (client.auth_failed); nil means observe.Discard.
	Observer observe.Observer
}

// Endpoint is the introspection endpoint. It implements endpoint.Endpoint
// and http.Handler (the issuer must be in the request's context).
//
// A JWT access token is active when this server's ring verifies it, its
// typ is an access token's, its iss is this server's issuer, it has not
// expired and is valid already (nbf), and it is not revoked: a JWT cannot
// be deleted, so revoked means that its client is disabled or removed, or,
// for a user's token (one with auth_time), that its user is disabled or
// removed. A reference token is checked the same way once found, and a
// refresh token when it is live and unused (or its client's refresh tokens
// are ReUse).
type Endpoint struct {
	opts     Options
	auth     clientauth.Authenticator
	accepted []clientauth.Method
}

var _ endpoint.Endpoint = (*Endpoint)(nil)

// Accepted are the ways a resource authenticates here.
var Accepted = []clientauth.Method{clientauth.SecretBasic, clientauth.SecretPost, clientauth.PrivateKeyJWT}

// New makes an introspection endpoint.
func New(opts Options) *Endpoint {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StorageTimeout <= 0 {
		opts.StorageTimeout = DefaultStorageTimeout
	}
	e := &Endpoint{opts: opts, auth: opts.Auth, accepted: Accepted}
	e.auth.Clients = resourceClients{opts.Resources}
	// An assertion may name this endpoint as its audience, besides the
	// issuer (and the token endpoint, unless strict).
	e.auth.EndpointPath = Path
	if e.auth.Now == nil {
		e.auth.Now = opts.Now
	}
	if e.auth.StorageTimeout <= 0 {
		e.auth.StorageTimeout = opts.StorageTimeout
	}
	return e
}

// resourceClients lets clientauth authenticate resources as it does
// clients: the resource's name is its client_id.
type resourceClients struct{ r Resources }

func (rc resourceClients) Client(ctx context.Context, name string) (*client.Client, error) {
	res, err := rc.r.Resource(ctx, name)
	if err != nil {
		return nil, err
	}
	if res.Client == nil {
		return nil, fmt.Errorf("resource %q has no credentials: %w", name, client.ErrUnknown)
	}
	return res.Client, nil
}

// Routes are POST, and every other method (405), on Path.
func (e *Endpoint) Routes() []endpoint.Route {
	return endpoint.APIRoutes(Path, e, e.refuse, http.MethodPost)
}

// Describe adds introspection_endpoint and how resources authenticate
// there (RFC 8414 §2).
func (e *Endpoint) Describe(m *endpoint.Metadata) {
	m.SetPath("introspection_endpoint", Path)
	methods := make([]string, len(e.accepted))
	for i, am := range e.accepted {
		methods[i] = string(am)
	}
	m.AppendList("introspection_endpoint_auth_methods_supported", methods...)
	algs := make([]string, len(clientauth.AssertionAlgorithms))
	for i, alg := range clientauth.AssertionAlgorithms {
		algs[i] = string(alg)
	}
	m.AppendList("introspection_endpoint_auth_signing_alg_values_supported", algs...)
	// Signed answers (RFC 9701 §7) are signed as ID tokens are.
	m.SignedBy = endpoint.AppendNew(m.SignedBy, "introspection_signing_alg_values_supported")
}

// refuse writes an error the chain found before the handler.
func (e *Endpoint) refuse(w http.ResponseWriter, r *http.Request, err *oauth.Error) {
	oauth.WriteError(w, err)
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauth.WriteError(w, &oauth.Error{Code: oauth.InvalidRequest, Description: "the introspection endpoint takes POST requests only (RFC 7662 section 2.1)", Status: http.StatusMethodNotAllowed})
		return
	}
	res, a, oerr := e.handle(r)
	if oerr != nil {
		e.writeError(w, r, oerr)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if accept := r.Header.Values("Accept"); acceptsJWT(accept) || res.JWTResponse && !onlyJSON(accept) {
		tok, err := e.signed(r.Context(), res, a)
		if err != nil {
			e.writeError(w, r, oauth.AsError(err))
			return
		}
		h.Set("Content-Type", JWTMediaType)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, tok)
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(encode(a))
}

func (e *Endpoint) writeError(w http.ResponseWriter, r *http.Request, oerr *oauth.Error) {
	switch oerr.Code {
	case oauth.ServerError:
		e.logError(r.Context(), slog.LevelError, oerr)
	case oauth.TemporarilyUnavailable:
		// A storage outage is reported once by the outage report.
		e.logError(r.Context(), outage.Level(oerr.Cause, slog.LevelWarn), oerr)
	}
	oauth.WriteError(w, oerr)
}

func (e *Endpoint) logError(ctx context.Context, level slog.Level, err *oauth.Error) {
	if e.opts.Logger != nil {
		e.opts.Logger.LogAttrs(ctx, level, "introspection request failed", logattr.Text("error", err.Error()))
	}
}

// errNoIssuer is a server that serves the endpoint without its chain.
var errNoIssuer = errors.New("the introspection endpoint got a request without an issuer in its context (endpoint.WithIssuer): it must be served through the server's chain")

// handle authenticates the resource and introspects the token: the answer
// (nil: inactive) or the error to send.
func (e *Endpoint) handle(r *http.Request) (Resource, *answer, *oauth.Error) {
	var none Resource
	body, oerr := oauth.ReadBody(r, MaxRequestBytes)
	if oerr != nil {
		return none, nil, oerr
	}
	req, oerr := parseRequest(r.Header.Get("Content-Type"), r.Header.Values("Authorization"), body)
	if oerr != nil {
		return none, nil, oerr
	}
	ctx := r.Context()
	issuer := endpoint.Issuer(ctx)
	if issuer == "" {
		return none, nil, oauth.AsError(errNoIssuer)
	}
	c, _, oerr := e.auth.Authenticate(ctx, &req.Credentials, issuer, e.accepted)
	if oerr != nil {
		clientauth.ReportFailure(ctx, observe.Or(e.opts.Observer), &req.Credentials, r.RemoteAddr, oerr)
		return none, nil, oerr
	}
	res, err := e.opts.Resources.Resource(ctx, c.ID)
	if err != nil {
		// Gone between the two reads (a reload): as if unknown.
		return none, nil, oauth.ClientError(false, "client authentication failed: unknown client, or wrong or expired secret")
	}
	if req.Token == "" {
		return none, nil, oauth.Errorf(oauth.InvalidRequest, "token is missing: send the token to introspect as the token form parameter (RFC 7662 section 2.1)")
	}
	dbCtx, cancel := context.WithTimeout(ctx, e.opts.StorageTimeout)
	defer cancel()
	a, err := e.introspect(dbCtx, req.Token, issuer, res)
	if err != nil {
		return none, nil, storageError(err)
	}
	return res, a, nil
}

// introspect answers for token: the answer, nil when it is inactive for
// res, or the storage failure that kept it from knowing.
func (e *Endpoint) introspect(ctx context.Context, token, issuer string, res Resource) (*answer, error) {
	now := e.opts.Now()
	if strings.Count(token, ".") == 2 {
		// A JWT: only this server's keys can make it active. The hint
		// is not read: a wrong one finds the token all the same.
		payload, _, err := e.opts.Keys.Verify(token)
		if err != nil || !accessTyp(token) {
			return nil, nil
		}
		tc := tokenClaims{raw: payload}
		if json.Unmarshal(payload, &tc) != nil {
			return nil, nil
		}
		return e.access(ctx, &tc, issuer, res, now)
	}
	// A handle: a reference token or a refresh token. Both are looked
	// up, whatever the hint, so that every handle, found or not, costs
	// the same two reads.
	var ref Reference
	refErr := ErrNoReference
	if e.opts.References != nil {
		ref, refErr = e.opts.References.LookupReference(ctx, token, now)
	}
	g, gErr := e.opts.Grants.GetGrant(ctx, tokens.HandleKey(storage.GrantRefreshToken, token), now)
	switch {
	case refErr != nil && !errors.Is(refErr, ErrNoReference):
		return nil, fmt.Errorf("read the reference token: %w", refErr)
	case gErr != nil && !errors.Is(gErr, storage.ErrNotFound):
		return nil, fmt.Errorf("read the refresh token: %w", gErr)
	case refErr == nil:
		tc := tokenClaims{raw: ref.Claims}
		if json.Unmarshal(ref.Claims, &tc) != nil {
			return nil, nil
		}
		return e.access(ctx, &tc, issuer, res, now)
	case gErr == nil:
		return e.refresh(ctx, &g, issuer, res, now)
	}
	return nil, nil
}

// access answers for an access token's claims (a JWT's, verified, or a
// reference token's).
func (e *Endpoint) access(ctx context.Context, tc *tokenClaims, issuer string, res Resource, now time.Time) (*answer, error) {
	switch {
	case tc.Issuer != issuer,
		tc.Expiry == nil || !now.Before(time.Unix(*tc.Expiry, 0)),
		tc.NotBef != nil && now.Add(Leeway).Before(time.Unix(*tc.NotBef, 0)),
		// An ID token has no client_id: it is no access token.
		tc.ClientID == "":
		return nil, nil
	}
	user := ""
	if tc.AuthTime != 0 {
		user = tc.Subject
	}
	if ok, err := e.live(ctx, tc.ClientID, user); !ok || err != nil {
		return nil, err
	}
	// Checked last, after the reads, so that another resource's token
	// takes as long to refuse as this resource's own.
	if !contains(tc.Audience, res.Name) {
		return nil, nil
	}
	scope := ownScopes(tc.Scope, res.Scopes)
	if scope == "" {
		return nil, nil
	}
	a := &answer{Active: true, Issuer: tc.Issuer, Subject: tc.Subject, ClientID: tc.ClientID, Scope: scope,
		Audience: tc.Audience, Expiry: *tc.Expiry, IssuedAt: tc.IssuedAt, ID: tc.ID, TokenType: typeAccess, AuthTime: tc.AuthTime,
		extra: extraClaims(tc.raw)}
	if tc.NotBef != nil {
		a.NotBefore = *tc.NotBef
	}
	return a, nil
}

// refreshData is what introspection reads of a refresh token's stored
// data (internal/tokens' grantData, version 1).
type refreshData struct {
	Version        int      `json:"v"`
	Scopes         []string `json:"scopes"`
	AuthTime       int64    `json:"auth_time"`
	AbsoluteExpiry int64    `json:"absolute_expiry"`
}

// refresh answers for a refresh token's grant.
func (e *Endpoint) refresh(ctx context.Context, g *storage.PersistedGrant, issuer string, res Resource, now time.Time) (*answer, error) {
	var d refreshData
	if g.Type != storage.GrantRefreshToken || json.Unmarshal(g.Data, &d) != nil || d.Version != 1 ||
		(d.AbsoluteExpiry != 0 && !now.Before(time.Unix(d.AbsoluteExpiry, 0))) {
		return nil, nil
	}
	c, err := e.opts.Clients.Client(ctx, g.ClientID)
	switch {
	case errors.Is(err, client.ErrUnknown):
		return nil, nil
	case err != nil:
		return nil, err
	case !g.Consumed.IsZero() && !c.RefreshTokenReUse:
		// Rotated: it was traded for its successor.
		return nil, nil
	}
	if ok, err := e.live(ctx, g.ClientID, g.Subject); !ok || err != nil {
		return nil, err
	}
	scope := ownScopes(d.Scopes, res.Scopes)
	if scope == "" {
		return nil, nil
	}
	return &answer{Active: true, Issuer: issuer, Subject: g.Subject, ClientID: g.ClientID, Scope: scope,
		Expiry: g.Expires.Unix(), IssuedAt: g.Created.Unix(), TokenType: typeRefresh, AuthTime: d.AuthTime}, nil
}

// live reports whether a token's client, and its user when it has one
// (user non-empty), still exist and are enabled: a token of a disabled or
// removed one is revoked.
func (e *Endpoint) live(ctx context.Context, clientID, user string) (bool, error) {
	if e.opts.Clients != nil {
		// client.ErrDisabled wraps client.ErrUnknown.
		_, err := e.opts.Clients.Client(ctx, clientID)
		switch {
		case errors.Is(err, client.ErrUnknown), errors.Is(err, client.ErrDisabled):
			return false, nil
		case err != nil:
			return false, err
		}
	}
	if user == "" || e.opts.Users == nil {
		return true, nil
	}
	u, err := e.opts.Users.GetUser(ctx, user)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return !u.Disabled, nil
}

// storageError turns a failed read into the answer: temporarily_unavailable
// (503, retry) when the database did not answer, in time or at all.
func storageError(err error) *oauth.Error {
	if errors.Is(err, storage.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &oauth.Error{Code: oauth.TemporarilyUnavailable, Status: http.StatusServiceUnavailable,
			Description: "the database is unavailable; retry in a few seconds", Cause: err}
	}
	return oauth.AsError(err)
}

func contains(l []string, v string) bool {
	for _, s := range l {
		if s == v {
			return true
		}
	}
	return false
}

// accessTyp reports whether a verified token's header typ is an access
// token's (RFC 9068's at+jwt, or JWT as IdentityServer can be set to
// write): an ID token signed by the same keys is not introspected. The
// header is signed with the payload, so it is read as it is.
func accessTyp(token string) bool {
	h, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return false
	}
	var hdr struct {
		Typ string `json:"typ"`
	}
	if json.Unmarshal(raw, &hdr) != nil {
		return false
	}
	return strings.EqualFold(hdr.Typ, "at+jwt") || strings.EqualFold(hdr.Typ, "application/at+jwt") || strings.EqualFold(hdr.Typ, "JWT")
}

// acceptsJWT reports whether Accept asks for a signed answer (RFC 9701 §4).
func acceptsJWT(accept []string) bool {
	for _, v := range accept {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && mt == JWTMediaType && params["q"] != "0" {
				return true
			}
		}
	}
	return false
}

// onlyJSON reports whether Accept asks for JSON and not for a signed
// answer: a resource configured for signed answers still gets JSON when it
// asks for that alone, as jwtauth and signet token introspect do (the
// resource is the authenticated caller: nobody else chooses for it).
func onlyJSON(accept []string) bool {
	json := false
	for _, v := range accept {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || params["q"] == "0" {
				continue
			}
			switch mt {
			case "application/json":
				json = true
			case JWTMediaType, "*/*", "application/*":
				return false
			}
		}
	}
	return json
}

// signedAnswer is the payload of a signed answer (RFC 9701 §5).
type signedAnswer struct {
	Issuer   string  `json:"iss"`
	Audience string  `json:"aud"`
	IssuedAt int64   `json:"iat"`
	Answer   *answer `json:"token_introspection"`
}

// signed is the answer as a JWT signed by the ring (RFC 9701): typ
// token-introspection+jwt, aud the resource.
func (e *Endpoint) signed(ctx context.Context, res Resource, a *answer) (string, error) {
	if a == nil {
		a = inactiveAnswer
	}
	tok, _, err := e.opts.Keys.SignWith("", "token-introspection+jwt", signedAnswer{
		Issuer: endpoint.Issuer(ctx), Audience: res.Name, IssuedAt: e.opts.Now().Unix(), Answer: a,
	})
	if err != nil {
		return "", fmt.Errorf("sign the introspection answer: %w", err)
	}
	return tok, nil
}
