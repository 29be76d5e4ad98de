package jwtauth

import (
	"errors"
	"strconv"
	"strings"
)

// The reasons a token is refused. Validate returns a *ValidationError whose
// Reason is one of them; tell them apart with errors.Is:
//
//	if errors.Is(err, jwtauth.ErrExpired) { ... }
var (
	// ErrMalformed: the token is not a well-formed signed JWT (wrong number
	// of parts, bad base64url or JSON, a duplicate member, a required claim
	// missing or of the wrong type, over MaxTokenSize, ...).
	ErrMalformed = errors.New("jwtauth: malformed token")
	// ErrAlgorithmNotAllowed: the alg header is not in the allow-list (none
	// and HMAC algorithms never are), or does not fit the key it names.
	ErrAlgorithmNotAllowed = errors.New("jwtauth: algorithm not allowed")
	// ErrWrongType: the typ header is not one of Options.TokenTypes.
	ErrWrongType = errors.New("jwtauth: wrong token type")
	// ErrUnknownKey: no key of the issuer has the token's kid, even after
	// the keys were fetched again.
	ErrUnknownKey = errors.New("jwtauth: unknown signing key")
	// ErrBadSignature: the signature does not verify.
	ErrBadSignature = errors.New("jwtauth: bad signature")
	// ErrExpired: exp is past, by more than the clock skew.
	ErrExpired = errors.New("jwtauth: token expired")
	// ErrNotYetValid: nbf or iat is in the future, by more than the clock
	// skew.
	ErrNotYetValid = errors.New("jwtauth: token not yet valid")
	// ErrWrongIssuer: iss is not Options.Issuer.
	ErrWrongIssuer = errors.New("jwtauth: wrong issuer")
	// ErrWrongAudience: aud does not contain Options.Audience.
	ErrWrongAudience = errors.New("jwtauth: wrong audience")
	// ErrInsufficientScope: a required scope is missing. Middleware answers
	// 403 for it, not 401.
	ErrInsufficientScope = errors.New("jwtauth: insufficient scope")
	// ErrKeysUnavailable: the issuer's keys could not be loaded, so the
	// token could not be checked; it may well be valid. Middleware answers
	// 503 for it, not 401.
	ErrKeysUnavailable = errors.New("jwtauth: signing keys unavailable")
	// ErrInactive: the issuer's introspection endpoint says the reference
	// token is not active (RFC 7662 §2.2): revoked, expired, unknown, or
	// not meant for this API. Middleware answers 401 invalid_token.
	ErrInactive = errors.New("jwtauth: token not active")
	// ErrIntrospectionFailed: a reference token could not be checked,
	// because the introspection endpoint could not be reached, timed out,
	// answered an error (a 401 means the API's own Introspection
	// credentials are wrong) or something that is not RFC 7662; the token
	// may well be valid. Middleware answers 503, not 401.
	ErrIntrospectionFailed = errors.New("jwtauth: introspection failed")
)

// ValidationError is the error Validate returns (and Ready, with
// ErrKeysUnavailable). Its message is a sentence that says what failed and,
// where it can, what to do; it never contains the token.
type ValidationError struct {
	// Reason is one of the Err sentinels of this package.
	Reason error
	// Detail is the sentence Error returns, e.g.
	// `token expired 3m0s ago (exp 2026-11-25T10:00:00Z; clock skew 5m0s)`.
	Detail string
	// KeyID is the token's kid, when the header was read.
	KeyID string
	// Known lists the kids known when the key was looked up, for
	// ErrUnknownKey.
	Known []string
	// Scopes lists the scopes that were required, for ErrInsufficientScope
	// (Middleware sends them in the scope attribute of its challenge).
	Scopes []string
	// Err is the underlying cause, if any: for ErrKeysUnavailable, why the
	// keys could not be fetched (a *url.Error, context.DeadlineExceeded...).
	Err error
}

// Error returns Detail, or the Reason's text when there is no detail.
func (e *ValidationError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	if e.Reason != nil {
		return e.Reason.Error()
	}
	return "jwtauth: invalid token"
}

// Is reports whether target is the Reason, so that errors.Is(err,
// jwtauth.ErrExpired) works.
func (e *ValidationError) Is(target error) bool { return e.Reason != nil && target == e.Reason }

// Unwrap returns the underlying cause (Err), if any.
func (e *ValidationError) Unwrap() error { return e.Err }

func newError(reason error, detail string) *ValidationError {
	return &ValidationError{Reason: reason, Detail: detail}
}

// quoteList formats strings as ["a", "b"].
func quoteList(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(s))
	}
	b.WriteByte(']')
	return b.String()
}

// orNone joins ss with sep, or says "none".
func orNone(ss []string, sep string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, sep)
}

// quote is strconv.Quote, bounded: token values can be long or hostile, and
// messages travel in headers and logs.
func quote(s string) string {
	const limit = 200
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return strconv.Quote(s)
}

// word returns s as is if it is a short name (an algorithm, say), quoted
// otherwise: it comes from the token and may hold anything.
func word(s string) string {
	if s == "" || len(s) > 32 {
		return quote(s)
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '+' || c == '.') {
			return quote(s)
		}
	}
	return s
}
