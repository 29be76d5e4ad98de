package signin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/passkey"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/storage"
)

// Paths of the passkey ceremonies (issue 16). The options endpoints answer
// JSON for the pages' script; the login's finish is a form the script
// submits, so that the browser follows the sign-in's redirects as after a
// password; registering answers JSON and the script reloads the account
// page.
const (
	PasskeyLoginOptionsPath    = "/account/login/passkey/options"
	PasskeyLoginPath           = "/account/login/passkey"
	PasskeyRegisterOptionsPath = "/account/passkeys/register/options"
	PasskeyRegisterFinishPath  = "/account/passkeys/register/finish"
	PasskeyRemovePath          = "/account/passkeys/remove"
	PasskeyRenamePath          = "/account/passkeys/rename"
	// PasskeyScriptPath is the pages' one script: the ceremonies need
	// navigator.credentials, which no HTML form can call.
	PasskeyScriptPath = "/ui/passkey.js"
)

// ceremonyCookie holds the handle of the passkey ceremony under way in the
// browser (its challenge is in the store, keyed by the handle's hash).
const ceremonyCookie = "signet.webauthn"

// purposePasskeys is the session form token's purpose for the account
// page's passkey forms.
const purposePasskeys = "passkeys"

// maxPasskeyFormBytes bounds a ceremony's form: the browser's answer (an
// attestation object, certificates and all) and a few fields.
const maxPasskeyFormBytes = 128 << 10

// Passkeys is what the pages need of internal/passkey's Service.
type Passkeys interface {
	BeginRegistration(ctx context.Context, issuer string, reg passkey.Registration) ([]byte, string, error)
	FinishRegistration(ctx context.Context, issuer, handle, userID, sessionID string, response []byte) (storage.Passkey, error)
	BeginLogin(ctx context.Context, issuer, clientID, requestID string) ([]byte, string, error)
	FinishLogin(ctx context.Context, issuer, handle, requestID string, response []byte) (passkey.Login, error)
	List(ctx context.Context, userID string) ([]storage.Passkey, error)
	Remove(ctx context.Context, userID, id string) error
	Rename(ctx context.Context, userID, id, name string) error
	CeremonyLifetime() time.Duration
}

// PasskeyLogin is what the login page shows of passkeys.
type PasskeyLogin struct {
	// Enabled: the page offers "Sign in with a passkey" and autofill.
	Enabled bool
	// Error is why a passkey sign-in was refused, "" for none.
	Error string
}

// scripts is the login page's scripts: the passkey script when passkeys
// are on (render allows script-src 'self' for a page with scripts).
func (v *LoginView) scripts() []string {
	if v.Passkey.Enabled {
		return []string{PasskeyScriptPath}
	}
	return nil
}

// scripts is the account page's scripts: the passkey script when its
// passkey section can add passkeys.
func (v *AccountView) scripts() []string {
	if v.Passkeys.Enabled {
		return []string{PasskeyScriptPath}
	}
	return nil
}

// passkeyLogin is v with Enabled set: whether the login page at r's
// issuer offers passkeys.
func (e *Endpoint) passkeyLogin(r *http.Request, v PasskeyLogin) PasskeyLogin {
	if e.opts.Passkeys == nil {
		return PasskeyLogin{}
	}
	_, err := passkey.ForIssuer(endpoint.Issuer(r.Context()))
	v.Enabled = err == nil
	return v
}

// passkeyRoutes are the ceremonies' routes, none without Options.Passkeys.
func (e *Endpoint) passkeyRoutes(route func(string, string, http.HandlerFunc) endpoint.Route, protect func(http.HandlerFunc) http.HandlerFunc) []endpoint.Route {
	if e.opts.Passkeys == nil {
		return nil
	}
	return []endpoint.Route{
		route(http.MethodPost, PasskeyLoginOptionsPath, protect(e.passkeyLoginOptions)),
		route(http.MethodPost, PasskeyLoginPath, protect(e.passkeyLoginFinish)),
		route(http.MethodPost, PasskeyRegisterOptionsPath, protect(e.passkeyRegisterOptions)),
		route(http.MethodPost, PasskeyRegisterFinishPath, protect(e.passkeyRegisterFinish)),
		route(http.MethodPost, PasskeyRemovePath, protect(e.passkeyRemove)),
		route(http.MethodPost, PasskeyRenamePath, protect(e.passkeyRename)),
		route(http.MethodGet, PasskeyScriptPath, e.pages.serveAsset(PasskeyScriptPath)),
	}
}

