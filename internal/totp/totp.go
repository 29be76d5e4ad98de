package totp

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is what RFC 6238 and every authenticator app use; HMAC does not rely on SHA-1's collision resistance.
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The parameters authenticator apps use (Google's Key Uri Format defaults).
// They are written into the Key URI so that an app that reads them agrees.
const (
	// Algorithm is the HMAC hash, as the Key URI names it.
	Algorithm = "SHA1"
	// Digits is the length of a code.
	Digits = 6
	// Period is the length of a time step (RFC 6238's X).
	Period = 30 * time.Second
	// Skew is how many steps either side of the current one are accepted,
	// for clocks that drift and people who type slowly: RFC 6238 §5.2
	// recommends at most one.
	Skew = 1
	// SecretBytes is the length of a secret: 160 bits, RFC 4226 §4 R6's
	// recommendation and the HMAC-SHA1 output size.
	SecretBytes = 20
	// minSecretBytes is RFC 4226's floor (128 bits); a shorter stored
	// secret is refused rather than used.
	minSecretBytes = 16
	// maxCodeInput bounds what is parsed: a code with a few spaces fits.
	maxCodeInput = 32
)

// Errors the caller turns into messages. Compare with errors.Is.
var (
	// ErrMalformedCode: the input is not six digits (spaces allowed).
	ErrMalformedCode = errors.New("totp: the code must be 6 digits")
	// ErrWrongCode: six digits, but not the code of this time (or of a
	// step either side): a typo, the wrong account in the app, or a clock
	// that is off by more than 30 seconds.
	ErrWrongCode = errors.New("totp: the code is wrong or expired; check the device's clock and enter the current code")
	// ErrReusedCode: the code was right but has already been used; the
	// person waits for the app to show the next one.
	ErrReusedCode = errors.New("totp: the code was already used; wait for the next code")
	// ErrBadSecret: the stored secret is not base32 of at least 128 bits.
	// That is a storage or programming error, never the user's.
	ErrBadSecret = errors.New("totp: the stored secret is not valid unpadded base32 of at least 16 bytes")
)

// b32 is RFC 4648 base32 without padding, as Key URIs carry secrets.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Step is the RFC 6238 time step of t: floor(unix seconds / 30), T0 = 0.
func Step(t time.Time) int64 {
	sec := t.Unix()
	p := int64(Period / time.Second)
	s := sec / p
	if sec%p < 0 {
		s-- // floor, not truncation, for times before 1970
	}
	return s
}

// Code is the code for secret at time t, as an app would show it. Signet
// itself only verifies; this is for tests and for tools that play the app.
func Code(secret string, t time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	s := Step(t)
	if s < 0 {
		return "", fmt.Errorf("totp: time %v is before 1970", t)
	}
	return hotp(key, uint64(s), Digits), nil
}

// Verify checks code against secret at time now. It accepts the code of the
// current step or of Skew steps either side, and returns the step matched;
// the caller stores it and passes it as lastUsedStep next time (0 for a
// user who has never used a code), so a step at or before it is refused
// with ErrReusedCode and each code is accepted once.
//
// The code may contain ASCII spaces ("123 456"); anything else but six
// digits is ErrMalformedCode. The comparison is constant-time, and every
// step of the window is compared whether or not an earlier one matched.
func Verify(secret, code string, now time.Time, lastUsedStep int64) (int64, error) {
	given, err := parseCode(code)
	if err != nil {
		return 0, err
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return 0, err
	}
	cur := Step(now)
	matched, fresh := int64(-1), int64(-1)
	for s := cur - Skew; s <= cur+Skew; s++ {
		if s < 0 {
			continue
		}
		want := hotp(key, uint64(s), Digits)
		if subtle.ConstantTimeCompare([]byte(want), given) == 1 {
			matched = s
			// Two steps can share a code (one chance in a million);
			// take the latest that is still unused.
			if s > lastUsedStep {
				fresh = s
			}
		}
	}
	switch {
	case fresh >= 0:
		return fresh, nil
	case matched >= 0:
		return 0, ErrReusedCode
	default:
		return 0, ErrWrongCode
	}
}

// parseCode drops ASCII spaces and requires exactly Digits ASCII digits.
func parseCode(code string) ([]byte, error) {
	if len(code) > maxCodeInput {
		return nil, ErrMalformedCode
	}
	out := make([]byte, 0, Digits)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ' ':
		case c >= '0' && c <= '9' && len(out) < Digits:
			out = append(out, c)
		default:
			return nil, ErrMalformedCode
		}
	}
	if len(out) != Digits {
		return nil, ErrMalformedCode
	}
	return out, nil
}

// decodeSecret reads a secret as NewKey writes it. It is strict (upper
// case, no padding, no spaces): the secret comes from storage, and a
// secret that does not round-trip means something went wrong upstream.
func decodeSecret(secret string) ([]byte, error) {
	key, err := b32.DecodeString(secret)
	if err != nil || len(key) < minSecretBytes || b32.EncodeToString(key) != secret {
		return nil, ErrBadSecret
	}
	return key, nil
}

// hotp is RFC 4226 §5.3: HMAC-SHA1 of the counter, dynamic truncation,
// then the low digits, zero-padded. digits is a parameter so that the
// RFCs' 8-digit test vectors apply; Signet always uses Digits.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// FormatSecret groups a secret in fours for a person to type into an app
// ("JBSW Y3DP EHPK 3PXP"); apps ignore the spaces.
func FormatSecret(secret string) string {
	var b strings.Builder
	for i := 0; i < len(secret); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(secret[i:min(i+4, len(secret))])
	}
	return b.String()
}
