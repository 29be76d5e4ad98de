package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/storage"
)

// Paths of the endpoint's routes: the protocol's as IdentityServer has them,
// the pages' as its quickstart UI has them (lowercase).
const (
	AuthorizePath = "/connect/authorize"
	// CallbackPath resumes a pending request after the login page.
	CallbackPath   = "/connect/authorize/callback"
	EndSessionPath = "/connect/endsession"
	LoginPath      = "/account/login"
	ConsentPath    = "/consent"
	LogoutPath     = "/account/logout"
	LoggedOutPath  = "/account/loggedout"
	// StylesheetPath is Signet's stylesheet; CustomStylesheetPath the
	// operator's (UI.Stylesheet), LogoPath the operator's logo file.
	StylesheetPath       = "/ui/signet.css"
	CustomStylesheetPath = "/ui/custom.css"
	LogoPath             = "/ui/logo"
)

// AMRPassword is the amr of a sign-in with a password (RFC 8176).
const AMRPassword = "pwd"

// ScopeInfo is what the consent page shows of a scope. The lead adapts the
// catalog (identity resources and API scopes) to it.
type ScopeInfo struct {
	Name        string
	DisplayName string
	Description string
	// Required scopes cannot be unticked (openid is always required).
	Required bool
	// Emphasize marks a sensitive scope.
	Emphasize bool
	// Identity is true for identity resources (claims about the user),
	// false for API scopes; the page lists them apart.
	Identity bool
}

// IDTokenHint is what a verified id_token_hint says.
type IDTokenHint struct {
	Subject string
	// ClientID is the token's audience (aud, the client it was issued to).
	ClientID string
	// SessionID is its sid, "" if it has none.
	SessionID string
}

// CodeIssuer issues authorization codes (*tokens.Service).
type CodeIssuer interface {
	IssueCode(ctx context.Context, a tokens.Authorization, lifetime time.Duration) (string, error)
}

// UI brands the pages.
type UI struct {
	// ProductName is shown in the pages' titles and header; "Signet" if
	// empty.
	ProductName string
	// Logo is shown above every page's card: an https:// URL used as it
	// is, or the path of an image file (.svg, .png, .jpg, .jpeg, .gif,
	// .webp, .ico) read once by New and served at LogoPath. Empty for none.
	Logo string
	// Stylesheet is the path of a CSS file, read once by New and served at
	// CustomStylesheetPath after Signet's own, so that its rules win.
	Stylesheet string
	// TemplatesDir is a directory whose files replace the embedded
	// templates of the same name (see the package documentation for the
	// names and the data each gets). Read once by New.
	TemplatesDir string
}

// Options are what the endpoint is made of. Every field but Logger, Observer, Now,
// Scope, VerifyIDTokenHint, ClientIP, Throttle and SecretsKEK is required.
type Options struct {
	// Validator checks authorization requests (its Clients and KnownScope).
	Validator *authorize.Validator
	Pending   *authorize.Pending
	Sessions  *session.Manager
	Users     *users.Authenticator
	Consents  *consent.Store
	Tokens    CodeIssuer
	// Store is what the account page and the second step of a sign-in
	// read and write (users, sessions, grants).
	Store AccountStore
	// SecretsKEK returns the key-encryption key that TOTP keys are sealed
	// with, or an error saying why there is none (for the administrator:
	// the account page shows it). nil: none.
	SecretsKEK func() ([]byte, error)
	// Scope describes a scope for the consent page; nil, or false for a
	// name, shows the scope by its name only.
	Scope func(name string) (ScopeInfo, bool)
	// VerifyIDTokenHint verifies an id_token_hint: its signature by one of
	// the server's keys and its issuer, ignoring its expiry (RP-Initiated
	// Logout accepts expired ones; the authorization endpoint uses only its
	// subject, so an expired one does no harm there). It returns what the
	// token says; its audience is checked here, against the client the
	// request names. nil: every hint is taken as invalid.
	VerifyIDTokenHint func(ctx context.Context, token string) (IDTokenHint, error)
	// ClientIP is the client's address for the login throttle; the
	// RemoteAddr's host if nil (set it when Signet is behind a proxy).
	ClientIP func(r *http.Request) string
	// Throttle limits failed logins per client IP; the zero value is
	// the default (DefaultIPFailures in DefaultIPWindow).
	Throttle ThrottleOptions
	// RateLimits limit every login POST, failed or not; the zero value is
	// no limit.
	RateLimits RateLimits
	// Passkeys runs the passkey ceremonies (*passkey.Service); nil: no
	// passkeys.
	Passkeys Passkeys
	UI       UI
	// Federation is sign-in through external identity providers; nil for
	// none.
	Federation *Federation
	Now        func() time.Time
	Logger     *slog.Logger
	// Observer is told of logins (succeeded, failed, locked out),
	// consents given and revoked, and logouts; nil means observe.Discard.
	Observer observe.Observer
}

// Endpoint is the sign-in endpoint: /connect/authorize, its callback,
// /connect/endsession and the pages.
type Endpoint struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	obs      observe.Observer
	pages    *pages
	throttle *throttle
	rates    loginRates
	// cop protects the pages' forms against cross-origin POSTs.
	cop *http.CrossOriginProtection
}

var _ endpoint.Endpoint = (*Endpoint)(nil)

