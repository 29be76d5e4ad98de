package jwtauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"math/big"
)

// alg is a supported signature algorithm (RFC 7518 §3, RFC 8037 §3.1).
type alg uint8

const (
	rs256 alg = iota
	rs384
	rs512
	ps256
	ps384
	ps512
	es256
	es384
	es512
	edDSA
	numAlgs
)

var algTable = [numAlgs]struct {
	name string
	hash crypto.Hash
}{
	rs256: {"RS256", crypto.SHA256},
	rs384: {"RS384", crypto.SHA384},
	rs512: {"RS512", crypto.SHA512},
	ps256: {"PS256", crypto.SHA256},
	ps384: {"PS384", crypto.SHA384},
	ps512: {"PS512", crypto.SHA512},
	es256: {"ES256", crypto.SHA256},
	es384: {"ES384", crypto.SHA384},
	es512: {"ES512", crypto.SHA512},
	edDSA: {"EdDSA", 0},
}

func (a alg) String() string { return algTable[a].name }

// algByName finds an algorithm by its exact (case-sensitive) JWA name.
func algByName(name string) (alg, bool) {
	switch name {
	case "RS256":
		return rs256, true
	case "RS384":
		return rs384, true
	case "RS512":
		return rs512, true
	case "PS256":
		return ps256, true
	case "PS384":
		return ps384, true
	case "PS512":
		return ps512, true
	case "ES256":
		return es256, true
	case "ES384":
		return es384, true
	case "ES512":
		return es512, true
	case "EdDSA":
		return edDSA, true
	}
	return 0, false
}

// algByBytes is algByName without converting to a string.
func algByBytes(b []byte) (alg, bool) { return algByName(string(b)) }

func algNames() []string {
	out := make([]string, numAlgs)
	for i := range out {
		out[i] = algTable[i].name
	}
	return out
}

// keyKind is what a public key can verify.
type keyKind uint8

const (
	kindRSA keyKind = iota + 1
	kindP256
	kindP384
	kindP521
	kindEd25519
)

func (k keyKind) String() string {
	switch k {
	case kindRSA:
		return "an RSA key"
	case kindP256:
		return "an EC P-256 key"
	case kindP384:
		return "an EC P-384 key"
	case kindP521:
		return "an EC P-521 key"
	case kindEd25519:
		return "an Ed25519 key"
	}
	return "an unsupported key"
}

// fits reports whether a key of kind k can verify algorithm a: an RSA key
// for RS*/PS*, the curve of the algorithm for ES*, Ed25519 for EdDSA.
func (k keyKind) fits(a alg) bool {
	switch a {
	case rs256, rs384, rs512, ps256, ps384, ps512:
		return k == kindRSA
	case es256:
		return k == kindP256
	case es384:
		return k == kindP384
	case es512:
		return k == kindP521
	case edDSA:
		return k == kindEd25519
	}
	return false
}

// verify checks sig over input with key k under algorithm a, which the
// caller has checked k fits. It reads no claim and allocates nothing for
// RS*, ES* and EdDSA: this is the cost that Validate adds to.
func (k *key) verify(a alg, input, sig []byte) bool {
	switch a {
	case rs256:
		h := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, h[:], sig) == nil
	case rs384:
		h := sha512.Sum384(input)
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA384, h[:], sig) == nil
	case rs512:
		h := sha512.Sum512(input)
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA512, h[:], sig) == nil
	case ps256:
		h := sha256.Sum256(input)
		return verifyPSS(k.rsa, crypto.SHA256, h[:], sig)
	case ps384:
		h := sha512.Sum384(input)
		return verifyPSS(k.rsa, crypto.SHA384, h[:], sig)
	case ps512:
		h := sha512.Sum512(input)
		return verifyPSS(k.rsa, crypto.SHA512, h[:], sig)
	case es256:
		h := sha256.Sum256(input)
		return verifyECDSA(k.ec, h[:], sig)
	case es384:
		h := sha512.Sum384(input)
		return verifyECDSA(k.ec, h[:], sig)
	case es512:
		h := sha512.Sum512(input)
		return verifyECDSA(k.ec, h[:], sig)
	case edDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, input, sig)
	}
	return false
}

// verifyPSS is RSASSA-PSS with the salt as long as the hash (RFC 7518
// §3.5).
func verifyPSS(pub *rsa.PublicKey, h crypto.Hash, digest, sig []byte) bool {
	d := bytes.Clone(digest) // rsa.VerifyPSS lets it escape: keep the caller's on the stack
	return rsa.VerifyPSS(pub, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
}

// verifyECDSA checks a JWS ECDSA signature: R and S as fixed-size
// big-endian integers, not ASN.1 (RFC 7518 §3.4).
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return false
	}
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	return ecdsa.Verify(pub, digest, r, s)
}

// kindOf classifies a parsed public key, or explains why it is unusable.
func kindOf(pub crypto.PublicKey) (keyKind, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if bits := p.N.BitLen(); bits < minRSABits {
			return 0, fmt.Errorf("RSA key of %d bits, under %d", bits, minRSABits)
		}
		return kindRSA, nil
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			return kindP256, nil
		case elliptic.P384():
			return kindP384, nil
		case elliptic.P521():
			return kindP521, nil
		}
		return 0, fmt.Errorf("EC key on unsupported curve %s", p.Curve.Params().Name)
	case ed25519.PublicKey:
		return kindEd25519, nil
	}
	return 0, fmt.Errorf("unsupported key type %T", pub)
}
