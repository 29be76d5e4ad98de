package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// handleBytes is the size of a handle's random part: 256 bits.
const handleBytes = 32

// handleLen is the length of a handle's text: base64url without padding.
var handleLen = base64.RawURLEncoding.EncodedLen(handleBytes)

// newHandle reads a handle from random.
func newHandle(random io.Reader) (string, error) {
	b := make([]byte, handleBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("make a session handle: read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validHandle reports whether s is a handle in its one canonical form:
// handleLen characters of the base64url alphabet, without padding, whose
// unused last bits are zero (so no two texts name one handle).
func validHandle(s string) bool {
	if len(s) != handleLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == handleBytes
}

// storageID is the store's id of the session whose handle is handle: the
// SHA-256 of the handle's text, base64url without padding.
func storageID(handle string) string {
	sum := sha256.Sum256([]byte(handle))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

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
