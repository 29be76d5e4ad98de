//go:build pkcs11 && cgo

package pkcs11

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/signetid/signet/internal/signing/pkcs11/softhsmtest"
)

// The tests run against SoftHSM2 (Debian package softhsm2). They skip when it
// is missing, unless SIGNET_TEST_REQUIRE_SOFTHSM=1 (as in .ci/run).

const (
	soPIN   = "so-secret-1234"
	userPIN = "user-secret-1234"
)

var softhsm struct {
	lib, util string
	missing   string // why the tests skip; "" when SoftHSM is here
}

func TestMain(m *testing.M) {
	for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"} {
		if _, err := os.Stat(p); err == nil {
			softhsm.lib = p
			break
		}
	}
	softhsm.util, _ = exec.LookPath("softhsm2-util")
	switch {
	case softhsm.lib == "":
		softhsm.missing = "libsofthsm2.so not found (apt-get install softhsm2)"
	case softhsm.util == "":
		softhsm.missing = "softhsm2-util not found (apt-get install softhsm2)"
	}
	if softhsm.missing != "" && os.Getenv("SIGNET_TEST_REQUIRE_SOFTHSM") == "1" {
		fmt.Fprintln(os.Stderr, "SIGNET_TEST_REQUIRE_SOFTHSM=1 but "+softhsm.missing)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// needSoftHSM skips the test when SoftHSM is missing.
func needSoftHSM(t *testing.T) {
	t.Helper()
	if softhsm.missing != "" {
		t.Skip(softhsm.missing)
	}
}

// freshSoftHSM gives the test an empty SoftHSM: its own configuration and
// token directory. SoftHSM reads SOFTHSM2_CONF when it is initialised, and
// the environment is process-wide, so these tests do not run in parallel,
// and each starts with the module unloaded (every Key of the test before
// closed).
func freshSoftHSM(t *testing.T) {
	t.Helper()
	needSoftHSM(t)
	modulesMu.Lock()
	n := len(modules)
	modulesMu.Unlock()
	if n != 0 {
		t.Fatalf("%d PKCS#11 modules still loaded from an earlier test", n)
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
}

// newToken initialises a token labelled label in a free slot and returns
// its slot ID.
func newToken(t *testing.T, label string) uint {
	t.Helper()
	needSoftHSM(t)
	out, err := exec.Command(softhsm.util, "--init-token", "--free", "--label", label,
		"--so-pin", soPIN, "--pin", userPIN).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	slot, ok := slotOf(t, label)
	if !ok {
		t.Fatalf("token %q not found after init:\n%s", label, out)
	}
	return slot
}

// slotOf finds the slot of the token labelled label.
func slotOf(t *testing.T, label string) (uint, bool) {
	t.Helper()
	m, err := loadModule(softhsm.lib)
	if err != nil {
		t.Fatal(err)
	}
	defer m.release()
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		info, err := m.ctx.GetTokenInfo(s)
		if err == nil && info.Label == label && info.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
			return s, true
		}
	}
	return 0, false
}

// keySpec is a key pair to make inside a token.
type keySpec struct {
	label string
	id    []byte
	rsa   int    // RSA modulus bits; 0 for EC
	curve []byte // DER OID of an EC curve
}

var (
	oidP256 = softhsmtest.OIDP256
	oidP384 = softhsmtest.OIDP384
)

// generate makes a key pair inside the token with C_GenerateKeyPair: the
// private key is sensitive and not extractable, as an HSM's would be.
// withPublic false deletes the public key object afterwards.
func generate(t *testing.T, tokenLabel string, k keySpec, withPublic bool) {
	t.Helper()
	m, err := loadModule(softhsm.lib)
	if err != nil {
		t.Fatal(err)
	}
	defer m.release()
	slot, ok := slotOf(t, tokenLabel)
	if !ok {
		t.Fatalf("no token %q", tokenLabel)
	}
	s, err := m.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer m.ctx.CloseSession(s)
	if err := m.ctx.Login(s, pkcs11.CKU_USER, userPIN); err != nil && err != pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		t.Fatal(err)
	}
	ph, err := softhsmtest.Generate(m.ctx, s, softhsmtest.KeyPair{Label: k.label, ID: k.id, RSABits: k.rsa, Curve: k.curve})
	if err != nil {
		t.Fatalf("generate %q: %v", k.label, err)
	}
	if !withPublic {
		if err := m.ctx.DestroyObject(s, ph); err != nil {
			t.Fatal(err)
		}
	}
}
