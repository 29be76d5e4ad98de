package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "key.pfx")

	if err := Write(p, []byte("one"), Private, false); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "one", Private)

	err := Write(p, []byte("two"), Private, false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second write without overwrite: got %v, want ErrExists", err)
	}
	assertFile(t, p, "one", Private)

	if err := Write(p, []byte("three"), Public, true); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "three", Public)

	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestWriteConcurrentCreateHasOneWinner(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "k")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = Write(p, []byte{byte('a' + i)}, Private, false) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, ErrExists):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers succeeded, want exactly 1", wins)
	}
}

func TestCheckAbsent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "a")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckAbsent("", filepath.Join(dir, "b")); err != nil {
		t.Fatalf("absent paths: %v", err)
	}
	err := CheckAbsent(filepath.Join(dir, "b"), existing)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("got %v, want ErrExists", err)
	}
}

func assertFile(t *testing.T, p, want string, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("content %q, want %q", got, want)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("mode %v, want %v", fi.Mode().Perm(), mode)
	}
}
