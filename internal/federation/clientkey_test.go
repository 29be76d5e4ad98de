package federation_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certs/dn"
	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/storage"
)

func genEC(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemOf(t testing.TB, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8PEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PRIVATE KEY", der)
}

func credential(t testing.TB, k crypto.Signer) *certs.Credential {
	t.Helper()
	name, err := dn.Parse("CN=signet client")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certs.SelfSign(k, certs.SelfSignedOptions{Subject: name})
	if err != nil {
		t.Fatal(err)
	}
	return &certs.Credential{Certificate: cert, Key: k}
}

func TestParseClientKey(t *testing.T) {
	t.Parallel()
	ec := genEC(t, elliptic.P256())
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cred := credential(t, ec)
	pfx, err := certs.EncodePFX(cred, "pfx-password", certs.PFXModern)
	if err != nil {
		t.Fatal(err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	p521 := genEC(t, elliptic.P521())
	for _, tc := range []struct {
		name, password string
		data           []byte
		cert           bool
		want           string // an error's text, or "" for success
	}{
		{"PKCS#8", "", pkcs8PEM(t, ec), false, ""},
		{"PKCS#1", "", pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), false, ""},
		{"SEC1", "", pemOf(t, "EC PRIVATE KEY", sec1), false, ""},
		{"PEM key and certificate", "", append(certs.EncodeCertPEM(cred.Certificate), pkcs8PEM(t, ec)...), true, ""},
		{"PFX", "pfx-password", pfx, true, ""},
		{"PFX without its password", "", pfx, false, "password-protected: give its password (clientKeyPassword"},
		{"PFX with a wrong password", "nope", pfx, false, "wrong password"},
		{"a certificate alone", "", certs.EncodeCertPEM(cred.Certificate), false, "holds no private key"},
		{"another key's certificate", "", append(certs.EncodeCertPEM(credential(t, genEC(t, elliptic.P256())).Certificate), pkcs8PEM(t, ec)...), false, "does not belong to any certificate"},
		{"P-521", "", pkcs8PEM(t, p521), false, "use P-256 or P-384"},
		{"not a key", "", []byte("hello"), false, "not a certificate or key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := federation.ParseClientKey(tc.data, tc.password)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("ParseClientKey: %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (k.Certificate() != nil) != tc.cert || k.KeyID() == "" {
				t.Errorf("certificate %v, kid %q", k.Certificate() != nil, k.KeyID())
			}
		})
	}
}

// TestRecordSealsTheClientKey: the database holds the key sealed under
// the key-encryption key, for this provider and as a key (not a secret),
// and beside it the kid, thumbprint and public JWK to show.
func TestRecordSealsTheClientKey(t *testing.T) {
	t.Parallel()
	ec := genEC(t, elliptic.P256())
	cred := credential(t, ec)
	k, err := federation.ParseClientKey(append(certs.EncodeCertPEM(cred.Certificate), pkcs8PEM(t, ec)...), "")
	if err != nil {
		t.Fatal(err)
	}
	s := federation.Settings{Name: "corp", Type: federation.TypeEntra, Tenant: "organizations", ClientID: "app", ClientKey: k}
	if p := s.Problems(); len(p) > 0 {
		t.Fatal(p)
	}
	rec, err := s.Record(kek)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	var plain map[string]any
	if err := json.Unmarshal(rec.Settings, &plain); err != nil || storage.CheckExternalProvider(rec) != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.Settings), "PRIVATE KEY") || strings.Contains(string(rec.Settings), string(der[:16])) ||
		plain["clientKeySealed"] == nil || plain["clientKeyId"] != k.KeyID() || plain["clientCertThumbprint"] != certs.Thumbprint(cred.Certificate) {
		t.Fatalf("record %s", rec.Settings)
	}
	if jwk, _ := plain["clientPublicJwk"].(map[string]any); jwk == nil || jwk["d"] != nil || jwk["kid"] != k.KeyID() {
		t.Errorf("public JWK %v", plain["clientPublicJwk"])
	}
	got, err := federation.FromRecord(rec, kek)
	if err != nil || got.ClientKey == nil || got.ClientKey.KeyID() != k.KeyID() || got.ClientKey.Certificate() == nil {
		t.Fatalf("read back %+v, %v", got, err)
	}
	d, err := federation.Describe(rec)
	if err != nil || d.ClientKey != nil || d.ClientKeyID != k.KeyID() {
		t.Errorf("Describe %+v, %v", d, err)
	}
	// Another provider's row cannot take the key along; no KEK, no key.
	moved := rec
	moved.Name = "other"
	if _, err := federation.FromRecord(moved, kek); err == nil {
		t.Error("a sealed key moved to another provider opened")
	}
	if _, err := federation.FromRecord(rec, nil); err == nil || !strings.Contains(err.Error(), "no key-encryption key") {
		t.Errorf("no key-encryption key: %v", err)
	}
	// A sealed secret put where the key is does not open as one.
	withSecret, err := (&federation.Settings{Name: "corp", Type: federation.TypeOIDC, Authority: "https://x", ClientID: "app", ClientSecret: "s"}).Record(kek)
	if err != nil {
		t.Fatal(err)
	}
	var swap map[string]any
	_ = json.Unmarshal(withSecret.Settings, &swap)
	swap["clientKeySealed"], swap["clientSecretSealed"] = swap["clientSecretSealed"], nil
	withSecret.Settings, _ = json.Marshal(swap)
	if _, err := federation.FromRecord(withSecret, kek); err == nil {
		t.Error("a sealed secret opened as the client key")
	}
}

func TestClientKeyProblems(t *testing.T) {
	t.Parallel()
	ec := genEC(t, elliptic.P256())
	bare, err := federation.ParseClientKey(pkcs8PEM(t, ec), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		s    federation.Settings
		want string
	}{
		{federation.Settings{Name: "o", Type: "oidc", ClientID: "x", Authority: "https://x", ClientSecret: "s", ClientKey: bare}, "not both"},
		{federation.Settings{Name: "g", Type: "github", ClientID: "x", ClientSecret: "s", ClientKey: bare}, "type github takes no client key"},
		{federation.Settings{Name: "g", Type: "google", ClientID: "x", ClientKey: bare}, "type google takes no client key"},
		{federation.Settings{Name: "e", Type: "entra", Tenant: "common", ClientID: "x", ClientKey: bare}, "registers certificates, not bare keys"},
		{federation.Settings{Name: "e", Type: "entra", Tenant: "common", ClientID: "x"}, "a clientSecret or a client key"},
	} {
		if p := strings.Join(tc.s.Problems(), "; "); !strings.Contains(p, tc.want) {
			t.Errorf("%+v: problems %q, want %q", tc.s, p, tc.want)
		}
	}
	ok := federation.Settings{Name: "o", Type: "oidc", ClientID: "x", Authority: "https://x", ClientKey: bare}
	if p := ok.Problems(); len(p) > 0 {
		t.Errorf("an oidc provider with a bare key: %q", p)
	}
}

func FuzzParseClientKey(f *testing.F) {
	ec := genEC(f, elliptic.P256())
	f.Add(pkcs8PEM(f, ec), "")
	pfx, err := certs.EncodePFX(credential(f, ec), "pw", certs.PFXModern)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pfx, "pw")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		k, err := federation.ParseClientKey(data, password)
		if err == nil && (k == nil || k.KeyID() == "") {
			t.Fatal("no error and no key")
		}
	})
}
