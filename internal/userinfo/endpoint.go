package userinfo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/cors"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// Path is the userinfo endpoint's path, as IdentityServer has it.
const Path = "/connect/userinfo"

// Leeway is the clock skew allowed on exp and nbf: instances of one
// deployment share a clock closely, but not to the second.
const Leeway = 30 * time.Second

// Verifier checks the signature of a token Signet issued (signing.Ring).
type Verifier interface {
	Verify(token string) (payload []byte, key *signing.Key, err error)
}

var _ Verifier = (*signing.Ring)(nil)

// Users finds the users tokens were issued to (storage.Users satisfies it).
type Users interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
}

var _ Users = (storage.Users)(nil)

// References looks up a reference access token by its handle.
type References interface {
	// LookupReference returns the token, tokens.ErrUnknownReference for
	// one that is unknown, expired or revoked, or the store's error.
	LookupReference(ctx context.Context, handle string, now time.Time) (tokens.Reference, error)
}

var _ References = (*tokens.Service)(nil)

// Options are what a userinfo endpoint is made of.
type Options struct {
	// Verifier checks access tokens' signatures: the ring.
	Verifier Verifier
	// Users finds the token's user (storage.Store satisfies it).
	Users Users
	// References, when set, looks up reference access tokens (a token
	// that is not a JWT): the token service.
	References References
	// IdentityResources returns the identity resources now (built-in and
	// custom); nil (or a nil result) means the built-in ones.
	IdentityResources func() *claims.Resources
	// Origins, when set, reports whether a browser origin may call the
	// endpoint (a client's AllowedCorsOrigins).
	Origins func(origin string) bool
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Endpoint is the userinfo endpoint. It implements endpoint.Endpoint and
// http.Handler (the issuer must be in the request's context).
type Endpoint struct {
	opts  Options
	cors  *cors.Policy
	serve http.HandlerFunc
}

var _ endpoint.Endpoint = (*Endpoint)(nil)

// New makes a userinfo endpoint.
func New(opts Options) *Endpoint {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Endpoint{opts: opts}
	e.cors = cors.New(opts.Origins, cors.Options{
		Methods: []string{http.MethodGet, http.MethodPost},
		Headers: []string{"Authorization", "Content-Type"},
		// A script reads why its token was refused from the challenge.
		Expose: []string{"WWW-Authenticate"},
	})
	e.serve = e.cors.Wrap(e.serveUserInfo)
	return e
}

// Routes are GET and POST, the CORS preflight, and every other method
// (405), all on Path.
func (e *Endpoint) Routes() []endpoint.Route {
	return endpoint.APIRoutes(Path, e, e.refuse, http.MethodGet, http.MethodPost, http.MethodOptions)
}

// Describe adds userinfo_endpoint.
func (e *Endpoint) Describe(m *endpoint.Metadata) {
	m.SetPath("userinfo_endpoint", Path)
	// The user claims it answers with: claims_supported lists what a
	// client may find, in a token or here (OpenID Connect Discovery §3).
	m.Claims = endpoint.AppendNew(m.Claims, claims.StandardClaims()...)
}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.serve(w, r) }

// refuse writes an error the chain found before the handler.
func (e *Endpoint) refuse(w http.ResponseWriter, r *http.Request, err *oauth.Error) {
	e.cors.Headers(w, r)
	oauth.WriteError(w, err)
}

