// Package opaque makes and checks opaque handles: bearer secrets of 256
// random bits in unpadded base64url (a session cookie's value, the id of a
// pending authorization request), stored only as their hash, so that a
// leaked database resumes nothing.
//
// It imports nothing of Signet's.
package opaque

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// Bytes is a handle's randomness: 256 bits.
const Bytes = 32

// Len is the length of a handle's text: Bytes in base64url without
// padding.
var Len = base64.RawURLEncoding.EncodedLen(Bytes)

// New reads a handle from random (nil: crypto/rand, which never fails).
func New(random io.Reader) (string, error) {
	if random == nil {
		random = rand.Reader
	}
	b := make([]byte, Bytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Valid reports whether s is a handle in its one canonical form: Len
// characters of the base64url alphabet, without padding, whose unused last
// bits are zero (so no two texts name one handle). Check it before
// hashing what a request sent, so that garbage costs no store lookup.
func Valid(s string) bool {
	if len(s) != Len {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == Bytes
}

// Key is the storage key of the handle h: the SHA-256 of its text,
// base64url without padding.
func Key(h string) string {
	sum := sha256.Sum256([]byte(h))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
