package signing

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFingerprint: a change of contents changes the fingerprint; a touch,
// or the same contents written again, does not.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "key.pfx")
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := Fingerprint(file); got != "missing" {
		t.Errorf("missing file: %q", got)
	}
	write(file, "one")
	one, oneDir := Fingerprint(file), Fingerprint(dir)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	write(file, "one")
	tests := []struct {
		name       string
		change     func()
		path, was  string
		wantChange bool
	}{
		{"touched and rewritten alike", func() {}, file, one, false},
		{"same directory", func() {}, dir, oneDir, false},
		{"new contents", func() { write(file, "two") }, file, one, true},
		{"a file added to the directory", func() { write(filepath.Join(dir, "B.pfx"), "b") }, dir, oneDir, true},
	}
	for _, tc := range tests {
		tc.change()
		if got := Fingerprint(tc.path); (got != tc.was) != tc.wantChange {
			t.Errorf("%s: fingerprint %q, was %q; want a change: %v", tc.name, got, tc.was, tc.wantChange)
		}
	}
}

// TestWatched: a File key is its file, a Store key its store's directory,
// a Development key nothing.
func TestWatched(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	l := Loader{Env: env(map[string]string{"SIGNET_CERT_STORE": root})}
	if got := l.Watched(Spec{Type: "File", FilePath: "/etc/signet/key.pfx"}); len(got) != 1 || got[0] != "/etc/signet/key.pfx" {
		t.Errorf("File: %v", got)
	}
	if got := l.Watched(Spec{Type: "store", Name: "CN=x"}); len(got) != 1 || got[0] != filepath.Join(root, "CurrentUser", "My") {
		t.Errorf("Store: %v", got)
	}
	if got := l.Watched(Spec{Type: "Development"}); got != nil {
		t.Errorf("Development: %v", got)
	}
}
