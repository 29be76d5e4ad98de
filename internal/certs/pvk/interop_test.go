package pvk

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/signetid/signet/internal/openssltest"
)

// These tests run the openssl tool on this machine, so they prove
// interoperability with the real thing rather than with our reading of
// pvkfmt.c. They skip when openssl 3 is missing, unless
// SIGNET_TEST_REQUIRE_OPENSSL=1, in which case they fail.

// legacy loads the provider that holds RC4 in OpenSSL 3, next to the default.
var legacy = []string{"-provider", "legacy", "-provider", "default"}

var probeOpenSSL = sync.OnceValues(func() (string, error) {
	path, err := exec.LookPath("openssl")
	if err != nil {
		return "", fmt.Errorf("openssl is not on PATH: %w", err)
	}
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", path, err)
	}
	if !bytes.HasPrefix(out, []byte("OpenSSL 3.")) {
		return "", fmt.Errorf("%s is %q; these tests need OpenSSL 3 (for -provider legacy)", path, bytes.TrimSpace(out))
	}
	out, err = exec.Command(path, append([]string{"list", "-cipher-algorithms"}, legacy...)...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RC4")) {
		return "", fmt.Errorf("%s cannot load its legacy provider, which PVK encryption needs (install it or set OPENSSL_MODULES): %v %s", path, err, out)
	}
	return path, nil
})

// requireOpenSSL returns the openssl tool's path, or skips the test (fails
// it when SIGNET_TEST_REQUIRE_OPENSSL=1).
func requireOpenSSL(t *testing.T) string {
	t.Helper()
	openssltest.Require(t)
	path, err := probeOpenSSL()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// openssl runs the tool and returns its stdout, failing the test with its
// stderr unless wantFail, in which case it fails the test if the tool
// succeeds.
func openssl(t *testing.T, wantFail bool, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), requireOpenSSL(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("openssl %s: err=%v", strings.Join(args, " "), err)
	switch {
	case wantFail && err == nil:
		t.Fatalf("openssl %s succeeded, want failure", strings.Join(args, " "))
	case !wantFail && err != nil:
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func pemKey(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TestOpenSSLReadsEncode writes PVK files with Encode and has openssl read
// them back and check the key, then compares every number of what openssl
// read with the key we wrote. It uses "openssl pkey -check" because
// "openssl rsa -check" exits 0 even when it prints "RSA key not ok".
func TestOpenSSLReadsEncode(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	fresh, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys := []struct {
		name string
		key  *rsa.PrivateKey
	}{
		{"fresh Go 2048", fresh},
		{"fixture 2048", readPEMKey(t, readFixture(t, "rsa2048.pem"))},
		{"fixture 1023", readPEMKey(t, readFixture(t, "rsa1023.pem"))},
		{"fixture 1000", readPEMKey(t, readFixture(t, "rsa1000.pem"))},
	}
	modes := []struct {
		name     string
		password string
		weak     bool
		spec     KeySpec
	}{
		{"none", "", false, Signature},
		{"strong", fixturePassword, false, Signature},
		{"weak", fixturePassword, true, KeyExchange},
		{"strong utf8 password", fixturePasswordUTF8, false, KeyExchange},
	}
	for _, k := range keys {
		for _, m := range modes {
			t.Run(k.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				data, err := Encode(k.key, EncodeOptions{Password: []byte(m.password), Weak: m.weak, KeySpec: m.spec})
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				in := writeFile(t, "key.pvk", data)
				out := filepath.Join(t.TempDir(), "key.pem")
				args := append([]string{"pkey", "-inform", "PVK", "-in", in, "-check", "-out", out}, legacy...)
				if m.password != "" {
					openssl(t, true, append(args, "-passin", "pass:"+m.password+"x")...)
					args = append(args, "-passin", "pass:"+m.password)
				}
				openssl(t, false, args...)
				// -check writes its verdict into the -out file, before the key.
				got := readFile(t, out)
				if !bytes.HasPrefix(got, []byte("Key is valid\n")) {
					t.Errorf("openssl pkey -check did not say the key is valid:\n%.40s", got)
				}
				assertSameKey(t, readPEMKey(t, got), k.key)
			})
		}
	}
}

// TestDecodeReadsOpenSSL has openssl write freshly generated keys as PVK in
// each mode and decodes them.
func TestDecodeReadsOpenSSL(t *testing.T) {
	t.Parallel()
	requireOpenSSL(t)
	fresh, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys := []struct {
		name string
		pem  func(t *testing.T) string // path of a PEM private key
	}{
		{"fresh Go 2048", func(t *testing.T) string { return writeFile(t, "key.pem", pemKey(t, fresh)) }},
		{"openssl 2048", genpkey(2048)},
		{"openssl 3072", genpkey(3072)},
		{"openssl 1023", genpkey(1023)},
		{"openssl 1000", genpkey(1000)},
	}
	modes := []struct {
		name     string
		flag     string
		password string
		want     Encryption
	}{
		{"none", "-pvk-none", "", None},
		{"strong", "-pvk-strong", fixturePassword, RC4Strong},
		{"weak", "-pvk-weak", fixturePassword, RC4Weak},
		{"strong utf8 password", "-pvk-strong", fixturePasswordUTF8, RC4Strong},
	}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			keyPath := k.pem(t)
			want := readPEMKey(t, readFile(t, keyPath))
			for _, m := range modes {
				t.Run(m.name, func(t *testing.T) {
					t.Parallel()
					out := filepath.Join(t.TempDir(), "key.pvk")
					args := append([]string{"rsa", "-in", keyPath, "-outform", "PVK", "-out", out, m.flag}, legacy...)
					if m.password != "" {
						args = append(args, "-passout", "pass:"+m.password)
					}
					openssl(t, false, args...)
					data := readFile(t, out)

					key, info, err := Decode(data, []byte(m.password))
					if err != nil {
						t.Fatalf("Decode: %v", err)
					}
					assertSameKey(t, key, want)
					wantInfo := Info{KeySpec: KeyExchange, Encryption: m.want, Bits: want.N.BitLen()}
					if info != wantInfo {
						t.Errorf("info = %+v, want %+v", info, wantInfo)
					}
					if m.password != "" {
						if _, _, err := Decode(data, []byte(m.password+"x")); !errors.Is(err, ErrWrongPassword) {
							t.Errorf("Decode with a wrong password: err = %v, want ErrWrongPassword", err)
						}
					}
				})
			}
		})
	}
}

// genpkey returns a function that has openssl generate an RSA key of the
// given size and returns the path of its PEM file.
func genpkey(bits int) func(t *testing.T) string {
	return func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "key.pem")
		openssl(t, false, "genpkey", "-algorithm", "RSA", "-pkeyopt", fmt.Sprintf("rsa_keygen_bits:%d", bits), "-out", path)
		return path
	}
}
