package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var checkNow = time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)

// makeCert issues a self-signed certificate with exactly the given
// properties, including ones SelfSign refuses to make.
func makeCert(t *testing.T, key crypto.Signer, ku x509.KeyUsage, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "check"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     ku,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	valid := [2]time.Time{checkNow.Add(-time.Hour), checkNow.Add(time.Hour)}
	sig := x509.KeyUsageDigitalSignature

	tests := []struct {
		name    string
		cred    *Credential
		want    []string
		canSign bool
	}{
		{"good", &Credential{Certificate: makeCert(t, ec256, sig, valid[0], valid[1]), Key: ec256}, nil, true},
		{"no key usage extension means any use", &Credential{Certificate: makeCert(t, ec256, 0, valid[0], valid[1]), Key: ec256}, nil, true},
		{"certificate alone", &Credential{Certificate: makeCert(t, ec256, sig, valid[0], valid[1])}, []string{"no-private-key"}, false},
		{"key of another certificate", &Credential{Certificate: makeCert(t, ec256, sig, valid[0], valid[1]), Key: otherEC}, []string{"key-mismatch"}, false},
		{"RSA-1024", &Credential{Certificate: makeCert(t, rsa1024, sig, valid[0], valid[1]), Key: rsa1024}, []string{"weak-key"}, false},
		{"P-224", &Credential{Certificate: makeCert(t, ec224, sig, valid[0], valid[1]), Key: ec224}, []string{"unsupported-key"}, false},
		{"Ed25519", &Credential{Certificate: makeCert(t, ed, sig, valid[0], valid[1]), Key: ed}, []string{"unsupported-key"}, false},
		{"key exchange only", &Credential{Certificate: makeCert(t, ec256, x509.KeyUsageKeyAgreement, valid[0], valid[1]), Key: ec256}, []string{"no-digital-signature"}, false},
		{"expired", &Credential{Certificate: makeCert(t, ec256, sig, checkNow.AddDate(-2, 0, 0), checkNow.AddDate(0, 0, -3)), Key: ec256}, []string{"expired"}, true},
		{"not yet valid", &Credential{Certificate: makeCert(t, ec256, sig, checkNow.Add(5*time.Hour), checkNow.AddDate(1, 0, 0)), Key: ec256}, []string{"not-yet-valid"}, true},
		{"everything wrong", &Credential{Certificate: makeCert(t, rsa1024, x509.KeyUsageKeyEncipherment, checkNow.AddDate(-2, 0, 0), checkNow.AddDate(-1, 0, 0))}, []string{"no-private-key", "weak-key", "no-digital-signature", "expired"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := Check(tt.cred, checkNow)
			if got := codes(fs); !slices.Equal(got, tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
			for _, f := range fs {
				if f.Message == "" || f.Fix == "" {
					t.Errorf("finding %s has no message or no fix", f.Code)
				}
			}
			if CanSign(fs) != tt.canSign {
				t.Errorf("CanSign %v, want %v", CanSign(fs), tt.canSign)
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	t.Parallel()
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cer := &Credential{Certificate: makeCert(t, ec256, x509.KeyUsageDigitalSignature, checkNow.AddDate(-1, 0, 0), checkNow.AddDate(0, 0, -3))}
	fs := Check(cer, checkNow)
	text := ""
	for _, f := range fs {
		text += f.Message + " / " + f.Fix + "\n"
	}
	for _, want := range []string{
		"point the server at the .pfx, or import the .pfx, not the .cer",
		"expired on 2027-05-29 12:00:00 UTC (3 days ago)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("messages %q lack %q", text, want)
		}
	}
}

// The fixtures made by openssl that cannot sign are judged so.
func TestCheckFixtures(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{"rsa1024.pfx": "weak-key", "exchange-only.pfx": "no-digital-signature"} {
		c, err := ReadFile(filepath.Join("testdata", file), StaticPassword(fixturePassword))
		if err != nil {
			t.Fatal(err)
		}
		cred, err := c.Credential()
		if err != nil {
			t.Fatal(err)
		}
		s := Summarize(cred, checkNow)
		if s.CanSign || !slices.Contains(codes(s.Findings), want) {
			t.Errorf("%s: canSign %v, findings %v; want %s", file, s.CanSign, codes(s.Findings), want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	cert := fixtureCert(t, "rsa.cer")
	s := Summarize(&Credential{Certificate: cert}, checkNow)
	if s.Subject != "CN=rsa-fixture, O=Contoso, C=US" || !s.SelfSigned || s.Validity != "valid" {
		t.Errorf("summary %+v", s)
	}
	if s.Key.String() != "RSA 2048" || !slices.Equal(s.KeyUsage, []string{"digitalSignature"}) || s.HasPrivateKey || s.CanSign {
		t.Errorf("summary %+v", s)
	}
	if s.Thumbprint != Thumbprint(cert) || len(s.SerialNumber)%2 != 0 {
		t.Errorf("thumbprint %s serial %s", s.Thumbprint, s.SerialNumber)
	}
}

func TestAgo(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		30 * time.Second:         "30 seconds",
		90 * time.Second:         "90 seconds",
		5 * time.Minute:          "5 minutes",
		3 * time.Hour:            "3 hours",
		-3 * time.Hour:           "3 hours",
		72 * time.Hour:           "3 days",
		3 * 365 * 24 * time.Hour: "3 years",
	} {
		if got := Ago(d); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
}
