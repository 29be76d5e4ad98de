package welcome_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"html"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/welcome"
)

type fixedKeys struct {
	signer    *signing.Key
	published []*signing.Key
}

func (k fixedKeys) Signer() *signing.Key      { return k.signer }
func (k fixedKeys) Published() []*signing.Key { return k.published }

func certKey(t *testing.T, cn string, notAfter time.Time) *signing.Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: notAfter.AddDate(-2, 0, 0), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &signing.Key{ID: certs.Thumbprint(c), Algorithm: "ES256", Public: &priv.PublicKey, Signer: priv, Certificate: c}
}

// TestExpiryNotice: a signing certificate within ExpiryWarning gets a
// notice, an expired published one a warning, one further away nothing.
func TestExpiryNotice(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	soon := certKey(t, "soon", now.AddDate(0, 0, 10))
	gone := certKey(t, "gone", now.AddDate(0, 0, -1))
	gone.Validation = true
	later := certKey(t, "later", now.AddDate(0, 3, 0))
	page := func(signer *signing.Key, published ...*signing.Key) string {
		e := welcome.New(welcome.Options{Keys: fixedKeys{signer, published}, ExpiryWarning: 30 * 24 * time.Hour, Now: func() time.Time { return now }})
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		w := httptest.NewRecorder()
		e.Routes()[0].Handler.ServeHTTP(w, r.WithContext(endpoint.WithIssuer(r.Context(), "https://a.example")))
		return html.UnescapeString(w.Body.String())
	}
	p := page(soon, soon, gone)
	for _, want := range []string{
		`<p class="notice" role="status">The signing certificate <code>` + soon.ID + `</code> (CN=soon) expires on 2026-03-11: make its successor now`,
		`<p class="warning" role="alert">The validation certificate <code>` + gone.ID + `</code> (CN=gone) expired on 2026-02-28`,
	} {
		if !strings.Contains(p, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if p := page(later, later); strings.Contains(p, `class="notice"`) || strings.Contains(p, `class="warning"`) {
		t.Error("a certificate three months from its end has a notice")
	}
}
