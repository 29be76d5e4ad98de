package signin

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/users"
)

// maxFormBytes bounds the pages' form bodies: a username, a password,
// a token and a few scopes.
const maxFormBytes = 16 << 10

// LoginView is the data of login.html.
type LoginView struct {
	Layout
	// ID is the pending request's id, Token the form's token: both go back
	// in hidden fields named id and token. A sign-in to the account pages
	// has no ID but a ReturnURL (hidden field returnUrl), a local path
	// under /account.
	ID, Token, ReturnURL string
	// ClientName is the application the user signs in to.
	ClientName string
	// Username pre-fills the username field (login_hint, or what was
	// typed).
	Username string
	// Error is what went wrong, "" for none; LockedUntil, when not zero,
	// is when the user (or the address) may try again.
	Error       string
	LockedUntil time.Time
	// Passkey is what the page offers of passkeys.
	Passkey PasskeyLogin
	// Providers are the external identity providers' buttons
	// (login_providers.html), none when there are none.
	Providers []ProviderButton
}

func clientName(c *client.Client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

func (e *Endpoint) showLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("id")
	if id == "" && q.Has("returnUrl") {
		ret, ok := localReturnURL(q.Get("returnUrl"))
		if !ok {
			e.badReturnURL(w, r)
			return
		}
		e.renderLogin(w, r, http.StatusOK, &LoginView{ReturnURL: ret, Username: e.signedInUsername(r)})
		return
	}
	req, c, ok := e.loadPending(w, r, id)
	if !ok {
		return
	}
	e.renderLogin(w, r, http.StatusOK, &LoginView{ID: id, ClientName: clientName(c), Username: req.LoginHint})
}

// signedInUsername is the username of the user signed in on r, "" for
// none: the account pages' "Sign in again" fills it in. A sign-in there
// makes a new session all the same (signedIn), of whoever signs in.
func (e *Endpoint) signedInUsername(r *http.Request) string {
	s, err := e.opts.Sessions.Current(r.Context(), r)
	if err != nil || s == nil {
		return ""
	}
	u, err := e.opts.Store.GetUser(r.Context(), s.Subject)
	if err != nil {
		return ""
	}
	return u.Username
}

func (e *Endpoint) renderLogin(w http.ResponseWriter, r *http.Request, status int, v *LoginView) {
	token, err := e.opts.Sessions.FormToken(r.Context(), w, r, purposeLogin)
	if err != nil {
		e.serverError(w, r, "show the sign-in form", err)
		return
	}
	v.Token = token
	v.Passkey = e.passkeyLogin(r, v.Passkey)
	v.Providers = e.providerButtons(v.ID, v.ReturnURL)
	e.render(w, r, status, "login.html", "Sign in", v)
}

// readForm parses a page's POST form, bounded; false (with the error page
// shown) when it cannot be read.
func (e *Endpoint) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		e.errorPage(w, r, http.StatusBadRequest, "The form could not be read",
			"The form sent was malformed or too large. Go back, reload the page and try again.")
		return false
	}
	return true
}

// staleForm shows the page for a form whose token is missing or wrong.
func (e *Endpoint) staleForm(w http.ResponseWriter, r *http.Request) {
	e.errorPage(w, r, http.StatusForbidden, "This form has expired",
		"The form was not sent from this browser's current page (it is too old, or came from elsewhere). Go back, reload the page and try again.")
}

