package signin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/storage"
)

// AccountPath is the signed-in user's account page.
const AccountPath = "/account"

// purposeAccount is the account page's form token (Session.Token).
const purposeAccount = "account"

// AccountStore is what the account page and the second step of a sign-in
// read and write in storage; storage.Store has it.
type AccountStore interface {
	GetUser(ctx context.Context, id string) (storage.User, error)
	UpdateUser(ctx context.Context, id string, update func(*storage.User) error) error
	ListSessions(ctx context.Context, subject string, now time.Time) ([]storage.Session, error)
	DeleteSession(ctx context.Context, id string) error
	CreateGrant(ctx context.Context, g storage.PersistedGrant) error
	GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
	ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error
	DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error)
}

// AccountView is the data of account.html.
type AccountView struct {
	Layout
	// Token is the form token of every form of the page (hidden field
	// token).
	Token string
	// Name, Username and Email describe the user; Name and Email may be "".
	Name, Username, Email string
	// Notice says what the last action did, "" for nothing; Error what
	// went wrong, "" for nothing.
	Notice, Error string
	// Consents are the remembered consents, oldest first.
	Consents []ConsentItem
	// Sessions are the user's active sessions, oldest first; one is
	// Current.
	Sessions []SessionItem
	// OtherSessions says that there is a session besides this one.
	OtherSessions bool
	// MFA is the second factor section.
	MFA MFAView
	// Passkeys and Links are the sections of passkeys and linked
	// providers (passkeys_view.go, links_view.go).
	Passkeys PasskeysView
	Links    LinksView
}

// ConsentItem is a remembered consent on the account page; revoking it
// posts action=revoke-consent and client=ClientID.
type ConsentItem struct {
	ClientID, ClientName string
	// Scopes are the scopes' display names.
	Scopes  []string
	Created time.Time
}

// SessionItem is an active session on the account page; ending it posts
// action=end-session and session=ID.
type SessionItem struct {
	// ID is the session's id (the sid claim: a hash, not the cookie).
	ID string
	// Current is the session of the browser showing the page.
	Current bool
	// Created is when it began, AuthTime when the user last authenticated
	// in it.
	Created, AuthTime time.Time
	// Methods says how (from the amr), IdP where ("" for this server).
	Methods, IdP string
	// Clients are the applications signed in through it, by name.
	Clients []string
}

// methodNames are the words for amr values (RFC 8176) on the page.
var methodNames = map[string]string{
	"pwd": "password", "otp": "authenticator code", "hwk": "security key", "swk": "passkey",
	"user": "user presence", "pin": "PIN", "fpt": "fingerprint", "face": "face", AMRExternal: "another provider",
}

