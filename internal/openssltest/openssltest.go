// Package openssltest finds the openssl tool for interop tests, and decides
// what a test does without it: skip, or fail when CI sets
// SIGNET_TEST_REQUIRE_OPENSSL=1 so that the interop checks cannot silently
// vanish. It is imported by tests only, and imports nothing of Signet's.
package openssltest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the variable that turns a missing openssl into a failure.
const RequireEnv = "SIGNET_TEST_REQUIRE_OPENSSL"

// Path returns openssl's path. When it is missing, the error is nil unless
// RequireEnv is "1": a missing tool is then a failure, not a reason to skip.
func Path() (string, error) {
	path, err := exec.LookPath("openssl")
	if err == nil {
		return path, nil
	}
	if os.Getenv(RequireEnv) == "1" {
		return "", fmt.Errorf("openssl is not on PATH and %s=1 requires it (Debian: apt-get install openssl): %w", RequireEnv, err)
	}
	return "", nil
}

// Require returns openssl's path, or skips t without it (fails t when
// RequireEnv is "1").
func Require(t testing.TB) string {
	t.Helper()
	path, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		t.Skipf("openssl is not on PATH: skipping the OpenSSL interop test (set %s=1 to make this a failure)", RequireEnv)
	}
	return path
}