func (e *Endpoint) serveUserInfo(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	case http.MethodOptions:
		// Not a preflight of an allowed origin (Wrap answers those).
		w.Header().Set("Allow", "GET, POST")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, POST")
		oauth.WriteError(w, &oauth.Error{Code: InvalidRequest, Description: "the userinfo endpoint takes GET and POST (OpenID Connect Core section 5.3.1)", Status: http.StatusMethodNotAllowed})
		return
	}
	body, berr := e.userInfo(r)
	if berr != nil {
		e.writeError(w, r, berr)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// writeError writes an RFC 6750 §3 error: the challenge, and the same as
// JSON for those who read bodies.
func (e *Endpoint) writeError(w http.ResponseWriter, r *http.Request, be *bearerError) {
	desc := oauth.DescriptionText(be.Description)
	challenge := "Bearer"
	if be.Code != "" {
		challenge = fmt.Sprintf(`Bearer error=%q, error_description=%q`, be.Code, desc)
		if be.Scope != "" {
			challenge += fmt.Sprintf(`, scope=%q`, be.Scope)
		}
	}
	h := w.Header()
	switch be.Code {
	case "server_error":
		if e.opts.Logger != nil {
			e.opts.Logger.LogAttrs(r.Context(), slog.LevelError, "userinfo request failed", logattr.Text("error", fmt.Sprint(be.Cause)))
		}
		challenge = ""
	case "temporarily_unavailable":
		if e.opts.Logger != nil {
			e.opts.Logger.LogAttrs(r.Context(), outage.Level(be.Cause, slog.LevelWarn), "userinfo request failed: storage unavailable", logattr.Text("error", fmt.Sprint(be.Cause)))
		}
		challenge = ""
		h.Set("Retry-After", "5")
	}
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if be.Code == "" {
		// No token sent: the challenge alone (RFC 6750 §3.1).
		w.WriteHeader(be.status())
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(be.status())
	if r.Method != http.MethodHead {
		b, _ := json.Marshal(struct {
			Error       string `json:"error"`
			Description string `json:"error_description,omitempty"`
		}{be.Code, desc})
		_, _ = w.Write(b)
	}
}

// accessClaims are what userinfo reads of an access token.
type accessClaims struct {
	Issuer   string          `json:"iss"`
	Subject  string          `json:"sub"`
	ClientID string          `json:"client_id"`
	Scope    json.RawMessage `json:"scope"`
	Expiry   *int64          `json:"exp"`
	NotBef   *int64          `json:"nbf"`
	AuthTime int64           `json:"auth_time"`
}

func invalidToken(format string, args ...any) *bearerError {
	return &bearerError{Code: InvalidToken, Description: fmt.Sprintf(format, args...)}
}

// unavailable is the answer when the store fails: 503, try again later.
func unavailable(err error) *bearerError {
	return &bearerError{Code: "temporarily_unavailable", Description: "the server cannot check the token now; try again later", Cause: err}
}

func serverError(err error) *bearerError {
	return &bearerError{Code: "server_error", Description: "the server failed to process the request; the cause is in its log", Cause: err}
}

// userInfo answers a request: the JSON of the user's claims, or the
// error.
func (e *Endpoint) userInfo(r *http.Request) ([]byte, *bearerError) {
	ctx := r.Context()
	var body []byte
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
		if err != nil {
			return nil, invalidRequest("the request body could not be read")
		}
		if len(b) > MaxRequestBytes {
			return nil, invalidRequest(fmt.Sprintf("the request body is over %d KiB", MaxRequestBytes>>10))
		}
		body = b
	}
	token, berr := extractToken(r.Method, r.Header.Get("Content-Type"), r.Header.Values("Authorization"), r.URL.RawQuery, body)
	if berr != nil {
		return nil, berr
	}
	issuer := endpoint.Issuer(ctx)
	if issuer == "" {
		return nil, serverError(errors.New("the userinfo endpoint got a request without an issuer in its context (endpoint.WithIssuer): it must be served through the server's chain"))
	}
	ac, scopes, berr := e.check(ctx, token, issuer)
	if berr != nil {
		return nil, berr
	}
	if e.opts.Users == nil {
		return nil, serverError(errors.New("the userinfo endpoint has no user store (userinfo.Options.Users)"))
	}
	user, err := e.opts.Users.GetUser(ctx, ac.Subject)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, invalidToken("the user of the access token no longer exists")
	case err != nil:
		return nil, unavailable(fmt.Errorf("read the user: %w", err))
	case user.Disabled:
		return nil, invalidToken("the user of the access token is disabled")
	}
	claimsOf, err := e.resources().UserInfo(user, scopes)
	if err != nil {
		return nil, serverError(fmt.Errorf("the claims of user %s: %w", user.ID, err))
	}
	out, err := json.Marshal(claimsOf)
	if err != nil {
		return nil, serverError(fmt.Errorf("encode the claims of user %s: %w", user.ID, err))
	}
	return out, nil
}

