package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
)

// FederationPath is the subtree of the external providers' routes:
// /signin/<name> starts a sign-in, /signin/<name>/callback finishes it.
const FederationPath = "/signin/"

// AMRExternal is the amr of a sign-in through an external provider that
// said nothing RFC 8176 registers about how the person authenticated
// (IdentityServer's "external").
const AMRExternal = "external"

// purposeUpstream is the form token that binds an upstream sign-in to the
// browser that started it (its pre-session cookie).
const purposeUpstream = "upstream"

// upstreamLoginLifetime bounds how long a person may take at the upstream.
const upstreamLoginLifetime = 10 * time.Minute

// authTimeLeeway is the clock skew allowed between an upstream's auth_time
// and max_age.
const authTimeLeeway = time.Minute

// Providers are the external identity providers (*federation.Registry).
type Providers interface {
	// List returns the providers, in the order the login page shows them.
	List() []federation.Settings
	// Get returns provider name and its relying party for issuer; false
	// for no such provider.
	Get(issuer, name string) (federation.Settings, federation.RP, bool, error)
}

// FederationStore is what federation reads and writes (storage.Store).
type FederationStore interface {
	CreateGrant(ctx context.Context, g storage.PersistedGrant) error
	GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	GetUser(ctx context.Context, id string) (storage.User, error)
	CreateUser(ctx context.Context, u storage.User) error
	DeleteUser(ctx context.Context, id string) error
	storage.UserLinks
}

// Federation is sign-in through external identity providers (issue 16).
type Federation struct {
	Providers Providers
	Store     FederationStore
	// Seal encrypts a link's saved tokens under the key-encryption key,
	// bound to owner and purpose; nil refuses providers with saveTokens.
	Seal func(owner, purpose string, plaintext []byte) ([]byte, error)
}

// upstreamLogin is a GrantUpstreamLogin's data: keyed by the hash of the
// state, bound to the browser by Binding (a form token of its pre-session
// cookie).
type upstreamLogin struct {
	Provider string        `json:"provider"`
	Pending  string        `json:"pending,omitempty"` // the authorization request signing in
	Return   string        `json:"return,omitempty"`  // or the account page to return to
	LinkUser string        `json:"link_user,omitempty"`
	Kept     upstream.Kept `json:"kept"`
	Binding  string        `json:"binding"`
}

// ProviderButton is one provider on the login page.
type ProviderButton struct {
	Name, Label, URL string
}

// providerButtons are the login page's buttons for the pending request
// id, or for a sign-in to the account pages that returns to returnURL.
func (e *Endpoint) providerButtons(id, returnURL string) []ProviderButton {
	f := e.opts.Federation
	if f == nil || f.Providers == nil {
		return nil
	}
	var out []ProviderButton
	for _, s := range f.Providers.List() {
		q := url.Values{"id": {id}}
		if id == "" {
			q = url.Values{"returnUrl": {returnURL}}
		}
		out = append(out, ProviderButton{Name: s.Name, Label: s.Label(), URL: FederationPath + url.PathEscape(s.Name) + "?" + q.Encode()})
	}
	return out
}

// idpHint returns the provider an authorization request's acr_values
// names with idp:<name> (IdentityServer's hint), "" for none or an
// unknown one (then the login page is shown).
func (e *Endpoint) idpHint(issuer, acrValues string) string {
	f := e.opts.Federation
	if f == nil || f.Providers == nil {
		return ""
	}
	for _, v := range strings.Fields(acrValues) {
		if name, ok := strings.CutPrefix(v, "idp:"); ok {
			if _, _, found, _ := f.Providers.Get(issuer, name); found {
				return name
			}
		}
	}
	return ""
}

// serveFederation routes /signin/<name> and /signin/<name>/callback.
func (e *Endpoint) serveFederation(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, FederationPath)
	name, tail, _ := strings.Cut(rest, "/")
	if r.Method == http.MethodHead {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch {
	case e.opts.Federation == nil || name == "" || (tail != "" && tail != "callback"):
		e.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no such page. Open the application you want to use; it will send you here.")
	case tail == "":
		e.startUpstream(w, r, name)
	default:
		e.upstreamCallback(w, r, name)
	}
}

