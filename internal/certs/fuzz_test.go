package certs

import (
	"crypto"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the format detection and every parser
// behind it (PKCS#12, PEM, DER, PVK, encrypted PKCS#8): each input gives a
// result or an error, never a panic, and a result is self-consistent.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, StaticPassword(fixturePassword))
		if err != nil {
			return
		}
		if c.Key == nil && len(c.Certificates) == 0 && c.Format != FormatPFX {
			t.Fatalf("%s: no error, yet neither key nor certificate", c.Format)
		}
		cred, err := c.Credential()
		if err != nil {
			return
		}
		if cred.Key != nil && !KeyMatches(cred.Certificate, cred.Key) {
			t.Fatal("Credential paired a key with a certificate it does not match")
		}
		_ = Summarize(cred, checkNow)
		if _, ok := cred.Key.(crypto.Signer); cred.Key != nil && !ok {
			t.Fatal("key is not a signer")
		}
	})
}
