package certstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
	"github.com/signetid/signet/internal/testsupport"
)

// testEnv is an environment with only the given variables.
func testEnv(vars map[string]string) Env {
	return Env{
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		HomeDir:   func() (string, error) { return "/home/test", nil },
		GOOS:      "linux",
	}
}

// newCred makes an EC credential valid in [notBefore, notAfter).
func newCred(t *testing.T, subject string, notBefore, notAfter time.Time) *certs.Credential {
	t.Helper()
	return testsupport.ECCredential(t, subject, notBefore, notAfter)
}

func validCred(t *testing.T, subject string) *certs.Credential {
	return newCred(t, subject, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
}

func openTest(t *testing.T, root string, loc Location) *Store {
	t.Helper()
	s, err := Open(loc, "my", testEnv(map[string]string{"SIGNET_CERT_STORE": root}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestImportFindRemove(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	s := openTest(t, root, CurrentUser)
	if s.String() != "CurrentUser/My" || s.Dir != filepath.Join(root, "CurrentUser", "My") {
		t.Fatalf("store %s at %s", s, s.Dir)
	}
	if entries, err := s.List(); err != nil || len(entries) != 0 {
		t.Fatalf("a store never written to: %v, %d entries", err, len(entries))
	}
	cred := validCred(t, "CN=my-app-auth")
	tp := certs.Thumbprint(cred.Certificate)
	e, err := s.Import(cred, false)
	if err != nil {
		t.Fatal(err)
	}
	if e.Path != filepath.Join(s.Dir, tp+".pfx") || !e.HasKey() {
		t.Fatalf("entry %+v", e)
	}
	if m := mode(t, e.Path); m != 0o600 {
		t.Errorf("file mode %04o, want 0600", m)
	}
	for _, d := range []string{s.Dir, filepath.Dir(s.Dir)} {
		if m := mode(t, d); m != 0o700 {
			t.Errorf("%s mode %04o, want 0700", d, m)
		}
	}
	// The stored file is a password-less PFX that openssl and .NET read.
	c, err := certs.ReadFile(e.Path, nil)
	if err != nil {
		t.Fatalf("stored file: %v", err)
	}
	if c.Key == nil || !certs.KeyMatches(cred.Certificate, c.Key) {
		t.Fatal("stored file lost the key")
	}

	// Found by a thumbprint pasted from the Windows dialog.
	q, err := certs.ParseThumbprint("\u200e" + strings.ToLower(tp))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Find(q)
	if err != nil || !got.Credential.Certificate.Equal(cred.Certificate) || !got.HasKey() {
		t.Fatalf("Find: %v", err)
	}

	if _, err := s.Import(cred, false); err == nil || !strings.Contains(err.Error(), "already in CurrentUser/My") {
		t.Fatalf("second import: %v", err)
	}
	if _, err := s.Import(cred, true); err != nil {
		t.Fatalf("import with overwrite: %v", err)
	}

	removed, err := s.Remove(q)
	if err != nil || removed.Thumbprint != tp {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := s.Find(q); !errors.As(err, new(*NotFoundError)) {
		t.Fatalf("Find after Remove: %v", err)
	}
}

func TestImportCertificateOnly(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), CurrentUser)
	cred := validCred(t, "CN=public")
	public := &certs.Credential{Certificate: cred.Certificate}
	e, err := s.Import(public, false)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(e.Path) != ".cer" || e.HasKey() {
		t.Fatalf("certificate-only entry %+v", e)
	}
	// Importing the .pfx later upgrades the entry without --force.
	e, err = s.Import(cred, false)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := s.List()
	if len(entries) != 1 || !entries[0].HasKey() || filepath.Ext(entries[0].Path) != ".pfx" {
		t.Fatalf("after the upgrade: %+v", entries)
	}
	// The certificate alone does not replace the key.
	if _, err := s.Import(public, false); err == nil || !strings.Contains(err.Error(), "with its private key") {
		t.Fatalf("certificate over key: %v", err)
	}
	_ = e
}

func TestImportRefusesMismatchedKey(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), CurrentUser)
	a, b := validCred(t, "CN=a"), validCred(t, "CN=b")
	if _, err := s.Import(&certs.Credential{Certificate: a.Certificate, Key: b.Key}, false); err == nil {
		t.Fatal("a key of another certificate was imported")
	}
}

func TestNotFoundSaysWhatIsThereAndWhere(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	user, machine := openTest(t, root, CurrentUser), openTest(t, root, LocalMachine)
	other := validCred(t, "CN=other")
	wanted := validCred(t, "CN=wanted")
	if _, err := user.Import(other, false); err != nil {
		t.Fatal(err)
	}
	if _, err := machine.Import(wanted, false); err != nil {
		t.Fatal(err)
	}
	q, _ := certs.ParseThumbprint(certs.Thumbprint(wanted.Certificate))
	_, err := user.Find(q)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("got %v, want *NotFoundError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"no certificate with thumbprint " + q.Hex + " in CurrentUser/My",
		"(1 there: " + certs.Thumbprint(other.Certificate) + " CN=other)",
		"it is in LocalMachine/My (" + machine.Dir + ")",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}

	_, err = user.FindBySubject("CN=nobody", time.Now())
	if err == nil || !strings.Contains(err.Error(), "no certificate with subject CN=nobody in CurrentUser/My") {
		t.Fatalf("subject not found: %v", err)
	}
}

func TestFindBySubject(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), CurrentUser)
	now := time.Now()
	day := 24 * time.Hour
	older := newCred(t, "CN=my-app-auth", now.Add(-30*day), now.Add(300*day))
	newer := newCred(t, "CN=my-app-auth", now.Add(-1*day), now.Add(300*day))
	expiresFirst := newCred(t, "CN=my-app-auth", now.Add(-400*day), now.Add(20*day))
	future := newCred(t, "CN=my-app-auth", now.Add(10*day), now.Add(300*day))
	later := newCred(t, "CN=my-app-auth", now.Add(20*day), now.Add(300*day))
	expired := newCred(t, "CN=my-app-auth", now.Add(-300*day), now.Add(-10*day))
	expiredLong := newCred(t, "CN=my-app-auth", now.Add(-600*day), now.Add(-200*day))
	noKey := newCred(t, "CN=my-app-auth", now.Add(-time.Hour), now.Add(300*day))
	other := newCred(t, "CN=my-app-auth, O=Contoso", now.Add(-time.Hour), now.Add(300*day))
	for _, c := range []*certs.Credential{expiredLong, later, older, noKey, future, expired, newer, other, expiresFirst} {
		imp := c
		if c == noKey {
			imp = &certs.Credential{Certificate: c.Certificate}
		}
		if _, err := s.Import(imp, false); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FindBySubject("cn = My-App-Auth", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Valid now: the one that expires first, then (same expiry) the older.
	want := []*certs.Credential{expiresFirst, older, newer, future, later, expired, expiredLong, noKey}
	if len(got) != len(want) {
		t.Fatalf("%d matches, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Credential.Certificate.Equal(want[i].Certificate) {
			t.Errorf("match %d is %s (from %s), want the one from %s", i, got[i].Thumbprint, got[i].Credential.Certificate.NotBefore, want[i].Certificate.NotBefore)
		}
	}
	// Without "=" the name is a substring of any part of the subject.
	got, err = s.FindBySubject("contoso", time.Now())
	if err != nil || len(got) != 1 || !got[0].Credential.Certificate.Equal(other.Certificate) {
		t.Fatalf("substring match: %v, %d", err, len(got))
	}
	// A partial DN does not match a longer subject, and the error says what was meant.
	s2 := openTest(t, t.TempDir(), CurrentUser)
	if _, err := s2.Import(other, false); err != nil {
		t.Fatal(err)
	}
	_, err = s2.FindBySubject("CN=my-app-auth", time.Now())
	if err == nil || !strings.Contains(err.Error(), `did you mean "CN=my-app-auth, O=Contoso"?`) {
		t.Fatalf("partial DN: %v", err)
	}
}

func TestUnreadableFileIsListedNotFatal(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), CurrentUser)
	if _, err := s.Import(validCred(t, "CN=good"), false); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(s.Dir, "0000000000000000000000000000000000000000.pfx")
	if err := os.WriteFile(bad, []byte("not a pfx"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, err := s.List()
	if err != nil || len(entries) != 2 {
		t.Fatalf("List: %v, %d entries", err, len(entries))
	}
	if entries[0].Err == nil || entries[0].Credential != nil {
		t.Errorf("the bad file is not reported: %+v", entries[0])
	}
	if entries[1].Err != nil || entries[1].Credential == nil {
		t.Errorf("the good file is not read: %+v", entries[1])
	}
}

func TestRoot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		goos string
		loc  Location
		vars map[string]string
		want string
	}{
		{"override", "linux", LocalMachine, map[string]string{"SIGNET_CERT_STORE": "/srv/certs"}, "/srv/certs"},
		{"linux user", "linux", CurrentUser, nil, "/home/test/.local/share/signet/certstore"},
		{"linux user with XDG", "linux", CurrentUser, map[string]string{"XDG_DATA_HOME": "/xdg"}, "/xdg/signet/certstore"},
		{"linux machine", "linux", LocalMachine, nil, "/var/lib/signet/certstore"},
		{"mac user", "darwin", CurrentUser, nil, "/home/test/Library/Application Support/Signet/CertStore"},
		{"windows user", "windows", CurrentUser, map[string]string{"LOCALAPPDATA": "/localappdata", "APPDATA": "/roaming"}, filepath.Join("/localappdata", "Signet", "CertStore")},
		{"windows machine", "windows", LocalMachine, map[string]string{"ProgramData": "/pd"}, filepath.Join("/pd", "Signet", "CertStore")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(tt.vars)
			env.GOOS = tt.goos
			got, err := Root(tt.loc, env)
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseLocationAndName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Location{"currentuser": CurrentUser, " LocalMachine ": LocalMachine} {
		if got, err := ParseLocation(in); err != nil || got != want {
			t.Errorf("ParseLocation(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseLocation("User"); err == nil || !strings.Contains(err.Error(), "use CurrentUser or LocalMachine") {
		t.Errorf("bad location: %v", err)
	}
	for in, want := range map[string]string{"my": "My", "Personal": "My", "trustedpeople": "TrustedPeople", "Custom_1": "Custom_1"} {
		if got, err := ParseName(in); err != nil || got != want {
			t.Errorf("ParseName(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "../etc", "a/b", strings.Repeat("x", 65)} {
		if _, err := ParseName(bad); err == nil {
			t.Errorf("ParseName(%q) accepted", bad)
		}
	}
}

func TestWindowsRefusals(t *testing.T) {
	t.Parallel()
	env := testEnv(map[string]string{"LOCALAPPDATA": `C:\Users\me\AppData\Local`})
	env.GOOS = "windows"
	if _, err := Open(LocalMachine, "My", env); err == nil || !strings.Contains(err.Error(), "not supported on Windows") {
		t.Errorf("LocalMachine on Windows: %v", err)
	}
	if s, err := Open(CurrentUser, "My", env); err != nil || !strings.Contains(s.Dir, "Local") {
		t.Errorf("CurrentUser on Windows: %v %+v", err, s)
	}
	azure := testEnv(map[string]string{"WEBSITE_LOAD_CERTIFICATES": "*"})
	azure.GOOS = "windows"
	if _, err := Open(CurrentUser, "My", azure); err == nil || !strings.Contains(err.Error(), "only on Linux") {
		t.Errorf("Azure on Windows: %v", err)
	}
}
