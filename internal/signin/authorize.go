package signin

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/tokens"
)

// Purposes of the session tokens: loginProof ties a pending request to the
// sign-in made for it (so that prompt=login and max_age cannot be skipped
// by going to the callback with an older session), the others are the
// forms' tokens against cross-site request forgery.
const (
	purposeLogin   = "login"
	purposeConsent = "consent"
	purposeLogout  = "logout"
)

func loginProofPurpose(id string) string { return "login-proof:" + id }

// serveAuthorize is /connect/authorize: parse and validate, then decide
// between answering at once (a session that needs neither a login nor
// consent, or prompt=none) and the pages.
func (e *Endpoint) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	issuer := endpoint.Issuer(ctx)
	req, err := authorize.Parse(r)
	if err == nil {
		err = e.opts.Validator.Validate(ctx, issuer, req)
	}
	if err != nil {
		e.authorizeError(w, r, err)
		return
	}
	now := e.now()
	s, err := e.opts.Sessions.Recent(ctx, r)
	if err == nil && s != nil && !s.Confirmed() {
		// A session remembered from an earlier request (not read now):
		// enough to issue a code, since the code's insert checks that the
		// session is still live (issue); any other answer is decided on
		// the stored session.
		if e.straightToCode(r, req, s, now) {
			e.issue(w, r, req, req.Client, s, req.Scopes)
			return
		}
		s, err = e.opts.Sessions.Current(ctx, r)
	}
	if err != nil {
		e.respond(w, r, req.ErrorResponse(issuer, oauth.Errorf(oauth.TemporarilyUnavailable, "the session could not be read; try again")), err)
		return
	}
	needLogin := e.needsLogin(req, s, now, false)
	if !needLogin && req.IDTokenHint != "" {
		// A hint naming another user than the one signed in: with
		// prompt=none that is login_required (OpenID Connect Core
		// §3.1.2.1); otherwise the login page lets the right one sign in.
		hint, ok := e.verifyHint(r, req.IDTokenHint, req.ClientID)
		if !ok || hint.Subject != s.Subject {
			needLogin = true
		}
	}
	if req.Prompt.None {
		if needLogin {
			e.loginRequired(w, r, req)
			return
		}
		need, err := e.needsConsent(r, req, req.Client, s.Subject)
		if err != nil {
			e.respond(w, r, req.ErrorResponse(issuer, oauth.Errorf(oauth.TemporarilyUnavailable, "the remembered consent could not be read; try again")), err)
			return
		}
		if need {
			e.respond(w, r, req.ErrorResponse(issuer, oauth.Errorf(oauth.ConsentRequired, "the user has not consented to this client's scopes, and prompt=none forbids showing the consent page")), nil)
			return
		}
		e.issue(w, r, req, req.Client, s, req.Scopes)
		return
	}
	if !needLogin {
		need, err := e.needsConsent(r, req, req.Client, s.Subject)
		if err != nil {
			e.respond(w, r, req.ErrorResponse(issuer, oauth.Errorf(oauth.TemporarilyUnavailable, "the remembered consent could not be read; try again")), err)
			return
		}
		if !need {
			e.issue(w, r, req, req.Client, s, req.Scopes)
			return
		}
	}
	e.toPages(w, r, req, needLogin)
}

// straightToCode reports whether the session s, as remembered, lets
// req have its code at once: no login, no id_token_hint to check against
// it, no consent to ask.
func (e *Endpoint) straightToCode(r *http.Request, req *authorize.Request, s *session.Session, now time.Time) bool {
	if e.needsLogin(req, s, now, false) || req.IDTokenHint != "" {
		return false
	}
	need, err := e.needsConsent(r, req, req.Client, s.Subject)
	return err == nil && !need
}

// loginRequired answers a prompt=none request that needs a login.
func (e *Endpoint) loginRequired(w http.ResponseWriter, r *http.Request, req *authorize.Request) {
	e.respond(w, r, req.ErrorResponse(endpoint.Issuer(r.Context()), oauth.Errorf(oauth.LoginRequired, "the user is not signed in (or must sign in again), and prompt=none forbids showing the login page")), nil)
}

// toPages keeps req and sends the browser to the login page (or the
// identity provider acr_values names) when needLogin, else to the consent
// page.
func (e *Endpoint) toPages(w http.ResponseWriter, r *http.Request, req *authorize.Request, needLogin bool) {
	ctx := r.Context()
	issuer := endpoint.Issuer(ctx)
	id, err := e.opts.Pending.Save(ctx, req, e.now())
	if err != nil {
		e.respond(w, r, req.ErrorResponse(issuer, oauth.Errorf(oauth.TemporarilyUnavailable, "the sign-in request could not be stored; try again")), err)
		return
	}
	q := url.Values{"id": {id}}
	target := LoginPath
	if !needLogin {
		target = ConsentPath
	} else if idp := e.idpHint(issuer, req.ACRValues); idp != "" {
		target = FederationPath + url.PathEscape(idp)
	}
	http.Redirect(w, r, target+"?"+q.Encode(), redirectStatus(r))
}

