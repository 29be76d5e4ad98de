package signin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/signetid/signet/internal/session"
)

// RecentSignIn is how old a session's sign-in (its auth_time) may be for
// the session to add a way to sign in to the account: set up an
// authenticator app, register a passkey, link an external provider.
// Otherwise a session left open on a shared computer, or stolen, could
// add the attacker's own way in, which would outlive the session. Signing
// in again (any way: a password and its second step, a passkey, a
// provider) starts a new session whose sign-in is recent. It is fixed, not
// an option: it bounds a few clicks after signing in, which no
// deployment needs to stretch, and it is short enough to bound what an
// unattended browser allows.
const RecentSignIn = 10 * time.Minute

// signInAgainURL is the login page for the account pages: a new sign-in,
// even with a session present, that comes back to /account.
var signInAgainURL = LoginPath + "?" + url.Values{"returnUrl": {AccountPath}}.Encode()

// reauthMessage is what the account page (and the passkey script) says of
// an action refused for an old sign-in.
var reauthMessage = fmt.Sprintf("To add a way to sign in, you must have signed in within the last %d minutes. Sign in again, then come back here: this keeps someone who finds your session open from adding their own.",
	int(RecentSignIn/time.Minute))

// ReauthView is what a section of the account page shows instead of its
// form that adds a way to sign in, when the session's sign-in is older
// than RecentSignIn: Message, and a link to URL, "Sign in again". The
// zero value (URL "") shows the form.
type ReauthView struct {
	URL, Message string
}

// recentSignIn reports whether s's user signed in within RecentSignIn. A
// sign-in time a little ahead of this instance's clock (another
// instance's) counts as recent.
func (e *Endpoint) recentSignIn(s *session.Session) bool {
	return e.now().Sub(s.AuthTime) <= RecentSignIn
}

// reauthView is the ReauthView of the account page's section whose form
// does what (a phrase: "Adding a passkey") for s.
func (e *Endpoint) reauthView(s *session.Session, what string) ReauthView {
	if s == nil || e.recentSignIn(s) {
		return ReauthView{}
	}
	return ReauthView{URL: signInAgainURL, Message: fmt.Sprintf(
		"%s needs a sign-in from the last %d minutes, so that nobody who finds your session open can add their own way in. Sign in again, then come back here.",
		what, int(RecentSignIn/time.Minute))}
}

// refuseOldSignIn answers an account page's form that adds a way to sign
// in from a session whose sign-in is not recent: the account page (403)
// with the message, whose sections now offer "Sign in again".
func (e *Endpoint) refuseOldSignIn(w http.ResponseWriter, r *http.Request, s *session.Session, what string) {
	e.log.InfoContext(r.Context(), "signin: refused for an old sign-in", "sub", s.Subject, "action", what,
		"auth_time", s.AuthTime.UTC().Format(time.RFC3339))
	e.renderAccount(w, r, s, http.StatusForbidden, "", reauthMessage)
}

// ReauthRequired is the error code of a passkey registration endpoint's
// JSON answer refused for an old sign-in.
const ReauthRequired = "reauthentication_required"

// passkeyReauth answers a passkey registration endpoint refused for an old
// sign-in: 403 {"error": "reauthentication_required", "message": ...,
// "signIn": the login page that comes back to the account page}.
func passkeyReauth(w http.ResponseWriter) {
	b, _ := json.Marshal(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		SignIn  string `json:"signIn"`
	}{ReauthRequired, reauthMessage, signInAgainURL})
	passkeyJSON(w, http.StatusForbidden, b)
}