// passkeyJSON writes a ceremony endpoint's answer.
func passkeyJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// passkeyProblem answers a ceremony endpoint's refusal: {"error": message}.
func passkeyProblem(w http.ResponseWriter, status int, message string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{message})
	passkeyJSON(w, status, b)
}

// readPasskeyForm parses a ceremony's form, bounded; false (with the
// answer written) when it cannot be read.
func (e *Endpoint) readPasskeyForm(w http.ResponseWriter, r *http.Request, page bool) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxPasskeyFormBytes)
	if err := r.ParseForm(); err != nil {
		if page {
			e.errorPage(w, r, http.StatusBadRequest, "The form could not be read",
				"The form sent was malformed or too large. Go back, reload the page and try again.")
		} else {
			passkeyProblem(w, http.StatusBadRequest, "The request was malformed or too large. Reload the page and try again.")
		}
		return false
	}
	return true
}

// setCeremony keeps a ceremony's handle in the browser for its lifetime;
// an empty handle removes it.
func (e *Endpoint) setCeremony(w http.ResponseWriter, r *http.Request, handle string) {
	c := &http.Cookie{
		Name: ceremonyCookie, Value: handle, Path: "/account", HttpOnly: true,
		Secure:   !strings.HasPrefix(strings.ToLower(endpoint.Issuer(r.Context())), "http://"),
		SameSite: http.SameSiteStrictMode,
		MaxAge:   int(e.opts.Passkeys.CeremonyLifetime() / time.Second),
	}
	if handle == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func ceremonyHandle(r *http.Request) string {
	cs := r.CookiesNamed(ceremonyCookie)
	if len(cs) != 1 {
		return ""
	}
	return cs[0].Value
}

// passkeyMessage is what a page says of a ceremony's error; ok false for
// an error that is the server's (logged, a 500).
func passkeyMessage(err error) (string, bool) {
	var off *passkey.OffError
	var name *passkey.NameError
	switch {
	case errors.As(err, &off):
		return "Passkeys are off here: " + off.Reason + ".", true
	case errors.As(err, &name):
		return "The passkey's name is not right: " + name.Reason + ".", true
	}
	for _, known := range []error{passkey.ErrCeremony, passkey.ErrResponse, passkey.ErrUnknownCredential, passkey.ErrUserHandle,
		passkey.ErrCloneWarning, passkey.ErrUserDisabled, passkey.ErrAlreadyRegistered, passkey.ErrTooMany, passkey.ErrNotFound} {
		if errors.Is(err, known) {
			m := known.Error()
			return strings.ToUpper(m[:1]) + m[1:] + ".", true
		}
	}
	return "", false
}

// passkeyLoginOptions starts a sign-in with a passkey for the login page's
// pending request: form fields id and token (the login form's).
func (e *Endpoint) passkeyLoginOptions(w http.ResponseWriter, r *http.Request) {
	if !e.readPasskeyForm(w, r, false) {
		return
	}
	ctx := r.Context()
	if !e.opts.Sessions.CheckFormToken(r, purposeLogin, r.PostForm.Get("token")) {
		passkeyProblem(w, http.StatusForbidden, "This page has expired. Reload it and try again.")
		return
	}
	id := r.PostForm.Get("id")
	clientID := accountClientID
	if id == "" && r.PostForm.Has("returnUrl") {
		// A sign-in to the account pages: no pending request.
		if _, ok := localReturnURL(r.PostForm.Get("returnUrl")); !ok {
			passkeyProblem(w, http.StatusBadRequest, "This sign-in link is not for this server's account pages. Open "+AccountPath+" to sign in.")
			return
		}
	} else {
		req, err := e.opts.Pending.Load(ctx, id, e.now())
		if err != nil {
			passkeyProblem(w, http.StatusBadRequest, "This sign-in has expired or was finished already. Go back to the application and start again.")
			return
		}
		clientID = req.ClientID
	}
	options, handle, err := e.opts.Passkeys.BeginLogin(ctx, endpoint.Issuer(ctx), clientID, id)
	if err != nil {
		e.passkeyJSONError(w, r, "start a passkey sign-in", err)
		return
	}
	e.setCeremony(w, r, handle)
	passkeyJSON(w, http.StatusOK, options)
}

// passkeyJSONError answers a ceremony endpoint's error.
func (e *Endpoint) passkeyJSONError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if m, ok := passkeyMessage(err); ok {
		e.log.LogAttrs(r.Context(), slog.LevelInfo, "signin: passkey refused", slog.String("step", what), slog.String("error", err.Error()))
		passkeyProblem(w, http.StatusBadRequest, m)
		return
	}
	e.log.LogAttrs(r.Context(), outage.Level(err, slog.LevelError), "signin: "+what, slog.String("error", err.Error()),
		slog.String("request_id", endpoint.RequestID(r.Context())))
	if errors.Is(err, storage.ErrUnavailable) {
		w.Header().Set("Retry-After", "5")
		passkeyProblem(w, http.StatusServiceUnavailable, "The database is not available just now. Try again in a moment.")
		return
	}
	passkeyProblem(w, http.StatusInternalServerError, "Something went wrong. Try again in a moment; if it happens again, tell the administrator the request id "+endpoint.RequestID(r.Context())+".")
}

