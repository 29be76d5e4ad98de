package signin

import (
	"net/http"
	"slices"
	"time"

	"github.com/signetid/signet/internal/federation"
)

// LinksView is the data of account_links.html (the account page's
// Linked providers section, its .Links).
type LinksView struct {
	// Token is the forms' token (hidden field token), posted to LinksPath.
	Token string
	// Linked are the user's links, oldest first.
	Linked []LinkView
	// Available are the providers the user may link: every one, since a
	// person may have two accounts at one (Again says one is linked).
	Available []LinkOption
	// Action is LinksPath.
	Action string
	// Reauth, when its URL is set, replaces the Link buttons: the
	// session's sign-in is too old to link another provider.
	Reauth ReauthView
}

// LinkOption is a provider the user may link.
type LinkOption struct {
	Name, Label string
	// Again: the user has an account of this provider linked already.
	Again bool
}

// LinkView is one link.
type LinkView struct {
	// Provider is the provider's label (its name when it is gone).
	Provider string
	// Issuer and Subject identify the link (hidden fields of its unlink
	// form).
	Issuer, Subject   string
	Created, LastUsed time.Time
}

// linksView is the Linked providers section of userID, signed in on r.
// The zero view (no section) without federation.
func (e *Endpoint) linksView(r *http.Request, userID string) (LinksView, error) {
	f := e.opts.Federation
	if f == nil {
		return LinksView{}, nil
	}
	ctx := r.Context()
	s, err := e.opts.Sessions.Current(ctx, r)
	if err != nil || s == nil {
		return LinksView{}, err
	}
	v := LinksView{Token: s.Token(purposeLink), Action: LinksPath, Reauth: e.reauthView(s, "Linking a provider")}
	links, err := f.Store.ListUserLinks(ctx, userID)
	if err != nil {
		return LinksView{}, err
	}
	providers := f.Providers.List()
	linked := map[string]bool{}
	for _, l := range links {
		linked[l.Provider] = true
		label := l.Provider
		if i := slices.IndexFunc(providers, func(p federation.Settings) bool { return p.Name == l.Provider }); i >= 0 {
			label = providers[i].Label()
		}
		v.Linked = append(v.Linked, LinkView{Provider: label, Issuer: l.Issuer, Subject: l.Subject, Created: l.Created, LastUsed: l.LastUsed})
	}
	for _, p := range providers {
		v.Available = append(v.Available, LinkOption{Name: p.Name, Label: p.Label(), Again: linked[p.Name]})
	}
	return v, nil
}
