package signin

import "net/http"

// LinksViewOf is linksView, for the tests of package signin_test (the
// account page that renders it is another engineer's).
func (e *Endpoint) LinksViewOf(r *http.Request, userID string) (LinksView, error) {
	return e.linksView(r, userID)
}
