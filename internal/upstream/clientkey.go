package upstream

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is SHA-1 by definition (RFC 7515 §4.1.7), and Entra requires it
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// ClientKey is the private key Signet authenticates with at an upstream's
// token endpoint (private_key_jwt: RFC 7523 §2.2, OpenID Connect Core §9),
// with the certificate the upstream knows it by, if any. Made by
// NewClientKey; immutable.
type ClientKey struct {
	key  crypto.Signer
	cert *x509.Certificate
	alg  jose.SignatureAlgorithm
	kid  string
}

// assertionLifetime is how long a client assertion is good for: one
// token request, with room for clock skew.
const assertionLifetime = 5 * time.Minute

// AssertionType is client_assertion_type of a JWT assertion (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// NewClientKey checks key (and cert, which may be nil) and makes a
// ClientKey. Only the asymmetric keys every OpenID provider verifies are
// accepted: RSA of 2048 bits or more (RS256), EC P-256 (ES256) and P-384
// (ES384). A certificate must hold key's public key.
func NewClientKey(key crypto.Signer, cert *x509.Certificate) (*ClientKey, error) {
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if n := k.N.BitLen(); n < minRSABits {
			return nil, fmt.Errorf("the client key is RSA %d: use RSA %d or more, or EC P-256", n, minRSABits)
		}
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		default:
			return nil, fmt.Errorf("the client key is EC %s: use P-256 or P-384 (or RSA 2048)", k.Curve.Params().Name)
		}
	case nil:
		return nil, errors.New("no client key")
	default:
		return nil, fmt.Errorf("the client key is %T: use RSA (2048 or more) or EC P-256 or P-384, which every OpenID provider verifies", key)
	}
	if cert != nil {
		pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(key.Public()) {
			return nil, errors.New("the client certificate does not hold the client key's public key: pair the key with its own certificate")
		}
	}
	tp, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("the client key's thumbprint: %w", err)
	}
	return &ClientKey{key: key, cert: cert, alg: alg, kid: base64.RawURLEncoding.EncodeToString(tp)}, nil
}

// String, GoString and LogValue name the key by its kid: a ClientKey
// printed or logged (inside a provider's settings) shows no private part.
func (k *ClientKey) String() string       { return "client key " + k.kid }
func (k *ClientKey) GoString() string     { return k.String() }
func (k *ClientKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Algorithm is the assertion's alg: RS256, ES256 or ES384.
func (k *ClientKey) Algorithm() string { return string(k.alg) }

// KeyID is the assertion's kid: the public key's JWK thumbprint (RFC 7638,
// SHA-256, base64url), which the upstream can compute from the key it holds.
func (k *ClientKey) KeyID() string { return k.kid }

// Signer is the private key.
func (k *ClientKey) Signer() crypto.Signer { return k.key }

// Certificate is the client certificate, or nil for a bare key.
func (k *ClientKey) Certificate() *x509.Certificate { return k.cert }

// PublicJWK is the public key as a JWK (with x5c when there is a
// certificate), to register at the upstream as the client's jwks.
func (k *ClientKey) PublicJWK() ([]byte, error) {
	j := jose.JSONWebKey{Key: k.key.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
	if k.cert != nil {
		j.Certificates = []*x509.Certificate{k.cert}
		s1, s256 := k.thumbprints()
		j.CertificateThumbprintSHA1, j.CertificateThumbprintSHA256 = s1, s256
	}
	return json.Marshal(j)
}

func (k *ClientKey) thumbprints() (sha1Sum, sha256Sum []byte) {
	a := sha1.Sum(k.cert.Raw) //nolint:gosec // see the import
	b := sha256.Sum256(k.cert.Raw)
	return a[:], b[:]
}

// assertionClaims are a client assertion's (RFC 7523 §3): iss and sub
// are the client id, aud the token endpoint, jti unique.
type assertionClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	ID       string `json:"jti"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
}

// Assertion signs a client assertion for clientID at the token endpoint
// audience, issued at now, with a 128-bit jti read from random.
func (k *ClientKey) Assertion(clientID, audience string, now time.Time, random io.Reader) (string, error) {
	var jti [16]byte
	if _, err := io.ReadFull(random, jti[:]); err != nil {
		return "", fmt.Errorf("client assertion: jti: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if k.cert != nil {
		s1, s256 := k.thumbprints()
		opts = opts.WithHeader("x5t", base64.RawURLEncoding.EncodeToString(s1)).
			WithHeader("x5t#S256", base64.RawURLEncoding.EncodeToString(s256))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}}, opts)
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	payload, err := json.Marshal(assertionClaims{
		Issuer: clientID, Subject: clientID, Audience: audience,
		ID: base64.RawURLEncoding.EncodeToString(jti[:]), IssuedAt: now.Unix(), Expiry: now.Add(assertionLifetime).Unix(),
	})
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("client assertion: sign: %w", err)
	}
	return jws.CompactSerialize()
}
