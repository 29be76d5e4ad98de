package managed

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/signing"
)

// RSABits is the size of the RSA keys made for RS256 and PS256.
const RSABits = 2048

// curveFor is the curve of an ECDSA algorithm; nil for RSA ones.
func curveFor(alg string) elliptic.Curve {
	switch alg {
	case "ES256":
		return elliptic.P256()
	case "ES384":
		return elliptic.P384()
	case "ES512":
		return elliptic.P521()
	}
	return nil
}

// checkAlgorithm refuses an algorithm Signet does not manage keys for.
func checkAlgorithm(alg string) error {
	if !slices.Contains(signing.Algorithms, alg) {
		return fmt.Errorf("unknown signing algorithm %q: use %s", alg, strings.Join(signing.Algorithms, ", "))
	}
	return nil
}

// generate makes a private key for alg.
func generate(alg string) (crypto.Signer, error) {
	if c := curveFor(alg); c != nil {
		return ecdsa.GenerateKey(c, rand.Reader)
	}
	if alg == "RS256" || alg == "PS256" {
		return rsa.GenerateKey(rand.Reader, RSABits)
	}
	return nil, checkAlgorithm(alg)
}

// thumbprint is the RFC 7638 JWK thumbprint of pub (SHA-256, base64url):
// a managed key's kid.
func thumbprint(pub crypto.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// fits reports whether priv is a key for alg.
func fits(priv crypto.Signer, alg string) bool {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return (alg == "RS256" || alg == "PS256") && k.N.BitLen() >= RSABits
	case *ecdsa.PrivateKey:
		c := curveFor(alg)
		return c != nil && k.Curve == c
	}
	return false
}

// parse reads the PKCS#8 DER of a stored key and checks that it is the key
// kid names, for alg. Its errors wrap ErrCorrupt.
func parse(der []byte, kid, alg string) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: not a PKCS#8 private key: %v", ErrCorrupt, err)
	}
	priv, ok := k.(crypto.Signer)
	if !ok || !fits(priv, alg) {
		return nil, fmt.Errorf("%w: its private key does not fit %s", ErrCorrupt, alg)
	}
	tp, err := thumbprint(priv.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if tp != kid {
		return nil, fmt.Errorf("%w: its private key's thumbprint is %s, not the kid", ErrCorrupt, tp)
	}
	return priv, nil
}
