package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs/dn"
)

func TestParseKeySpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, err string
	}{
		{in: "rsa:2048", want: "rsa:2048"},
		{in: "RSA:3072", want: "rsa:3072"},
		{in: "rsa:4096", want: "rsa:4096"},
		{in: "rsa", want: "rsa:2048"},
		{in: "ec:P-256", want: "ec:P-256"},
		{in: "ec:p384", want: "ec:P-384"},
		{in: "ecdsa:secp521r1", want: "ec:P-521"},
		{in: "ec:prime256v1", want: "ec:P-256"},
		{in: "rsa:1024", err: "RSA keys under 2048 bits are refused: RFC 7518 requires 2048 bits"},
		{in: "rsa:512", err: "under 2048 bits"},
		{in: "rsa:2049", err: "use rsa:2048, rsa:3072 or rsa:4096"},
		{in: "rsa:big", err: "not a number of bits"},
		{in: "ec:P-224", err: "not one JWS can sign with"},
		{in: "dsa:2048", err: "unknown key type"},
		{in: "ed25519", err: "write it as rsa:BITS or ec:CURVE"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseKeySpec(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSelfSign(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		sigAlg  x509.SignatureAlgorithm
		jwsAlgs []string
	}{
		{"rsa:2048", x509.SHA256WithRSA, []string{"RS256", "PS256"}},
		{"ec:P-256", x509.ECDSAWithSHA256, []string{"ES256"}},
		{"ec:P-384", x509.ECDSAWithSHA384, []string{"ES384"}},
		{"ec:P-521", x509.ECDSAWithSHA512, []string{"ES512"}},
	}
	subject, err := dn.Parse(`CN=my-app-auth, OU=Identity, O="Contoso, Ltd", C=US`)
	if err != nil {
		t.Fatal(err)
	}
	notBefore := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			spec, err := ParseKeySpec(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			key, err := spec.Generate(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := SelfSign(key, SelfSignedOptions{Subject: subject, NotBefore: notBefore, NotAfter: notAfter})
			if err != nil {
				t.Fatal(err)
			}
			if cert.SignatureAlgorithm != tt.sigAlg {
				t.Errorf("signature %v, want %v", cert.SignatureAlgorithm, tt.sigAlg)
			}
			if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
				t.Errorf("not self-signed: %v", err)
			}
			if cert.KeyUsage != x509.KeyUsageDigitalSignature {
				t.Errorf("key usage %v, want digitalSignature only", cert.KeyUsage)
			}
			if !criticalKeyUsage(cert) {
				t.Error("key usage is not critical")
			}
			if len(cert.ExtKeyUsage) != 0 || cert.BasicConstraintsValid {
				t.Error("unexpected extended key usage or basic constraints")
			}
			if got := SubjectString(cert); got != `CN=my-app-auth, OU=Identity, O="Contoso, Ltd", C=US` {
				t.Errorf("subject %s", got)
			}
			if !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
				t.Error("issuer differs from subject")
			}
			if !cert.NotBefore.Equal(notBefore) || !cert.NotAfter.Equal(notAfter) {
				t.Errorf("validity %v to %v", cert.NotBefore, cert.NotAfter)
			}
			if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() < 64 {
				t.Errorf("serial %v is not a positive random number", cert.SerialNumber)
			}
			if len(cert.SubjectKeyId) != sha1.Size {
				t.Errorf("subject key id %x", cert.SubjectKeyId)
			}
			if !KeyMatches(cert, key) {
				t.Error("key does not match")
			}
			if got := SigningAlgorithms(cert.PublicKey); strings.Join(got, ",") != strings.Join(tt.jwsAlgs, ",") {
				t.Errorf("signing algorithms %v, want %v", got, tt.jwsAlgs)
			}
			if fs := Check(&Credential{Certificate: cert, Key: key}, notBefore.Add(time.Hour)); len(fs) != 0 {
				t.Errorf("findings for a fresh certificate: %+v", fs)
			}
		})
	}
}

func criticalKeyUsage(cert *x509.Certificate) bool {
	for _, e := range cert.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 15}) {
			return e.Critical
		}
	}
	return false
}

func TestSelfSignDefaultsAndErrors(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := dn.Parse("CN=x")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cert, err := SelfSign(key, SelfSignedOptions{Subject: subject, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if !cert.NotBefore.Equal(now.Add(-time.Minute)) || !cert.NotAfter.Equal(now.Add(-time.Minute).Add(DefaultValidity)) {
		t.Errorf("default validity %v to %v", cert.NotBefore, cert.NotAfter)
	}
	// Two certificates never share a serial.
	other, err := SelfSign(key, SelfSignedOptions{Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	if other.SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Error("same serial twice")
	}

	if _, err := SelfSign(key, SelfSignedOptions{}); err == nil || !strings.Contains(err.Error(), "subject is empty") {
		t.Errorf("empty subject: %v", err)
	}
	_, err = SelfSign(key, SelfSignedOptions{Subject: subject, NotBefore: now, NotAfter: now.Add(-time.Hour)})
	if err == nil || !strings.Contains(err.Error(), "before it starts") {
		t.Errorf("inverted validity: %v", err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SelfSign(small, SelfSignedOptions{Subject: subject}); err == nil || !strings.Contains(err.Error(), "cannot sign tokens") {
		t.Errorf("RSA-1024: %v", err)
	}
}
