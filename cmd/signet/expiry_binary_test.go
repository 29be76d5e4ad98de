package main

import (
	"testing"
	"time"
)

// TestBinaryKeyExpiry: a signing certificate made by signet cert create to
// expire within keyExpiryWarning is a WARN line at serve startup, with
// what to do; a validation certificate that has expired is an ERROR line.
func TestBinaryKeyExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := builtBinary(t)
	dir := t.TempDir()
	env := binEnv(dir)
	binWrite(t, dir, "pw.txt", "correct-horse-battery-staple\n")
	soon := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	binRun(t, bin, dir, env, "", "cert", "create", "--subject", "CN=expires-soon", "--not-after", soon, "--out", "signing.pfx", "--password-file", "pw.txt")
	binRun(t, bin, dir, env, "", "cert", "create", "--subject", "CN=long-gone", "--not-before", "2020-01-01", "--not-after", "2021-01-01", "--out", "old.pfx", "--password-file", "pw.txt")
	binWrite(t, dir, "signet.yaml", `listen: 127.0.0.1:0
allowHttp: true
key:
  type: File
  filePath: signing.pfx
  passwordFile: pw.txt
validationKeys:
  - type: File
    filePath: old.pfx
    passwordFile: pw.txt
keyExpiryWarning: 14d
`)
	s := binServe(t, bin, dir, env, "--config", "signet.yaml")
	s.waitFor(`level=WARN msg="a signing certificate expires soon: make its successor now \(signet cert create\)[^"]*" kid=\w+ role=signing subject="CN=expires-soon" thumbprint=\w+ not_after=` + soon + `T\S+ days_left=9\n`)
	s.waitFor(`level=ERROR msg="a validation certificate has expired and is still configured: [^"]*" kid=\w+ role=validation subject="CN=long-gone" thumbprint=\w+ not_after=2021-01-01`)
	s.stop()
}
