package server_test

import (
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/grant"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/discovery"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/welcome"
)

// The welcome page: what this server is, its endpoints and keys (never a
// private part), and the development notice in development only.
func TestWelcomePage(t *testing.T) {
	t.Parallel()
	rsaCred := credential(t, "rsa-openssl3.pfx")
	ecCred := credential(t, "ec-openssl3.pfx")
	srv := newServer(t, setup{Issuer: "https://auth.example.com", Version: "v1.2.3-test"})
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
		"https://auth.example.com" + discovery.Path,
		"https://auth.example.com" + discovery.PathJWKS,
		"https://auth.example.com" + grant.Path,
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
	dev := &welcome.Development{ClientID: "signet-dev", Scope: "dev-api", SecretFile: secretFile, DataDir: dataDir}
	srv := newServer(t, setup{Ring: ring, Development: dev})
	res := get(srv, "/", "Host", "localhost:5000")
	page := html.UnescapeString(string(res.body))
	for _, want := range []string{
		"Development mode", "do not use it in production", dataDir, "signet-dev", "dev-api", secretFile,
		welcome.DevelopmentCurl("http://localhost:5000"+grant.Path, dev),
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
	srv := newServer(t, setup{TrustProxy: true})
	res := get(srv, "/", "X-Forwarded-Host", `x"><script>alert(1)</script>`)
	if res.status != http.StatusBadRequest {
		t.Errorf("status %d, want 400 for a forwarded host that is not a host", res.status)
	}
	if strings.Contains(string(res.body), "<script>") {
		t.Errorf("unescaped markup from the request:\n%s", res.body)
	}
}

// The curl command, on the page and in the log, runs as shown in a POSIX
// shell whatever its values hold: each reaches curl as one argument, and
// nothing in them is run, expanded or globbed. The URL comes from the
// request's Host in development mode; an IPv6 literal's brackets would be
// a glob pattern unquoted.
func TestDevelopmentCurlRunsInAShell(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	const secret = "s3cret with spaces, 'quotes' and $(dollars)"
	dir := t.TempDir()
	dev := &welcome.Development{ClientID: "signet-dev", Scope: "dev-api", SecretFile: filepath.Join(dir, "it's $(secret)", "secret file")}
	if err := os.MkdirAll(filepath.Dir(dev.SecretFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dev.SecretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// run runs command with curl a shell function that prints its
	// arguments, each ended by a NUL, in a directory that a glob would match.
	run := func(t *testing.T, command string) []string {
		t.Helper()
		work := t.TempDir()
		for _, name := range []string{":", "1", "http:"} {
			if err := os.WriteFile(filepath.Join(work, name), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("sh", "-c", `curl() { for a in "$@"; do printf '%s\0' "$a"; done; }; `+command)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sh -c %q: %v\n%s", command, err, out)
		}
		if entries, _ := os.ReadDir(work); len(entries) != 3 {
			t.Errorf("the command made files: %v", entries)
		}
		return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	}
	want := func(base string) []string {
		return []string{"-s", "-u", "signet-dev:" + secret, "-d", "grant_type=client_credentials", "-d", "scope=dev-api", base + grant.Path}
	}
	for _, base := range []string{
		"http://localhost:5000",
		"http://[::1]:5000",
		"http://a'b.example",
		"http://$(touch pwned).example",
		"http://`touch pwned`.example",
		"http://a;touch pwned;b",
		"http://a b&&touch pwned",
		"http://*",
		"http://~root",
		"http://a\\b\n#c",
	} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			if got := run(t, welcome.DevelopmentCurl(base+grant.Path, dev)); !slices.Equal(got, want(base)) {
				t.Errorf("curl got %q\nwant %q", got, want(base))
			}
		})
	}
	// Other values than the URL are quoted too.
	odd := *dev
	odd.ClientID, odd.Scope = "dev client;$(x)", "a b*"
	got := run(t, welcome.DevelopmentCurl("http://localhost:5000"+grant.Path, &odd))
	if len(got) != 8 || got[2] != odd.ClientID+":"+secret || got[6] != "scope="+odd.Scope {
		t.Errorf("curl got %q", got)
	}

	// The page of a server reached over IPv6 shows the command quoted.
	srv := newServer(t, setup{Ring: devRing(t, t.TempDir()), Development: dev})
	res := get(srv, "/", "Host", "[::1]:5000")
	m := regexp.MustCompile(`(?s)<pre>(curl .*?)</pre>`).FindSubmatch(res.body)
	if res.status != http.StatusOK || m == nil {
		t.Fatalf("status %d, no command on the page:\n%s", res.status, res.body)
	}
	if got := run(t, html.UnescapeString(string(m[1]))); !slices.Equal(got, want("http://[::1]:5000")) {
		t.Errorf("the page's command gives curl %q\nwant %q", got, want("http://[::1]:5000"))
	}
}
