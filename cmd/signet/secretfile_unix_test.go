//go:build unix

package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A secret file that is a FIFO is refused at once: opening it to read would
// wait for a writer, and the server would hang at start.
func TestSecretFileFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "myapp.secret")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := readSecretFile(fifo, "valueFile", "the client secret")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Errorf("err = %v; want not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("readSecretFile hangs on a FIFO")
	}
}
