package signin

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/session"
)

// LogoutView is the data of logout.html, the confirmation of a logout a
// relying party asked for without an id_token_hint (or one for another
// user), or that the user opened.
type LogoutView struct {
	Layout
	// Token, ClientID, PostLogoutRedirectURI and State go back in hidden
	// fields named token, client_id, post_logout_redirect_uri and state.
	Token, ClientID, PostLogoutRedirectURI, State string
	// ClientName is the application that asked, "" for none.
	ClientName string
}

// LoggedOutView is the data of loggedout.html.
type LoggedOutView struct {
	Layout
}

// logoutRequest is an RP-Initiated Logout request, checked.
type logoutRequest struct {
	client   *client.Client
	redirect string
	state    string
	hint     *IDTokenHint
}

// logoutProblem is a logout request refused: shown on the error page, never
// redirected (no open redirect).
type logoutProblem string

func (p logoutProblem) Error() string { return string(p) }

// checkLogout checks the parameters of a logout request (OpenID Connect
// RP-Initiated Logout 1.0 §2): the hint, the client it names, and the
// post_logout_redirect_uri, exactly one of the client's.
func (e *Endpoint) checkLogout(r *http.Request, f url.Values, hintAllowed bool) (*logoutRequest, error) {
	lr := &logoutRequest{state: f.Get("state")}
	clientID := f.Get("client_id")
	if token := f.Get("id_token_hint"); token != "" && hintAllowed {
		hint, ok := e.verifyHint(r, token, clientID)
		if !ok {
			return nil, logoutProblem("The id_token_hint is not a valid ID token issued by this server to the client named (its client_id). The application must send an ID token it received from Signet.")
		}
		lr.hint = &hint
		clientID = hint.ClientID
	}
	if clientID != "" {
		c, err := e.opts.Validator.Clients.Client(r.Context(), clientID)
		switch {
		case errors.Is(err, client.ErrUnknown):
			return nil, logoutProblem("The application " + quote(clientID) + " is not known to Signet.")
		case err != nil:
			return nil, err
		}
		lr.client = c
	}
	if uri := f.Get("post_logout_redirect_uri"); uri != "" {
		switch {
		case lr.client == nil:
			return nil, logoutProblem("post_logout_redirect_uri is accepted only with an id_token_hint or a client_id naming the application it belongs to.")
		case !slices.Contains(lr.client.PostLogoutRedirectURIs, uri):
			return nil, logoutProblem("post_logout_redirect_uri " + quote(uri) + " is not registered for the application " + quote(lr.client.ID) + " (its postLogoutRedirectUris); it must match one of them exactly.")
		}
		lr.redirect = uri
	}
	return lr, nil
}

func quote(s string) string { return `"` + logattr.Cut(s) + `"` }

// serveEndSession is /connect/endsession.
func (e *Endpoint) serveEndSession(w http.ResponseWriter, r *http.Request) {
	var f url.Values
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			e.errorPage(w, r, http.StatusBadRequest, "The logout request could not be read", "The request's form was malformed or too large.")
			return
		}
		f = r.PostForm
	} else {
		f = r.URL.Query()
	}
	lr, err := e.checkLogout(r, f, true)
	if !e.logoutOK(w, r, err) {
		return
	}
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	// A valid hint of the signed-in user signs out without asking; so does
	// a request when nobody is signed in (there is nobody to protect).
	// Otherwise the user confirms, so that a link on any site cannot sign
	// anyone out.
	if s == nil || lr.hint != nil && lr.hint.Subject == s.Subject {
		e.signOut(w, r, lr)
		return
	}
	v := &LogoutView{Token: s.Token(purposeLogout), PostLogoutRedirectURI: lr.redirect, State: lr.state}
	if lr.client != nil {
		v.ClientID, v.ClientName = lr.client.ID, clientName(lr.client)
	}
	e.render(w, r, http.StatusOK, "logout.html", "Sign out", v)
}

func (e *Endpoint) logoutOK(w http.ResponseWriter, r *http.Request, err error) bool {
	var p logoutProblem
	switch {
	case err == nil:
		return true
	case errors.As(err, &p):
		e.applicationError(w, r, http.StatusBadRequest, "The application's logout request was refused", string(p))
	default:
		e.serverError(w, r, "check the logout request", err)
	}
	return false
}

// session is the request's session (nil when nobody is signed in); false
// when it could not be read, and the error page is written.
func (e *Endpoint) session(w http.ResponseWriter, r *http.Request) (*session.Session, bool) {
	s, err := e.opts.Sessions.Current(r.Context(), r)
	if err != nil {
		e.serverError(w, r, "read the session", err)
		return nil, false
	}
	return s, true
}

// showLogout is the confirmation page opened by the user.
func (e *Endpoint) showLogout(w http.ResponseWriter, r *http.Request) {
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	if s == nil {
		e.showLoggedOut(w, r)
		return
	}
	e.render(w, r, http.StatusOK, "logout.html", "Sign out", &LogoutView{Token: s.Token(purposeLogout)})
}

// postLogout is the confirmation's form.
func (e *Endpoint) postLogout(w http.ResponseWriter, r *http.Request) {
	if !e.readForm(w, r) {
		return
	}
	lr, err := e.checkLogout(r, r.PostForm, false)
	if !e.logoutOK(w, r, err) {
		return
	}
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	if s != nil && !s.CheckToken(purposeLogout, r.PostForm.Get("token")) {
		e.staleForm(w, r)
		return
	}
	e.signOut(w, r, lr)
}

// signOut ends the session (if any), clears its cookie, and sends the
// browser to the client's post-logout URI or the signed-out page.
func (e *Endpoint) signOut(w http.ResponseWriter, r *http.Request, lr *logoutRequest) {
	ended, err := e.opts.Sessions.End(r.Context(), w, r)
	if err != nil {
		e.serverError(w, r, "end the session", err)
		return
	}
	if ended != nil {
		clientID := ""
		if lr.client != nil {
			clientID = lr.client.ID
		}
		e.report(r, observe.Logout, observe.Success, ended.Subject, clientID)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if lr.redirect == "" {
		http.Redirect(w, r, LoggedOutPath, redirectStatus(r))
		return
	}
	target := lr.redirect
	if lr.state != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + url.Values{"state": {lr.state}}.Encode()
	}
	http.Redirect(w, r, target, redirectStatus(r))
}

func (e *Endpoint) showLoggedOut(w http.ResponseWriter, r *http.Request) {
	e.render(w, r, http.StatusOK, "loggedout.html", "Signed out", &LoggedOutView{})
}