func (e *Endpoint) postLogin(w http.ResponseWriter, r *http.Request) {
	if !e.readForm(w, r) {
		return
	}
	ctx := r.Context()
	if !e.opts.Sessions.CheckFormToken(r, purposeLogin, r.PostForm.Get("token")) {
		e.staleForm(w, r)
		return
	}
	v, req, clientID, ok := e.loginTarget(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get("decision") == "cancel" {
		if req == nil {
			http.Redirect(w, r, LoggedOutPath, http.StatusSeeOther)
			return
		}
		e.cancel(w, r, v.ID)
		return
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	v.Username = username
	if username == "" || password == "" {
		v.Error = "Enter your username and your password."
		e.renderLogin(w, r, http.StatusOK, v)
		return
	}
	now := e.now()
	addr := e.clientAddr(r)
	if until := e.rates.take(w, addr, username, now); !until.IsZero() {
		v.Error, v.LockedUntil = tooFast, until
		e.renderLogin(w, r, http.StatusTooManyRequests, v)
		return
	}
	if until := e.throttle.blocked(addr, now); !until.IsZero() {
		e.report(r, observe.LoginLockedOut, resultThrottled, "", clientID, slog.String("method", AMRPassword), logattr.String("username", username))
		v.Error, v.LockedUntil = "Too many failed sign-ins from your network.", until
		e.renderLogin(w, r, http.StatusTooManyRequests, v)
		return
	}
	user, err := e.opts.Users.Authenticate(ctx, username, password, now)
	var locked *users.LockedOutError
	switch {
	case err == nil:
	case errors.As(err, &locked):
		e.throttle.fail(addr, now)
		e.reportFactorFailure(r, err, resultLockedOut, "", clientID, username, AMRPassword)
		v.Error, v.LockedUntil = "Too many failed sign-ins for this account.", locked.Until
		e.renderLogin(w, r, http.StatusOK, v)
		return
	case errors.Is(err, users.ErrInvalidCredentials):
		e.throttle.fail(addr, now)
		e.reportFactorFailure(r, err, resultInvalidCredentials, "", clientID, username, AMRPassword)
		v.Error = "The username or the password is not right."
		e.renderLogin(w, r, http.StatusOK, v)
		return
	default:
		e.serverError(w, r, "check the password", err)
		return
	}
	e.afterFirstFactor(w, r, loginStep{ID: v.ID, ReturnURL: v.ReturnURL, AMR: []string{AMRPassword}, clientID: clientID, userID: user.ID}, &user, req)
}

// loginTarget reads what a posted sign-in form (a password, a passkey)
// signs in to, from its fields id and returnUrl (signInTarget).
func (e *Endpoint) loginTarget(w http.ResponseWriter, r *http.Request) (v *LoginView, req *authorize.Request, clientID string, ok bool) {
	return e.signInTarget(w, r, r.PostForm.Get("id"), r.PostForm.Get("returnUrl"), r.PostForm.Has("returnUrl"))
}

// signInTarget reads what a sign-in is for: the pending request id, with
// its client, or, with no id and a returnUrl (hasReturn), the account
// pages (returnURL a local path, req nil and clientID accountClientID).
// It returns the login page's view so far; false with the error page
// written when it is neither.
func (e *Endpoint) signInTarget(w http.ResponseWriter, r *http.Request, id, returnURL string, hasReturn bool) (v *LoginView, req *authorize.Request, clientID string, ok bool) {
	v = &LoginView{ID: id}
	if id == "" && hasReturn {
		ret, ok := localReturnURL(returnURL)
		if !ok {
			e.badReturnURL(w, r)
			return nil, nil, "", false
		}
		v.ReturnURL = ret
		return v, nil, accountClientID, true
	}
	req, c, ok := e.loadPending(w, r, id)
	if !ok {
		return nil, nil, "", false
	}
	v.ClientName = clientName(c)
	return v, req, c.ID, true
}

// badReturnURL refuses a returnUrl that is not a local account page.
func (e *Endpoint) badReturnURL(w http.ResponseWriter, r *http.Request) {
	e.errorPage(w, r, http.StatusBadRequest, "This link cannot be used to sign in",
		"The link asks to go on to a page that is not one of this server's account pages after signing in, which is refused. Open "+AccountPath+" to sign in to your account.")
}

// signedIn finishes a sign-in for the pending request id of clientID, by
// whatever means (a password, a second factor, a passkey, an external
// provider idp, "" for this server's own users): it ends the session the
// browser had, starts the user's with amr (RFC 8176 values, in order) and
// sends the browser to the callback with the proof of a fresh login. A
// sign-in to the account pages has no id (""): the browser goes to
// returnURL instead, a local path checked by localReturnURL (else to
// /account).
func (e *Endpoint) signedIn(w http.ResponseWriter, r *http.Request, id, returnURL, clientID, userID string, amr []string, idp string) {
	ctx := r.Context()
	// A sign-in ends the session the browser had, if any: the new one has
	// a new handle, and the old one would otherwise linger unseen.
	if _, err := e.opts.Sessions.End(ctx, w, r); err != nil {
		e.serverError(w, r, "end the previous session", err)
		return
	}
	s, err := e.opts.Sessions.Start(ctx, w, userID, e.now(), amr, idp)
	if err != nil {
		e.serverError(w, r, "start the session", err)
		return
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "signin: signed in", slog.String("sub", userID), logattr.String("client_id", clientID),
		slog.Any("amr", amr), slog.String("idp", idp))
	e.report(r, observe.LoginSucceeded, observe.Success, userID, clientID, slog.Any("amr", amr), slog.String("idp", idp))
	if id == "" {
		target, ok := localReturnURL(returnURL)
		if !ok {
			target = AccountPath
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	q := url.Values{"id": {id}, "login": {s.Token(loginProofPurpose(id))}}
	http.Redirect(w, r, CallbackPath+"?"+q.Encode(), http.StatusSeeOther)
}

// cancel completes the pending request id with access_denied (the login
// page's Cancel, the consent page's Deny).
func (e *Endpoint) cancel(w http.ResponseWriter, r *http.Request, id string) {
	req, err := e.opts.Pending.Complete(r.Context(), id, e.now())
	if !e.pendingOK(w, r, err) {
		return
	}
	e.respond(w, r, req.ErrorResponse(endpoint.Issuer(r.Context()), oauth.Errorf(oauth.AccessDenied, "the user declined")), nil)
}

func (e *Endpoint) clientAddr(r *http.Request) string {
	if e.opts.ClientIP != nil {
		return addrKey(e.opts.ClientIP(r))
	}
	return addrKey(remoteAddr(r))
}
