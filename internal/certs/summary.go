package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"math/big"
	"strings"
	"time"
)

// Summary describes a credential for people and for --json output.
type Summary struct {
	Subject      string    `json:"subject"`
	Issuer       string    `json:"issuer"`
	SelfSigned   bool      `json:"selfSigned"`
	SerialNumber string    `json:"serialNumber"`
	NotBefore    time.Time `json:"notBefore"`
	NotAfter     time.Time `json:"notAfter"`
	// Validity is "valid", "expired" or "not yet valid" at the time asked.
	Validity           string   `json:"validity"`
	Key                KeyInfo  `json:"key"`
	SignatureAlgorithm string   `json:"signatureAlgorithm"`
	KeyUsage           []string `json:"keyUsage"`
	ExtendedKeyUsage   []string `json:"extendedKeyUsage,omitempty"`
	// Thumbprint is the SHA-1 thumbprint in uppercase hex (Windows, Azure).
	Thumbprint       string `json:"thumbprint"`
	ThumbprintSHA256 string `json:"thumbprintSHA256"`
	HasPrivateKey    bool   `json:"hasPrivateKey"`
	// SigningAlgorithms are the JWS algorithms the key can sign with.
	SigningAlgorithms []string  `json:"signingAlgorithms,omitempty"`
	CanSign           bool      `json:"canSign"`
	Findings          []Finding `json:"findings"`
}

// Summarize describes cred as of now, including Check's findings.
func Summarize(cred *Credential, now time.Time) Summary {
	cert := cred.Certificate
	s := Summary{
		Subject:            SubjectString(cert),
		Issuer:             IssuerString(cert),
		SelfSigned:         bytes.Equal(cert.RawSubject, cert.RawIssuer),
		SerialNumber:       serialHex(cert.SerialNumber),
		NotBefore:          cert.NotBefore.UTC(),
		NotAfter:           cert.NotAfter.UTC(),
		Validity:           "valid",
		Key:                DescribeKey(cert.PublicKey),
		SignatureAlgorithm: cert.SignatureAlgorithm.String(),
		KeyUsage:           keyUsageNames(cert.KeyUsage),
		ExtendedKeyUsage:   extKeyUsageNames(cert),
		Thumbprint:         Thumbprint(cert),
		ThumbprintSHA256:   ThumbprintSHA256(cert),
		HasPrivateKey:      cred.Key != nil,
		SigningAlgorithms:  SigningAlgorithms(cert.PublicKey),
		Findings:           Check(cred, now),
	}
	switch {
	case now.After(cert.NotAfter):
		s.Validity = "expired"
	case now.Before(cert.NotBefore):
		s.Validity = "not yet valid"
	}
	s.CanSign = CanSign(s.Findings)
	if s.Findings == nil {
		s.Findings = []Finding{}
	}
	return s
}

var keyUsages = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "nonRepudiation"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

func keyUsageNames(ku x509.KeyUsage) []string {
	names := []string{}
	for _, u := range keyUsages {
		if ku&u.bit != 0 {
			names = append(names, u.name)
		}
	}
	return names
}

var extKeyUsages = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "any",
	x509.ExtKeyUsageServerAuth:      "serverAuth",
	x509.ExtKeyUsageClientAuth:      "clientAuth",
	x509.ExtKeyUsageCodeSigning:     "codeSigning",
	x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping:    "timeStamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
}

func extKeyUsageNames(cert *x509.Certificate) []string {
	var names []string
	for _, u := range cert.ExtKeyUsage {
		if n, ok := extKeyUsages[u]; ok {
			names = append(names, n)
		} else {
			names = append(names, "unknown")
		}
	}
	for _, oid := range cert.UnknownExtKeyUsage {
		names = append(names, oid.String())
	}
	return names
}

// serialHex writes a serial number as its DER content octets in uppercase
// hex, as Windows and OpenSSL show it: a positive serial whose first bit is
// set keeps its leading 00, and a negative one (makecert writes many) is in
// two's complement rather than with a minus sign.
func serialHex(n *big.Int) string {
	var b []byte
	switch n.Sign() {
	case 0:
		b = []byte{0}
	case 1:
		b = n.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
	default:
		// Two's complement: 2^(8*len) + n, on the fewest bytes whose
		// first bit is set.
		size := (new(big.Int).Not(n).BitLen())/8 + 1
		b = new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(8*size)), n).Bytes()
	}
	return strings.ToUpper(hex.EncodeToString(b))
}
