package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The token path signs JWTs itself rather than through go-jose's JWT
// builder, which marshals the claims, decodes them into a map, merges and
// marshals them again, and encodes the constant header on every token. Here
// the header is encoded once per key and typ, the claims once, and the
// signature is the crypto.Signer's (an in-memory key or a PKCS#11 token),
// in JWS form (RFC 7515 §5.1, RFC 7518 §3): ECDSA as r||s of the curve's
// size, RSA-PSS with a salt as long as the hash.

// jwsAlg is what an algorithm needs: its hash and the signer options.
type jwsAlg struct {
	hash crypto.Hash
	pss  bool
	// ecSize is the byte length of r and s for ECDSA; 0 for RSA.
	ecSize int
}

var jwsAlgs = map[string]jwsAlg{
	"RS256": {hash: crypto.SHA256},
	"PS256": {hash: crypto.SHA256, pss: true},
	"ES256": {hash: crypto.SHA256, ecSize: 32},
	"ES384": {hash: crypto.SHA384, ecSize: 48},
	"ES512": {hash: crypto.SHA512, ecSize: 66},
}

// header returns the base64url-encoded protected header for typ: alg, kid
// and typ, encoded once and kept.
func (k *Key) header(typ string) (string, error) {
	if h, ok := k.headers.Load(typ); ok {
		return h.(string), nil
	}
	if _, ok := jwsAlgs[k.Algorithm]; !ok {
		return "", fmt.Errorf("key %s: algorithm %q cannot sign", k.ID, k.Algorithm)
	}
	if k.Signer == nil {
		return "", fmt.Errorf("key %s has no private key", k.ID)
	}
	raw, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ,omitempty"`
	}{k.Algorithm, k.ID, typ})
	if err != nil {
		return "", err
	}
	h := base64.RawURLEncoding.EncodeToString(raw)
	actual, _ := k.headers.LoadOrStore(typ, h)
	return actual.(string), nil
}

// signJWT returns the compact JWS of claims (JSON-encoded) with a header
// of typ.
func (k *Key) signJWT(typ string, claims any) (string, error) {
	h, err := k.header(typ)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode the claims: %w", err)
	}
	alg := jwsAlgs[k.Algorithm]
	enc := base64.RawURLEncoding
	sigLen := 512 // the longest: RSA-4096
	if alg.ecSize > 0 {
		sigLen = 2 * alg.ecSize
	}
	buf := make([]byte, 0, len(h)+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(sigLen))
	buf = append(buf, h...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)

	digest := hashOf(alg.hash, buf)
	var opts crypto.SignerOpts = alg.hash
	if alg.pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: alg.hash}
	}
	sig, err := k.Signer.Sign(rand.Reader, digest, opts)
	if err != nil {
		return "", fmt.Errorf("sign with %s: %w", k.ID, err)
	}
	if alg.ecSize > 0 {
		if sig, err = ecdsaRaw(sig, alg.ecSize); err != nil {
			return "", fmt.Errorf("sign with %s: %w", k.ID, err)
		}
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// hashOf is h's digest of data, through the one-shot functions: h.New
// would put a hasher on the heap for every token.
func hashOf(h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(data)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(data)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(data)
		return d[:]
	}
	hh := h.New()
	hh.Write(data)
	return hh.Sum(nil)
}

// ecdsaRaw turns an ASN.1 ECDSA signature (what crypto.Signer returns)
// into JWS's r||s, each left-padded to size bytes.
func ecdsaRaw(der []byte, size int) ([]byte, error) {
	in := cryptobyte.String(der)
	var inner, r, s cryptobyte.String
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1(&r, asn1.INTEGER) || !inner.ReadASN1(&s, asn1.INTEGER) || !inner.Empty() {
		return nil, errors.New("the signer returned a malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	if !putUint(out[:size], r) || !putUint(out[size:], s) {
		return nil, errors.New("the signer returned an ECDSA signature out of range")
	}
	return out, nil
}

// putUint writes the DER INTEGER content v, which must be positive and
// minimally encoded (X.690 §8.3.2) and fit in dst, right-aligned in dst.
func putUint(dst []byte, v []byte) bool {
	switch {
	case len(v) == 0 || v[0]&0x80 != 0: // empty or negative
		return false
	case len(v) > 1 && v[0] == 0 && v[1]&0x80 == 0: // not minimal
		return false
	}
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > len(dst) { // zero, or too large
		return false
	}
	copy(dst[len(dst)-len(v):], v)
	return true
}
