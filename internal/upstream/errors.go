package upstream

import (
	"errors"
	"fmt"
	"strings"
)

// The classes of failure, for errors.Is: a caller shows a different page
// for each (try again, the provider is down, the sign-in was refused).
var (
	// ErrState: the callback's state is not the one this browser was
	// given (another browser's callback, an old tab, or a forged request).
	ErrState = errors.New("the sign-in's state does not match this browser's: start the sign-in again")
	// ErrUnavailable: the upstream could not be reached, answered too
	// slowly, or failed (5xx); trying later may work.
	ErrUnavailable = errors.New("the upstream identity provider is unavailable")
	// ErrInvalid: the upstream answered something that must not be
	// trusted (a bad ID token, a wrong issuer, a malformed response).
	ErrInvalid = errors.New("the upstream identity provider's answer is invalid")
)

// UpstreamError is an OAuth error the upstream sent: at the callback
// (RFC 6749 §4.1.2.1, e.g. access_denied when the person cancelled) or from
// its token endpoint (§5.2). Code is the upstream's error code; Description
// its error_description, reduced to printable ASCII and bounded.
type UpstreamError struct {
	Provider    string
	Code        string
	Description string
	// AtTokenEndpoint is true when the token endpoint refused the code,
	// false when the authorization response carried the error.
	AtTokenEndpoint bool
}

func (e *UpstreamError) Error() string {
	where := "refused the sign-in"
	if e.AtTokenEndpoint {
		where = "refused the code at its token endpoint"
	}
	s := fmt.Sprintf("identity provider %q %s: %s", e.Provider, where, e.Code)
	if e.Description != "" {
		s += " (" + e.Description + ")"
	}
	return s
}

// maxDescription bounds an upstream's error_description in our errors.
const maxDescription = 200

// cleanText keeps what RFC 6749 allows in error and error_description
// (%x20-21 / %x23-5B / %x5D-7E), so that an upstream's text cannot put
// control characters or markup-breaking quotes in a log line, and bounds it.
func cleanText(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		c := s[i]
		if c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' {
			b.WriteByte(c)
		}
	}
	return b.String()
}
