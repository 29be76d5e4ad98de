package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/signetid/signet/internal/opaque"
)

// handleLen is the length of a handle's text.
var handleLen = opaque.Len

// newHandle reads a handle from random.
func newHandle(random io.Reader) (string, error) {
	h, err := opaque.New(random)
	if err != nil {
		return "", fmt.Errorf("make a session handle: %w", err)
	}
	return h, nil
}

// validHandle reports whether s is a handle in its one canonical form
// (opaque.Valid).
func validHandle(s string) bool { return opaque.Valid(s) }

// storageID is the store's id of the session whose handle is h
// (opaque.Key: the SHA-256 of its text).
func storageID(h string) string { return opaque.Key(h) }

// tokenLen is the length of a form token's text.
var tokenLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// formToken is the form token of handle for purpose: HMAC-SHA256 keyed
// with the handle's text, over a label and the purpose.
func formToken(handle, purpose string) []byte {
	mac := hmac.New(sha256.New, []byte(handle))
	io.WriteString(mac, "signet form token v1\x00")
	io.WriteString(mac, purpose)
	return mac.Sum(nil)
}

// encodeToken is a form token's text.
func encodeToken(mac []byte) string { return base64.RawURLEncoding.EncodeToString(mac) }

// checkFormToken reports whether token is the form token of handle for
// purpose, comparing in constant time. An empty handle or purpose never
// matches.
func checkFormToken(handle, purpose, token string) bool {
	if handle == "" || purpose == "" || len(token) != tokenLen {
		return false
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return false
	}
	return hmac.Equal(got, formToken(handle, purpose))
}