// redirectStatus is the status that sends the browser on with a GET: 302
// after a GET, 303 after a POST (never 307, which would post the form
// again elsewhere).
func redirectStatus(r *http.Request) int {
	if r.Method == http.MethodPost {
		return http.StatusSeeOther
	}
	return http.StatusFound
}

// authorizeError answers a request Parse or Validate refused: the error page
// for a PageError, the client's redirect URI for a RedirectError.
func (e *Endpoint) authorizeError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *authorize.PageError
	var re *authorize.RedirectError
	switch {
	case errors.As(err, &pe):
		status := pe.Err.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		e.log.LogAttrs(r.Context(), slog.LevelInfo, "signin: authorization request refused",
			slog.String("error", pe.Err.Code), logattr.Text("description", pe.Err.Description))
		e.applicationError(w, r, status, "The application sent a request "+e.pages.layout.ProductName+" cannot accept", pe.Err.Description)
	case errors.As(err, &re):
		e.respond(w, r, re.Response, nil)
	default:
		e.serverError(w, r, "check the sign-in request", err)
	}
}

// needsLogin reports whether the user must sign in (again) for req: no
// session, prompt=login (or select_account: one account per session),
// or a session older than max_age. fresh says the session was started by a
// login for this very request, which satisfies all of them.
func (e *Endpoint) needsLogin(req *authorize.Request, s *session.Session, now time.Time, fresh bool) bool {
	switch {
	case s == nil:
		return true
	case mfaRequired(req) && !hasMFA(s.AMR):
		// A step up: the client requires a second factor, or acr_values
		// asks for one, and this session's login had none.
		return true
	case fresh:
		return false
	case req.Prompt.Login, req.Prompt.SelectAccount:
		return true
	case req.HasMaxAge && (req.MaxAge == 0 || now.Sub(s.AuthTime) > req.MaxAge):
		return true
	}
	return false
}

// needsConsent reports whether subject must consent to req at c:
// prompt=consent, or a client that requires consent and no remembered
// consent covering the scopes.
func (e *Endpoint) needsConsent(r *http.Request, req *authorize.Request, c *client.Client, subject string) (bool, error) {
	if req.Prompt.Consent {
		return true, nil
	}
	if !c.RequireConsent {
		return false, nil
	}
	got, ok, err := e.opts.Consents.Get(r.Context(), subject, c.ID)
	if err != nil {
		return false, err
	}
	return !ok || !got.Covers(req.Scopes), nil
}

// verifyHint verifies an id_token_hint and checks that it was issued to
// clientID.
func (e *Endpoint) verifyHint(r *http.Request, token, clientID string) (IDTokenHint, bool) {
	if e.opts.VerifyIDTokenHint == nil {
		return IDTokenHint{}, false
	}
	hint, err := e.opts.VerifyIDTokenHint(r.Context(), token)
	if err != nil {
		e.log.LogAttrs(r.Context(), slog.LevelInfo, "signin: id_token_hint refused", slog.String("error", err.Error()))
		return IDTokenHint{}, false
	}
	if clientID != "" && hint.ClientID != clientID {
		e.log.LogAttrs(r.Context(), slog.LevelInfo, "signin: id_token_hint refused: issued to another client",
			logattr.String("aud", hint.ClientID), logattr.String("client_id", clientID))
		return IDTokenHint{}, false
	}
	return hint, true
}

// serveCallback resumes a pending request after the login page: it sends
// the browser back to the login or consent page when one is still needed,
// else completes the request and answers the client.
func (e *Endpoint) serveCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		// A HEAD (a link checker, a prefetch) must not complete the
		// request: only the browser's GET does.
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	q := r.URL.Query()
	id := q.Get("id")
	req, c, ok := e.loadPending(w, r, id)
	if !ok {
		return
	}
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	proof := q.Get("login")
	fresh := s != nil && s.CheckToken(loginProofPurpose(id), proof)
	if e.needsLogin(req, s, e.now(), fresh) {
		http.Redirect(w, r, LoginPath+"?"+url.Values{"id": {id}}.Encode(), http.StatusFound)
		return
	}
	need, err := e.needsConsent(r, req, c, s.Subject)
	if err != nil {
		e.serverError(w, r, "read the remembered consent", err)
		return
	}
	if need {
		v := url.Values{"id": {id}}
		if fresh {
			v.Set("login", proof)
		}
		http.Redirect(w, r, ConsentPath+"?"+v.Encode(), http.StatusFound)
		return
	}
	e.complete(w, r, id, s, req.Scopes)
}