// passkeyLoginFinish finishes a sign-in with a passkey: form fields id,
// token and credential (the JSON of the PublicKeyCredential). It signs the
// user in as the password does, or shows the login page with what went
// wrong.
func (e *Endpoint) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) {
	if !e.readPasskeyForm(w, r, true) {
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
	if until := e.rates.take(w, e.clientAddr(r), "", e.now()); !until.IsZero() {
		v.Passkey.Error, v.LockedUntil = tooFast, until
		e.renderLogin(w, r, http.StatusTooManyRequests, v)
		return
	}
	id := v.ID
	handle := ceremonyHandle(r)
	e.setCeremony(w, r, "")
	login, err := e.opts.Passkeys.FinishLogin(ctx, endpoint.Issuer(ctx), handle, id, []byte(r.PostForm.Get("credential")))
	if err != nil {
		m, known := passkeyMessage(err)
		if !known {
			e.serverError(w, r, "check the passkey", err)
			return
		}
		e.log.LogAttrs(ctx, slog.LevelInfo, "signin: passkey sign-in refused", logattr.String("client_id", clientID), slog.String("error", err.Error()))
		e.report(r, observe.LoginFailed, resultPasskeyRefused, "", clientID, slog.String("method", "passkey"), logattr.Text("reason", err.Error()))
		v.Passkey.Error = m
		e.renderLogin(w, r, http.StatusBadRequest, v)
		return
	}
	// A passkey whose authenticator verified the user (PIN, biometrics)
	// is two factors. Without that it is one, and the second factor
	// follows as after a password.
	e.afterFirstFactor(w, r, loginStep{ID: id, ReturnURL: v.ReturnURL, AMR: login.AMR, clientID: clientID, userID: login.UserID}, nil, req)
}

// accountSession returns the browser's session whose token for purpose
// the form carries; nil (with the answer written) when there is none.
func (e *Endpoint) accountSession(w http.ResponseWriter, r *http.Request, page bool) *session.Session {
	s, err := e.opts.Sessions.Current(r.Context(), r)
	switch {
	case err != nil:
		if page {
			e.serverError(w, r, "read the session", err)
		} else {
			e.passkeyJSONError(w, r, "read the session", err)
		}
		return nil
	case s == nil:
		if page {
			e.errorPage(w, r, http.StatusUnauthorized, "You are signed out",
				"Your session has ended. Sign in to the application again, then come back to your account page.")
		} else {
			passkeyProblem(w, http.StatusUnauthorized, "Your session has ended. Sign in again, then come back to your account page.")
		}
		return nil
	case !s.CheckToken(purposePasskeys, r.PostForm.Get("token")):
		if page {
			e.staleForm(w, r)
		} else {
			passkeyProblem(w, http.StatusForbidden, "This page has expired. Reload it and try again.")
		}
		return nil
	}
	return s
}

// registrationSession reads a registration request's form and returns the
// signed-in session it may add a passkey to; nil, with the answer written,
// when there is none or its sign-in is not recent: a passkey is a new way
// in.
func (e *Endpoint) registrationSession(w http.ResponseWriter, r *http.Request) *session.Session {
	if !e.readPasskeyForm(w, r, false) {
		return nil
	}
	s := e.accountSession(w, r, false)
	if s == nil {
		return nil
	}
	if !e.recentSignIn(s) {
		passkeyReauth(w)
		return nil
	}
	return s
}

// passkeyRegisterOptions starts registering a passkey for the signed-in
// user: form fields token and name.
func (e *Endpoint) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request) {
	s := e.registrationSession(w, r)
	if s == nil {
		return
	}
	ctx := r.Context()
	options, handle, err := e.opts.Passkeys.BeginRegistration(ctx, endpoint.Issuer(ctx),
		passkey.Registration{UserID: s.Subject, SessionID: s.ID, Name: r.PostForm.Get("name")})
	if err != nil {
		e.passkeyJSONError(w, r, "start adding a passkey", err)
		return
	}
	e.setCeremony(w, r, handle)
	passkeyJSON(w, http.StatusOK, options)
}

