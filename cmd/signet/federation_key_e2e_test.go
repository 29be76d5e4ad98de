package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/openssltest"
	"github.com/signetid/signet/internal/signin"
)

// Federation with private_key_jwt, end to end: the upstream `signet
// serve` knows the downstream Signet as clients with no secret, only the
// public keys (jwks) that `signet provider show NAME --jwks` prints; the
// downstream `signet serve` has externalProviders with clientKeyFile. A
// person signs in downstream through the upstream with each key: an EC
// P-256 PKCS#8 PEM written by Go, and an RSA key and certificate written
// by openssl (genpkey, req -x509, pkcs12 -export) in a .pfx whose password
// comes from the environment. A key the upstream does not know is refused
// at the token endpoint, and the person is told so.

const fedKeyPFXPassword = "openssl-pfx-password-of-the-downstream"

// jwksOf is the JWK set of the client key in file, as signet provider
// show --jwks prints it.
func jwksOf(t *testing.T, file, password string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	k, err := federation.ParseClientKey(data, password)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	jwk, err := k.PublicJWK()
	if err != nil {
		t.Fatal(err)
	}
	return `{"keys": [` + string(jwk) + `]}`
}

// opensslPFX writes an RSA key, its self-signed certificate and a .pfx of
// both with openssl, in dir; it returns the .pfx's path, or "" without
// openssl (when openssltest allows a skip).
func opensslPFX(t *testing.T, dir string) string {
	t.Helper()
	path, err := openssltest.Path()
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		t.Logf("openssl is not on PATH: the openssl-made key is not tried (set %s=1 to make this a failure)", openssltest.RequireEnv)
		return ""
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), path, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PFX_PW="+fedKeyPFXPassword)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key")
	run("req", "-x509", "-new", "-key", "rsa.key", "-subj", "/CN=downstream signet", "-days", "2", "-out", "rsa.crt")
	run("pkcs12", "-export", "-inkey", "rsa.key", "-in", "rsa.crt", "-out", "rsa.pfx", "-passout", "env:PFX_PW")
	if err := os.Chmod(dir+"/rsa.pfx", 0o600); err != nil {
		t.Fatal(err)
	}
	return dir + "/rsa.pfx"
}

func TestFederationPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	upAddr, downAddr := freePort(t), freePort(t)
	_, upPort, _ := net.SplitHostPort(upAddr)
	e := &fedEnv{t: t, upHost: "localhost:" + upPort, downHost: downAddr}
	e.up, e.down = "http://"+e.upHost, "http://"+e.downHost

	dh := newHost(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecFile := dh.write("keys/ec.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	otherFile := dh.write("keys/other.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})))
	pfxFile := opensslPFX(t, dh.path("keys"))

	client := func(id, jwks string) string {
		return `  - clientId: ` + id + `
    clientName: Downstream Signet
    jwks: ` + jwks + `
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, profile, email]
    redirectUris: [` + e.down + `/signin/` + id + `/callback]
`
	}
	clients := client("keyed-ec", jwksOf(t, ecFile, "")) + client("unknown-key", jwksOf(t, ecFile, ""))
	providers := `  - name: keyed-ec
    type: oidc
    displayName: EC key
    authority: ` + e.up + `
    clientId: keyed-ec
    clientKeyFile: keys/ec.pem
    autoProvision: true
  - name: unknown-key
    type: oidc
    displayName: Unknown key
    authority: ` + e.up + `
    clientId: unknown-key
    clientKeyFile: ` + otherFile + `
    autoProvision: true
`
	if pfxFile != "" {
		clients += client("keyed-rsa", jwksOf(t, pfxFile, fedKeyPFXPassword))
		providers += `  - name: keyed-rsa
    type: oidc
    displayName: RSA certificate
    authority: ` + e.up + `
    clientId: keyed-rsa
    clientKeyFile: keys/rsa.pfx
    clientKeyPassword: ${FED_PFX_PASSWORD}
    autoProvision: true
`
		dh.env["FED_PFX_PASSWORD"] = fedKeyPFXPassword
	}

	uh := newHost(t)
	upInst := uh.serve(uh.config(fileKey(t, "rsa-openssl3.pfx"), clients+`issuer: `+e.up+`
users:
  - subjectId: e2e-carol
    username: carol
    password: `+e2eCarolPassword+`
    claims:
      name: Carol Config
      email: carol@example.com
      email_verified: true
`), upAddr)

	downConfig := dh.config(fileKey(t, "rsa-openssl3.pfx"), `  - clientId: rp
    clientName: Relying Party
    secrets:
      - value: `+fedRPSecret+`
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, profile, email]
    redirectUris: [`+fedRPCallback+`]
issuer: `+e.down+`
externalProviders:
`+providers)
	e.downInst, e.dh, e.downConfig = dh.serve(downConfig, downAddr), dh, downConfig

	// What the operator registers at the upstream is what signet
	// provider show --jwks prints.
	if out, _ := dh.cliOn("provider", "show", "keyed-ec", "--jwks", "--config", downConfig); !jsonEqual(t, out, jwksOf(t, ecFile, "")) {
		t.Errorf("signet provider show keyed-ec --jwks: %s", out)
	}

	ctx := oidc.ClientContext(t.Context(), http.DefaultClient)
	p, err := oidc.NewProvider(ctx, e.down)
	if err != nil {
		t.Fatal(err)
	}
	e.provider = p
	e.rp = oauth2.Config{ClientID: "rp", ClientSecret: fedRPSecret, Endpoint: p.Endpoint(), RedirectURL: fedRPCallback, Scopes: []string{"openid", "profile", "email"}}

	labels := []string{"EC key"}
	if pfxFile != "" {
		labels = append(labels, "RSA certificate")
	}
	var subject string
	for _, label := range labels {
		b := e.browser()
		a := e.authRequest()
		login := b.Get(a.url)
		if login.URL.Path != signin.LoginPath {
			t.Fatalf("want the downstream's login page: %v", login)
		}
		_, idt := e.finish(e.upstreamLogin(b, b.Get(e.down+providerLink(t, login, label))), a)
		// The same person through either provider of the upstream: one
		// link, by (issuer, subject).
		if subject == "" {
			subject = idt.Subject
		} else if idt.Subject != subject {
			t.Errorf("%s: sub %q, want the user made at the first sign-in %q", label, idt.Subject, subject)
		}
	}

	// A key the upstream does not know: its token endpoint refuses the
	// assertion (invalid_client), and the downstream says the provider
	// refused, without sending the browser on to the relying party.
	b := e.browser()
	login := b.Get(e.authRequest().url)
	page := e.upstreamLogin(b, b.Get(e.down+providerLink(t, login, "Unknown key")))
	if page.URL.Host != e.downHost || page.Status < 400 || strings.Contains(page.Header.Get("Location"), fedRPCallback) {
		t.Errorf("an unknown client key: want an error page at the downstream; got %v", page)
	}
	// The upstream says how each client authenticated.
	for _, id := range map[bool][]string{false: {"keyed-ec"}, true: {"keyed-ec", "keyed-rsa"}}[pfxFile != ""] {
		if logs := upInst.logs.String(); !strings.Contains(logs, "client_id="+id+" grant_type=authorization_code auth=private_key_jwt") {
			t.Errorf("the upstream's log has no token issued to %s with private_key_jwt:\n%s", id, logs)
		}
	}
	if logs := e.downInst.logs.String(); !strings.Contains(logs, "invalid_client") {
		t.Errorf("the downstream's log does not say the upstream refused the client (invalid_client):\n%s", logs)
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}
