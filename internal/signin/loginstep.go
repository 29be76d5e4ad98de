package signin

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/storage"
)

// MFAPath is the second step of a sign-in: the code of an authenticator
// app (or a recovery code), or setting one up when the application
// requires it.
const MFAPath = "/account/login/mfa"

// stepLifetime is how long the second step may take after the password.
const stepLifetime = 5 * time.Minute

// accountClientID is the client id of the login-step grant of a sign-in
// to the account pages, which no application asked for.
const accountClientID = "signet.account"

// stepDataVersion is the version of loginStep; another is refused.
const stepDataVersion = 1

// loginStep is a sign-in half done: a storage.GrantLoginStep grant whose
// key is the hash of the handle in the step cookie, used once.
type loginStep struct {
	Version int `json:"v"`
	// ID is the pending authorization request, ReturnURL the local return
	// URL of a sign-in to the account pages (one of the two).
	ID        string `json:"id,omitempty"`
	ReturnURL string `json:"return_url,omitempty"`
	// AMR are the methods used so far ("pwd").
	AMR []string `json:"amr"`
	// Enrol says the user has no second factor and must set one up (the
	// application requires it); Enrolled that it was, and the recovery
	// codes shown: the sign-in only continues.
	Enrol    bool `json:"enrol,omitempty"`
	Enrolled bool `json:"enrolled,omitempty"`
	// IDP is the external provider of the first step, "" for a password.
	IDP string `json:"idp,omitempty"`

	// Not stored: the grant's key, client and user.
	key, clientID, userID string
}

// MFAView is the data of mfa.html, asking for the code.
type MFAStepView struct {
	Layout
	// Token is the form's token (hidden field token).
	Token string
	// ClientName is the application signed in to, "" for the account.
	ClientName string
	// Error is what went wrong, "" for none; LockedUntil, when not zero,
	// is when the user may try again.
	Error       string
	LockedUntil time.Time
}

// startStep stores the second step of userID's sign-in and sends the
// browser to it.
func (e *Endpoint) startStep(w http.ResponseWriter, r *http.Request, st loginStep) {
	ctx := r.Context()
	handle, err := opaque.New(rand.Reader)
	if err != nil {
		e.serverError(w, r, "start the second step", err)
		return
	}
	st.Version = stepDataVersion
	data, err := json.Marshal(st)
	if err != nil {
		e.serverError(w, r, "start the second step", err)
		return
	}
	now := e.now().UTC().Truncate(time.Millisecond)
	g := storage.PersistedGrant{Key: opaque.Key(handle), Type: storage.GrantLoginStep, Subject: st.userID, ClientID: st.clientID,
		Created: now, Expires: now.Add(stepLifetime), Data: data}
	if err := e.opts.Store.CreateGrant(ctx, g); err != nil {
		e.serverError(w, r, "start the second step", err)
		return
	}
	if err := e.opts.Sessions.SetStepCookie(ctx, w, handle, stepLifetime); err != nil {
		e.serverError(w, r, "start the second step", err)
		return
	}
	http.Redirect(w, r, MFAPath, http.StatusSeeOther)
}

// afterFirstFactor goes on after the first factor of a sign-in (st: a
// password, a passkey or an external provider, st.AMR what it proved) of
// user u for req (nil for a sign-in to the account pages): a login that
// was multi-factor already is finished; otherwise a user with TOTP takes
// the second step, one without sets it up when req requires two factors,
// and any other sign-in is finished with one factor. Every sign-in method
// ends here, so that the policy is the same for all. u nil: the user
// st.userID is read, when needed (not after a multi-factor login).
func (e *Endpoint) afterFirstFactor(w http.ResponseWriter, r *http.Request, st loginStep, u *storage.User, req *authorize.Request) {
	if u == nil && !hasMFA(st.AMR) {
		got, err := e.opts.Store.GetUser(r.Context(), st.userID)
		if err != nil {
			e.serverError(w, r, "find your account", err)
			return
		}
		u = &got
	}
	switch {
	case hasMFA(st.AMR):
	case hasTOTP(*u):
		e.startStep(w, r, st)
		return
	case req != nil && mfaRequired(req):
		st.Enrol = true
		e.startStep(w, r, st)
		return
	}
	e.signedIn(w, r, st.ID, st.ReturnURL, st.clientID, st.userID, st.AMR, st.IDP)
}

