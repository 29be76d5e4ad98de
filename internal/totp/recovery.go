package totp

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Recovery codes: RecoveryCodeCount codes of two groups of five characters
// from Crockford's base32 alphabet (no i, l, o or u), 5 bits a character,
// so 50 random bits a code.
const (
	RecoveryCodeCount = 10
	recoveryGroup     = 5
	recoveryChars     = 2 * recoveryGroup
	recoveryAlphabet  = "0123456789abcdefghjkmnpqrstvwxyz"
	recoveryHashTag   = "s256"
	recoverySaltBytes = 16
)

var (
	// ErrMalformedRecoveryCode: not ten characters of the alphabet (a
	// hyphen and spaces are allowed, case is ignored).
	ErrMalformedRecoveryCode = errors.New("totp: a recovery code is 10 letters and digits, like 7k3qd-x9m2p")
	// ErrWrongRecoveryCode: well formed, but none of the user's unused codes.
	ErrWrongRecoveryCode = errors.New("totp: the recovery code is wrong or was already used")
	// ErrBadRecoveryHash: a stored hash is not one HashRecoveryCode wrote.
	ErrBadRecoveryHash = errors.New("totp: a stored recovery code hash is malformed")
)

// NewRecoveryCodes makes RecoveryCodeCount distinct codes, formatted
// "xxxxx-xxxxx", to show the person once. Store only their hashes.
func NewRecoveryCodes() ([]string, error) {
	codes := make([]string, 0, RecoveryCodeCount)
	seen := make(map[string]bool, RecoveryCodeCount)
	buf := make([]byte, recoveryChars)
	for len(codes) < RecoveryCodeCount {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("totp: reading random bytes: %w", err)
		}
		var c [recoveryChars + 1]byte
		j := 0
		for i, r := range buf {
			if i == recoveryGroup {
				c[j] = '-'
				j++
			}
			// 32 divides 256, so the low five bits are uniform.
			c[j] = recoveryAlphabet[r&31]
			j++
		}
		s := string(c[:])
		if !seen[s] {
			seen[s] = true
			codes = append(codes, s)
		}
	}
	return codes, nil
}

// HashRecoveryCode is the stored form of code: "s256$" salt "$" digest, in
// hex, with a fresh random salt (see the package comment for why SHA-256).
func HashRecoveryCode(code string) (string, error) {
	norm, err := normalizeRecoveryCode(code)
	if err != nil {
		return "", err
	}
	salt := make([]byte, recoverySaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("totp: reading random bytes: %w", err)
	}
	sum := recoveryDigest(salt, norm)
	return recoveryHashTag + "$" + hex.EncodeToString(salt) + "$" + hex.EncodeToString(sum[:]), nil
}

// MatchRecoveryCode finds code among the stored hashes of a user's unused
// codes and returns its index: the caller removes that hash, so the code
// works once. Every hash is compared, in constant time, whether or not an
// earlier one matched.
func MatchRecoveryCode(hashes []string, code string) (int, error) {
	norm, err := normalizeRecoveryCode(code)
	if err != nil {
		return -1, err
	}
	found := -1
	for i, h := range hashes {
		salt, want, ok := parseRecoveryHash(h)
		if !ok {
			return -1, fmt.Errorf("%w (entry %d)", ErrBadRecoveryHash, i)
		}
		got := recoveryDigest(salt, norm)
		if subtle.ConstantTimeCompare(got[:], want) == 1 && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return -1, ErrWrongRecoveryCode
	}
	return found, nil
}

// normalizeRecoveryCode lower-cases, drops one hyphen and any spaces, and
// reads Crockford's look-alikes (o as 0, i and l as 1), so a code read
// aloud or copied by hand still matches.
func normalizeRecoveryCode(code string) (string, error) {
	if len(code) > 4*recoveryChars {
		return "", ErrMalformedRecoveryCode
	}
	out := make([]byte, 0, recoveryChars)
	hyphens := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch c {
		case ' ':
			continue
		case '-':
			hyphens++
			if hyphens > 1 {
				return "", ErrMalformedRecoveryCode
			}
			continue
		case 'o':
			c = '0'
		case 'i', 'l':
			c = '1'
		}
		if strings.IndexByte(recoveryAlphabet, c) < 0 || len(out) == recoveryChars {
			return "", ErrMalformedRecoveryCode
		}
		out = append(out, c)
	}
	if len(out) != recoveryChars {
		return "", ErrMalformedRecoveryCode
	}
	return string(out), nil
}

func recoveryDigest(salt []byte, norm string) [sha256.Size]byte {
	h := make([]byte, 0, len(salt)+len(norm))
	h = append(h, salt...)
	h = append(h, norm...)
	return sha256.Sum256(h)
}

func parseRecoveryHash(s string) (salt, sum []byte, ok bool) {
	parts := strings.Split(s, "$")
	if len(parts) != 3 || parts[0] != recoveryHashTag {
		return nil, nil, false
	}
	salt, err1 := hex.DecodeString(parts[1])
	sum, err2 := hex.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) != recoverySaltBytes || len(sum) != sha256.Size {
		return nil, nil, false
	}
	return salt, sum, true
}
