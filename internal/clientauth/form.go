package clientauth

import (
	"mime"
	"net/url"

	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
)

// ParseForm reads the body of a request to an endpoint where clients
// authenticate in a form (token, revocation): Content-Type
// application/x-www-form-urlencoded, a well-formed form, none of single
// repeated (RFC 6749 §3.2), and the client's credentials (Parse). spec
// names the section that asks for the form, for the Content-Type error.
// The values quoted back are cut (logattr.Cut): they come from outside.
func ParseForm(contentType string, authorization []string, body []byte, spec string, single []string) (url.Values, Credentials, *oauth.Error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, Credentials{}, oauth.Errorf(oauth.InvalidRequest, "the request must have Content-Type application/x-www-form-urlencoded (%s), not %q", spec, logattr.Cut(contentType))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, Credentials{}, oauth.Errorf(oauth.InvalidRequest, "the form body is malformed: %s", logattr.Cut(err.Error()))
	}
	for _, k := range single {
		if len(form[k]) > 1 {
			return nil, Credentials{}, oauth.Errorf(oauth.InvalidRequest, "parameter %q is repeated; each parameter may be sent once (RFC 6749 section 3.2)", k)
		}
	}
	cr, oerr := Parse(form, authorization)
	if oerr != nil {
		return nil, Credentials{}, oerr
	}
	return form, cr, nil
}