// loadStep reads the browser's second step, or shows the page saying it
// has expired.
func (e *Endpoint) loadStep(w http.ResponseWriter, r *http.Request) (*loginStep, bool) {
	handle := session.StepHandle(r)
	var g storage.PersistedGrant
	err := storage.ErrNotFound
	if handle != "" {
		g, err = e.opts.Store.GetGrant(r.Context(), opaque.Key(handle), e.now())
	}
	if err == nil && (g.Type != storage.GrantLoginStep || !g.Consumed.IsZero()) {
		err = storage.ErrNotFound
	}
	var st loginStep
	if err == nil {
		if jerr := json.Unmarshal(g.Data, &st); jerr != nil || st.Version != stepDataVersion {
			err = fmt.Errorf("read the second step: version %d: %v", st.Version, jerr)
		}
	}
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConsumed):
		e.errorPage(w, r, http.StatusBadRequest, "This sign-in has expired",
			"The second step of the sign-in was not finished in time, or was finished already. Go back to the application (or the account page) and sign in again.")
		return nil, false
	case err != nil:
		e.serverError(w, r, "read the second step", err)
		return nil, false
	}
	st.key, st.clientID, st.userID = g.Key, g.ClientID, g.Subject
	return &st, true
}

func (e *Endpoint) stepClientName(r *http.Request, st *loginStep) string {
	if st.ID == "" {
		return ""
	}
	if c, err := e.opts.Validator.Clients.Client(r.Context(), st.clientID); err == nil {
		return clientName(c)
	}
	return st.clientID
}

func (e *Endpoint) showStep(w http.ResponseWriter, r *http.Request) {
	st, ok := e.loadStep(w, r)
	if !ok {
		return
	}
	e.renderStep(w, r, st, http.StatusOK, "", time.Time{})
}

// renderStep shows the page of the step st is at: the code, the setup of
// an app, or the end of that setup.
func (e *Endpoint) renderStep(w http.ResponseWriter, r *http.Request, st *loginStep, status int, errMsg string, lockedUntil time.Time) {
	token, err := e.opts.Sessions.FormToken(r.Context(), w, r, purposeLogin)
	if err != nil {
		e.serverError(w, r, "show the form", err)
		return
	}
	switch {
	case st.Enrolled:
		e.render(w, r, status, "recovery.html", "Save your recovery codes", &RecoveryView{Action: MFAPath, Token: token})
	case st.Enrol:
		kek, err := e.kek()
		if err != nil {
			e.errorPage(w, r, http.StatusServiceUnavailable, "Two-step sign-in is not available",
				"The application requires a second factor, but this server cannot keep one: its administrator must set keyEncryptionKey. Ask them.")
			return
		}
		u, err := e.opts.Store.GetUser(r.Context(), st.userID)
		if err != nil {
			e.serverError(w, r, "read your account", err)
			return
		}
		v, err := e.newEnrolment(u, kek, e.now())
		if err != nil {
			e.serverError(w, r, "make a key for your authenticator app", err)
			return
		}
		e.renderSetup(w, r, status, v, setupForm{Action: MFAPath, Token: token, Required: true}, errMsg)
	default:
		e.render(w, r, status, "mfa.html", "Two-step sign-in", &MFAStepView{Token: token, ClientName: e.stepClientName(r, st),
			Error: errMsg, LockedUntil: lockedUntil})
	}
}