// check verifies an access token (a JWT, or a reference token looked up
// in the store) and its claims, and returns them and its scopes.
func (e *Endpoint) check(ctx context.Context, token, issuer string) (*accessClaims, []string, *bearerError) {
	var payload []byte
	if strings.Count(token, ".") != 2 && e.opts.References != nil {
		// A reference token: its claims are what the store holds, for as
		// long as it is not expired or revoked.
		ref, err := e.opts.References.LookupReference(ctx, token, e.opts.Now())
		switch {
		case errors.Is(err, tokens.ErrUnknownReference):
			return nil, nil, invalidToken("the access token is unknown, has expired or was revoked")
		case err != nil:
			return nil, nil, unavailable(fmt.Errorf("look up the reference token: %w", err))
		}
		payload = ref.Claims
	} else {
		p, _, err := e.opts.Verifier.Verify(token)
		if err != nil {
			return nil, nil, invalidToken("the access token is not valid: %s", err.Error())
		}
		// The header is signed with the payload, so once Verify passed
		// its typ can be read as it is.
		if typ := headerTyp(token); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") && !strings.EqualFold(typ, "JWT") {
			return nil, nil, invalidToken("the token's typ is %s; an access token has at+jwt (RFC 9068) or JWT", quote(typ))
		}
		payload = p
	}
	var ac accessClaims
	if err := json.Unmarshal(payload, &ac); err != nil {
		return nil, nil, invalidToken("the access token's claims are not readable")
	}
	now := e.opts.Now()
	var scope string
	switch {
	case ac.Issuer != issuer:
		return nil, nil, invalidToken("the access token was issued by %s, not by this server (%s)", quote(ac.Issuer), issuer)
	case ac.Expiry == nil:
		return nil, nil, invalidToken("the access token has no exp")
	case now.After(time.Unix(*ac.Expiry, 0).Add(Leeway)):
		return nil, nil, invalidToken("the access token has expired; refresh it or sign in again")
	case ac.NotBef != nil && now.Add(Leeway).Before(time.Unix(*ac.NotBef, 0)):
		return nil, nil, invalidToken("the access token is not valid yet (nbf)")
	case ac.ClientID == "" || json.Unmarshal(ac.Scope, &scope) != nil:
		// An ID token has neither: it is no access token.
		return nil, nil, invalidToken("the token is not an access token (it has no client_id or scope); send the access token, not the ID token")
	case ac.AuthTime == 0 || ac.Subject == "":
		return nil, nil, invalidToken("the access token was issued to a client for itself (client_credentials), not to a user; userinfo needs a user's token")
	}
	scopes := strings.Fields(scope)
	if !slices.Contains(scopes, claims.OpenID) {
		return nil, nil, &bearerError{Code: InsufficientScope, Scope: claims.OpenID, Description: "the access token does not grant the openid scope; sign in with scope openid"}
	}
	return &ac, scopes, nil
}

// headerTyp is the typ of a token's header, "" when it has none.
func headerTyp(token string) string {
	h, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	var hdr struct {
		Typ string `json:"typ"`
	}
	_ = json.Unmarshal(raw, &hdr)
	return hdr.Typ
}

var builtinResources = func() *claims.Resources {
	rs, err := claims.New(nil)
	if err != nil {
		panic(err) // the built-in resources are constants
	}
	return rs
}()

func (e *Endpoint) resources() *claims.Resources {
	if e.opts.IdentityResources != nil {
		if rs := e.opts.IdentityResources(); rs != nil {
			return rs
		}
	}
	return builtinResources
}
