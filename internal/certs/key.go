package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MinRSABits is the smallest RSA modulus Signet signs with. RFC 7518 §3.3
// requires 2048 bits for RS256/PS256, and validators such as
// Microsoft.IdentityModel refuse smaller keys, so a smaller key would issue
// tokens that APIs reject.
const MinRSABits = 2048

// KeySpec says which key to generate: "rsa:2048", "ec:P-256", ...
type KeySpec struct {
	// Algorithm is "rsa" or "ec".
	Algorithm string
	// Bits is the RSA modulus size; zero for EC.
	Bits int
	// Curve is the EC curve; nil for RSA.
	Curve elliptic.Curve
}

// KeySpecs lists the accepted --key values, the default first.
var KeySpecs = []string{"rsa:2048", "rsa:3072", "rsa:4096", "ec:P-256", "ec:P-384", "ec:P-521"}

// ParseKeySpec parses one of KeySpecs (case-insensitive; "ec:p256" and
// "ecdsa:P-256" are accepted too).
func ParseKeySpec(s string) (KeySpec, error) {
	alg, param, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	if !ok {
		switch alg {
		case "rsa":
			return KeySpec{Algorithm: "rsa", Bits: 2048}, nil
		case "ec", "ecdsa":
			return KeySpec{Algorithm: "ec", Curve: elliptic.P256()}, nil
		}
		return KeySpec{}, fmt.Errorf("key %q: write it as rsa:BITS or ec:CURVE, one of %s", s, strings.Join(KeySpecs, ", "))
	}
	switch alg {
	case "rsa":
		bits, err := strconv.Atoi(param)
		if err != nil {
			return KeySpec{}, fmt.Errorf("key %q: %q is not a number of bits; use one of %s", s, param, strings.Join(KeySpecs[:3], ", "))
		}
		if bits < MinRSABits {
			return KeySpec{}, fmt.Errorf("key %q: RSA keys under %d bits are refused: RFC 7518 requires %d bits for RS256 and PS256, and APIs reject tokens signed with smaller keys; use rsa:2048 or larger", s, MinRSABits, MinRSABits)
		}
		if bits != 2048 && bits != 3072 && bits != 4096 {
			return KeySpec{}, fmt.Errorf("key %q: use rsa:2048, rsa:3072 or rsa:4096", s)
		}
		return KeySpec{Algorithm: "rsa", Bits: bits}, nil
	case "ec", "ecdsa":
		switch strings.ReplaceAll(param, "-", "") {
		case "p256", "prime256v1", "secp256r1":
			return KeySpec{Algorithm: "ec", Curve: elliptic.P256()}, nil
		case "p384", "secp384r1":
			return KeySpec{Algorithm: "ec", Curve: elliptic.P384()}, nil
		case "p521", "secp521r1":
			return KeySpec{Algorithm: "ec", Curve: elliptic.P521()}, nil
		}
		return KeySpec{}, fmt.Errorf("key %q: that curve is not one JWS can sign with; use ec:P-256, ec:P-384 or ec:P-521", s)
	}
	return KeySpec{}, fmt.Errorf("key %q: unknown key type %q; use one of %s", s, alg, strings.Join(KeySpecs, ", "))
}

// String returns the canonical form, e.g. "rsa:2048" or "ec:P-256".
func (k KeySpec) String() string {
	if k.Algorithm == "ec" && k.Curve != nil {
		return "ec:" + k.Curve.Params().Name
	}
	return "rsa:" + strconv.Itoa(k.Bits)
}

// Generate makes a new private key of this kind, reading randomness from r.
func (k KeySpec) Generate(r io.Reader) (crypto.Signer, error) {
	switch k.Algorithm {
	case "rsa":
		return rsa.GenerateKey(r, k.Bits)
	case "ec":
		return ecdsa.GenerateKey(k.Curve, r)
	}
	return nil, fmt.Errorf("unknown key algorithm %q", k.Algorithm)
}

// KeyInfo describes a public key for people and for --json.
type KeyInfo struct {
	// Algorithm is "RSA", "ECDSA", "Ed25519", "DSA" or "unknown".
	Algorithm string `json:"algorithm"`
	// Bits is the RSA modulus or the EC field size.
	Bits int `json:"bits,omitempty"`
	// Curve is the NIST name of an EC curve, e.g. "P-256".
	Curve string `json:"curve,omitempty"`
}

// String reads "RSA 2048", "ECDSA P-256" or "Ed25519".
func (k KeyInfo) String() string {
	switch {
	case k.Curve != "":
		return k.Algorithm + " " + k.Curve
	case k.Bits > 0:
		return k.Algorithm + " " + strconv.Itoa(k.Bits)
	}
	return k.Algorithm
}

// DescribeKey tells what kind of key pub (a public or private key) is.
func DescribeKey(key any) KeyInfo {
	if priv, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = priv.Public()
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		return KeyInfo{Algorithm: "RSA", Bits: k.N.BitLen()}
	case *ecdsa.PublicKey:
		return KeyInfo{Algorithm: "ECDSA", Bits: k.Curve.Params().BitSize, Curve: k.Curve.Params().Name}
	case ed25519.PublicKey:
		return KeyInfo{Algorithm: "Ed25519", Bits: 256}
	}
	if _, ok := key.(interface{ Equal(crypto.PublicKey) bool }); ok {
		return KeyInfo{Algorithm: fmt.Sprintf("%T", key)}
	}
	return KeyInfo{Algorithm: "unknown"}
}

// SigningAlgorithms lists the JWS algorithms (RFC 7518) a key can sign with,
// the default first; none for keys Signet does not sign with.
func SigningAlgorithms(key any) []string {
	info := DescribeKey(key)
	switch info.Algorithm {
	case "RSA":
		if info.Bits >= MinRSABits {
			return []string{"RS256", "PS256"}
		}
	case "ECDSA":
		switch info.Curve {
		case "P-256":
			return []string{"ES256"}
		case "P-384":
			return []string{"ES384"}
		case "P-521":
			return []string{"ES512"}
		}
	}
	return nil
}

// signatureAlgorithm is the certificate signature for a self-signed
// certificate: SHA-256 for RSA (makecert -a sha256) and the curve's own hash
// for ECDSA, as RFC 5480 §4 recommends.
func signatureAlgorithm(pub crypto.PublicKey) x509.SignatureAlgorithm {
	if ec, ok := pub.(*ecdsa.PublicKey); ok {
		switch ec.Curve {
		case elliptic.P384():
			return x509.ECDSAWithSHA384
		case elliptic.P521():
			return x509.ECDSAWithSHA512
		}
		return x509.ECDSAWithSHA256
	}
	return x509.SHA256WithRSA
}

// KeyMatches reports whether priv is the private half of cert's public key.
func KeyMatches(cert *x509.Certificate, priv crypto.PrivateKey) bool {
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return false
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}
