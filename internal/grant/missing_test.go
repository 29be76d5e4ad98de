package grant

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/testsupport/stores"
)

// A token request without its code or refresh_token misses a required
// parameter: invalid_request (RFC 6749 §5.2), saying which, not
// invalid_grant (which says the grant sent is no good).
func TestMissingGrantParameter(t *testing.T) {
	t.Parallel()
	sf := newSignInFixture(t, stores.All[0].OpenOne(t, nil))
	for _, tc := range []struct {
		form url.Values
		name string
	}{
		{url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {webRedirect}, "code_verifier": {webVerifier}}, "code"},
		{url.Values{"grant_type": {"authorization_code"}, "code": {""}, "redirect_uri": {webRedirect}}, "code"},
		{url.Values{"grant_type": {"refresh_token"}}, "refresh_token"},
	} {
		res := sf.post(tc.form, basic("web", sf.secret))
		desc, _ := res.body["error_description"].(string)
		if res.status != http.StatusBadRequest || res.body["error"] != "invalid_request" || !strings.Contains(desc, tc.name) {
			t.Errorf("%v: %d %v; want invalid_request naming %s", tc.form, res.status, res.body, tc.name)
		}
	}
}
