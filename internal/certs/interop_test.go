package certs

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/certs/dn"
	"github.com/signetid/signet/internal/openssltest"
)

// requireOpenSSL skips a test when openssl is missing, unless CI asked for
// the interop tests to be mandatory.
func requireOpenSSL(t *testing.T) {
	t.Helper()
	openssltest.Require(t)
}

func openssl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// OpenSSL reads every PFX we write, finds the key that matches the
// certificate, and computes the thumbprint we print.
func TestPFXReadByOpenSSL(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	subject, _ := dn.Parse("CN=interop, O=Signet")
	for _, spec := range []string{"rsa:2048", "ec:P-256", "ec:P-384", "ec:P-521"} {
		ks, _ := ParseKeySpec(spec)
		key, err := ks.Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := SelfSign(key, SelfSignedOptions{Subject: subject})
		if err != nil {
			t.Fatal(err)
		}
		cred := &Credential{Certificate: cert, Key: key}
		for _, tc := range []struct {
			name     string
			enc      PFXEncryption
			password string
			info     []string
		}{
			{"modern", PFXModern, "pässwörd-1234", []string{"MAC: sha256", "PBES2, PBKDF2, AES-256-CBC", "PRF hmacWithSHA256"}},
			{"legacy", PFXLegacy, "pässwörd-1234", []string{"MAC: sha1", "pbeWithSHA1And3-KeyTripleDES-CBC"}},
			{"empty password", PFXModern, "", []string{"MAC: sha256"}},
		} {
			t.Run(spec+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				pfx, err := EncodePFX(cred, tc.password, tc.enc)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "c.pfx")
				if err := os.WriteFile(path, pfx, 0o600); err != nil {
					t.Fatal(err)
				}
				pass := "pass:" + tc.password
				// -info prints to stderr; -legacy must not be needed.
				info := opensslInfo(t, "pkcs12", "-info", "-noout", "-in", path, "-passin", pass)
				for _, want := range tc.info {
					if !strings.Contains(info, want) {
						t.Errorf("openssl pkcs12 -info lacks %q:\n%s", want, info)
					}
				}
				keyPEM := openssl(t, nil, "pkcs12", "-in", path, "-passin", pass, "-nocerts", "-nodes")
				got, err := Parse([]byte(keyPEM), nil)
				if err != nil {
					t.Fatal(err)
				}
				if !KeyMatches(cert, got.Key) {
					t.Error("the key openssl extracted does not match the certificate")
				}
				certPEM := openssl(t, nil, "pkcs12", "-in", path, "-passin", pass, "-nokeys", "-clcerts")
				fp := openssl(t, []byte(certPEM), "x509", "-noout", "-fingerprint", "-sha1")
				fp = strings.ReplaceAll(strings.TrimSpace(strings.SplitN(fp, "=", 2)[1]), ":", "")
				if fp != Thumbprint(cert) {
					t.Errorf("openssl fingerprint %s, our thumbprint %s", fp, Thumbprint(cert))
				}
				// And we read back what we wrote.
				c, err := Parse(pfx, StaticPassword(tc.password))
				if err != nil {
					t.Fatal(err)
				}
				back, err := c.Credential()
				if err != nil || !back.Certificate.Equal(cert) || !KeyMatches(cert, back.Key) {
					t.Fatalf("round trip: %v", err)
				}
			})
		}
	}
}

// OpenSSL reads the PEM keys we write, encrypted and not.
func TestKeyPEMReadByOpenSSL(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	c, err := ReadFile("testdata/rsa-openssl3.pfx", StaticPassword(fixturePassword))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := c.Credential()
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "s3cret-pem-password"} {
		pemKey, err := EncodeKeyPEM(cred, pw)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "k.pem")
		if err := os.WriteFile(path, pemKey, 0o600); err != nil {
			t.Fatal(err)
		}
		pub := openssl(t, nil, "pkey", "-in", path, "-passin", "pass:"+pw, "-pubout")
		want := openssl(t, EncodeCertPEM(cred.Certificate), "x509", "-noout", "-pubkey")
		if pub != want {
			t.Errorf("password %q: openssl's public key differs from the certificate's", pw)
		}
	}
}

func opensslInfo(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
