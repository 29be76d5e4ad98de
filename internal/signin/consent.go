package signin

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/observe"
)

// ConsentView is the data of consent.html.
type ConsentView struct {
	Layout
	// ID, Login and Token go back in hidden fields named id, login and
	// token.
	ID, Login, Token string
	// ClientName, ClientURI and ClientLogo describe the application;
	// the last two are "" when it has none.
	ClientName, ClientURI, ClientLogo string
	// IdentityScopes are what the application learns of the user,
	// APIScopes what it may do on the user's behalf.
	IdentityScopes, APIScopes []ScopeView
	// AllowRemember offers "remember my decision" (field remember=on).
	AllowRemember bool
	// Error is what went wrong, "" for none.
	Error string
}

// ScopeView is a scope on the consent page. An optional one is a checkbox
// named scope whose value is Name; a required one is shown ticked and
// disabled, and always granted.
type ScopeView struct {
	Name, DisplayName, Description string
	Required, Emphasize, Checked   bool
}

// scopeView describes the scope name.
func (e *Endpoint) scopeView(name string) (ScopeView, bool) {
	v := ScopeView{Name: name, DisplayName: name, Checked: true}
	identity := name == "openid"
	if e.opts.Scope != nil {
		if info, ok := e.opts.Scope(name); ok {
			if info.DisplayName != "" {
				v.DisplayName = info.DisplayName
			}
			v.Description, v.Required, v.Emphasize = info.Description, info.Required, info.Emphasize
			identity = identity || info.Identity
		}
	}
	v.Required = v.Required || name == "openid"
	return v, identity
}

func (e *Endpoint) consentView(req *authorize.Request, c *client.Client, granted []string) *ConsentView {
	v := &ConsentView{ClientName: clientName(c), AllowRemember: c.AllowRememberConsent}
	if isHTTPS(c.ClientURI) {
		v.ClientURI = c.ClientURI
	}
	if isHTTPS(c.LogoURI) {
		v.ClientLogo = c.LogoURI
	}
	for _, name := range req.Scopes {
		sv, identity := e.scopeView(name)
		if granted != nil && !sv.Required {
			sv.Checked = slices.Contains(granted, name)
		}
		if identity {
			v.IdentityScopes = append(v.IdentityScopes, sv)
		} else {
			v.APIScopes = append(v.APIScopes, sv)
		}
	}
	return v
}

// isHTTPS reports whether s is an https URL, which the page may link to or
// load (the pages' CSP loads images from https only; a javascript: link
// must never be made).
func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

func (e *Endpoint) showConsent(w http.ResponseWriter, r *http.Request) {
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
	if s == nil {
		http.Redirect(w, r, LoginPath+"?"+url.Values{"id": {id}}.Encode(), http.StatusFound)
		return
	}
	v := e.consentView(req, c, nil)
	v.ID, v.Login, v.Token = id, q.Get("login"), s.Token(purposeConsent)
	e.render(w, r, http.StatusOK, "consent.html", "Allow access", v)
}

func (e *Endpoint) postConsent(w http.ResponseWriter, r *http.Request) {
	if !e.readForm(w, r) {
		return
	}
	ctx := r.Context()
	s, ok := e.session(w, r)
	if !ok {
		return
	}
	if s == nil || !s.CheckToken(purposeConsent, r.PostForm.Get("token")) {
		e.staleForm(w, r)
		return
	}
	f := r.PostForm
	id := f.Get("id")
	req, c, ok := e.loadPending(w, r, id)
	if !ok {
		return
	}
	fresh := s.CheckToken(loginProofPurpose(id), f.Get("login"))
	if e.needsLogin(req, s, e.now(), fresh) {
		http.Redirect(w, r, LoginPath+"?"+url.Values{"id": {id}}.Encode(), http.StatusSeeOther)
		return
	}
	switch f.Get("decision") {
	case "deny":
		e.cancel(w, r, id)
		return
	case "allow":
	default:
		e.errorPage(w, r, http.StatusBadRequest, "The form could not be read",
			"Choose Allow or Deny. Go back, reload the page and try again.")
		return
	}
	ticked := f["scope"]
	var granted []string
	for _, name := range req.Scopes {
		sv, _ := e.scopeView(name)
		if sv.Required || slices.Contains(ticked, name) {
			granted = append(granted, name)
		}
	}
	if len(granted) == 0 {
		v := e.consentView(req, c, []string{})
		v.ID, v.Login, v.Token = id, f.Get("login"), s.Token(purposeConsent)
		v.Error = "Choose at least one permission, or deny access."
		e.render(w, r, http.StatusOK, "consent.html", "Allow access", v)
		return
	}
	remember := f.Get("remember") == "on" && c.AllowRememberConsent
	if remember {
		if err := e.opts.Consents.Remember(ctx, s.Subject, c.ID, granted, time.Time{}); err != nil {
			e.serverError(w, r, "remember your decision", err)
			return
		}
	}
	e.report(r, observe.ConsentGiven, observe.Success, s.Subject, c.ID, slog.Any("scopes", granted), slog.Bool("remembered", remember))
	e.complete(w, r, id, s, granted)
}
