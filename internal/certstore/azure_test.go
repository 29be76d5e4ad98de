package certstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
)

// azureDir lays out /var/ssl/private as App Service does: password-less
// <THUMBPRINT>.p12 files. One is written by OpenSSL (-passout pass:), the
// others by Signet.
func azureDir(t *testing.T) (dir string, thumbprints []string) {
	t.Helper()
	dir = t.TempDir()
	openssl, err := os.ReadFile("../certs/testdata/rsa-emptypassword.pfx")
	if err != nil {
		t.Fatal(err)
	}
	c, err := certs.Parse(openssl, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{certs.Thumbprint(c.Certificates[0]): openssl}
	for _, subject := range []string{"CN=azure-one", "CN=azure-two"} {
		cred := validCred(t, subject)
		data, err := certs.EncodePFX(cred, "", certs.PFXModern)
		if err != nil {
			t.Fatal(err)
		}
		files[certs.Thumbprint(cred.Certificate)] = data
	}
	for tp, data := range files {
		if err := os.WriteFile(filepath.Join(dir, tp+".p12"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		thumbprints = append(thumbprints, tp)
	}
	return dir, thumbprints
}

func TestAzure(t *testing.T) {
	t.Parallel()
	dir, tps := azureDir(t)
	root := t.TempDir()
	env := testEnv(map[string]string{
		"SIGNET_CERT_STORE":          root,
		"WEBSITE_LOAD_CERTIFICATES":  " " + strings.ToLower(tps[0]) + " ,\u200e" + tps[1] + ",not-a-thumbprint",
		"WEBSITE_PRIVATE_CERTS_PATH": dir,
	})
	s, err := Open(CurrentUser, "My", env)
	if err != nil {
		t.Fatal(err)
	}
	if s.Azure == nil || s.Dir != dir {
		t.Fatalf("CurrentUser/My is %s, want Azure's %s", s.Dir, dir)
	}
	if len(s.Azure.Bad) != 1 || !strings.Contains(s.Azure.Bad[0], `"not-a-thumbprint" is not a SHA-1 thumbprint`) {
		t.Errorf("bad entries %q", s.Azure.Bad)
	}
	entries, err := s.List()
	if err != nil || len(entries) != 3 {
		t.Fatalf("List: %v, %d entries", err, len(entries))
	}
	for _, e := range entries {
		if e.Err != nil || !e.HasKey() {
			t.Errorf("%s: %v", e.Thumbprint, e.Err)
		}
		if want := e.Thumbprint != tps[2]; e.Loadable != want {
			t.Errorf("%s loadable %v, want %v", e.Thumbprint, e.Loadable, want)
		}
	}
	for _, tp := range tps[:2] {
		q, _ := certs.ParseThumbprint(tp)
		if _, err := s.Find(q); err != nil {
			t.Errorf("named %s: %v", tp, err)
		}
	}
	q, _ := certs.ParseThumbprint(tps[2])
	_, err = s.Find(q)
	var nl *NotLoadedError
	if !errors.As(err, &nl) || !strings.Contains(err.Error(), "WEBSITE_LOAD_CERTIFICATES") || !strings.Contains(err.Error(), "add "+tps[2]) {
		t.Fatalf("present but not named: %v", err)
	}
	if _, err := s.FindBySubject("CN=azure-two", time.Now()); err != nil && !errors.As(err, &nl) {
		t.Fatalf("subject: %v", err)
	}
	// Read-only.
	if _, err := s.Import(validCred(t, "CN=x"), false); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "Azure portal") {
		t.Errorf("Import: %v", err)
	}
	if _, err := s.Remove(q); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Remove: %v", err)
	}
	// Other stores are Signet's own.
	m, err := Open(LocalMachine, "My", env)
	if err != nil || m.Azure != nil || m.Dir != filepath.Join(root, "LocalMachine", "My") {
		t.Errorf("LocalMachine/My on Azure: %v %+v", err, m)
	}
}

func TestAzureStarAndDefaultPath(t *testing.T) {
	t.Parallel()
	dir, tps := azureDir(t)
	s, err := Open(CurrentUser, "My", testEnv(map[string]string{"WEBSITE_LOAD_CERTIFICATES": "*", "WEBSITE_PRIVATE_CERTS_PATH": dir}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range tps {
		q, _ := certs.ParseThumbprint(tp)
		if _, err := s.Find(q); err != nil {
			t.Errorf("%s with *: %v", tp, err)
		}
	}
	s, err = Open(CurrentUser, "My", testEnv(map[string]string{"WEBSITE_LOAD_CERTIFICATES": ""}))
	if err != nil || s.Dir != DefaultAzurePrivateCertsPath {
		t.Errorf("default directory %q, %v", s.Dir, err)
	}
	s, err = Open(CurrentUser, "My", testEnv(map[string]string{}))
	if err != nil || s.Azure != nil {
		t.Errorf("without WEBSITE_LOAD_CERTIFICATES: %+v, %v", s, err)
	}
}
