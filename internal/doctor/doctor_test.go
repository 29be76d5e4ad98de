package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/certstore"
	"github.com/signetid/signet/internal/testsupport"
)

func env(vars map[string]string) certstore.Env {
	return certstore.Env{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

func newCred(t *testing.T, subject string, notBefore time.Time) *certs.Credential {
	t.Helper()
	return testsupport.ECCredential(t, subject, notBefore, notBefore.AddDate(2, 0, 0))
}

// text flattens a report for assertions.
func text(r *Report) string {
	var b strings.Builder
	for _, s := range r.Steps {
		b.WriteString(string(s.Status) + " " + s.Title + "\n")
		for _, d := range s.Details {
			b.WriteString("  " + d + "\n")
		}
		if s.Fix != "" {
			b.WriteString("  fix: " + s.Fix + "\n")
		}
	}
	return b.String()
}

func expect(t *testing.T, r *Report, usable bool, wants ...string) {
	t.Helper()
	got := text(r)
	if r.Usable != usable {
		t.Errorf("usable %v, want %v\n%s", r.Usable, usable, got)
	}
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("report lacks %q:\n%s", w, got)
		}
	}
}

// newStore opens the CurrentUser My store in a store root of the test's
// own, and returns it with the environment that names the root.
func newStore(t *testing.T) (*certstore.Store, certstore.Env) {
	t.Helper()
	e := env(map[string]string{"SIGNET_CERT_STORE": t.TempDir()})
	st, err := certstore.Open(certstore.CurrentUser, "My", e)
	if err != nil {
		t.Fatal(err)
	}
	return st, e
}

func TestStoreChecks(t *testing.T) {
	t.Parallel()
	st, e := newStore(t)
	now := time.Now()
	old := newCred(t, "CN=my-app-auth", now.AddDate(0, -2, 0))
	cur := newCred(t, "CN=my-app-auth", now.AddDate(0, 0, -1))
	public := newCred(t, "CN=public-only", now.AddDate(0, 0, -1))
	for _, c := range []*certs.Credential{old, cur, {Certificate: public.Certificate}} {
		if _, err := st.Import(c, false); err != nil {
			t.Fatal(err)
		}
	}
	tp := certs.Thumbprint(cur.Certificate)

	t.Run("thumbprint", func(t *testing.T) {
		t.Parallel()
		r := Check(Request{Thumbprint: tp, Env: e})
		expect(t, r, true, "ok Thumbprint "+tp, "holds 3 certificate(s)", "has a private key that matches its certificate (ECDSA P-256)", "The server can sign with "+tp+" (CN=my-app-auth, ES256)")
		if r.Signing == nil || r.Signing.Thumbprint != tp {
			t.Errorf("signing %+v", r.Signing)
		}
	})
	t.Run("thumbprint from the Windows dialog", func(t *testing.T) {
		t.Parallel()
		r := Check(Request{Thumbprint: "\u200e" + strings.ToLower(tp), Env: e})
		expect(t, r, true, "warn The thumbprint has invisible characters, which were ignored: U+200E LEFT-TO-RIGHT MARK")
	})
	t.Run("subject picks the one that expires first and publishes the rest", func(t *testing.T) {
		t.Parallel()
		r := Check(Request{Subject: "CN=my-app-auth", Env: e})
		expect(t, r, true, "2 certificate(s) match")
		if r.Signing == nil || r.Signing.Thumbprint != certs.Thumbprint(old.Certificate) {
			t.Errorf("signing %+v, want the one that expires first %s", r.Signing, certs.Thumbprint(old.Certificate))
		}
		if len(r.Published) != 1 || r.Published[0].Thumbprint != tp {
			t.Errorf("published %+v", r.Published)
		}
	})
	t.Run("certificate without its key", func(t *testing.T) {
		t.Parallel()
		r := Check(Request{Subject: "CN=public-only", Env: e})
		expect(t, r, false, "fail "+certs.Thumbprint(public.Certificate)+": it holds no private key", "fix: point the server at the .pfx, or import the .pfx, not the .cer", "fail No usable signing credential")
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		r := Check(Request{Thumbprint: strings.Repeat("AB", 20), Env: e})
		expect(t, r, false, "no certificate with thumbprint "+strings.Repeat("AB", 20)+" in CurrentUser/My", "(3 there:")
	})
	t.Run("other location", func(t *testing.T) {
		t.Parallel()
		r := Check(Request{Thumbprint: tp, Location: certstore.LocalMachine, Env: e})
		expect(t, r, false, "warn Store LocalMachine/My has no directory yet", "it is in CurrentUser/My")
	})
	t.Run("bad thumbprint", func(t *testing.T) {
		t.Parallel()
		r := Check(Request{Thumbprint: "xyz", Env: e})
		expect(t, r, false, "fail The thumbprint is not valid", "not a hex digit")
	})
}

func TestAzureChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cred := newCred(t, "CN=azure", time.Now().Add(-time.Hour))
	tp := certs.Thumbprint(cred.Certificate)
	data, err := certs.EncodePFX(cred, "", certs.PFXModern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, tp+".p12"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	named := env(map[string]string{"WEBSITE_LOAD_CERTIFICATES": tp, "WEBSITE_PRIVATE_CERTS_PATH": dir, "SIGNET_CERT_STORE": t.TempDir()})
	expect(t, Check(Request{Thumbprint: tp, Env: named}), true, "info Azure App Service", `WEBSITE_LOAD_CERTIFICATES="`+tp+`"`)

	other := env(map[string]string{"WEBSITE_LOAD_CERTIFICATES": strings.Repeat("1", 40), "WEBSITE_PRIVATE_CERTS_PATH": dir, "SIGNET_CERT_STORE": t.TempDir()})
	expect(t, Check(Request{Thumbprint: tp, Env: other}), false, "(not named in WEBSITE_LOAD_CERTIFICATES)", "WEBSITE_LOAD_CERTIFICATES (\""+strings.Repeat("1", 40)+"\") does not name it")
}

func TestFileChecks(t *testing.T) {
	t.Parallel()
	fixtures := "../certs/testdata/"
	pw := certs.StaticPassword("test-password")
	tests := []struct {
		name     string
		file     string
		password certs.Password
		usable   bool
		wants    []string
	}{
		{"pfx", fixtures + "rsa-openssl3.pfx", pw, true, []string{"ok Read it: PKCS#12", "(CN=rsa-fixture, O=Contoso, C=US, RS256)"}},
		{"wrong password", fixtures + "rsa-openssl3.pfx", certs.StaticPassword("nope"), false, []string{"fail The password does not open the file"}},
		{"no password", fixtures + "rsa-openssl3.pfx", nil, false, []string{"fail The file is password-protected and no password was given"}},
		{"cer", fixtures + "rsa.cer", nil, false, []string{"it holds no private key", "fix: point the server at the .pfx"}},
		{"pvk", fixtures + "rsa-none.pvk", nil, false, []string{"fail It does not hold a usable credential", "give its certificate too"}},
		{"weak", fixtures + "rsa1024.pfx", pw, false, []string{"its RSA key has 1024 bits"}},
		{"missing", "no-such-file.pfx", nil, false, []string{"cannot be opened", "relative to the working directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expect(t, Check(Request{File: tt.file, Password: tt.password, Env: env(nil)}), tt.usable, tt.wants...)
		})
	}
}

func TestNothingToCheck(t *testing.T) {
	t.Parallel()
	expect(t, Check(Request{Env: env(nil)}), false, "fail Nothing to check")
}

func TestFileReadableByOthers(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../certs/testdata/rsa-openssl3.pfx")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "open.pfx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, Check(Request{File: path, Password: certs.StaticPassword("test-password"), Env: env(nil)}), true,
		"warn The file holds a private key and its mode is 0644", "fix: chmod 600 "+path)
}

func TestStoreWritableByOthers(t *testing.T) {
	t.Parallel()
	st, e := newStore(t)
	cred := newCred(t, "CN=shared", time.Now().Add(-time.Hour))
	if _, err := st.Import(cred, false); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(st.Dir, 0o777); err != nil {
		t.Fatal(err)
	}
	expect(t, Check(Request{Subject: "CN=shared", Env: e}), true,
		"is writable by other users (mode 0777): they could plant a certificate", "fix: chmod 700 "+st.Dir)
}

func TestConfiguredAlgorithm(t *testing.T) {
	t.Parallel()
	pw := certs.StaticPassword("test-password")
	file := "../certs/testdata/rsa-openssl3.pfx"
	expect(t, Check(Request{File: file, Password: pw, Algorithm: "ps256", Env: env(nil)}), true, "(CN=rsa-fixture, O=Contoso, C=US, PS256)")
	expect(t, Check(Request{File: file, Password: pw, Algorithm: "ES256", Env: env(nil)}), false,
		"the configured algorithm ES256 does not fit its RSA 2048 key", "fix: set algorithm to RS256 or PS256, or leave it out")
}
