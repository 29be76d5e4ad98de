package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/federation"
)

// TestProviderClientKeyCommands: signet provider add --client-key-file
// seals the key (PKCS#8 PEM, under the key-encryption key, for this
// provider), never prints it, and show says what to register at the
// provider: the kid and the certificate's thumbprint, or with --jwks the
// public key. A file provider's key is read and reported by config check,
// with the warning of a private key file others can read.
func TestProviderClientKeyCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["PFX_PW"] = "a pfx password of the partner key"
	c.mustRun("cert", "create", "--subject", "CN=signet at partner", "--out", c.path("partner.pfx"), "--password-env", "PFX_PW")
	c.mustRun("cert", "create", "--subject", "CN=bare", "--key", "ec:P-256", "--out", c.path("bare.key"), "--pem", c.path("bare.crt"), "--no-password", "--insecure")
	if err := os.Chmod(c.path("bare.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.env["SIGNET_CONFIG"] = c.write("signet.yaml", `dataDir: data
issuer: https://id.example.com
key: {type: Development}
externalProviders:
  - name: filekey
    type: oidc
    authority: https://op.example.com
    clientId: signet
    clientKeyFile: bare.key
`)
	pfx, err := os.ReadFile(c.path("partner.pfx"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := federation.ParseClientKey(pfx, c.env["PFX_PW"])
	if err != nil {
		t.Fatal(err)
	}
	bareKey, err := os.ReadFile(c.path("bare.key"))
	if err != nil {
		t.Fatal(err)
	}
	bare, err := federation.ParseClientKey(bareKey, "")
	if err != nil {
		t.Fatal(err)
	}

	// config check: the file's key is read; its mode is warned about.
	code, out, errOut := c.run("config", "check")
	if code != exitOK || !strings.Contains(out, "client key   filekey: private_key_jwt, key "+bare.KeyID()+" (register its public key at the provider: signet provider show filekey --jwks)") ||
		!strings.Contains(errOut, "externalProviders[0].clientKeyFile") || !strings.Contains(errOut, "bare.key holds the provider's client key and other users may read it (mode 0644)") {
		t.Errorf("config check: exit %d\n%s\n%s", code, out, errOut)
	}

	out = c.mustRun("provider", "add", "partner", "--type", "oidc", "--authority", "https://login.partner.example", "--client-id", "signet",
		"--client-key-file", c.path("partner.pfx"), "--client-key-password-env", "PFX_PW")
	if !strings.Contains(out, "private_key_jwt: key "+want.KeyID()) {
		t.Errorf("add:\n%s", out)
	}
	db := openUserDB(t, c)
	rec, err := db.GetExternalProvider(t.Context(), "partner")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rec.Settings), `"clientKeySealed"`) || strings.Contains(string(rec.Settings), "PRIVATE KEY") {
		t.Fatalf("stored %s: want the key sealed", rec.Settings)
	}
	kek, err := readKEKFile("the test's", c.path("data/"+secretsKEKFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err := federation.FromRecord(rec, kek)
	if err != nil || s.ClientKey == nil || s.ClientKey.KeyID() != want.KeyID() || s.ClientKey.Certificate() == nil {
		t.Fatalf("read back %+v, %v", s, err)
	}

	show := c.mustRun("provider", "show", "partner")
	thumb := thumbprintOf(want)
	if !strings.Contains(show, "private_key_jwt (key "+want.KeyID()+", certificate thumbprint "+thumb+")") {
		t.Errorf("show:\n%s", show)
	}
	var view providerView
	if err := json.Unmarshal([]byte(c.mustRun("provider", "show", "partner", "--json")), &view); err != nil ||
		view.ClientAuth != "private_key_jwt" || view.ClientCertThumbprint != thumb || view.HasSecret {
		t.Errorf("show --json: %+v, %v", view, err)
	}
	for _, name := range []string{"partner", "filekey"} {
		var set jose.JSONWebKeySet
		raw := c.mustRun("provider", "show", name, "--jwks")
		if err := json.Unmarshal([]byte(raw), &set); err != nil || len(set.Keys) != 1 || !set.Keys[0].IsPublic() || strings.Contains(raw, `"d"`) {
			t.Errorf("show %s --jwks: %s, %v", name, raw, err)
		}
	}
	if code, _, stderr := c.run("provider", "show", "partner", "--jwks", "--json"); code != exitOK {
		t.Errorf("--jwks with --json: %s", stderr)
	}

	// A secret replaces the key.
	c.stdin = "partner-secret-never-printed\n"
	c.mustRun("provider", "update", "partner", "--client-secret-stdin")
	rec, _ = db.GetExternalProvider(t.Context(), "partner")
	if strings.Contains(string(rec.Settings), "clientKey") || !strings.Contains(string(rec.Settings), "clientSecretSealed") {
		t.Errorf("after a secret: %s", rec.Settings)
	}
	// And a key replaces the secret.
	c.mustRun("provider", "update", "partner", "--client-key-file", c.path("bare.key"))
	rec, _ = db.GetExternalProvider(t.Context(), "partner")
	if !strings.Contains(string(rec.Settings), "clientKeySealed") || strings.Contains(string(rec.Settings), "clientSecretSealed") {
		t.Errorf("after a key: %s", rec.Settings)
	}

	c.env["NO_PW"] = ""
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"provider", "add", "x", "--type", "oidc", "--authority", "https://x.example", "--client-id", "a", "--client-key-file", c.path("bare.key"), "--client-secret-file", c.path("bare.crt")}, "not both"},
		{[]string{"provider", "add", "x", "--type", "google", "--client-id", "a", "--client-key-file", c.path("bare.key")}, "type google takes no client key"},
		{[]string{"provider", "add", "x", "--type", "entra", "--tenant", "common", "--client-id", "a", "--client-key-file", c.path("bare.key")}, "registers certificates, not bare keys"},
		{[]string{"provider", "add", "x", "--type", "oidc", "--authority", "https://x.example", "--client-id", "a", "--client-key-file", c.path("partner.pfx")}, "password-protected"},
		{[]string{"provider", "add", "x", "--type", "oidc", "--authority", "https://x.example", "--client-id", "a", "--client-key-file", c.path("partner.pfx"), "--client-key-password-env", "NO_PW"}, "NO_PW is not set"},
		{[]string{"provider", "add", "x", "--type", "oidc", "--authority", "https://x.example", "--client-id", "a", "--client-key-file", c.path("bare.crt")}, "holds no private key"},
		{[]string{"provider", "add", "x", "--type", "oidc", "--authority", "https://x.example", "--client-id", "a", "--client-key-file", c.path("missing.pem")}, "does not exist"},
		{[]string{"provider", "show", "filekey", "--jwks", "--config", c.write("nokey.yaml", "dataDir: data\nexternalProviders:\n  - {name: filekey, type: oidc, authority: https://x.example, clientId: a, clientSecret: s}\n")}, "has no client key"},
	} {
		code, stdout, stderr := c.run(tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args[:3], code, stderr, tc.want)
		}
		if strings.Contains(stdout+stderr, "PRIVATE KEY") {
			t.Errorf("%v prints a private key", tc.args[:3])
		}
	}
	if strings.Contains(out+show, "PRIVATE") || strings.Contains(out+show, "partner-secret") {
		t.Errorf("a secret is printed")
	}
}