// provider finds name for the request's issuer, or shows the error page.
func (e *Endpoint) provider(w http.ResponseWriter, r *http.Request, name string) (federation.Settings, federation.RP, bool) {
	s, rp, found, err := e.opts.Federation.Providers.Get(endpoint.Issuer(r.Context()), name)
	switch {
	case !found:
		e.errorPage(w, r, http.StatusNotFound, "Unknown sign-in provider",
			fmt.Sprintf("%s has no sign-in provider named %q (it may have been removed). Go back to the application and start again.", e.pages.layout.ProductName, name))
		return s, nil, false
	case err != nil:
		e.serverError(w, r, "set up the sign-in provider "+name, err)
		return s, nil, false
	}
	return s, rp, true
}

// startUpstream: GET /signin/<name>?id=<pending request>, or
// ?returnUrl=<account page> for a sign-in to the account pages.
func (e *Endpoint) startUpstream(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	v, req, clientID, ok := e.signInTarget(w, r, q.Get("id"), q.Get("returnUrl"), q.Has("returnUrl"))
	if !ok {
		return
	}
	s, rp, ok := e.provider(w, r, name)
	if !ok {
		return
	}
	if req == nil {
		// A sign-in to the account pages is what lets a session add a way
		// in (RecentSignIn): the provider must ask the person again, not
		// answer from a session of its own in a browser left open.
		o := upstream.StartOptions{Prompt: "login", HasMaxAge: true}
		e.redirectUpstream(w, r, s, rp, o, upstreamLogin{Provider: name, Return: v.ReturnURL}, clientID)
		return
	}
	o := upstream.StartOptions{LoginHint: req.LoginHint, MaxAge: req.MaxAge, HasMaxAge: req.HasMaxAge}
	switch {
	case req.Prompt.Login, req.HasMaxAge && req.MaxAge == 0:
		// max_age=0 too: the providers that ignore max_age honour this.
		o.Prompt = "login"
	case req.Prompt.SelectAccount:
		o.Prompt = "select_account"
	}
	if s.Type == federation.TypeEntra {
		o.DomainHint = req.DomainHint
	}
	e.redirectUpstream(w, r, s, rp, o, upstreamLogin{Provider: name, Pending: v.ID}, clientID)
}