// loadPending loads the pending request id and its client, or shows the
// error page.
func (e *Endpoint) loadPending(w http.ResponseWriter, r *http.Request, id string) (*authorize.Request, *client.Client, bool) {
	if id == "" {
		e.errorPage(w, r, http.StatusBadRequest, "Start from the application",
			"This page is part of signing in to an application. Open the application you want to use; it will send you here.")
		return nil, nil, false
	}
	req, err := e.opts.Pending.Load(r.Context(), id, e.now())
	if !e.pendingOK(w, r, err) {
		return nil, nil, false
	}
	c, err := e.opts.Validator.Clients.Client(r.Context(), req.ClientID)
	if err != nil {
		if errors.Is(err, client.ErrUnknown) {
			e.errorPage(w, r, http.StatusBadRequest, "The application is no longer available",
				"The application that asked you to sign in has been removed or disabled since. Go back to it and start again, or ask its administrator.")
			return nil, nil, false
		}
		e.serverError(w, r, "find the application", err)
		return nil, nil, false
	}
	req.Client = c
	return req, c, true
}

// pendingOK shows the error page for an error of Pending.Load or Complete.
func (e *Endpoint) pendingOK(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, authorize.ErrNotFound):
		e.errorPage(w, r, http.StatusBadRequest, "This sign-in has expired",
			"The sign-in request was not found: it expired, or the link is incomplete. Go back to the application and sign in again.")
	case errors.Is(err, authorize.ErrCompleted):
		e.errorPage(w, r, http.StatusBadRequest, "This sign-in is already done",
			"This sign-in request was completed already. Go back to the application and sign in again if you need to.")
	default:
		e.serverError(w, r, "read the sign-in request", err)
	}
	return false
}

// complete consumes the pending request id, once, and issues its code for
// scopes.
func (e *Endpoint) complete(w http.ResponseWriter, r *http.Request, id string, s *session.Session, scopes []string) {
	req, err := e.opts.Pending.Complete(r.Context(), id, e.now())
	if !e.pendingOK(w, r, err) {
		return
	}
	c, err := e.opts.Validator.Clients.Client(r.Context(), req.ClientID)
	if err != nil {
		if errors.Is(err, client.ErrUnknown) {
			e.errorPage(w, r, http.StatusBadRequest, "The application is no longer available",
				"The application that asked you to sign in has been removed or disabled since.")
			return
		}
		e.serverError(w, r, "find the application", err)
		return
	}
	req.Client = c
	e.issue(w, r, req, c, s, scopes)
}

// issue issues the code of req for scopes to the user of s and answers the
// client.
func (e *Endpoint) issue(w http.ResponseWriter, r *http.Request, req *authorize.Request, c *client.Client, s *session.Session, scopes []string) {
	ctx := r.Context()
	issuer := endpoint.Issuer(ctx)
	a := tokens.Authorization{
		ClientID: c.ID, Subject: s.Subject, SessionID: s.ID, Scopes: scopes, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod,
		AuthTime: s.AuthTime, AMR: slices.Clone(s.AMR), ACR: acrOf(req.ACRValues, s.AMR),
	}
	if req.RedirectURISent {
		a.RedirectURI = req.RedirectURI
	}
	code, err := e.opts.Tokens.IssueCode(ctx, a, c.AuthorizationCodeLifetime)
	if errors.Is(err, tokens.ErrSessionEnded) {
		// Ended since it was read or remembered (a logout elsewhere, the
		// CLI, the account page): the user signs in again.
		e.log.LogAttrs(ctx, slog.LevelInfo, "signin: the session ended before its code was issued; the user signs in again",
			logattr.String("client_id", c.ID))
		e.opts.Sessions.Forget(s)
		if req.Prompt.None {
			e.loginRequired(w, r, req)
		} else {
			e.toPages(w, r, req, true)
		}
		return
	}
	if err != nil {
		e.respond(w, r, req.ErrorResponse(issuer, oauth.Errorf(oauth.TemporarilyUnavailable, "the authorization code could not be stored; try again")), err)
		return
	}
	// Not the answer's own write: an outage that fails it does not make
	// the request one "answered 503" (the code is issued).
	if err := e.opts.Sessions.AddClient(endpoint.WithoutRequest(ctx), s, c.ID); err != nil {
		// The code is issued; a session that ended meanwhile only means
		// this client is not told at logout.
		e.log.LogAttrs(ctx, outage.Level(err, slog.LevelWarn), "signin: record the client in the session", slog.String("error", err.Error()), logattr.String("client_id", c.ID))
	}
	e.respond(w, r, req.CodeResponse(issuer, code), nil)
}

// respond answers the client: a redirect in query mode, the form_post
// page otherwise. cause, when set, is logged (a server-side failure behind
// the response's error).
func (e *Endpoint) respond(w http.ResponseWriter, r *http.Request, resp *authorize.Response, cause error) {
	if cause != nil {
		e.log.LogAttrs(r.Context(), outage.Level(cause, slog.LevelError), "signin: authorization failed", slog.String("error", cause.Error()),
			slog.String("request_id", endpoint.RequestID(r.Context())))
	}
	if resp.Mode == authorize.ModeFormPost {
		page, err := resp.FormPost()
		if err != nil {
			e.serverError(w, r, "write the response page", err)
			return
		}
		setPageHeaders(w.Header(), resp.FormPostCSP())
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(page)
		}
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, resp.Location(), redirectStatus(r))
}