func (e *Endpoint) postStep(w http.ResponseWriter, r *http.Request) {
	if !e.readForm(w, r) {
		return
	}
	if !e.opts.Sessions.CheckFormToken(r, purposeLogin, r.PostForm.Get("token")) {
		e.staleForm(w, r)
		return
	}
	st, ok := e.loadStep(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f := r.PostForm
	now := e.now()
	switch f.Get("action") {
	case "cancel":
		if _, err := e.opts.Store.ConsumeGrant(ctx, st.key, now); err != nil && !errors.Is(err, storage.ErrConsumed) && !errors.Is(err, storage.ErrNotFound) {
			e.serverError(w, r, "cancel the sign-in", err)
			return
		}
		_ = e.opts.Sessions.SetStepCookie(ctx, w, "", 0)
		if st.ID != "" {
			e.cancel(w, r, st.ID)
			return
		}
		http.Redirect(w, r, LoginPath+"?"+url.Values{"returnUrl": {st.ReturnURL}}.Encode(), http.StatusSeeOther)
		return
	case "continue":
		if !st.Enrolled {
			e.renderStep(w, r, st, http.StatusOK, "", time.Time{})
			return
		}
		e.finishStep(w, r, st, withSecondFactor(st.AMR, AMROTP))
		return
	case "totp-confirm":
		if !st.Enrol || st.Enrolled {
			e.renderStep(w, r, st, http.StatusOK, "", time.Time{})
			return
		}
		e.enrolInStep(w, r, st)
		return
	}
	addr := e.clientAddr(r)
	if until := e.rates.take(w, addr, "sub:"+st.userID, now); !until.IsZero() {
		e.renderStep(w, r, st, http.StatusTooManyRequests, tooFast, until)
		return
	}
	if until := e.throttle.blocked(addr, now); !until.IsZero() {
		e.report(r, observe.LoginLockedOut, resultThrottled, st.userID, st.clientID, slog.String("method", "mfa"))
		e.renderStep(w, r, st, http.StatusTooManyRequests, "Too many failed sign-ins from your network.", until)
		return
	}
	check, method, err := e.checkFactor(f.Get("code"), now)
	if err != nil {
		msg, _ := factorMessage(err)
		if msg == "" {
			// No key-encryption key: the TOTP key cannot be opened.
			e.log.LogAttrs(ctx, slog.LevelError, "signin: the second step cannot check a code", slog.String("error", err.Error()))
			e.renderStep(w, r, st, http.StatusServiceUnavailable,
				"Codes from the app cannot be checked now: the server's administrator must configure its key-encryption key (keyEncryptionKey). A recovery code still works.", time.Time{})
			return
		}
		e.reportFactorFailure(r, err, resultWrongFactor, st.userID, st.clientID, "", "mfa")
		e.renderStep(w, r, st, http.StatusOK, msg, time.Time{})
		return
	}
	if err := e.secondFactor(r, st.userID, now, check); err != nil {
		msg, until := factorMessage(err)
		if msg == "" {
			e.serverError(w, r, "check the code", err)
			return
		}
		e.reportFactorFailure(r, err, resultWrongFactor, st.userID, st.clientID, "", "mfa")
		e.renderStep(w, r, st, http.StatusOK, msg, until)
		return
	}
	e.finishStep(w, r, st, withSecondFactor(st.AMR, method))
}

// enrolInStep sets up the authenticator app of a user who must have one
// to sign in, then shows the recovery codes with a form to continue.
func (e *Endpoint) enrolInStep(w http.ResponseWriter, r *http.Request, st *loginStep) {
	ctx := r.Context()
	now := e.now()
	kek, err := e.kek()
	if err != nil {
		e.renderStep(w, r, st, http.StatusOK, "", time.Time{})
		return
	}
	u, err := e.opts.Store.GetUser(ctx, st.userID)
	if err != nil {
		e.serverError(w, r, "read your account", err)
		return
	}
	token, err := e.opts.Sessions.FormToken(ctx, w, r, purposeLogin)
	if err != nil {
		e.serverError(w, r, "show the form", err)
		return
	}
	codes, stale := e.confirmSetup(w, r, u, kek, now, setupForm{Action: MFAPath, Token: token, Required: true})
	switch {
	case stale:
		e.renderStep(w, r, st, http.StatusOK, "The setup took too long or the page was too old. Scan the new code below.", time.Time{})
		return
	case codes == nil:
		return
	}
	st.Enrolled = true
	data, err := json.Marshal(st)
	if err == nil {
		err = e.opts.Store.ExtendGrant(ctx, st.key, now.Add(stepLifetime), data, now)
	}
	if err != nil {
		e.serverError(w, r, "record the setup", err)
		return
	}
	e.render(w, r, http.StatusOK, "recovery.html", "Save your recovery codes", &RecoveryView{Codes: codes, Action: MFAPath, Token: token})
}

// finishStep uses the step up, once, and finishes the sign-in with amr.
func (e *Endpoint) finishStep(w http.ResponseWriter, r *http.Request, st *loginStep, amr []string) {
	ctx := r.Context()
	if _, err := e.opts.Store.ConsumeGrant(ctx, st.key, e.now()); err != nil {
		if errors.Is(err, storage.ErrConsumed) || errors.Is(err, storage.ErrNotFound) {
			e.errorPage(w, r, http.StatusBadRequest, "This sign-in is already done",
				"The second step was finished already, in this browser or another. Go back to the application and sign in again if you need to.")
			return
		}
		e.serverError(w, r, "finish the second step", err)
		return
	}
	if err := e.opts.Sessions.SetStepCookie(ctx, w, "", 0); err != nil {
		e.serverError(w, r, "finish the second step", err)
		return
	}
	// A user disabled or removed since the first step gets no session
	// (SecondFactor refuses them too, but setting up an app does not
	// pass through it).
	switch u, err := e.opts.Store.GetUser(ctx, st.userID); {
	case errors.Is(err, storage.ErrNotFound) || err == nil && u.Disabled:
		e.cannotSignIn(w, r)
		return
	case err != nil:
		e.serverError(w, r, "finish the second step", err)
		return
	}
	e.signedIn(w, r, st.ID, st.ReturnURL, st.clientID, st.userID, amr, st.IDP)
}

// withSecondFactor is amr (the first step's methods) with method and mfa
// added, each once: an upstream provider may have said otp already.
func withSecondFactor(amr []string, method string) []string {
	out := slices.Clone(amr)
	for _, m := range []string{method, AMRMFA} {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// cannotSignIn is the page of a user disabled or removed during the
// sign-in.
func (e *Endpoint) cannotSignIn(w http.ResponseWriter, r *http.Request) {
	e.errorPage(w, r, http.StatusForbidden, "This account cannot sign in",
		"The account was disabled or removed during the sign-in. Ask the administrator.")
}

// encodeSealed and decodeSealed carry a sealed value in a form field.
func encodeSealed(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodeSealed(s string) ([]byte, bool) {
	if s == "" || len(s) > 1024 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return b, err == nil
}
