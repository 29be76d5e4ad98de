package certs

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixturePassword = "test-password"

// fixtureCert is the certificate every rsa-* fixture holds.
func fixtureCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	c, err := ReadFile(filepath.Join("testdata", name), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Certificates[0]
}

// countingPassword records how often a password was asked for.
func countingPassword(pw string, n *int) Password {
	return func() (string, error) { *n++; return pw, nil }
}

func TestReadFileFixtures(t *testing.T) {
	t.Parallel()
	rsaCert := fixtureCert(t, "rsa.cer")
	ecCert := fixtureCert(t, "ec.crt")
	leafCert := fixtureCert(t, "leaf.crt")
	tests := []struct {
		file        string
		format      Format
		wantCert    *x509.Certificate // nil: no certificate
		wantKey     bool
		asks        int // times the password is asked for
		chain       int
		protection  string // substring of Contents.Protection
		noteContain string
	}{
		{file: "rsa-openssl3.pfx", format: FormatPFX, wantCert: rsaCert, wantKey: true, asks: 1, protection: "modern: key PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{file: "rsa-legacy.pfx", format: FormatPFX, wantCert: rsaCert, wantKey: true, asks: 1, protection: "legacy: key PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC); certificates PKCS#12 pbeWithSHAAnd40BitRC2-CBC; MAC HMAC-SHA1 (2048 iterations)"},
		{file: "rsa-3des.pfx", format: FormatPFX, wantCert: rsaCert, wantKey: true, asks: 1, protection: "certificates PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC"},
		{file: "rsa-emptypassword.pfx", format: FormatPFX, wantCert: rsaCert, wantKey: true, asks: 0},
		{file: "rsa-unprotected.pfx", format: FormatPFX, wantCert: rsaCert, wantKey: true, asks: 0, protection: "none"},
		{file: "rsa-certonly.pfx", format: FormatPFX, asks: 1, noteContain: "no private key"},
		{file: "ec-openssl3.pfx", format: FormatPFX, wantCert: ecCert, wantKey: true, asks: 1},
		{file: "chain.pfx", format: FormatPFX, wantCert: leafCert, wantKey: true, asks: 1, chain: 1},
		{file: "rsa.cer", format: FormatDER, wantCert: rsaCert},
		{file: "rsa.crt", format: FormatPEM, wantCert: rsaCert},
		{file: "rsa-bundle.pem", format: FormatPEM, wantCert: rsaCert, wantKey: true},
		{file: "rsa-pkcs1.pem", format: FormatPEM, wantKey: true},
		{file: "rsa-pkcs8.pem", format: FormatPEM, wantKey: true},
		{file: "rsa-pkcs8.der", format: FormatDER, wantKey: true},
		{file: "rsa-pkcs1-encrypted.pem", format: FormatPEM, wantKey: true, asks: 1, protection: "legacy PEM encryption"},
		{file: "rsa-pkcs8-encrypted.pem", format: FormatPEM, wantKey: true, asks: 1, protection: "AES-256-CBC"},
		{file: "rsa-strong.pvk", format: FormatPVK, wantKey: true, asks: 1, protection: "RC4-128"},
		{file: "rsa-weak.pvk", format: FormatPVK, wantKey: true, asks: 1, protection: "RC4-40"},
		{file: "rsa-none.pvk", format: FormatPVK, wantKey: true},
		{file: "ec-sec1.pem", format: FormatPEM, wantKey: true},
		{file: "ec-pkcs8.pem", format: FormatPEM, wantKey: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			asked := 0
			c, err := ReadFile(filepath.Join("testdata", tt.file), countingPassword(fixturePassword, &asked))
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != tt.format {
				t.Errorf("format %s, want %s", c.Format, tt.format)
			}
			if asked != tt.asks {
				t.Errorf("password asked %d times, want %d", asked, tt.asks)
			}
			if (c.Key != nil) != tt.wantKey {
				t.Errorf("key present %v, want %v", c.Key != nil, tt.wantKey)
			}
			if !strings.Contains(c.Protection, tt.protection) {
				t.Errorf("protection %q, want it to contain %q", c.Protection, tt.protection)
			}
			if tt.noteContain != "" && !strings.Contains(strings.Join(c.Notes, "\n"), tt.noteContain) {
				t.Errorf("notes %q, want %q", c.Notes, tt.noteContain)
			}
			if tt.wantCert == nil {
				return
			}
			cred, err := c.Credential()
			if err != nil {
				t.Fatal(err)
			}
			if !cred.Certificate.Equal(tt.wantCert) {
				t.Errorf("certificate %s, want %s", SubjectString(cred.Certificate), SubjectString(tt.wantCert))
			}
			if len(cred.Chain) != tt.chain {
				t.Errorf("chain of %d, want %d", len(cred.Chain), tt.chain)
			}
			if tt.wantKey && !KeyMatches(cred.Certificate, cred.Key) {
				t.Error("key does not match the certificate")
			}
		})
	}
}