func describeAMR(amr []string) string {
	var out []string
	for _, m := range amr {
		switch name, ok := methodNames[m]; {
		case m == AMRMFA:
			// Said by the others: two of them.
		case ok:
			out = append(out, name)
		default:
			out = append(out, m)
		}
	}
	switch len(out) {
	case 0:
		return "an unknown method"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// localReturnURL checks the returnUrl of a login made for the account
// pages: a path under /account (not the login or logout pages), clean,
// with no scheme, host or backslash, so that it can only ever lead back to
// this server's account pages. "" and false otherwise.
func localReturnURL(s string) (string, bool) {
	if s == "" || len(s) > 512 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\x00\r\n\t") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || u.Fragment != "" || u.RawPath != "" {
		return "", false
	}
	p := u.Path
	if path.Clean(p) != p || (p != AccountPath && !strings.HasPrefix(p, AccountPath+"/")) {
		return "", false
	}
	if p == LoginPath || strings.HasPrefix(p, LoginPath+"/") || p == LogoutPath || p == LoggedOutPath {
		return "", false
	}
	return u.String(), true
}

// accountLogin sends the browser to the login page for returnURL, a local
// one.
func accountLogin(w http.ResponseWriter, r *http.Request, returnURL string) {
	http.Redirect(w, r, LoginPath+"?"+url.Values{"returnUrl": {returnURL}}.Encode(), redirectStatus(r))
}

func (e *Endpoint) showAccount(w http.ResponseWriter, r *http.Request) {
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	if s == nil {
		accountLogin(w, r, AccountPath)
		return
	}
	e.renderAccount(w, r, s, http.StatusOK, notices[r.URL.Query().Get("done")], "")
}

// notices are what the account page says after an action, by the code in
// its done parameter: fixed texts, so that a link cannot make the page say
// anything else.
var notices = map[string]string{
	"consent-revoked":   "The application no longer has access: it will ask you again next time.",
	"consent-none":      "That application had no access to revoke.",
	"session-ended":     "Signed out of that session.",
	"session-gone":      "That session had ended already.",
	"sessions-ended":    "Signed out of your other sessions.",
	"totp-on":           "Two-step sign-in is on.",
	"totp-off":          "Two-step sign-in is off.",
	"recovery-replaced": "New recovery codes were made; the old ones no longer work.",
	"passkey-added":     "The passkey was added: you can sign in with it now.",
	"passkey-removed":   "The passkey was removed: it can no longer sign in.",
	"passkey-renamed":   "The passkey was renamed.",
}

// renderAccount shows the account page of s's user with notice or error.
func (e *Endpoint) renderAccount(w http.ResponseWriter, r *http.Request, s *session.Session, status int, notice, errMsg string) {
	v, err := e.accountView(r, s)
	if errors.Is(err, storage.ErrNotFound) {
		// The user was removed: the session means nothing any more.
		if _, err := e.opts.Sessions.End(r.Context(), w, r); err != nil {
			e.serverError(w, r, "end the session", err)
			return
		}
		accountLogin(w, r, AccountPath)
		return
	}
	if err != nil {
		e.serverError(w, r, "show your account", err)
		return
	}
	v.Notice, v.Error = notice, errMsg
	e.render(w, r, status, "account.html", "Your account", v)
}

func (e *Endpoint) accountView(r *http.Request, s *session.Session) (*AccountView, error) {
	ctx := r.Context()
	u, err := e.opts.Store.GetUser(ctx, s.Subject)
	if err != nil {
		return nil, err
	}
	v := &AccountView{Token: s.Token(purposeAccount), Name: u.Name, Username: u.Username, Email: u.Email}
	v.Layout.Wide = true
	consents, err := e.opts.Consents.List(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range consents {
		item := ConsentItem{ClientID: c.ClientID, ClientName: c.ClientID, Created: c.Created}
		if cl, err := e.opts.Validator.Clients.Client(ctx, c.ClientID); err == nil {
			item.ClientName = clientName(cl)
		} else if !errors.Is(err, client.ErrUnknown) {
			return nil, err
		}
		for _, name := range c.Scopes {
			sv, _ := e.scopeView(name)
			item.Scopes = append(item.Scopes, sv.DisplayName)
		}
		v.Consents = append(v.Consents, item)
	}
	sessions, err := e.opts.Store.ListSessions(ctx, u.ID, e.now())
	if err != nil {
		return nil, err
	}
	for _, rec := range sessions {
		item := SessionItem{ID: rec.ID, Current: rec.ID == s.ID, Created: rec.Created, AuthTime: rec.AuthTime,
			Methods: describeAMR(rec.AMR), IdP: rec.IdP}
		for _, id := range rec.Clients {
			name := id
			if cl, err := e.opts.Validator.Clients.Client(ctx, id); err == nil {
				name = clientName(cl)
			}
			item.Clients = append(item.Clients, name)
		}
		v.OtherSessions = v.OtherSessions || !item.Current
		v.Sessions = append(v.Sessions, item)
	}
	if v.MFA, err = e.mfaView(u); err != nil {
		return nil, err
	}
	v.MFA.Reauth = e.reauthView(s, "Setting up an authenticator app")
	if v.Passkeys, err = e.passkeysView(r, u.ID); err != nil {
		return nil, err
	}
	if v.Links, err = e.linksView(r, u.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// postAccount runs one action of the account page's forms.
func (e *Endpoint) postAccount(w http.ResponseWriter, r *http.Request) {
	if !e.readForm(w, r) {
		return
	}
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	if s == nil {
		// Signed out meanwhile (or elsewhere): sign in again, then the
		// page shows the state the action would have changed.
		accountLogin(w, r, AccountPath)
		return
	}
	if !s.CheckToken(purposeAccount, r.PostForm.Get("token")) {
		e.staleForm(w, r)
		return
	}
	ctx := r.Context()
	f := r.PostForm
	switch action := f.Get("action"); action {
	case "revoke-consent":
		e.revokeConsent(w, r, s, f.Get("client"))
	case "end-session":
		e.endSession(w, r, s, f.Get("session"))
	case "end-other-sessions":
		if _, err := e.endOtherSessions(ctx, s); err != nil {
			e.serverError(w, r, "sign out your other sessions", err)
			return
		}
		e.accountDone(w, r, "sessions-ended")
	case "totp-begin", "totp-confirm", "totp-disable", "recovery-regenerate":
		e.mfaAction(w, r, s, action)
	default:
		e.errorPage(w, r, http.StatusBadRequest, "The form could not be read",
			"The account page sent an action Signet does not know. Go back, reload the page and try again.")
	}
}

// accountDone sends the browser back to the account page with the notice
// of code (notices), after a POST (303: a reload does not post the form
// again).
func (e *Endpoint) accountDone(w http.ResponseWriter, r *http.Request, code string) {
	http.Redirect(w, r, AccountPath+"?"+url.Values{"done": {code}}.Encode(), http.StatusSeeOther)
}

// revokedWithConsent are the grants of a user at a client that revoking
// the consent revokes too, as IdentityServer's grants page does: what the
// client holds on the user's behalf, so that it must ask again.
var revokedWithConsent = []string{storage.GrantRefreshToken, storage.GrantReferenceToken, storage.GrantAuthorizationCode}

// revokeConsent forgets the consent of s's user at clientID, and revokes
// the client's refresh tokens, reference tokens and codes for the user.
func (e *Endpoint) revokeConsent(w http.ResponseWriter, r *http.Request, s *session.Session, clientID string) {
	ctx := r.Context()
	if clientID == "" {
		e.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "No application was named. Go back, reload the page and try again.")
		return
	}
	had, err := e.opts.Consents.Revoke(ctx, s.Subject, clientID)
	if err != nil {
		e.serverError(w, r, "revoke the access", err)
		return
	}
	revoked := 0
	for _, typ := range revokedWithConsent {
		n, err := e.opts.Store.DeleteGrants(ctx, storage.PersistedGrantFilter{Subject: s.Subject, ClientID: clientID, Type: typ})
		if err != nil {
			e.serverError(w, r, "revoke the application's tokens", err)
			return
		}
		revoked += n
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "signin: consent revoked on the account page", slog.String("sub", s.Subject),
		logattr.String("client_id", clientID), slog.Int("grants", revoked))
	e.report(r, observe.ConsentRevoked, observe.Success, s.Subject, clientID, slog.Bool("had_consent", had), slog.Int("grants_revoked", revoked))
	if !had && revoked == 0 {
		e.accountDone(w, r, "consent-none")
		return
	}
	e.accountDone(w, r, "consent-revoked")
}

// endSession ends one of the user's sessions; the current one is a sign
// out.
func (e *Endpoint) endSession(w http.ResponseWriter, r *http.Request, s *session.Session, id string) {
	ctx := r.Context()
	if id == s.ID {
		if _, err := e.opts.Sessions.End(ctx, w, r); err != nil {
			e.serverError(w, r, "sign you out", err)
			return
		}
		e.report(r, observe.Logout, observe.Success, s.Subject, "", slog.String("from", "account"))
		http.Redirect(w, r, LoggedOutPath, http.StatusSeeOther)
		return
	}
	sessions, err := e.opts.Store.ListSessions(ctx, s.Subject, e.now())
	if err != nil {
		e.serverError(w, r, "list your sessions", err)
		return
	}
	// Only a session of this user: the id comes from the form.
	if !slices.ContainsFunc(sessions, func(x storage.Session) bool { return x.ID == id }) {
		e.accountDone(w, r, "session-gone")
		return
	}
	if err := e.opts.Store.DeleteSession(ctx, id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		e.serverError(w, r, "end the session", err)
		return
	}
	e.report(r, observe.Logout, observe.Success, s.Subject, "", slog.String("from", "account"), slog.String("session", "other"))
	e.accountDone(w, r, "session-ended")
}

// endOtherSessions ends every session of s's user but s.
func (e *Endpoint) endOtherSessions(ctx context.Context, s *session.Session) (int, error) {
	sessions, err := e.opts.Store.ListSessions(ctx, s.Subject, e.now())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range sessions {
		if x.ID == s.ID {
			continue
		}
		if err := e.opts.Store.DeleteSession(ctx, x.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}
