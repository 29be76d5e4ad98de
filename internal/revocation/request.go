package revocation

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/oauth"
)

// MaxRequestBytes bounds a revocation request body: a token and a client
// assertion are a few kilobytes.
const MaxRequestBytes = 64 << 10

// singleParameters must not repeat (RFC 6749 §3.2, which RFC 7009 §2.1
// follows); clientauth.Parse checks its own.
var singleParameters = []string{"token", "token_type_hint"}

// Request is a revocation request, parsed once.
type Request struct {
	// Token is the token to revoke, as sent.
	Token string
	// TokenTypeHint is token_type_hint, "" when none was sent; a value
	// other than HintAccessToken and HintRefreshToken is kept, and
	// ignored.
	TokenTypeHint string
	// Credentials are the client authentication as sent.
	Credentials clientauth.Credentials
}

// ParseRequest reads a revocation request: a POST with an
// application/x-www-form-urlencoded body of at most MaxRequestBytes, no
// parameter repeated, and an Authorization header that, if present, is
// HTTP Basic.
func ParseRequest(r *http.Request) (*Request, *oauth.Error) {
	if r.Method != http.MethodPost {
		return nil, &oauth.Error{Code: oauth.InvalidRequest, Description: "the revocation endpoint takes POST requests only (RFC 7009 section 2.1)", Status: http.StatusMethodNotAllowed}
	}
	body, oerr := oauth.ReadBody(r, MaxRequestBytes)
	if oerr != nil {
		return nil, oerr
	}
	return parseRequest(r.Header.Get("Content-Type"), r.Header.Values("Authorization"), body)
}

// parseRequest is ParseRequest without the HTTP plumbing, for fuzzing.
func parseRequest(contentType string, authorization []string, body []byte) (*Request, *oauth.Error) {
	form, cr, oerr := clientauth.ParseForm(contentType, authorization, body, "RFC 7009 section 2.1", singleParameters)
	if oerr != nil {
		return nil, oerr
	}
	return &Request{Token: form.Get("token"), TokenTypeHint: form.Get("token_type_hint"), Credentials: cr}, nil
}

// LooksLikeJWT reports whether token is a JWS in compact form (RFC 7515
// §7.1): three base64url parts separated by dots, the first a JSON object
// (the header). Signet's handles are one base64url part.
func LooksLikeJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, p := range parts {
		if _, err := base64.RawURLEncoding.DecodeString(p); err != nil {
			return false
		}
	}
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	return json.Unmarshal(header, &h) == nil && h != nil
}
