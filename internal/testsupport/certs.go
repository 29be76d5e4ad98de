package testsupport

import (
	"crypto"
	"crypto/x509"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certs/dn"
)

// SelfSigned is a certificate of key for subject (a DN such as "CN=app"),
// valid in [from, until), made as `signet cert create` makes one. Zero times
// take certs.SelfSign's defaults: from a minute ago, for two years.
func SelfSigned(t testing.TB, key crypto.Signer, subject string, from, until time.Time) *x509.Certificate {
	t.Helper()
	name, err := dn.Parse(subject)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certs.SelfSign(key, certs.SelfSignedOptions{Subject: name, NotBefore: from, NotAfter: until})
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// ECCredential is a new P-256 key and its certificate (SelfSigned).
func ECCredential(t testing.TB, subject string, from, until time.Time) *certs.Credential {
	t.Helper()
	key := ECKey(t)
	return &certs.Credential{Certificate: SelfSigned(t, key, subject, from, until), Key: key}
}
