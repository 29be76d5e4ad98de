package signin

import "net/http"

// PasskeysViewOf is passkeysView for the tests of package signin_test,
// which read the account page's passkey section without the page.
func (e *Endpoint) PasskeysViewOf(r *http.Request, userID string) (PasskeysView, error) {
	return e.passkeysView(r, userID)
}
