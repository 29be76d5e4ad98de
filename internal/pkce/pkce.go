package pkce

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// The code_challenge_method values (RFC 7636 §4.3).
const (
	S256  = "S256"
	Plain = "plain"
)

// Verifier lengths (RFC 7636 §4.1).
const (
	MinLen = 43
	MaxLen = 128
)

// ErrDowngrade: a code_verifier was sent for a code whose authorization
// request had no code_challenge.
var ErrDowngrade = errors.New("a code_verifier was sent, but the authorization request had no code_challenge")

// CheckVerifier checks a code_verifier's syntax: 43 to 128 characters of
// [A-Za-z0-9-._~] (RFC 7636 §4.1). The message never repeats the value.
func CheckVerifier(verifier string) error {
	return checkSyntax("code_verifier", verifier)
}

// CheckChallenge checks an authorization request's code_challenge and
// code_challenge_method: S256 (a base64url SHA-256 of 43 characters), or
// plain (also "", RFC 7636 §4.3's default) only when allowPlain.
func CheckChallenge(challenge, method string, allowPlain bool) error {
	if err := checkMethod(method, allowPlain); err != nil {
		return err
	}
	if method == S256 {
		if len(challenge) != 43 {
			return fmt.Errorf("code_challenge is %d characters; an S256 challenge is the base64url SHA-256 of the verifier, 43 characters", len(challenge))
		}
		if _, err := base64.RawURLEncoding.DecodeString(challenge); err != nil {
			return errors.New("code_challenge is not base64url without padding")
		}
		return nil
	}
	return checkSyntax("code_challenge", challenge)
}

// Verify checks verifier against the challenge and method stored with a
// code. A code without a challenge passes only without a verifier
// (whether PKCE was required is decided when the code is requested); with
// one it fails with ErrDowngrade. The comparison takes the same time
// wherever the values differ.
func Verify(challenge, method, verifier string, allowPlain bool) error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return ErrDowngrade
	case verifier == "":
		return errors.New("code_verifier is missing; the authorization request had a code_challenge")
	}
	if err := CheckVerifier(verifier); err != nil {
		return err
	}
	if err := checkMethod(method, allowPlain); err != nil {
		return err
	}
	want := verifier
	if method == S256 {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 {
		return errors.New("code_verifier does not match the code_challenge")
	}
	return nil
}

func checkMethod(method string, allowPlain bool) error {
	switch method {
	case S256:
		return nil
	case Plain, "":
		if allowPlain {
			return nil
		}
		if method == "" {
			return errors.New("code_challenge_method is missing, which means plain; only S256 is allowed for this client")
		}
		return errors.New("code_challenge_method plain is not allowed for this client; use S256")
	}
	return fmt.Errorf("code_challenge_method %q is not supported; use S256", method)
}

func checkSyntax(field, v string) error {
	if len(v) < MinLen || len(v) > MaxLen {
		return fmt.Errorf("%s is %d characters; it must have %d to %d", field, len(v), MinLen, MaxLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !unreserved(c) {
			return fmt.Errorf("%s has a character outside A-Z a-z 0-9 - . _ ~ at position %d", field, i+1)
		}
	}
	return nil
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
