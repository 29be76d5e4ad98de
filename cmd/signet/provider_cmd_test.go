package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/storage"
)

// TestProviderCommands: signet provider add, list, show, update and
// remove on SQLite; the client secret is sealed (never in the row nor in
// any output), a file's provider cannot be changed, and signet user links
// lists and removes a user's links.
func TestProviderCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["SIGNET_CONFIG"] = c.write("signet.yaml", `dataDir: data
issuer: https://id.example.com
externalProviders:
  - name: google
    type: google
    clientId: g.apps.googleusercontent.com
    clientSecret: file-secret-0123456789
`)
	const secret = "entra-secret-never-printed"
	c.stdin = secret + "\n"
	out := c.mustRun("provider", "add", "entra", "--type", "entra", "--tenant", "organizations", "--client-id", "7f3c9a52-1d4e-4b8a-9f0e-2c6d8b1a5e47",
		"--client-secret-stdin", "--display-name", "Microsoft", "--auto-provision", "--claim-mapping", "department=department")
	if !strings.Contains(out, "https://id.example.com/signin/entra/callback") {
		t.Errorf("add does not print the redirect URI: %s", out)
	}
	db := openUserDB(t, c)
	rec, err := db.GetExternalProvider(t.Context(), "entra")
	if err != nil || strings.Contains(string(rec.Settings), secret) || !strings.Contains(string(rec.Settings), "clientSecretSealed") {
		t.Fatalf("stored %s, %v: want the secret sealed", rec.Settings, err)
	}
	kek, err := readKEKFile("the test's", c.path("data/"+secretsKEKFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err := federation.FromRecord(rec, kek)
	if err != nil || s.ClientSecret != secret || !s.AutoProvision || s.ClaimMappings["department"] != "department" {
		t.Fatalf("read back %+v, %v", s, err)
	}

	list := c.mustRun("provider", "list")
	for _, want := range []string{"google", "file", "entra", "database", "Microsoft"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	var views []providerView
	if err := json.Unmarshal([]byte(c.mustRun("provider", "list", "--json")), &views); err != nil || len(views) != 2 || !views[1].HasSecret {
		t.Errorf("list --json: %+v, %v", views, err)
	}
	c.mustRun("provider", "update", "entra", "--display-name", "Contoso")
	show := c.mustRun("provider", "show", "entra")
	if !strings.Contains(show, "Contoso") || !strings.Contains(show, "set (not shown)") || !strings.Contains(show, "organizations") {
		t.Errorf("show after update:\n%s", show)
	}
	rec, _ = db.GetExternalProvider(t.Context(), "entra")
	if s, err := federation.FromRecord(rec, kek); err != nil || s.ClientSecret != secret {
		t.Errorf("update lost the secret: %+v, %v", s, err)
	}
	for _, o := range []string{list, show, out} {
		if strings.Contains(o, secret) || strings.Contains(o, "file-secret") {
			t.Errorf("a secret is printed:\n%s", o)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"provider", "update", "google", "--display-name", "G"}, "defined in the configuration file"},
		{[]string{"provider", "add", "x", "--type", "entra", "--client-id", "a"}, "tenant is required"},
		{[]string{"provider", "add", "bad/name", "--type", "oidc"}, "provider name"},
		{[]string{"provider", "remove", "nope"}, `no provider "nope"`},
	} {
		if code, _, stderr := c.run(tc.args...); code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, stderr, tc.want)
		}
	}

	// signet user links.
	if err := db.CreateUser(t.Context(), storage.User{ID: "u-alice", Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUserLink(t.Context(), storage.UserLink{Issuer: "https://login.example/t/v2.0", Subject: "abc", Provider: "entra", UserID: "u-alice"}); err != nil {
		t.Fatal(err)
	}
	if got := c.mustRun("user", "links", "alice"); !strings.Contains(got, "https://login.example/t/v2.0") || !strings.Contains(got, "abc") {
		t.Errorf("user links:\n%s", got)
	}
	c.mustRun("user", "links", "alice", "--remove", "https://login.example/t/v2.0", "abc")
	if got := c.mustRun("user", "links", "alice"); !strings.Contains(got, "no linked provider") {
		t.Errorf("after --remove:\n%s", got)
	}
	c.mustRun("provider", "remove", "entra")
	if _, err := db.GetExternalProvider(t.Context(), "entra"); err == nil {
		t.Error("remove left the provider")
	}
}
