package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/certs"
)

// Algorithms are the JWS algorithms Signet signs with: asymmetric only.
var Algorithms = []string{"RS256", "PS256", "ES256", "ES384", "ES512"}

// Key is one key of a ring.
type Key struct {
	// ID is the kid: for a certificate, its SHA-1 thumbprint in uppercase
	// hex, as IdentityServer publishes it (so APIs that cached its JWKS
	// keep validating on the day of the switch); otherwise the RFC 7638
	// JWK thumbprint.
	ID string
	// Algorithm is the JWS algorithm, e.g. RS256.
	Algorithm string
	// Public is the public key.
	Public crypto.PublicKey
	// Signer is the private key; nil for a key that only validates.
	Signer crypto.Signer
	// Certificate is nil for keys without one (the development key).
	Certificate *x509.Certificate
	// Chain holds the certificates that came with it, for x5c.
	Chain []*x509.Certificate
	// Source says where the key came from, for logs and the welcome page:
	// "Store CurrentUser/My", "File /etc/signet/key.pfx", ...
	Source string
	// Validation marks a key from validationKeys: published, never signs.
	Validation bool

	// Lifecycle, when set, says when the key signs and when it is
	// published, instead of its certificate's dates (managed keys).
	Lifecycle *Lifecycle

	// headers caches the encoded JWS header per typ.
	headers sync.Map
}

// Subject is the certificate's subject, or "" for a bare key.
func (k *Key) Subject() string {
	if k.Certificate == nil {
		return ""
	}
	return certs.SubjectString(k.Certificate)
}

// NotAfter is when the certificate expires; zero for a bare key.
func (k *Key) NotAfter() time.Time {
	if k.Certificate == nil {
		return time.Time{}
	}
	return k.Certificate.NotAfter
}

// Lifecycle is when a key signs and when it is published. Zero times are
// unbounded.
type Lifecycle struct {
	// Announced is when it enters the JWKS; SignFrom when it may sign (at
	// least the propagation time later, so that every API has fetched it);
	// SignUntil when it stops (its successor's SignFrom); PublishUntil when
	// it leaves the JWKS (the retention after SignUntil, so that the tokens
	// it signed last keep validating).
	Announced, SignFrom, SignUntil, PublishUntil time.Time
}

// within reports whether from <= t < until, zero bounds being open.
func within(t, from, until time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (until.IsZero() || t.Before(until))
}

// validAt reports whether the key may sign at t: within its lifecycle's
// signing window, or its certificate's validity.
func (k *Key) validAt(t time.Time) bool {
	if l := k.Lifecycle; l != nil {
		return within(t, l.SignFrom, l.SignUntil)
	}
	c := k.Certificate
	return c == nil || (!t.Before(c.NotBefore) && !t.After(c.NotAfter))
}

// publishedAt reports whether the key is in the JWKS at t, given the
// ring's retention for certificates.
func (k *Key) publishedAt(t time.Time, retention time.Duration) bool {
	if l := k.Lifecycle; l != nil {
		return within(t, l.Announced, l.PublishUntil)
	}
	c := k.Certificate
	if k.Validation || c == nil {
		return true
	}
	return k.validAt(t) || (!t.Before(c.NotBefore) && t.Before(c.NotAfter.Add(retention)))
}

// edges are the times at which the key's state may change.
func (k *Key) edges(retention time.Duration) []time.Time {
	if l := k.Lifecycle; l != nil {
		return []time.Time{l.Announced, l.SignFrom, l.SignUntil, l.PublishUntil}
	}
	if c := k.Certificate; c != nil {
		return []time.Time{c.NotBefore, c.NotAfter, c.NotAfter.Add(retention)}
	}
	return nil
}

// JWK is the public key as published in the JWKS.
func (k *Key) JWK() jose.JSONWebKey {
	jwk := jose.JSONWebKey{Key: k.Public, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
	if c := k.Certificate; c != nil {
		s1 := sha1.Sum(c.Raw)
		s256 := sha256.Sum256(c.Raw)
		jwk.Certificates = append([]*x509.Certificate{c}, k.Chain...)
		jwk.CertificateThumbprintSHA1 = s1[:]
		jwk.CertificateThumbprintSHA256 = s256[:]
	}
	return jwk
}

// newKey builds a Key for a public key and, when it signs, its private key,
// choosing and checking the algorithm. want is the configured algorithm
// ("" for the default).
func newKey(pub crypto.PublicKey, priv crypto.Signer, cert *x509.Certificate, want string) (*Key, error) {
	alg, err := algorithmFor(pub, want)
	if err != nil {
		return nil, err
	}
	k := &Key{Algorithm: alg, Public: pub, Signer: priv, Certificate: cert}
	if cert != nil {
		k.ID = certs.Thumbprint(cert)
	} else {
		jwk := jose.JSONWebKey{Key: pub}
		tp, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("key thumbprint: %w", err)
		}
		k.ID = base64.RawURLEncoding.EncodeToString(tp)
	}
	return k, nil
}

// algorithmFor picks the algorithm for a key: the configured one if the key
// can use it, else the key's default (RS256 for RSA, ES256/384/512 by curve).
func algorithmFor(pub crypto.PublicKey, want string) (string, error) {
	want = strings.ToUpper(strings.TrimSpace(want))
	var fits []string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < certs.MinRSABits {
			return "", fmt.Errorf("its RSA key has %d bits; tokens need at least %d (RFC 7518 §3.3): create a new one with signet cert create", k.N.BitLen(), certs.MinRSABits)
		}
		fits = []string{"RS256", "PS256"}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			fits = []string{"ES256"}
		case elliptic.P384():
			fits = []string{"ES384"}
		case elliptic.P521():
			fits = []string{"ES512"}
		}
	}
	if len(fits) == 0 {
		return "", fmt.Errorf("its %s key cannot sign JWTs with an algorithm Signet allows (%s)", certs.DescribeKey(pub), strings.Join(Algorithms, ", "))
	}
	if want == "" {
		return fits[0], nil
	}
	if !slices.Contains(fits, want) {
		return "", fmt.Errorf("algorithm %s does not fit its %s key: use %s", want, certs.DescribeKey(pub), strings.Join(fits, " or "))
	}
	return want, nil
}
