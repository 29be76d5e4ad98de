package signin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
)

// LinksPath takes the account page's forms of the Linked providers
// section: action=link with provider starts linking another provider
// (through the upstream and back to /signin/<name>/callback), action=unlink
// with issuer and subject removes a link.
const LinksPath = "/account/links"

// accountReturnPath is the account page, where linking returns.
const accountReturnPath = "/account"

// purposeLink is the form token of the Linked providers forms.
const purposeLink = "link"

// postLinks is the Linked providers section's forms: only from a
// signed-in session, with its form token.
func (e *Endpoint) postLinks(w http.ResponseWriter, r *http.Request) {
	if e.opts.Federation == nil {
		e.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no such page.")
		return
	}
	if !e.readForm(w, r) {
		return
	}
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	if s == nil {
		e.errorPage(w, r, http.StatusForbidden, "Sign in first",
			"Linking a provider to your account needs you to be signed in. Your session may have ended: sign in again, then open your account page.")
		return
	}
	f := r.PostForm
	if !s.CheckToken(purposeLink, f.Get("token")) {
		e.staleForm(w, r)
		return
	}
	switch f.Get("action") {
	case "link":
		if !e.recentSignIn(s) {
			// A linked provider is a new way in: only from a recent
			// sign-in. (Its callback needs this session still, bound
			// to the user; the start bounds it to RecentSignIn plus
			// the upstream's 10 minutes.)
			e.refuseOldSignIn(w, r, s, "link")
			return
		}
		name := f.Get("provider")
		st, rp, ok := e.provider(w, r, name)
		if !ok {
			return
		}
		e.redirectUpstream(w, r, st, rp, upstream.StartOptions{Prompt: "select_account"}, upstreamLogin{Provider: name, LinkUser: s.Subject}, accountClientID)
	case "unlink":
		e.unlink(w, r, s.Subject, f.Get("issuer"), f.Get("subject"))
	default:
		e.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "Go back, reload the page and try again.")
	}
}

// unlink removes a link of userID. The last link of a user without a
// password is kept: it is their only way to sign in.
func (e *Endpoint) unlink(w http.ResponseWriter, r *http.Request, userID, issuer, subject string) {
	ctx := r.Context()
	st := e.opts.Federation.Store
	l, err := st.FindUserLink(ctx, issuer, subject)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) || (err == nil && l.UserID != userID) {
		e.errorPage(w, r, http.StatusNotFound, "No such linked provider",
			"That provider is not linked to your account (it may have been removed already). Go back to your account page and reload it.")
		return
	}
	if err != nil {
		e.serverError(w, r, "find the link", err)
		return
	}
	u, err := st.GetUser(ctx, userID)
	if err != nil {
		e.serverError(w, r, "find your account", err)
		return
	}
	links, err := st.ListUserLinks(ctx, userID)
	if err != nil {
		e.serverError(w, r, "list your links", err)
		return
	}
	if u.PasswordHash == "" && len(links) <= 1 {
		e.errorPage(w, r, http.StatusConflict, "This is your only way to sign in",
			"Your account has no password and no other linked provider, so removing this link would lock you out. Link another provider first.")
		return
	}
	if err := st.DeleteUserLink(ctx, issuer, subject); err != nil && !errors.Is(err, storage.ErrNotFound) {
		e.serverError(w, r, "remove the link", err)
		return
	}
	e.log.InfoContext(ctx, "signin: link removed", "sub", userID, "idp", l.Provider)
	http.Redirect(w, r, accountReturnPath, http.StatusSeeOther)
}

// linkFinished links the upstream account of res to userID, who started
// the linking from their account page; the session must still be theirs.
func (e *Endpoint) linkFinished(w http.ResponseWriter, r *http.Request, st2 federation.Settings, res *upstream.Result, userID string) {
	ctx := r.Context()
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	if s == nil || s.Subject != userID {
		e.errorPage(w, r, http.StatusForbidden, "Sign in first",
			"The account this link was started from is no longer signed in in this browser. Sign in again, then link the provider from your account page.")
		return
	}
	st := e.opts.Federation.Store
	err := st.CreateUserLink(ctx, storage.UserLink{Issuer: res.Identity.Issuer, Subject: res.Identity.Subject, Provider: st2.Name, UserID: userID})
	if errors.Is(err, storage.ErrAlreadyExists) {
		l, ferr := st.FindUserLink(ctx, res.Identity.Issuer, res.Identity.Subject)
		if ferr == nil && l.UserID == userID {
			http.Redirect(w, r, accountReturnPath, http.StatusSeeOther)
			return
		}
		e.errorPage(w, r, http.StatusConflict, "Linked to another account",
			fmt.Sprintf("This %s account is linked to another account here already. Sign in with it to use that account, or ask the administrator to remove its link.", st2.Label()))
		return
	}
	if err != nil {
		e.serverError(w, r, "link the provider", err)
		return
	}
	if !e.touchLink(w, r, st2, res, userID) {
		return
	}
	e.log.InfoContext(ctx, "signin: provider linked", "sub", userID, "idp", st2.Name)
	http.Redirect(w, r, accountReturnPath, http.StatusSeeOther)
}
