package users

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters, stored in every hash so that they
// can be raised later without invalidating the hashes already stored.
type Params struct {
	// Memory is in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Parallelism is the number of lanes (and of goroutines argon2 uses).
	Parallelism uint8
}

// DefaultParams are OWASP's minimum for argon2id (Password Storage Cheat
// Sheet): 19 MiB, 2 passes, 1 lane, about 20 ms and 19 MiB per hash on one
// core.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Parallelism: 1}

// The bounds of the parameters a stored hash may carry. A hash is read from
// storage, where a tampered or corrupt row could otherwise ask for gigabytes
// or hours; these are well above any cost a login should pay (RFC 9106's
// second recommended option is 64 MiB, 3 passes, 4 lanes).
const (
	MaxMemory      = 256 * 1024 // KiB: 256 MiB
	MaxTime        = 16
	MaxParallelism = 16
	minSalt        = 8  // bytes: RFC 9106's minimum
	maxSalt        = 64 // bytes
	minKey         = 16 // bytes
	maxKey         = 64 // bytes
)

const (
	saltLen = 16 // bytes, as RFC 9106 recommends
	keyLen  = 32 // bytes
)

// check reports parameters outside what argon2id allows or what a stored
// hash may ask for.
func (p Params) check() error {
	switch {
	case p.Parallelism < 1 || p.Parallelism > MaxParallelism:
		return fmt.Errorf("parallelism p=%d is not between 1 and %d", p.Parallelism, MaxParallelism)
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("time t=%d is not between 1 and %d", p.Time, MaxTime)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > MaxMemory:
		return fmt.Errorf("memory m=%d KiB is not between 8×p (%d) and %d", p.Memory, 8*uint32(p.Parallelism), MaxMemory)
	}
	return nil
}

// weakerThan reports whether hashes made with p cost less than with cur.
// Parallelism does not count: more lanes do not make guessing costlier.
func (p Params) weakerThan(cur Params) bool {
	return p.Memory < cur.Memory || p.Time < cur.Time
}

// Hashed is a parsed argon2id hash.
type Hashed struct {
	Params
	Salt, Key []byte
}

// String is the hash in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, salt and key in base64
// without padding.
func (h Hashed) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Parallelism,
		b64.EncodeToString(h.Salt), b64.EncodeToString(h.Key))
}

// b64 is the PHC format's base64: the standard alphabet without padding,
// strict so that one hash has one spelling.
var b64 = base64.RawStdEncoding.Strict()

// ErrMalformedHash is wrapped by every error of Parse.
var ErrMalformedHash = errors.New("malformed password hash")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s; a password hash is what `signet user hash` prints: $argon2id$v=19$m=...,t=...,p=...$salt$hash",
		ErrMalformedHash, fmt.Sprintf(format, args...))
}

// Parse reads an argon2id hash in the PHC string format, strictly: version
// 19, the parameters m, t and p in this order with no others, decimal
// numbers without sign or leading zeros, canonical base64 without padding,
// and parameters, salt and key within the bounds above.
func Parse(s string) (Hashed, error) {
	fields := strings.Split(s, "$")
	if len(fields) != 6 || fields[0] != "" {
		return Hashed{}, malformed("expected 5 fields separated by $, found %d", len(fields)-1)
	}
	if fields[1] != "argon2id" {
		return Hashed{}, malformed("algorithm %.20q is not argon2id", fields[1])
	}
	if fields[2] != "v=19" {
		return Hashed{}, malformed("version %.20q is not v=19", fields[2])
	}
	var h Hashed
	ps := strings.Split(fields[3], ",")
	if len(ps) != 3 {
		return Hashed{}, malformed("parameters %.40q are not m=...,t=...,p=...", fields[3])
	}
	var vals [3]uint32
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(ps[i], name+"=")
		if !ok {
			return Hashed{}, malformed("parameter %d is %.20q, want %s=...", i+1, ps[i], name)
		}
		n, err := decimal(v)
		if err != nil {
			return Hashed{}, malformed("parameter %s: %v", name, err)
		}
		vals[i] = n
	}
	if vals[2] > MaxParallelism {
		return Hashed{}, malformed("parallelism p=%d is not between 1 and %d", vals[2], MaxParallelism)
	}
	h.Params = Params{Memory: vals[0], Time: vals[1], Parallelism: uint8(vals[2])}
	if err := h.Params.check(); err != nil {
		return Hashed{}, malformed("%v", err)
	}
	var err error
	if h.Salt, err = decode64(fields[4]); err != nil {
		return Hashed{}, malformed("salt is not base64 without padding")
	}
	if len(h.Salt) < minSalt || len(h.Salt) > maxSalt {
		return Hashed{}, malformed("salt is %d bytes, not between %d and %d", len(h.Salt), minSalt, maxSalt)
	}
	if h.Key, err = decode64(fields[5]); err != nil {
		return Hashed{}, malformed("hash is not base64 without padding")
	}
	if len(h.Key) < minKey || len(h.Key) > maxKey {
		return Hashed{}, malformed("hash is %d bytes, not between %d and %d", len(h.Key), minKey, maxKey)
	}
	return h, nil
}

// decode64 decodes b64, refusing the line breaks that encoding/base64
// skips.
func decode64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	return b64.DecodeString(s)
}

// decimal reads a PHC decimal: digits only, no leading zero, at most
// 2^32-1.
func decimal(s string) (uint32, error) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%.20q is not a decimal number without leading zeros", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%.20q is out of range", s)
	}
	return uint32(n), nil
}

// hash derives a key of n bytes from password and salt with p.
func (p Params) hash(password string, salt []byte, n int) []byte {
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Parallelism, uint32(n))
}

// newHash hashes password with p and a new random salt.
func newHash(p Params, password string) Hashed {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	return Hashed{Params: p, Salt: salt, Key: p.hash(password, salt, keyLen)}
}

// Verify reports whether password matches, comparing in constant time.
func (h Hashed) Verify(password string) bool {
	return subtle.ConstantTimeCompare(h.Params.hash(password, h.Salt, len(h.Key)), h.Key) == 1
}

// Hash returns the argon2id hash of password with DefaultParams, in the
// PHC string format. It computes at once, without the bound of a Hasher:
// for the CLI and configuration, not for a server.
func Hash(password string) string {
	return newHash(DefaultParams, password).String()
}

// Verify reports whether password matches hash (a PHC string) and whether
// hash was made with parameters weaker than DefaultParams, so that the
// caller stores a new hash after a successful login. The error is a
// malformed hash (ErrMalformedHash), never a wrong password. Like Hash, it
// is not bounded; servers use a Hasher.
func Verify(hash, password string) (ok, needsRehash bool, err error) {
	h, err := Parse(hash)
	if err != nil {
		return false, false, err
	}
	return h.Verify(password), h.Params.weakerThan(DefaultParams), nil
}
