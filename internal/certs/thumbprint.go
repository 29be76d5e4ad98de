package certs

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Thumbprint is the SHA-1 hash of the certificate's DER in uppercase hex: the
// form Windows, .NET (X509Certificate2.Thumbprint), Azure and
// WEBSITE_LOAD_CERTIFICATES use, and the kid IdentityServer publishes.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// ThumbprintSHA256 is the SHA-256 hash of the certificate's DER in uppercase
// hex, for tools that have moved on from SHA-1.
func ThumbprintSHA256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// ThumbprintQuery is a thumbprint as a person gave it, cleaned up.
type ThumbprintQuery struct {
	// Hex is the uppercase hex digits: 40 for SHA-1, 64 for SHA-256.
	Hex string
	// Removed lists the invisible characters that were dropped (U+200E from
	// the Windows certificate dialog, a BOM, ...), so that a tool can tell
	// the user why the value they pasted did not match before.
	Removed []rune
}

// IsSHA256 reports whether the query is a SHA-256 thumbprint.
func (q ThumbprintQuery) IsSHA256() bool { return len(q.Hex) == 64 }

// Matches reports whether cert has this thumbprint.
func (q ThumbprintQuery) Matches(cert *x509.Certificate) bool {
	if q.IsSHA256() {
		return ThumbprintSHA256(cert) == q.Hex
	}
	return Thumbprint(cert) == q.Hex
}

// String returns the cleaned hex.
func (q ThumbprintQuery) String() string { return q.Hex }

// ParseThumbprint cleans a thumbprint pasted from anywhere: it ignores case,
// white space (including no-break spaces), colons and hyphens (as openssl and
// some dialogs print them), and invisible Unicode format characters such as
// U+200E LEFT-TO-RIGHT MARK, which the Windows certificate dialog puts in
// front of the value it lets you copy. A SHA-1 (40 hex digits) or SHA-256 (64)
// thumbprint is accepted.
func ParseThumbprint(s string) (ThumbprintQuery, error) {
	var q ThumbprintQuery
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			return q, fmt.Errorf("thumbprint %q is not valid UTF-8 at byte %d", s, i)
		case unicode.IsSpace(r) || r == ':' || r == '-':
		case unicode.Is(unicode.Cf, r):
			q.Removed = append(q.Removed, r)
		case isHex(r):
			b.WriteRune(unicode.ToUpper(r))
		default:
			return q, fmt.Errorf("thumbprint %q has %q (%U) at position %d, which is not a hex digit: a thumbprint is 40 hex digits (0-9, A-F), as Windows shows in the certificate's Details tab", s, r, r, b.Len()+1)
		}
	}
	q.Hex = b.String()
	switch len(q.Hex) {
	case 40, 64:
		return q, nil
	case 0:
		return q, fmt.Errorf("thumbprint is empty: give the 40 hex digits of the certificate's SHA-1 thumbprint (signet store list shows them)")
	}
	return q, fmt.Errorf("thumbprint %q has %d hex digits, but a SHA-1 thumbprint has 40 (and a SHA-256 one 64): was part of it lost when copying?", s, len(q.Hex))
}

func isHex(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}

// DescribeRunes names invisible characters for messages: "U+200E LEFT-TO-RIGHT MARK".
func DescribeRunes(rs []rune) string {
	names := make([]string, 0, len(rs))
	for _, r := range rs {
		name := runeNames[r]
		if name == "" {
			name = "format character"
		}
		names = append(names, fmt.Sprintf("%U %s", r, name))
	}
	return strings.Join(names, ", ")
}

var runeNames = map[rune]string{
	0x200B: "ZERO WIDTH SPACE",
	0x200C: "ZERO WIDTH NON-JOINER",
	0x200D: "ZERO WIDTH JOINER",
	0x200E: "LEFT-TO-RIGHT MARK",
	0x200F: "RIGHT-TO-LEFT MARK",
	0x202A: "LEFT-TO-RIGHT EMBEDDING",
	0x202B: "RIGHT-TO-LEFT EMBEDDING",
	0x202C: "POP DIRECTIONAL FORMATTING",
	0x202D: "LEFT-TO-RIGHT OVERRIDE",
	0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2060: "WORD JOINER",
	0x2066: "LEFT-TO-RIGHT ISOLATE",
	0x2067: "RIGHT-TO-LEFT ISOLATE",
	0x2068: "FIRST STRONG ISOLATE",
	0x2069: "POP DIRECTIONAL ISOLATE",
	0xFEFF: "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
}