// New makes the endpoint; an error for a missing option, or for a UI file
// or template that cannot be read.
func New(opts Options) (*Endpoint, error) {
	switch {
	case opts.Validator == nil || opts.Validator.Clients == nil:
		return nil, errors.New("signin: Options.Validator with Clients is required")
	case opts.Pending == nil, opts.Sessions == nil, opts.Users == nil, opts.Consents == nil, opts.Tokens == nil, opts.Store == nil:
		return nil, errors.New("signin: Options.Pending, Sessions, Users, Consents, Tokens and Store are required")
	}
	e := &Endpoint{opts: opts, now: opts.Now, log: opts.Logger, obs: observe.Or(opts.Observer)}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	p, err := newPages(opts.UI)
	if err != nil {
		return nil, err
	}
	e.pages = p
	e.throttle, err = newThrottle(opts.Throttle)
	if err != nil {
		return nil, err
	}
	e.rates = newLoginRates(opts.RateLimits, e.now)
	e.cop = http.NewCrossOriginProtection()
	e.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.errorPage(w, r, http.StatusForbidden, "This form was sent from another site",
			"The form was not sent from this site's own page, so it was refused. Go back to the application and start again.")
	}))
	return e, nil
}

// Routes are the protocol's routes and the pages, all for browsers (Kind
// Page); a refusal of the chain is the error page.
func (e *Endpoint) Routes() []endpoint.Route {
	route := func(method, path string, h http.HandlerFunc) endpoint.Route {
		return endpoint.Route{Method: method, Path: path, Handler: h, Kind: endpoint.Page, Refuse: e.refuse}
	}
	// Only the pages' own forms are protected against cross-origin POSTs:
	// relying parties POST to /connect/authorize and /connect/endsession
	// from their own origin, as the specifications allow.
	protect := func(h http.HandlerFunc) http.HandlerFunc { return e.cop.Handler(h).ServeHTTP }
	routes := []endpoint.Route{
		route(http.MethodGet, AuthorizePath, e.serveAuthorize),
		route(http.MethodPost, AuthorizePath, e.serveAuthorize),
		route(http.MethodGet, CallbackPath, e.serveCallback),
		route(http.MethodGet, EndSessionPath, e.serveEndSession),
		route(http.MethodPost, EndSessionPath, e.serveEndSession),
		route(http.MethodGet, LoginPath, e.showLogin),
		route(http.MethodPost, LoginPath, protect(e.postLogin)),
		route(http.MethodGet, ConsentPath, e.showConsent),
		route(http.MethodPost, ConsentPath, protect(e.postConsent)),
		route(http.MethodGet, LogoutPath, e.showLogout),
		route(http.MethodPost, LogoutPath, protect(e.postLogout)),
		route(http.MethodGet, LoggedOutPath, e.showLoggedOut),
		route(http.MethodGet, AccountPath, e.showAccount),
		route(http.MethodPost, AccountPath, protect(e.postAccount)),
		route(http.MethodGet, MFAPath, e.showStep),
		route(http.MethodPost, MFAPath, protect(e.postStep)),
		route(http.MethodGet, StylesheetPath, e.pages.serveAsset(StylesheetPath)),
		route(http.MethodGet, CustomStylesheetPath, e.pages.serveAsset(CustomStylesheetPath)),
		route(http.MethodGet, LogoPath, e.pages.serveAsset(LogoPath)),
		{Method: http.MethodGet, Path: FederationPath, Subtree: true, Handler: http.HandlerFunc(e.serveFederation), Kind: endpoint.Page, Refuse: e.refuse},
		route(http.MethodPost, LinksPath, protect(e.postLinks)),
	}
	return append(routes, e.passkeyRoutes(route, protect)...)
}

// Describe adds the authorization and end-session endpoints, the response
// type, modes and PKCE methods, and the flags of what the authorization
// endpoint does not take.
func (e *Endpoint) Describe(m *endpoint.Metadata) {
	m.SetPath("authorization_endpoint", AuthorizePath)
	m.SetPath("end_session_endpoint", EndSessionPath)
	m.ResponseTypes = endpoint.AppendNew(m.ResponseTypes, "code")
	m.ResponseModes = endpoint.AppendNew(m.ResponseModes, authorize.ModeQuery, authorize.ModeFormPost)
	m.CodeChallengeMethods = endpoint.AppendNew(m.CodeChallengeMethods, authorize.MethodS256)
	m.AppendList("acr_values_supported", ACRValuesSupported...)
	m.SetFlag("authorization_response_iss_parameter_supported", true)
	m.SetFlag("claims_parameter_supported", false)
	m.SetFlag("request_parameter_supported", false)
	m.SetFlag("request_uri_parameter_supported", false)
}

// refuse shows an error the chain found before the handler on the error
// page.
func (e *Endpoint) refuse(w http.ResponseWriter, r *http.Request, err *oauth.Error) {
	status := err.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	e.errorPage(w, r, status, "The request was refused", err.Description)
}

// serverError logs err and shows the error page with a 500, saying nothing
// of the cause; a storage outage is a 503 that asks to try again, logged at
// debug level (the outage report names it).
func (e *Endpoint) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	e.log.LogAttrs(r.Context(), outage.Level(err, slog.LevelError), "signin: "+what, slog.String("error", err.Error()),
		slog.String("request_id", endpoint.RequestID(r.Context())))
	if errors.Is(err, storage.ErrUnavailable) {
		w.Header().Set("Retry-After", "5")
		e.errorPage(w, r, http.StatusServiceUnavailable, "Try again in a moment",
			fmt.Sprintf("%s could not %s: its database is not available just now. Try again in a moment.", e.pages.layout.ProductName, what))
		return
	}
	e.errorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		fmt.Sprintf("%s could not %s. Try again in a moment; if it happens again, tell the administrator the request id %s.", e.pages.layout.ProductName, what, endpoint.RequestID(r.Context())))
}
