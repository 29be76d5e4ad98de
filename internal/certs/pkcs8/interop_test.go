package pkcs8

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/signetid/signet/internal/openssltest"
)

// openssl returns the path of the openssl binary. Without one the test is
// skipped, unless SIGNET_TEST_REQUIRE_OPENSSL=1 (as in CI), when it fails.
func openssl(t *testing.T) string {
	t.Helper()
	return openssltest.Require(t)
}

// runOpenSSL runs openssl with args and returns its standard output.
func runOpenSSL(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %q: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

// writePassword writes a password file for openssl's "file:" source, which
// reads the first line.
func writePassword(t *testing.T, dir, password string) string {
	t.Helper()
	path := filepath.Join(dir, "password")
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sameKey fails the test unless two PKCS#8 DER keys hold the same private key.
// OpenSSL and Go may encode one EC key differently (OpenSSL adds the public
// point), so keys are compared, not bytes.
func sameKey(t *testing.T, got, want []byte) {
	t.Helper()
	g, err := x509.ParsePKCS8PrivateKey(got)
	if err != nil {
		t.Fatalf("parse the key OpenSSL returned: %v", err)
	}
	w, err := x509.ParsePKCS8PrivateKey(want)
	if err != nil {
		t.Fatal(err)
	}
	if !g.(interface{ Equal(crypto.PrivateKey) bool }).Equal(w) {
		t.Fatal("OpenSSL's key differs from ours")
	}
}

// TestOpenSSLReadsEncrypt shows that "openssl pkey" decrypts what Encrypt,
// and the encoder behind it, write in every scheme Decrypt reads.
func TestOpenSSLReadsEncrypt(t *testing.T) {
	t.Parallel()
	bin := openssl(t)
	keys := testKeys(t)

	type testCase struct {
		name     string
		key      string
		password string
		encrypt  func(t *testing.T, plain, password []byte) []byte
	}
	viaEncrypt := func(opts *Options) func(t *testing.T, plain, password []byte) []byte {
		return func(t *testing.T, plain, password []byte) []byte {
			der, err := Encrypt(plain, password, opts)
			if err != nil {
				t.Fatal(err)
			}
			return der
		}
	}
	tests := []testCase{
		{"Encrypt default iterations/rsa", "rsa", fixturePassword, viaEncrypt(nil)},
		{"Encrypt/ec", "ec", fixturePassword, viaEncrypt(&Options{Iterations: 1000})},
		{"Encrypt/ed25519", "ed25519", fixturePassword, viaEncrypt(&Options{Iterations: 1000})},
		{"Encrypt non-ASCII password/ec", "ec", fixtureUTF8Password, viaEncrypt(&Options{Iterations: 1000})},
	}
	for _, s := range allSchemes(t, 100) {
		for _, key := range []string{"rsa", "ec"} {
			for _, password := range []string{fixturePassword, fixtureUTF8Password} {
				tests = append(tests, testCase{s.String() + "/" + key + "/" + password, key, password,
					func(t *testing.T, plain, password []byte) []byte {
						der, err := seal(plain, password, s)
						if err != nil {
							t.Fatal(err)
						}
						return der
					}})
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			plain := keys[tt.key]
			encrypted := tt.encrypt(t, plain, []byte(tt.password))
			path := filepath.Join(dir, "key.pem")
			if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: PEMType, Bytes: encrypted}), 0o600); err != nil {
				t.Fatal(err)
			}
			out := runOpenSSL(t, bin, "pkey", "-in", path, "-passin", "file:"+writePassword(t, dir, tt.password))
			block, _ := pem.Decode(out)
			if block == nil || block.Type != "PRIVATE KEY" {
				t.Fatalf("openssl pkey printed no PRIVATE KEY block:\n%s", out)
			}
			sameKey(t, block.Bytes, plain)
		})
	}
}

// TestDecryptReadsOpenSSL shows that Decrypt reads keys OpenSSL encrypts
// now, beside the committed fixtures.
func TestDecryptReadsOpenSSL(t *testing.T) {
	t.Parallel()
	bin := openssl(t)
	keys := testKeys(t)
	tests := []struct {
		name string
		args []string
	}{
		{"v2 aes-256-cbc", []string{"-v2", "aes-256-cbc"}},
		{"v2 aes-128-cbc hmacWithSHA1", []string{"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"}},
		{"v2 aes-192-cbc hmacWithSHA384", []string{"-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA384"}},
		{"v2 des3 hmacWithSHA512", []string{"-v2", "des3", "-v2prf", "hmacWithSHA512"}},
		{"v2 aes-256-cbc hmacWithSHA224 iter 1", []string{"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA224", "-iter", "1"}},
		{"v1 PBE-SHA1-3DES", []string{"-v1", "PBE-SHA1-3DES"}},
		{"v1 PBE-SHA1-3DES iter 1", []string{"-v1", "PBE-SHA1-3DES", "-iter", "1"}},
	}
	for _, tt := range tests {
		for _, key := range []string{"rsa", "ec", "ed25519"} {
			for _, password := range []string{fixturePassword, fixtureUTF8Password} {
				t.Run(tt.name+"/"+key+"/"+password, func(t *testing.T) {
					t.Parallel()
					dir := t.TempDir()
					plain := keys[key]
					in := filepath.Join(dir, "plain.der")
					if err := os.WriteFile(in, plain, 0o600); err != nil {
						t.Fatal(err)
					}
					args := append([]string{"pkcs8", "-topk8", "-inform", "DER", "-in", in, "-outform", "DER",
						"-passout", "file:" + writePassword(t, dir, password)}, tt.args...)
					encrypted := runOpenSSL(t, bin, args...)
					got, err := Decrypt(encrypted, []byte(password))
					if err != nil {
						t.Fatalf("Decrypt: %v", err)
					}
					sameKey(t, got, plain)
					if _, err := Decrypt(encrypted, []byte(password[1:])); !errors.Is(err, ErrWrongPassword) {
						t.Errorf("Decrypt with a wrong password: error %v, want ErrWrongPassword", err)
					}
				})
			}
		}
	}
}
