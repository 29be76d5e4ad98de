package signin

import "net/http"

// LinksView is the linked providers section of the account page
// (templates/account_links.html). A placeholder: external providers
// replace this file.
type LinksView struct{}

// linksView is the linked providers section for userID.
func (e *Endpoint) linksView(r *http.Request, userID string) (LinksView, error) {
	return LinksView{}, nil
}
