// Package oauth holds the OAuth 2.0 protocol vocabulary that every endpoint
// shares: the error codes of RFC 6749 §5.2 and RFC 6750 §3.1, the Error value
// grants and client authentication return instead of writing responses, and
// the writers that render errors and token responses. Keeping them here lets
// the endpoint packages speak the protocol without importing each other.
//
// It imports nothing of Signet's.
package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error codes of RFC 6749 §5.2 (token endpoint) and §4.1.2.1.
const (
	InvalidRequest         = "invalid_request"
	InvalidClient          = "invalid_client"
	InvalidGrant           = "invalid_grant"
	UnauthorizedClient     = "unauthorized_client"
	UnsupportedGrantType   = "unsupported_grant_type"
	InvalidScope           = "invalid_scope"
	ServerError            = "server_error"
	TemporarilyUnavailable = "temporarily_unavailable"
	// SlowDown is RFC 8628 §3.5's "poll less often", registered for the
	// token endpoint: Signet answers it, with 429 and Retry-After, to a
	// caller over its rate limit at the token, introspection and
	// revocation endpoints, the one code that already tells a client to
	// back off rather than that its request was wrong.
	SlowDown = "slow_down"
)

// Error codes of the authorization endpoint (RFC 6749 §4.1.2.1, OpenID
// Connect Core 1.0 §3.1.2.6) beyond those the token endpoint shares.
const (
	UnsupportedResponseType = "unsupported_response_type"
	AccessDenied            = "access_denied"
	LoginRequired           = "login_required"
	ConsentRequired         = "consent_required"
	InteractionRequired     = "interaction_required"
	RequestNotSupported     = "request_not_supported"
	RequestURINotSupported  = "request_uri_not_supported"
)

// Grant types and client assertion types.
const (
	GrantClientCredentials = "client_credentials"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	ClientAssertionJWT     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// Error is an OAuth error response. It is built fresh for each failure; its
// Cause is for the log and is never sent.
type Error struct {
	// Code is the "error" member, one of the constants above.
	Code string
	// Description is the "error_description" member: what is wrong and
	// what to do, for the developer of the client. Never a secret.
	Description string
	// Status is the HTTP status; zero means 400.
	Status int
	// Challenge, when set, is sent as WWW-Authenticate (invalid_client
	// after Basic authentication, RFC 6749 §5.2).
	Challenge string
	// RetryAfter, when set, is sent as Retry-After, in whole seconds
	// rounded up (a 429 of a rate limit).
	RetryAfter time.Duration
	// Cause is the internal error behind it, for the log only.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Code, e.Description, e.Cause)
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an Error with status 400.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// ClientError builds an invalid_client error (401). Every 401 carries a
// challenge (RFC 9110 §15.5.2), the Basic one the endpoint accepts; RFC 6749
// §5.2 requires it when the client used Basic. basic is kept for callers
// that know; the answer is the same.
func ClientError(basic bool, format string, args ...any) *Error {
	_ = basic
	return &Error{Code: InvalidClient, Description: fmt.Sprintf(format, args...), Status: http.StatusUnauthorized,
		Challenge: `Basic realm="signet", charset="UTF-8"`}
}

// AsError turns any error into an *Error: itself when it is one, else a
// server_error whose cause stays in the log.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: ServerError, Description: "the server failed to process the request; the cause is in its log", Status: http.StatusInternalServerError, Cause: err}
}

type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// WriteError renders err as RFC 6749 §5.2 JSON, with the no-store headers
// token responses need.
func WriteError(w http.ResponseWriter, err error) {
	e := AsError(err)
	h := w.Header()
	if e.Challenge != "" {
		h.Set("WWW-Authenticate", e.Challenge)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", RetryAfterSeconds(e.RetryAfter))
	} else if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, errorBody{e.Code, DescriptionText(e.Description)})
}

// RetryAfterSeconds is d as a Retry-After value: whole seconds, rounded
// up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(secs, 1), 10)
}

// DescriptionText keeps error_description within the characters RFC 6749
// §5.2 and §4.1.2.1 allow (%x20-21 / %x23-5B / %x5D-7E): quotes become ', a
// backslash /, a section sign "section", anything else outside ASCII ?. The
// token endpoint's JSON and the authorization endpoint's redirect both use
// it.
func DescriptionText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '\\':
			b.WriteByte('/')
		case r == '§':
			b.WriteString("section ")
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// WriteJSON writes a token endpoint response body: JSON, never cached
// (RFC 6749 §5.1).
func WriteJSON(w http.ResponseWriter, status int, body any) {
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// TokenResponse is the successful token response of RFC 6749 §5.1.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
	// IDToken is OpenID Connect's id_token (Core §3.1.3.3), when openid
	// was granted.
	IDToken string `json:"id_token,omitempty"`
	// RefreshToken is RFC 6749 §5.1's refresh_token, when offline access
	// was granted.
	RefreshToken string `json:"refresh_token,omitempty"`

	// What the audit log says of the response, never sent: the user the
	// tokens are for ("" for a client's own), and the access token's
	// signing key (kid and algorithm; "" for a reference token).
	Subject    string `json:"-"`
	KeyID, Alg string `json:"-"`
}
