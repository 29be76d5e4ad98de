package clientauth

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
)

// Credentials are what a request sent to authenticate its client, as sent:
// an endpoint parses them once (Parse) and hands them to Authenticate.
type Credentials struct {
	// BasicID and BasicSecret are the Authorization header's, when HasBasic.
	BasicID, BasicSecret string
	HasBasic             bool
	// The form's parameters.
	ClientID      string
	ClientSecret  string
	AssertionType string
	Assertion     string
}

// parameters are the form parameters of client authentication; none may
// repeat (RFC 6749 §3.2).
var parameters = []string{"client_id", "client_secret", "client_assertion", "client_assertion_type"}

// challenge is the WWW-Authenticate of a refused Basic header (RFC 6749
// §5.2), as oauth.ClientError sends it.
const challenge = `Basic realm="signet", charset="UTF-8"`

// Parse reads the credentials of a request from its form (client_id,
// client_secret, client_assertion_type, client_assertion, none repeated)
// and its Authorization header values, which may be one HTTP Basic header
// (RFC 6749 §2.3.1). A malformed header is invalid_client (401) with a
// Basic challenge.
func Parse(form url.Values, authorization []string) (Credentials, *oauth.Error) {
	for _, k := range parameters {
		if len(form[k]) > 1 {
			return Credentials{}, oauth.Errorf(oauth.InvalidRequest, "parameter %q is repeated; each parameter may be sent once (RFC 6749 section 3.2)", k)
		}
	}
	cr := Credentials{
		ClientID:      form.Get("client_id"),
		ClientSecret:  form.Get("client_secret"),
		AssertionType: form.Get("client_assertion_type"),
		Assertion:     form.Get("client_assertion"),
	}
	switch len(authorization) {
	case 0:
	case 1:
		id, secret, err := parseBasic(authorization[0])
		if err != nil {
			return Credentials{}, &oauth.Error{Code: oauth.InvalidClient, Description: err.Error(), Status: http.StatusUnauthorized, Challenge: challenge}
		}
		cr.BasicID, cr.BasicSecret, cr.HasBasic = id, secret, true
	default:
		return Credentials{}, oauth.Errorf(oauth.InvalidRequest, "the Authorization header is repeated")
	}
	return cr, nil
}

// parseBasic reads "Basic base64(urlencode(id):urlencode(secret))", the
// encoding of RFC 6749 §2.3.1.
func parseBasic(h string) (id, secret string, err error) {
	scheme, value, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", fmt.Errorf("the Authorization header must use the Basic scheme for client authentication, not %q", logattr.Cut(scheme))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return "", "", fmt.Errorf("the Basic credentials are not valid base64")
	}
	rawID, rawSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", fmt.Errorf("the Basic credentials must be client_id:client_secret")
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", fmt.Errorf("the Basic client_id is not form-url-encoded (RFC 6749 §2.3.1)")
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", fmt.Errorf("the Basic client_secret is not form-url-encoded (RFC 6749 §2.3.1)")
	}
	if id == "" {
		return "", "", fmt.Errorf("the Basic client_id is empty")
	}
	return id, secret, nil
}