// Every RSA fixture holds the same key, whatever its format.
func TestReadFileSameKeyInEveryFormat(t *testing.T) {
	t.Parallel()
	cert := fixtureCert(t, "rsa.cer")
	for _, f := range []string{"rsa-openssl3.pfx", "rsa-legacy.pfx", "rsa-pkcs1.pem", "rsa-pkcs8.der", "rsa-pkcs1-encrypted.pem", "rsa-pkcs8-encrypted.pem", "rsa-strong.pvk", "rsa-weak.pvk", "rsa-none.pvk"} {
		c, err := ReadFile(filepath.Join("testdata", f), StaticPassword(fixturePassword))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !KeyMatches(cert, c.Key) {
			t.Errorf("%s: key does not match rsa.cer", f)
		}
	}
}

func TestReadFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		password Password
		want     error  // sentinel, or nil to check msg only
		msg      string // substring of the error
	}{
		{file: "rsa-openssl3.pfx", password: StaticPassword("nope"), want: ErrWrongPassword},
		{file: "rsa-legacy.pfx", password: StaticPassword("nope"), want: ErrWrongPassword},
		{file: "rsa-openssl3.pfx", password: nil, want: ErrPasswordRequired},
		{file: "rsa-strong.pvk", password: StaticPassword("nope"), want: ErrWrongPassword},
		{file: "rsa-strong.pvk", password: nil, want: ErrPasswordRequired},
		{file: "rsa-pkcs8-encrypted.pem", password: StaticPassword("nope"), want: ErrWrongPassword},
		{file: "rsa-pkcs1-encrypted.pem", password: StaticPassword("nope"), want: ErrWrongPassword},
		{file: "rsa-pkcs1-encrypted.pem", password: nil, want: ErrPasswordRequired},
		{file: "make-fixtures.sh", msg: "not a certificate or key file"},
		{file: "rsa-nomac.pfx", password: StaticPassword(fixturePassword), msg: "encrypted but has no MAC"},
		{file: "missing.pfx", want: os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			_, err := ReadFile(filepath.Join("testdata", tt.file), tt.password)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	pfx, err := os.ReadFile("testdata/rsa-openssl3.pfx")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		data []byte
		msg  string
	}{
		"empty":             {nil, "empty"},
		"text":              {[]byte("hello"), "not a certificate or key file"},
		"truncated pfx":     {pfx[:len(pfx)/2], "PKCS#12"},
		"pem without block": {[]byte("-----BEGIN CERTIFICATE-----\nAAAA"), "malformed PEM"},
		"pem public key only": {[]byte("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"),
			"no certificate or private key"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.data, StaticPassword("x"))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want one containing %q", err, tt.msg)
			}
		})
	}
}

func TestCombine(t *testing.T) {
	t.Parallel()
	read := func(name string) *Contents {
		c, err := ReadFile(filepath.Join("testdata", name), StaticPassword(fixturePassword))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// pvk2pfx: a PVK and the CER made with it.
	cred, err := Combine(read("rsa-strong.pvk"), read("rsa.cer"))
	if err != nil {
		t.Fatal(err)
	}
	if cred.Key == nil || !cred.Certificate.Equal(fixtureCert(t, "rsa.cer")) {
		t.Fatal("PVK + CER did not combine into the RSA credential")
	}
	// The order of inputs does not matter, and extra certificates become the chain.
	cred, err = Combine(read("ca.crt"), read("leaf.crt"), read("leaf.key"))
	if err != nil {
		t.Fatal(err)
	}
	if SubjectString(cred.Certificate) != "CN=leaf-fixture" || len(cred.Chain) != 1 {
		t.Fatalf("leaf %s with %d chain certificates", SubjectString(cred.Certificate), len(cred.Chain))
	}
	// A key that fits no certificate.
	_, err = Combine(read("rsa-none.pvk"), read("ec.crt"))
	if err == nil || !strings.Contains(err.Error(), "does not belong to any certificate") {
		t.Fatalf("mismatch: %v", err)
	}
	// Two keys.
	if _, err = Combine(read("rsa-none.pvk"), read("ec-sec1.pem"), read("ec.crt")); err == nil || !strings.Contains(err.Error(), "more than one private key") {
		t.Fatalf("two keys: %v", err)
	}
	// A key alone.
	if _, err = Combine(read("rsa-none.pvk")); err == nil || !strings.Contains(err.Error(), "give its certificate too") {
		t.Fatalf("key alone: %v", err)
	}
	// A certificate alone is a credential without a key.
	cred, err = Combine(read("rsa.cer"))
	if err != nil || cred.Key != nil {
		t.Fatalf("certificate alone: %v, key %v", err, cred.Key)
	}
}
