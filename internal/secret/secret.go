// Package secret generates client secrets and hashes and verifies them.
//
// Client secrets here are machine-generated, 256 random bits, so the hash
// does not have to slow down guessing: nobody can guess 2^256 values. A
// single SHA-256 over a per-secret random salt and the secret is enough to
// keep a leaked configuration from revealing secrets or showing which
// clients share one, and it keeps the token endpoint fast (a password hash
// such as argon2id would cost tens of milliseconds per request). Human
// passwords are another matter and are not hashed here.
//
// Hashes are written "sha256$<salt>$<digest>", both base64url without
// padding. For teams moving from IdentityServer, its unsalted hashes
// ("secret".Sha256() and .Sha512(): standard base64 of the digest) are
// accepted too.
//
// It imports nothing of Signet's.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

const (
	// Bytes is the size of a generated secret: 256 bits.
	Bytes = 32
	// saltBytes is the size of a hash's salt.
	saltBytes = 16
	prefix    = "sha256$"
)

// Generate returns a new random secret, base64url without padding (43
// characters).
func Generate() string {
	b := make([]byte, Bytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash returns the salted SHA-256 hash of secret, in the form Parse reads.
func Hash(secret string) string {
	salt := make([]byte, saltBytes)
	_, _ = rand.Read(salt)
	return prefix + base64.RawURLEncoding.EncodeToString(salt) + "$" + base64.RawURLEncoding.EncodeToString(digest(salt, secret))
}

func digest(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// Hashed is a parsed secret hash.
type Hashed struct {
	kind   int // sha256Salted, isSHA256, isSHA512
	salt   []byte
	digest []byte
}

const (
	sha256Salted = iota
	isSHA256
	isSHA512
)

// Parse reads a hash written by Hash, or an IdentityServer Sha256/Sha512
// hash.
func Parse(s string) (Hashed, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, prefix); ok {
		saltText, digestText, ok := strings.Cut(rest, "$")
		if !ok {
			return Hashed{}, errors.New(`secret hash: expected sha256$<salt>$<digest>, as "signet secret hash" prints`)
		}
		salt, err1 := base64.RawURLEncoding.DecodeString(saltText)
		sum, err2 := base64.RawURLEncoding.DecodeString(digestText)
		if err1 != nil || err2 != nil || len(salt) < 8 || len(sum) != sha256.Size {
			return Hashed{}, errors.New(`secret hash: the salt or digest is not valid base64url of the right size; copy the whole value "signet secret hash" printed`)
		}
		return Hashed{kind: sha256Salted, salt: salt, digest: sum}, nil
	}
	if sum, err := base64.StdEncoding.DecodeString(s); err == nil {
		switch len(sum) {
		case sha256.Size:
			return Hashed{kind: isSHA256, digest: sum}, nil
		case sha512.Size:
			return Hashed{kind: isSHA512, digest: sum}, nil
		}
	}
	return Hashed{}, fmt.Errorf("secret hash: not a hash Signet knows; give what \"signet secret hash\" prints (sha256$...) or an IdentityServer Sha256()/Sha512() value; a plain secret goes in value, not hash")
}

// Verify reports whether secret matches, in time that does not depend on
// where the two first differ.
func (h Hashed) Verify(secret string) bool {
	var sum []byte
	switch h.kind {
	case sha256Salted:
		sum = digest(h.salt, secret)
	case isSHA256:
		s := sha256.Sum256([]byte(secret))
		sum = s[:]
	case isSHA512:
		s := sha512.Sum512([]byte(secret))
		sum = s[:]
	default:
		return false
	}
	return subtle.ConstantTimeCompare(sum, h.digest) == 1
}