// redirectUpstream starts the upstream's sign-in and sends the browser
// there, keeping what the callback needs, bound to this browser.
func (e *Endpoint) redirectUpstream(w http.ResponseWriter, r *http.Request, s federation.Settings, rp federation.RP, o upstream.StartOptions, l upstreamLogin, clientID string) {
	ctx := r.Context()
	target, kept, err := rp.Start(ctx, o)
	if err != nil {
		e.upstreamFailed(w, r, s, err)
		return
	}
	binding, err := e.opts.Sessions.FormToken(ctx, w, r, purposeUpstream)
	if err != nil {
		e.serverError(w, r, "start the sign-in", err)
		return
	}
	l.Kept, l.Binding = kept, binding
	data, err := json.Marshal(l)
	if err != nil {
		e.serverError(w, r, "start the sign-in", err)
		return
	}
	now := e.now()
	g := storage.PersistedGrant{Key: opaque.Key(kept.State), Type: storage.GrantUpstreamLogin, ClientID: clientID,
		Subject: l.LinkUser, Created: now, Expires: now.Add(upstreamLoginLifetime), Data: data}
	if err := e.opts.Federation.Store.CreateGrant(ctx, g); err != nil {
		e.serverError(w, r, "start the sign-in", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// upstreamFailed shows the page for an error of Start or Finish.
func (e *Endpoint) upstreamFailed(w http.ResponseWriter, r *http.Request, s federation.Settings, err error) {
	e.log.LogAttrs(r.Context(), slog.LevelWarn, "signin: external provider", slog.String("idp", s.Name),
		slog.String("error", err.Error()), slog.String("request_id", endpoint.RequestID(r.Context())))
	e.report(r, observe.LoginFailed, resultProviderRefused, "", "", slog.String("method", "external"), slog.String("idp", s.Name), logattr.Text("reason", err.Error()))
	label := s.Label()
	var ue *upstream.UpstreamError
	switch {
	case errors.Is(err, upstream.ErrState):
		e.stateMismatch(w, r)
	case errors.As(err, &ue) && ue.Code == "access_denied" && !ue.AtTokenEndpoint:
		e.errorPage(w, r, http.StatusForbidden, "Sign-in cancelled",
			fmt.Sprintf("%s did not sign you in (it was cancelled or refused there). Go back to the application to try again, or sign in another way.", label))
	case errors.As(err, &ue):
		e.render(w, r, http.StatusBadGateway, "error.html", "Sign-in refused", &ErrorView{
			Heading: "Sign-in refused", Message: fmt.Sprintf("%s refused the sign-in. Go back to the application to try again, or sign in another way.", label),
			Detail: ue.Error(), RequestID: endpoint.RequestID(r.Context())})
	case errors.Is(err, upstream.ErrUnavailable):
		e.errorPage(w, r, http.StatusGatewayTimeout, label+" is not answering",
			fmt.Sprintf("%s could not reach %s, or it answered too slowly. Try again in a few minutes, or sign in another way.", e.pages.layout.ProductName, label))
	case errors.Is(err, upstream.ErrInvalid):
		e.render(w, r, http.StatusBadGateway, "error.html", "Sign-in not accepted", &ErrorView{
			Heading: "Sign-in not accepted",
			Message: fmt.Sprintf("What %s sent back could not be trusted, so you were not signed in. Try again; if it happens again, tell the administrator the request id below.", label),
			Detail:  err.Error(), RequestID: endpoint.RequestID(r.Context())})
	default:
		e.serverError(w, r, "sign you in with "+label, err)
	}
}

func (e *Endpoint) stateMismatch(w http.ResponseWriter, r *http.Request) {
	e.errorPage(w, r, http.StatusBadRequest, "This sign-in cannot be finished here",
		"This sign-in was started in another browser, or too long ago, or was finished already. Go back to the application and sign in again from this browser.")
}

// upstreamCallback: GET /signin/<name>/callback, from the upstream.
func (e *Endpoint) upstreamCallback(w http.ResponseWriter, r *http.Request, name string) {
	ctx := r.Context()
	f := e.opts.Federation
	q := r.URL.Query()
	states := q["state"]
	if len(states) != 1 || !opaque.Valid(states[0]) {
		e.stateMismatch(w, r)
		return
	}
	key := opaque.Key(states[0])
	now := e.now()
	g, err := f.Store.GetGrant(ctx, key, now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		e.stateMismatch(w, r)
		return
	case err != nil:
		e.serverError(w, r, "read the sign-in", err)
		return
	}
	var l upstreamLogin
	if g.Type != storage.GrantUpstreamLogin || !g.Consumed.IsZero() || json.Unmarshal(g.Data, &l) != nil ||
		l.Provider != name || !e.opts.Sessions.CheckFormToken(r, purposeUpstream, l.Binding) {
		e.stateMismatch(w, r)
		return
	}
	if _, err := f.Store.ConsumeGrant(ctx, key, now); err != nil {
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConsumed) {
			e.stateMismatch(w, r)
			return
		}
		e.serverError(w, r, "read the sign-in", err)
		return
	}
	s, rp, ok := e.provider(w, r, name)
	if !ok {
		return
	}
	res, err := rp.Finish(ctx, l.Kept, q)
	if err != nil {
		e.upstreamFailed(w, r, s, err)
		return
	}
	if l.LinkUser != "" {
		e.linkFinished(w, r, s, res, l.LinkUser)
		return
	}
	_, req, clientID, ok := e.signInTarget(w, r, l.Pending, l.Return, l.Return != "")
	if !ok {
		return
	}
	// The session's auth_time will be now: a provider that says its
	// sign-in is older than the application's max_age did not sign the
	// person in again. (A provider that says nothing cannot be checked;
	// GitHub never says.)
	maxAge, hasMaxAge := time.Duration(0), l.Pending == "" // an account sign-in asked for max_age=0
	if req != nil {
		maxAge, hasMaxAge = req.MaxAge, req.HasMaxAge
	}
	if at := res.Claims.AuthTime; hasMaxAge && !at.IsZero() && e.now().Sub(at) > maxAge+authTimeLeeway {
		e.errorPage(w, r, http.StatusForbidden, s.Label()+" did not ask you to sign in again",
			fmt.Sprintf("The application asked for a recent sign-in, and %s used an older one. Sign out at %s, then go back to the application and try again; or sign in another way.", s.Label(), s.Label()))
		return
	}
	userID, ok := e.federatedUser(w, r, s, res)
	if !ok {
		return
	}
	// The second factor as after a password, unless the provider did
	// one.
	e.afterFirstFactor(w, r, loginStep{ID: l.Pending, ReturnURL: l.Return, AMR: federatedAMR(res.Claims.AMR), IDP: s.Name,
		clientID: clientID, userID: userID}, nil, req)
}

// rfc8176 are the amr values RFC 8176 registers.
var rfc8176 = []string{"face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd", "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia"}

// federatedAMR is the session's amr: the upstream's values that RFC 8176
// registers (so that an RP asking for mfa sees the upstream's), else
// AMRExternal.
func federatedAMR(up []string) []string {
	var out []string
	for _, v := range up {
		if slices.Contains(rfc8176, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return []string{AMRExternal}
	}
	return out
}

// federatedUser finds the local user of res's (issuer, subject), or makes
// one when the provider has autoProvision; false with the page shown when
// there is none or it may not sign in.
func (e *Endpoint) federatedUser(w http.ResponseWriter, r *http.Request, s federation.Settings, res *upstream.Result) (string, bool) {
	ctx := r.Context()
	st := e.opts.Federation.Store
	link, err := st.FindUserLink(ctx, res.Identity.Issuer, res.Identity.Subject)
	switch {
	case err == nil:
		u, err := st.GetUser(ctx, link.UserID)
		if err != nil {
			e.serverError(w, r, "find your account", err)
			return "", false
		}
		if u.Disabled {
			e.errorPage(w, r, http.StatusForbidden, "This account is disabled",
				"The account linked to this sign-in is disabled here. Ask the administrator if you think this is a mistake.")
			return "", false
		}
		if !e.touchLink(w, r, s, res, u.ID) {
			return "", false
		}
		return u.ID, true
	case !errors.Is(err, storage.ErrNotFound):
		e.serverError(w, r, "find your account", err)
		return "", false
	}
	if !s.AutoProvision {
		e.errorPage(w, r, http.StatusForbidden, "This account is not known here",
			fmt.Sprintf("You signed in to %s, but that account is not linked to an account of %s, and new accounts are not made from it. If you have an account here, sign in with it, then link %s from your account page; or ask the administrator.",
				s.Label(), e.pages.layout.ProductName, s.Label()))
		return "", false
	}
	if s.Type == federation.TypeGitHub && (res.Claims.Email == "" || !res.Claims.EmailVerified) {
		e.errorPage(w, r, http.StatusForbidden, "Verify your email address first",
			fmt.Sprintf("%s did not give a verified primary email address for your account, which %s needs to make your account. Verify your primary email address at %s, then sign in again.",
				s.Label(), e.pages.layout.ProductName, s.Label()))
		return "", false
	}
	u, err := e.provision(ctx, s, res)
	if err != nil {
		e.serverError(w, r, "make your account", err)
		return "", false
	}
	if !e.touchLink(w, r, s, res, u) {
		return "", false
	}
	return u, true
}

// touchLink records the sign-in on the link: when, and the tokens when
// the provider saves them.
func (e *Endpoint) touchLink(w http.ResponseWriter, r *http.Request, s federation.Settings, res *upstream.Result, userID string) bool {
	sealedTokens, err := e.sealTokens(s, res)
	if err != nil {
		e.serverError(w, r, "keep the provider's tokens", err)
		return false
	}
	now := e.now()
	err = e.opts.Federation.Store.UpdateUserLink(r.Context(), res.Identity.Issuer, res.Identity.Subject, func(l *storage.UserLink) error {
		l.LastUsed = now
		if s.SaveTokens {
			l.Tokens = sealedTokens
		}
		return nil
	})
	if err != nil {
		e.serverError(w, r, "record the sign-in", err)
		return false
	}
	return true
}

// savedTokens is what a link keeps of the upstream's tokens, sealed.
type savedTokens struct {
	IDToken      string    `json:"id_token,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// TokensPurpose binds a link's sealed tokens (owner: the issuer, a NUL and
// the subject).
const TokensPurpose = "external provider tokens"

func (e *Endpoint) sealTokens(s federation.Settings, res *upstream.Result) ([]byte, error) {
	if !s.SaveTokens {
		return nil, nil
	}
	if e.opts.Federation.Seal == nil {
		return nil, errors.New("saveTokens is set and no key-encryption key is available")
	}
	t := res.Tokens
	b, err := json.Marshal(savedTokens{IDToken: t.IDToken, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry})
	if err != nil {
		return nil, err
	}
	return e.opts.Federation.Seal(storage.UserLinkKey(res.Identity.Issuer, res.Identity.Subject), TokensPurpose, b)
}
