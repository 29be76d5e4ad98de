package signin

import "net/http"

// PasskeysView is the passkeys section of the account page
// (templates/account_passkeys.html). A placeholder: passkeys replace this
// file.
type PasskeysView struct{}

// passkeysView is the passkeys section for userID.
func (e *Endpoint) passkeysView(r *http.Request, userID string) (PasskeysView, error) {
	return PasskeysView{}, nil
}
