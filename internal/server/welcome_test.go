package server_test

import (
	"html"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signing"
)

// The welcome page: what this server is, its endpoints and keys (never a
// private part), and the development notice in development only.
func TestWelcomePage(t *testing.T) {
	t.Parallel()
	rsaCred := credential(t, "rsa-openssl3.pfx")
	ecCred := credential(t, "ec-openssl3.pfx")
	srv := newServer(t, server.Options{Issuer: "https://auth.example.com", Version: "v1.2.3-test"})
	res := get(srv, "/")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	h := res.header
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", h.Get("X-Content-Type-Options"))
	}
	page := html.UnescapeString(string(res.body))
	for _, want := range []string{
		`<meta name="viewport"`,
		"v1.2.3-test",
		"<code>https://auth.example.com</code>",
		"https://auth.example.com" + server.PathDiscovery,
		"https://auth.example.com" + server.PathJWKS,
		"https://auth.example.com" + server.PathToken,
		// The signing key and the validation key, with kid (the SHA-1
		// thumbprint), algorithm, role, subject and expiry.
		certs.Thumbprint(rsaCred.Certificate), "RS256", "signing", certs.SubjectString(rsaCred.Certificate),
		rsaCred.Certificate.NotAfter.UTC().Format("2006-01-02"),
		certs.Thumbprint(ecCred.Certificate), "ES256", "validation", certs.SubjectString(ecCred.Certificate),
		ecCred.Certificate.NotAfter.UTC().Format("2006-01-02"),
		"SHA-1 thumbprint",
		"File " + fixtures + "rsa-openssl3.pfx",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "Development mode") || strings.Contains(page, "curl") {
		t.Error("the development notice is shown outside development")
	}
	assertNoSecret(t, string(res.body), privateParts(t, rsaCred.Key)...)
	assertNoSecret(t, string(res.body), password)
}

func TestWelcomePageDevelopment(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	ring := devRing(t, dataDir)
	secretFile := filepath.Join(dataDir, "development-client-secret")
	const devSecret = "dev-secret-never-shown-0123456789abcdefghij"
	if err := os.WriteFile(secretFile, []byte(devSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dev := &server.Development{ClientID: "signet-dev", Scope: "dev-api", SecretFile: secretFile, DataDir: dataDir}
	srv := newServer(t, server.Options{Ring: ring, Development: dev})
	res := get(srv, "/", "Host", "localhost:5000")
	page := html.UnescapeString(string(res.body))
	for _, want := range []string{
		"Development mode", "do not use it in production", dataDir, "signet-dev", "dev-api", secretFile,
		server.DevelopmentCurl("http://localhost:5000", dev),
		ring.Signer().ID, "RS256", "(no certificate)", "never",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "SHA-1 thumbprint") {
		t.Error("a key without a certificate is labelled with a SHA-1 thumbprint")
	}
	// Neither the development key nor the client secret is on the page.
	keyPEM, err := os.ReadFile(filepath.Join(dataDir, signing.DevelopmentKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(keyPEM)), "\n")
	assertNoSecret(t, string(res.body), lines[2:len(lines)-1]...)
	assertNoSecret(t, string(res.body), privateParts(t, ring.Signer().Signer)...)
	assertNoSecret(t, string(res.body), devSecret)
}

// What comes from the request never reaches the page as markup: a
// forwarded host that is not a host is refused, and the page is escaped.
func TestWelcomePageEscapes(t *testing.T) {
	t.Parallel()
	srv := newServer(t, server.Options{TrustProxy: true})
	res := get(srv, "/", "X-Forwarded-Host", `x"><script>alert(1)</script>`)
	if res.status != http.StatusBadRequest {
		t.Errorf("status %d, want 400 for a forwarded host that is not a host", res.status)
	}
	if strings.Contains(string(res.body), "<script>") {
		t.Errorf("unescaped markup from the request:\n%s", res.body)
	}
}
