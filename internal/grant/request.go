package grant

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
)

// MaxRequestBytes bounds a token request body: a client assertion is a few
// kilobytes, and nothing legitimate comes near this.
const MaxRequestBytes = 64 << 10

// singleParameters are the parameters that must not repeat (RFC 6749 §3.2);
// others may (RFC 8707's resource does).
var singleParameters = []string{"grant_type", "scope", "client_id", "client_secret", "client_assertion", "client_assertion_type", "code", "redirect_uri", "code_verifier", "refresh_token"}

// Request is a token request, parsed once so that a grant never reaches
// into the raw form.
type Request struct {
	GrantType string
	Scope     string
	// Client authentication as sent; at most one method is used.
	BasicID, BasicSecret string
	HasBasic             bool
	ClientID             string
	ClientSecret         string
	AssertionType        string
	Assertion            string
	// Form is the whole body, for grants with parameters of their own.
	Form url.Values
}

// ParseRequest reads a token request: a POST with an
// application/x-www-form-urlencoded body of at most MaxRequestBytes, no
// parameter repeated (RFC 6749 §3.2), and an Authorization header that, if
// present, is HTTP Basic.
func ParseRequest(r *http.Request) (*Request, *oauth.Error) {
	if r.Method != http.MethodPost {
		return nil, &oauth.Error{Code: oauth.InvalidRequest, Description: "the token endpoint takes POST requests only (RFC 6749 §3.2)", Status: http.StatusMethodNotAllowed}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request body could not be read")
	}
	if len(body) > MaxRequestBytes {
		return nil, &oauth.Error{Code: oauth.InvalidRequest, Description: fmt.Sprintf("the request body is over %d KiB", MaxRequestBytes>>10), Status: http.StatusRequestEntityTooLarge}
	}
	return parseRequest(r.Header.Get("Content-Type"), r.Header.Values("Authorization"), body)
}

// parseRequest is ParseRequest without the HTTP plumbing, for fuzzing.
func parseRequest(contentType string, authorization []string, body []byte) (*Request, *oauth.Error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request must have Content-Type application/x-www-form-urlencoded (RFC 6749 §4.4.2), not %q", logattr.Cut(contentType))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the form body is malformed: %s", logattr.Cut(err.Error()))
	}
	for _, k := range singleParameters {
		if len(form[k]) > 1 {
			return nil, oauth.Errorf(oauth.InvalidRequest, "parameter %q is repeated; each parameter may be sent once (RFC 6749 section 3.2)", k)
		}
	}
	req := &Request{
		GrantType:     form.Get("grant_type"),
		Scope:         form.Get("scope"),
		ClientID:      form.Get("client_id"),
		ClientSecret:  form.Get("client_secret"),
		AssertionType: form.Get("client_assertion_type"),
		Assertion:     form.Get("client_assertion"),
		Form:          form,
	}
	switch len(authorization) {
	case 0:
	case 1:
		id, secret, err := parseBasic(authorization[0])
		if err != nil {
			return nil, &oauth.Error{Code: oauth.InvalidClient, Description: err.Error(), Status: http.StatusUnauthorized, Challenge: `Basic realm="signet", charset="UTF-8"`}
		}
		req.BasicID, req.BasicSecret, req.HasBasic = id, secret, true
	default:
		return nil, oauth.Errorf(oauth.InvalidRequest, "the Authorization header is repeated")
	}
	return req, nil
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
