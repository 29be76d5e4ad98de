package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// MaxVerifyBytes bounds a token Verify reads: Signet's own tokens are a
// kilobyte or two (an ID token with many user claims a few more), and a
// longer one is refused before any decoding.
const MaxVerifyBytes = 32 << 10

// ErrMalformed is wrapped by Verify's errors for a token that is no
// compact JWS of the form Signet signs; ErrSignature by those for a token
// whose key or signature does not check out.
var (
	ErrMalformed = errors.New("malformed token")
	ErrSignature = errors.New("token signature not valid")
)

// jwsHeader is what Verify reads of a protected header.
type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// Verify checks a compact JWS (RFC 7515 §7.1) that one of the ring's
// published keys signed (a signing key, or one only published: a previous
// key, a validationKey), and returns its payload and the key. The key is
// found by the header's kid, and the header's alg must be that key's
// algorithm, one of those Signet signs with: never none or an HMAC, so a
// token cannot choose how it is checked. A header with crit is refused
// (RFC 7515 §4.1.11: Signet understands no extension).
//
// It checks no claim: the callers check what they need (iss, exp, aud;
// the end-session endpoint accepts an expired ID token).
func (r *Ring) Verify(token string) (payload []byte, key *Key, err error) {
	if len(token) > MaxVerifyBytes {
		return nil, nil, fmt.Errorf("%w: it is over %d KiB", ErrMalformed, MaxVerifyBytes>>10)
	}
	h, rest, ok := strings.Cut(token, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(s, ".") {
		return nil, nil, fmt.Errorf("%w: a JWT has three base64url parts separated by dots", ErrMalformed)
	}
	enc := base64.RawURLEncoding.Strict()
	rawHeader, err := enc.DecodeString(h)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: its header is not base64url", ErrMalformed)
	}
	var hdr jwsHeader
	if err := json.Unmarshal(rawHeader, &hdr); err != nil {
		return nil, nil, fmt.Errorf("%w: its header is not a JSON object", ErrMalformed)
	}
	alg, known := jwsAlgs[hdr.Alg]
	switch {
	case !known:
		return nil, nil, fmt.Errorf("%w: algorithm %q is not one Signet signs with (%s)", ErrSignature, truncate(hdr.Alg), strings.Join(Algorithms, ", "))
	case len(hdr.Crit) > 0 && !bytes.Equal(hdr.Crit, []byte("null")):
		return nil, nil, fmt.Errorf("%w: its header has crit, and no extension is understood", ErrMalformed)
	case hdr.Kid == "":
		return nil, nil, fmt.Errorf("%w: its header has no kid", ErrSignature)
	}
	for _, k := range r.Published() {
		if k.ID == hdr.Kid {
			key = k
			break
		}
	}
	switch {
	case key == nil:
		return nil, nil, fmt.Errorf("%w: no published key has kid %q (the key may have been retired)", ErrSignature, truncate(hdr.Kid))
	case key.Algorithm != hdr.Alg:
		return nil, nil, fmt.Errorf("%w: key %s signs with %s, not %s", ErrSignature, key.ID, key.Algorithm, hdr.Alg)
	}
	sig, err := enc.DecodeString(s)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: its signature is not base64url", ErrMalformed)
	}
	digest := hashOf(alg.hash, []byte(token[:len(h)+1+len(p)]))
	if !verifySignature(key, alg, digest, sig) {
		return nil, nil, fmt.Errorf("%w: the signature does not match key %s", ErrSignature, key.ID)
	}
	payload, err = enc.DecodeString(p)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: its payload is not base64url", ErrMalformed)
	}
	return payload, key, nil
}

// verifySignature checks a JWS signature of digest by key: PKCS#1 v1.5
// or PSS for RSA, r||s of the curve's size for ECDSA (RFC 7518 §3.4).
func verifySignature(key *Key, alg jwsAlg, digest, sig []byte) bool {
	switch pub := key.Public.(type) {
	case *rsa.PublicKey:
		if alg.ecSize != 0 {
			return false
		}
		if alg.pss {
			return rsa.VerifyPSS(pub, alg.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: alg.hash}) == nil
		}
		return rsa.VerifyPKCS1v15(pub, alg.hash, digest, sig) == nil
	case *ecdsa.PublicKey:
		if alg.ecSize == 0 || len(sig) != 2*alg.ecSize || (pub.Curve.Params().BitSize+7)/8 != alg.ecSize {
			return false
		}
		r := new(big.Int).SetBytes(sig[:alg.ecSize])
		s := new(big.Int).SetBytes(sig[alg.ecSize:])
		return ecdsa.Verify(pub, digest, r, s)
	}
	return false
}

// truncate keeps an attacker's header values short in error messages.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
