package userinfo

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/signetid/signet/internal/logattr"
)

// MaxRequestBytes bounds a POST body: an access token and little else.
const MaxRequestBytes = 64 << 10

// Bearer token errors of RFC 6750 §3.1.
const (
	InvalidRequest    = "invalid_request"
	InvalidToken      = "invalid_token"
	InsufficientScope = "insufficient_scope"
)

// bearerError is an RFC 6750 §3 error: its status follows the code, and
// Code "" is the bare challenge of a request that sent no token.
type bearerError struct {
	Code        string
	Description string
	// Scope is the scope needed, for insufficient_scope.
	Scope string
	// Cause is for the log, never sent.
	Cause error
}

func (e *bearerError) status() int {
	switch e.Code {
	case InvalidRequest:
		return http.StatusBadRequest
	case InsufficientScope:
		return http.StatusForbidden
	case "server_error":
		return http.StatusInternalServerError
	case "temporarily_unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

func invalidRequest(desc string) *bearerError {
	return &bearerError{Code: InvalidRequest, Description: desc}
}

// noToken is the answer to a request without any token (RFC 6750 §3.1:
// no error code then).
var noToken = &bearerError{Description: "send the access token as Authorization: Bearer <token>"}

// extractToken finds the access token of a request (RFC 6750 §2): the
// Authorization header's Bearer credentials, or for a POST with a form
// body its access_token; exactly one of them. The query's access_token
// (§2.3) is refused: a token in a URL ends up in logs and histories.
func extractToken(method, contentType string, authorization []string, rawQuery string, body []byte) (string, *bearerError) {
	if rawQuery != "" {
		// ParseQuery keeps what it could read before an error.
		if q, _ := url.ParseQuery(rawQuery); q.Has("access_token") {
			return "", invalidRequest("the access token may not be sent in the URL (access_token query parameter); send it as Authorization: Bearer <token>")
		}
	}
	var header string
	switch len(authorization) {
	case 0:
	case 1:
		scheme, cred, _ := strings.Cut(authorization[0], " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", invalidRequest("the Authorization header must use the Bearer scheme (RFC 6750 section 2.1), not " + quote(scheme))
		}
		header = strings.TrimLeft(cred, " ")
		if !isB64Token(header) {
			return "", invalidRequest("the Bearer credentials are missing or not a token (RFC 6750 section 2.1: base64url characters, then any '=')")
		}
	default:
		return "", invalidRequest("the Authorization header is repeated; send one")
	}
	var form string
	hasForm := false
	if method == http.MethodPost && len(body) > 0 {
		mt, _, err := mime.ParseMediaType(contentType)
		if err == nil && mt == "application/x-www-form-urlencoded" {
			f, err := url.ParseQuery(string(body))
			if err != nil {
				return "", invalidRequest("the form body is malformed")
			}
			switch v := f["access_token"]; {
			case len(v) > 1:
				return "", invalidRequest("access_token is repeated; send it once")
			case len(v) == 1:
				form, hasForm = v[0], true
				if !isB64Token(form) {
					return "", invalidRequest("the access_token parameter is empty or not a token")
				}
			}
		}
	}
	switch {
	case header != "" && hasForm:
		return "", invalidRequest("the access token was sent both in the Authorization header and in the body; send it one way only (RFC 6750 section 2)")
	case header != "":
		return header, nil
	case hasForm:
		return form, nil
	}
	return "", noToken
}

// isB64Token reports whether s is RFC 6750's b64token: 1*( ALPHA / DIGIT
// / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

func quote(s string) string { return "'" + logattr.Cut(s) + "'" }
