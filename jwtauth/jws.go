package jwtauth

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unsafe"
)

// b64 is base64url without padding, as JWS uses it (RFC 7515 §2), in
// strict mode: the unused bits of the last character must be zero, so that
// every part has exactly one encoding and no byte can change without
// changing what is decoded.
var b64 = base64.RawURLEncoding.Strict()

// jws is a compact JWS split into its parts, with its header read; the
// payload is decoded only after the signature verifies. Its slices point
// into the token and into a buffer of the caller's, so that a valid token
// costs no allocation before its claims.
type jws struct {
	input      []byte // the signing input: header "." payload
	payloadEnc []byte // the payload, still base64url
	sig        []byte // the decoded signature
	header
}

// header is what is read of the JOSE header.
type header struct {
	algName []byte // the alg header, as sent
	kid     []byte // the kid header, if hasKid
	hasKid  bool
	typ     []byte // the typ header, if hasTyp
	hasTyp  bool
}

// parseCompact splits a compact JWS (RFC 7515 §7.1) strictly: exactly three
// base64url parts, nothing else, and a header that is a JSON object with a
// string alg, at most one of each member this package reads, and no crit.
//
// The header and the signature are decoded into buf when they fit.
func parseCompact(token string, maxSize int, buf []byte) (t jws, err *ValidationError) {
	if len(token) > maxSize {
		return t, newError(ErrMalformed, fmt.Sprintf("token is %d bytes, over the limit of %d", len(token), maxSize))
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		switch {
		case token == "":
			return t, newError(ErrMalformed, "token is empty")
		case strings.HasPrefix(strings.TrimSpace(token), "{"):
			return t, newError(ErrMalformed, "token is JSON: a JWS in JSON serialization is not accepted; send the compact form header.payload.signature")
		}
		return t, newError(ErrMalformed, "token has no dots: a signed JWT is three base64url parts, header.payload.signature")
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 < 0 {
		return t, newError(ErrMalformed, "token has 2 parts: a signed JWT has 3, header.payload.signature")
	}
	d2 += d1 + 1
	if strings.IndexByte(token[d2+1:], '.') >= 0 {
		n := strings.Count(token, ".") + 1
		if n == 5 {
			return t, newError(ErrMalformed, "token has 5 parts: it is encrypted (JWE), which is not accepted; a signed JWT has 3")
		}
		return t, newError(ErrMalformed, fmt.Sprintf("token has %d parts: a signed JWT has 3, header.payload.signature", n))
	}
	// The decoder skips line breaks; a token has none.
	if i := strings.IndexByte(token, '\n'); i >= 0 {
		return t, newError(ErrMalformed, fmt.Sprintf("token has a line break at byte %d", i))
	}
	if i := strings.IndexByte(token, '\r'); i >= 0 {
		return t, newError(ErrMalformed, fmt.Sprintf("token has a line break at byte %d", i))
	}
	if d1 == 0 {
		return t, newError(ErrMalformed, "token's header part is empty")
	}

	// A read-only view of the token's bytes, so that it is not copied: the
	// decoder and the hash only read it, and nothing writes to it.
	tb := unsafe.Slice(unsafe.StringData(token), len(token))
	hEnc, pEnc, sEnc := tb[:d1], tb[d1+1:d2], tb[d2+1:]
	// The payload is decoded later, into its own buffer, which the claims
	// keep.
	hLen, sLen := b64.DecodedLen(len(hEnc)), b64.DecodedLen(len(sEnc))
	if hLen+sLen > len(buf) {
		buf = make([]byte, hLen+sLen)
	}
	n, derr := b64.Decode(buf, hEnc)
	if derr != nil {
		return t, newError(ErrMalformed, fmt.Sprintf("token's header is not base64url: %v", derr))
	}
	hdr := buf[:n:n]
	m, derr := b64.Decode(buf[hLen:], sEnc)
	if derr != nil {
		return t, newError(ErrMalformed, fmt.Sprintf("token's signature is not base64url: %v", derr))
	}
	t.sig = buf[hLen : hLen+m : hLen+m]
	t.payloadEnc = pEnc
	t.input = tb[:d2]
	t.header, err = readHeader(hdr)
	return t, err
}

// Header members read, for duplicate detection.
const (
	seenAlg = 1 << iota
	seenKid
	seenTyp
	seenCty
)

func readHeader(h []byte) (t header, err *ValidationError) {
	r, ok := newObjectReader(h)
	if !ok {
		return t, newError(ErrMalformed, "token's header is not a JSON object")
	}
	var seen uint
	once := func(bit uint, name string) *ValidationError {
		if seen&bit != 0 {
			return newError(ErrMalformed, fmt.Sprintf("token's header has %s twice", name))
		}
		seen |= bit
		return nil
	}
	for {
		rawName, escaped, vs, ve, ok := r.next()
		if !ok {
			break
		}
		name := rawName
		if escaped {
			name = []byte(memberName(rawName, true))
		}
		switch string(name) {
		case "alg":
			if err := once(seenAlg, "alg"); err != nil {
				return t, err
			}
			if t.algName, ok = stringBytes(h, vs, ve); !ok {
				return t, newError(ErrMalformed, "token's alg header is not a string")
			}
		case "kid":
			if err := once(seenKid, "kid"); err != nil {
				return t, err
			}
			if t.kid, ok = stringBytes(h, vs, ve); !ok {
				return t, newError(ErrMalformed, "token's kid header is not a string")
			}
			t.hasKid = len(t.kid) > 0
		case "typ":
			if err := once(seenTyp, "typ"); err != nil {
				return t, err
			}
			if t.typ, ok = stringBytes(h, vs, ve); !ok {
				return t, newError(ErrMalformed, "token's typ header is not a string")
			}
			t.hasTyp = len(t.typ) > 0
		case "cty":
			if err := once(seenCty, "cty"); err != nil {
				return t, err
			}
			if cty, ok := stringBytes(h, vs, ve); ok && normalizeType(string(cty)) == "jwt" {
				return t, newError(ErrMalformed, "token is a nested JWT (cty JWT), which is not accepted")
			}
		case "crit":
			// RFC 7515 §4.1.11: extensions listed in crit must be understood;
			// this package implements none (b64=false among them).
			return t, newError(ErrMalformed, fmt.Sprintf("token's header has crit %s: extensions this validator does not implement", truncate(string(h[vs:ve]))))
		}
	}
	if !r.valid() {
		return t, newError(ErrMalformed, "token's header is not JSON")
	}
	if seen&seenAlg == 0 {
		return t, newError(ErrMalformed, "token's header has no alg")
	}
	return t, nil
}

// typeMatches reports whether the typ header t equals want, an entry of
// config.types (lowercase, without "application/").
func typeMatches(t []byte, want string) bool {
	const prefix = "application/"
	if len(t) > len(prefix) && strings.EqualFold(string(t[:len(prefix)]), prefix) {
		t = t[len(prefix):]
	}
	return strings.EqualFold(string(t), want)
}

func truncate(s string) string {
	const limit = 100
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}
