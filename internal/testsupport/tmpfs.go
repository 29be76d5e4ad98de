package testsupport

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
)

// Tmpfs mounts a tmpfs of sizeBytes on a new directory, for a test of a
// full file system, and returns the directory; it is unmounted at the end
// of the test, after the cleanups registered later (a server still writing
// there stops first). The test is skipped, with the reason, where no such
// file system can be mounted: not Linux, not root, or mount refused (a
// container without the capability).
func Tmpfs(t testing.TB, sizeBytes int64) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("mounts a size-limited tmpfs, which needs Linux")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounts a size-limited tmpfs, which needs root (run the tests as root to fill a file system)")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(sizeBytes, 10)+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s); this test needs a file system it can fill", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Fill writes a file at path until the file system is full, and returns its
// size.
func Fill(t testing.TB, path string) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if err != nil {
			return n
		}
	}
}
