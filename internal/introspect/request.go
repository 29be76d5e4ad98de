package introspect

import (
	"mime"
	"net/url"

	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
)

// MaxRequestBytes bounds a request body: a token, a hint and the
// resource's credentials (a client assertion is a few kilobytes).
const MaxRequestBytes = 64 << 10

// The token_type_hint values of RFC 7662 §2.1 (RFC 7009 §2.1's registry).
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// request is an introspection request, parsed once.
type request struct {
	Token string
	// Hint is token_type_hint as sent: only an optimisation (RFC 7662
	// §2.1), and a wrong one changes nothing here.
	Hint        string
	Credentials clientauth.Credentials
}

// parseRequest reads an introspection request's body: a form
// (application/x-www-form-urlencoded, RFC 7662 §2.1) with token, and
// optionally token_type_hint, neither repeated, and the resource's
// credentials (clientauth.Parse, which reads the Authorization header).
func parseRequest(contentType string, authorization []string, body []byte) (*request, *oauth.Error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request must have Content-Type application/x-www-form-urlencoded (RFC 7662 section 2.1), not %q", logattr.Cut(contentType))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the form body is malformed: %s", logattr.Cut(err.Error()))
	}
	for _, k := range []string{"token", "token_type_hint"} {
		if len(form[k]) > 1 {
			return nil, oauth.Errorf(oauth.InvalidRequest, "parameter %q is repeated; each parameter may be sent once", k)
		}
	}
	cr, oerr := clientauth.Parse(form, authorization)
	if oerr != nil {
		return nil, oerr
	}
	// A missing token is answered after authentication: a caller that does
	// not authenticate hears only that.
	return &request{Token: form.Get("token"), Hint: form.Get("token_type_hint"), Credentials: cr}, nil
}
