package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

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

	hh := alg.hash.New()
	hh.Write(buf)
	digest := hh.Sum(nil)
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

// ecdsaRaw turns an ASN.1 ECDSA signature (what crypto.Signer returns)
// into JWS's r||s, each left-padded to size bytes.
func ecdsaRaw(der []byte, size int) ([]byte, error) {
	var r, s big.Int
	in := cryptobyte.String(der)
	var inner cryptobyte.String
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&s) || !inner.Empty() {
		return nil, errors.New("the signer returned a malformed ECDSA signature")
	}
	if r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 8*size || s.BitLen() > 8*size {
		return nil, errors.New("the signer returned an ECDSA signature out of range")
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}
