package certs

import (
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the format detection and every parser
// behind it (PKCS#12, PEM, DER, PVK, encrypted PKCS#8): each input gives a
// result or an error, never a panic, and a result is self-consistent.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		if strings.Contains(file, "nss") {
			// NSS derives keys with 600,000 iterations: a second per
			// input. FuzzPFX covers them under a low iteration bound.
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, StaticPassword(fixturePassword))
		if err != nil {
			return
		}
		if c.Key == nil && len(c.Certificates) == 0 && c.Format != FormatPFX {
			t.Fatalf("%s: no error, yet neither key nor certificate", c.Format)
		}
		cred, err := c.Credential()
		if err != nil {
			return
		}
		if cred.Key != nil && !KeyMatches(cred.Certificate, cred.Key) {
			t.Fatal("Credential paired a key with a certificate it does not match")
		}
		_ = Summarize(cred, checkNow)
		if _, ok := cred.Key.(crypto.Signer); cred.Key != nil && !ok {
			t.Fatal("key is not a signer")
		}
	})
}

// FuzzPFX drives the PKCS#12 reader (our structure walk, the iteration
// bounds, and go-pkcs12 behind them) directly, with and without a password.
func FuzzPFX(f *testing.F) {
	for _, file := range []string{"rsa-openssl3.pfx", "rsa-legacy.pfx", "rsa-emptypassword.pfx", "rsa-unprotected.pfx", "rsa-certonly.pfx", "chain.pfx", "ec-openssl3.pfx"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, true)
	}
	// BER, outside the MAC and inside it (see TestPFXReadsBER).
	f.Add(derToBER(f, readFixture(f, "rsa-openssl3.pfx")), true)
	f.Add(berInside(f), true)
	f.Fuzz(func(t *testing.T, data []byte, withPassword bool) {
		var pw Password
		if withPassword {
			pw = StaticPassword(fixturePassword)
		}
		// A low iteration bound keeps each input fast; the real bound
		// is tested in TestPFXRefusesHugeIterationCounts.
		c, err := decodePFXLimited(data, pw, 4096)
		if err != nil {
			return
		}
		if c.Key != nil && len(c.Certificates) == 0 {
			t.Fatal("a key without a certificate from PKCS#12")
		}
	})
}

// FuzzPEM drives the PEM reader with every block type it knows.
func FuzzPEM(f *testing.F) {
	for _, file := range []string{"rsa-bundle.pem", "rsa-pkcs1.pem", "rsa-pkcs1-encrypted.pem", "rsa-pkcs8-encrypted.pem", "ec-sec1.pem", "ec-pkcs8.pem", "rsa.crt"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parsePEM(data, StaticPassword(fixturePassword))
		if err != nil {
			return
		}
		if c.Key == nil && len(c.Certificates) == 0 {
			t.Fatal("PEM parsed to nothing without an error")
		}
	})
}
