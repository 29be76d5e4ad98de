//go:build unix

package certstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs"
)

// A certificate imported alone never replaces the private key it belongs
// to, not even with overwrite.
func TestCertificateNeverReplacesItsKey(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), CurrentUser)
	cred := validCred(t, "CN=keep-my-key")
	e, err := s.Import(cred, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Import(&certs.Credential{Certificate: cred.Certificate}, true)
	if err == nil || !strings.Contains(err.Error(), "remove the entry first") {
		t.Fatalf("got %v, want a refusal", err)
	}
	if _, err := os.Stat(e.Path); err != nil {
		t.Fatalf("the key is gone: %v", err)
	}
}

// A file that cannot be read is listed with its error, found by its name,
// and can be removed or replaced.
func TestUnreadableEntryCanBeRemoved(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), CurrentUser)
	cred := validCred(t, "CN=protected")
	tp := certs.Thumbprint(cred.Certificate)
	protected, err := certs.EncodePFX(cred, "a password the store does not know", certs.PFXModern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir, tp+".pfx")
	if err := os.WriteFile(path, protected, 0o600); err != nil {
		t.Fatal(err)
	}
	q, _ := certs.ParseThumbprint(tp)
	e, err := s.Find(q)
	if err != nil || e.Credential != nil || e.Err == nil || !strings.Contains(e.Err.Error(), "protected with a password") {
		t.Fatalf("Find: %v, entry %+v", err, e)
	}
	if _, err := s.Import(cred, false); err == nil {
		t.Fatal("replaced without overwrite")
	}
	if _, err := s.Import(cred, true); err != nil {
		t.Fatalf("replace with overwrite: %v", err)
	}
	if e, err := s.Find(q); err != nil || e.Credential == nil {
		t.Fatalf("after replacing: %v", err)
	}
	if err := os.WriteFile(path, protected, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(q); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("still there: %v", err)
	}
}

// Links, pipes and devices in a store are reported, not followed: a FIFO
// named like a certificate must not block List.
func TestOnlyRegularFilesAreRead(t *testing.T) {
	t.Parallel()
	s := openTest(t, t.TempDir(), CurrentUser)
	good := validCred(t, "CN=good")
	if _, err := s.Import(good, false); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "elsewhere.pfx")
	data, _ := certs.EncodePFX(validCred(t, "CN=planted"), "", certs.PFXModern)
	if err := os.WriteFile(outside, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir, strings.Repeat("1", 40)+".pfx")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(s.Dir, strings.Repeat("2", 40)+".pfx"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan []Entry)
	go func() {
		entries, err := s.List()
		if err != nil {
			t.Error(err)
		}
		done <- entries
	}()
	var entries []Entry
	select {
	case entries = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("List blocked on a FIFO")
	}
	readable := 0
	for _, e := range entries {
		if e.Credential != nil {
			readable++
			if certs.SubjectString(e.Credential.Certificate) != "CN=good" {
				t.Errorf("read %s through a link", certs.SubjectString(e.Credential.Certificate))
			}
		} else if e.Err == nil || !strings.Contains(e.Err.Error(), "not a regular file") {
			t.Errorf("entry %s: %v", e.Path, e.Err)
		}
	}
	if readable != 1 || len(entries) != 3 {
		t.Errorf("%d entries, %d readable; want 3 and 1", len(entries), readable)
	}
}

// Keys are not written through a symbolic link, nor into a directory that
// belongs to someone else.
func TestImportRefusesLinkedOrForeignDirectories(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	shared := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "CurrentUser"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shared, filepath.Join(root, "CurrentUser", "My")); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, root, CurrentUser)
	if _, err := s.Import(validCred(t, "CN=x"), false); err == nil || !strings.Contains(err.Error(), "is a symbolic link or not a directory") {
		t.Fatalf("through a link: %v", err)
	}
	if entries, _ := os.ReadDir(shared); len(entries) != 0 {
		t.Fatalf("wrote %v into the linked directory", entries)
	}

	if os.Geteuid() != 0 {
		t.Skip("changing a directory's owner needs root")
	}
	root2 := t.TempDir()
	s2 := openTest(t, root2, CurrentUser)
	if err := os.MkdirAll(s2.Dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(s2.Dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Import(validCred(t, "CN=x"), false); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534, not to you") {
		t.Fatalf("foreign directory: %v", err)
	}
}
