package certs

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/signetid/signet/internal/certs/dn"
)

// DefaultValidity is how long a new certificate is valid when no end is given.
const DefaultValidity = 2 * 365 * 24 * time.Hour

// SelfSignedOptions describe a new self-signed signing certificate.
type SelfSignedOptions struct {
	// Subject is the distinguished name; it is also the issuer.
	Subject dn.Name
	// NotBefore and NotAfter bound the validity. A zero NotBefore means now;
	// a zero NotAfter means NotBefore + DefaultValidity.
	NotBefore, NotAfter time.Time
	// Rand is the source of the serial number; nil means crypto/rand.
	Rand io.Reader
	// Now is the clock used for a zero NotBefore; nil means time.Now.
	Now func() time.Time
}

// SelfSign issues a self-signed certificate for key, the equivalent of
// makecert -sky signature -a sha256: KeyUsage digitalSignature only (marked
// critical, as RFC 5280 §4.2.1.3 asks), a random 128-bit serial, and a
// subject key identifier. It has no basic constraints and no extended key
// usage, as makecert wrote none; token validators do not check either.
func SelfSign(key crypto.Signer, opts SelfSignedOptions) (*x509.Certificate, error) {
	if len(opts.Subject) == 0 {
		return nil, errors.New("subject is empty: give one such as CN=my-app-auth")
	}
	if err := opts.Subject.CheckStrings(); err != nil {
		return nil, err
	}
	if SigningAlgorithms(key) == nil {
		return nil, fmt.Errorf("a %s key cannot sign tokens", DescribeKey(key))
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	notBefore := opts.NotBefore
	if notBefore.IsZero() {
		// A minute back, so that a validator whose clock is slightly behind
		// does not see a certificate from the future.
		notBefore = now().Add(-time.Minute)
	}
	notAfter := opts.NotAfter
	if notAfter.IsZero() {
		notAfter = notBefore.Add(DefaultValidity)
	}
	if !notAfter.After(notBefore) {
		return nil, fmt.Errorf("the certificate would end (%s) before it starts (%s): give a --not-after later than --not-before",
			notAfter.UTC().Format(time.DateOnly), notBefore.UTC().Format(time.DateOnly))
	}
	subject, err := opts.Subject.DER()
	if err != nil {
		return nil, fmt.Errorf("subject %q: %w", opts.Subject, err)
	}
	serial, err := randomSerial(r)
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	skid, err := subjectKeyID(spki)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		RawSubject:         subject,
		NotBefore:          notBefore.UTC().Truncate(time.Second),
		NotAfter:           notAfter.UTC().Truncate(time.Second),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		SubjectKeyId:       skid,
		SignatureAlgorithm: signatureAlgorithm(key.Public()),
	}
	der, err := x509.CreateCertificate(r, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// randomSerial returns a positive 128-bit serial number (RFC 5280 allows up
// to 20 octets; CA/B Forum asks for at least 64 random bits).
func randomSerial(r io.Reader) (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(r, limit)
		if err != nil {
			return nil, fmt.Errorf("random serial: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// subjectKeyID is method 1 of RFC 5280 §4.2.1.2: the SHA-1 of the
// subjectPublicKey bit string, which is also what Windows computes.
func subjectKeyID(spki []byte) ([]byte, error) {
	var info struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("subject key id: %w", err)
	}
	sum := sha1.Sum(info.PublicKey.Bytes)
	return sum[:], nil
}
