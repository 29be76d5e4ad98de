package grant

import (
	"net/http"
	"net/url"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/oauth"
)

// MaxRequestBytes bounds a token request body: a client assertion is a few
// kilobytes, and nothing legitimate comes near this.
const MaxRequestBytes = 64 << 10

// singleParameters are the grants' parameters that must not repeat (RFC
// 6749 §3.2; clientauth.Parse checks its own); others may (RFC 8707's
// resource does).
var singleParameters = []string{"grant_type", "scope", "code", "redirect_uri", "code_verifier", "refresh_token"}

// Request is a token request, parsed once so that a grant never reaches
// into the raw HTTP request. The endpoint fills in Issuer, Client and
// AuthMethod before it hands the request to a grant.
type Request struct {
	GrantType string
	Scope     string
	// Credentials are the client authentication as sent.
	Credentials clientauth.Credentials
	// Form is the whole body, for grants with parameters of their own.
	Form url.Values

	// Issuer is the request's issuer.
	Issuer string
	// Client is the authenticated client, allowed the grant type.
	Client *client.Client
	// AuthMethod is how it authenticated (clientauth.None for a public
	// client).
	AuthMethod clientauth.Method
}

// ParseRequest reads a token request: a POST with an
// application/x-www-form-urlencoded body of at most MaxRequestBytes, no
// parameter repeated (RFC 6749 §3.2), and an Authorization header that, if
// present, is HTTP Basic.
func ParseRequest(r *http.Request) (*Request, *oauth.Error) {
	if r.Method != http.MethodPost {
		return nil, &oauth.Error{Code: oauth.InvalidRequest, Description: "the token endpoint takes POST requests only (RFC 6749 §3.2)", Status: http.StatusMethodNotAllowed}
	}
	body, oerr := oauth.ReadBody(r, MaxRequestBytes)
	if oerr != nil {
		return nil, oerr
	}
	return parseRequest(r.Header.Get("Content-Type"), r.Header.Values("Authorization"), body)
}

// parseRequest is ParseRequest without the HTTP plumbing, for fuzzing.
func parseRequest(contentType string, authorization []string, body []byte) (*Request, *oauth.Error) {
	form, cr, oerr := clientauth.ParseForm(contentType, authorization, body, "RFC 6749 §4.4.2", singleParameters)
	if oerr != nil {
		return nil, oerr
	}
	return &Request{GrantType: form.Get("grant_type"), Scope: form.Get("scope"), Credentials: cr, Form: form}, nil
}