// passkeyRegisterFinish stores the passkey the browser made: form fields
// token and credential (the JSON of the PublicKeyCredential). It answers
// {"name": ...} or {"error": ...}.
func (e *Endpoint) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) {
	s := e.registrationSession(w, r)
	if s == nil {
		return
	}
	ctx := r.Context()
	handle := ceremonyHandle(r)
	e.setCeremony(w, r, "")
	p, err := e.opts.Passkeys.FinishRegistration(ctx, endpoint.Issuer(ctx), handle, s.Subject, s.ID, []byte(r.PostForm.Get("credential")))
	if err != nil {
		e.passkeyJSONError(w, r, "add the passkey", err)
		return
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "signin: passkey added", slog.String("sub", s.Subject), slog.Bool("synced", passkey.Synced(p)))
	b, _ := json.Marshal(struct {
		Name string `json:"name"`
		// Next is where the script takes the browser: the account page
		// saying that the passkey was added.
		Next string `json:"next"`
	}{p.Name, AccountPath + "?done=passkey-added#passkeys"})
	passkeyJSON(w, http.StatusOK, b)
}

// passkeyRemove removes one of the signed-in user's passkeys: form fields
// token and passkey (its id); back to the account page.
func (e *Endpoint) passkeyRemove(w http.ResponseWriter, r *http.Request) {
	if !e.readPasskeyForm(w, r, true) {
		return
	}
	s := e.accountSession(w, r, true)
	if s == nil {
		return
	}
	if err := e.opts.Passkeys.Remove(r.Context(), s.Subject, r.PostForm.Get("passkey")); err != nil {
		e.passkeyPageError(w, r, "remove the passkey", err)
		return
	}
	e.log.LogAttrs(r.Context(), slog.LevelInfo, "signin: passkey removed", slog.String("sub", s.Subject))
	e.accountDone(w, r, "passkey-removed")
}

// passkeyRename renames one of the signed-in user's passkeys: form fields
// token, passkey and name; back to the account page.
func (e *Endpoint) passkeyRename(w http.ResponseWriter, r *http.Request) {
	if !e.readPasskeyForm(w, r, true) {
		return
	}
	s := e.accountSession(w, r, true)
	if s == nil {
		return
	}
	if err := e.opts.Passkeys.Rename(r.Context(), s.Subject, r.PostForm.Get("passkey"), r.PostForm.Get("name")); err != nil {
		e.passkeyPageError(w, r, "rename the passkey", err)
		return
	}
	e.accountDone(w, r, "passkey-renamed")
}

func (e *Endpoint) passkeyPageError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if m, ok := passkeyMessage(err); ok {
		e.errorPage(w, r, http.StatusBadRequest, "The passkey could not be changed", m+" Go back to your account page and try again.")
		return
	}
	e.serverError(w, r, what, err)
}
