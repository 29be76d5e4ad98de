//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/miekg/pkcs11"
)

// fixture is a token with an RSA-2048 key "rsa" (id 01) and an EC P-256
// key "ec" (id 02).
func fixture(t *testing.T, label string) Config {
	t.Helper()
	freshSoftHSM(t)
	newToken(t, label)
	generate(t, label, keySpec{label: "rsa", id: []byte{1}, rsa: 2048}, true)
	generate(t, label, keySpec{label: "ec", id: []byte{2}, curve: oidP256}, true)
	return Config{Module: softhsm.lib, TokenLabel: label, PIN: userPIN}
}

func open(t *testing.T, cfg Config) *Key {
	t.Helper()
	k, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open(%v): %v", cfg, err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// signJWT signs as internal/signing's ring does for an opaque signer.
func signJWT(t *testing.T, k crypto.Signer, alg jose.SignatureAlgorithm, kid string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: cryptosigner.Opaque(k)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: "https://signet.test", Subject: "alice", Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}).Serialize()
	if err != nil {
		t.Fatalf("sign %s: %v", alg, err)
	}
	return tok
}

// verifyJWKS verifies tok as an API would: with the key from a JWKS.
func verifyJWKS(t *testing.T, tok string, pub crypto.PublicKey, alg jose.SignatureAlgorithm, kid string) {
	t.Helper()
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: kid, Algorithm: string(alg), Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", parsed.Headers[0].KeyID, len(keys))
	}
	var c jwt.Claims
	if err := parsed.Claims(keys[0], &c); err != nil {
		t.Fatalf("verify %s with the JWKS: %v", alg, err)
	}
	if c.Subject != "alice" {
		t.Fatalf("subject %q", c.Subject)
	}
}

func TestSignJWT(t *testing.T) {
	cfg := fixture(t, "jwt")
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		key string
	}{
		{jose.RS256, "rsa"},
		{jose.PS256, "rsa"},
		{jose.ES256, "ec"},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			cfg := cfg
			cfg.KeyLabel = tc.key
			k := open(t, cfg)
			tok := signJWT(t, k, tc.alg, "kid-"+tc.key)

			// With the public key directly.
			parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{tc.alg})
			if err != nil {
				t.Fatal(err)
			}
			var c jwt.Claims
			if err := parsed.Claims(k.Public(), &c); err != nil {
				t.Fatalf("verify with Public(): %v", err)
			}
			// And as an API does, with the published JWKS.
			verifyJWKS(t, tok, k.Public(), tc.alg, "kid-"+tc.key)
		})
	}
}

// TestPSSSaltLength checks that PS256 salts are as long as the hash, as
// RFC 7518 requires and strict verifiers (.NET) check.
func TestPSSSaltLength(t *testing.T) {
	cfg := fixture(t, "pss")
	cfg.KeyLabel = "rsa"
	k := open(t, cfg)
	digest := sha256.Sum256([]byte("payload"))
	for _, salt := range []int{rsa.PSSSaltLengthAuto, rsa.PSSSaltLengthEqualsHash} {
		sig, err := k.Sign(nil, digest[:], &rsa.PSSOptions{SaltLength: salt, Hash: crypto.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPSS(k.Public().(*rsa.PublicKey), crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
			t.Errorf("salt %d: %v", salt, err)
		}
	}
	sig, err := k.Sign(nil, digest[:], &rsa.PSSOptions{SaltLength: 20, Hash: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(k.Public().(*rsa.PublicKey), crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 20}); err != nil {
		t.Errorf("salt 20: %v", err)
	}
}

func TestSignHashes(t *testing.T) {
	label := "hashes"
	cfg := fixture(t, label)
	generate(t, label, keySpec{label: "ec384", id: []byte{3}, curve: oidP384}, true)

	cfg.KeyLabel = "rsa"
	rk := open(t, cfg)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		hh := h.New()
		hh.Write([]byte("payload"))
		d := hh.Sum(nil)
		sig, err := rk.Sign(nil, d, h)
		if err != nil {
			t.Fatalf("%v: %v", h, err)
		}
		if err := rsa.VerifyPKCS1v15(rk.Public().(*rsa.PublicKey), h, d, sig); err != nil {
			t.Errorf("PKCS #1 v1.5 %v: %v", h, err)
		}
	}
	if _, err := rk.Sign(nil, []byte("short"), crypto.SHA256); err == nil {
		t.Error("a digest of the wrong length was signed")
	}
	if _, err := rk.Sign(nil, make([]byte, 20), crypto.SHA1); err == nil {
		t.Error("SHA-1 was signed")
	}

	cfg.KeyLabel = "ec384"
	ek := open(t, cfg)
	d := sha512.Sum384([]byte("payload"))
	sig, err := ek.Sign(nil, d[:], crypto.SHA384)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(ek.Public().(*ecdsa.PublicKey), d[:], sig) {
		t.Error("ES384 signature does not verify")
	}
	tok := signJWT(t, ek, jose.ES384, "ec384")
	verifyJWKS(t, tok, ek.Public(), jose.ES384, "ec384")
}

func TestConcurrentSign(t *testing.T) {
	cfg := fixture(t, "concurrent")
	for _, tc := range []struct {
		key string
		alg jose.SignatureAlgorithm
	}{{"rsa", jose.PS256}, {"ec", jose.ES256}} {
		t.Run(tc.key, func(t *testing.T) {
			cfg := cfg
			cfg.KeyLabel = tc.key
			k := open(t, cfg)
			var wg sync.WaitGroup
			errs := make(chan error, 16*20)
			for g := range 16 {
				wg.Go(func() {
					for i := range 20 {
						opts := (&jose.SignerOptions{}).WithHeader("kid", "k")
						s, err := jose.NewSigner(jose.SigningKey{Algorithm: tc.alg, Key: cryptosigner.Opaque(k)}, opts)
						if err != nil {
							errs <- err
							return
						}
						sub := fmt.Sprintf("%d-%d", g, i)
						tok, err := jwt.Signed(s).Claims(jwt.Claims{Subject: sub}).Serialize()
						if err != nil {
							errs <- err
							continue
						}
						parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{tc.alg})
						if err != nil {
							errs <- err
							continue
						}
						var c jwt.Claims
						if err := parsed.Claims(k.Public(), &c); err != nil || c.Subject != sub {
							errs <- fmt.Errorf("token %s: %v (subject %q)", sub, err, c.Subject)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if err := k.Close(); err != nil {
				t.Fatal(err)
			}
			d := sha256.Sum256(nil)
			if _, err := k.Sign(nil, d[:], crypto.SHA256); err == nil {
				t.Error("Sign after Close worked")
			}
		})
	}
}

// TestTwoKeysOneModule checks that Keys share the module and the token's
// login: closing one leaves the other working.
func TestTwoKeysOneModule(t *testing.T) {
	cfg := fixture(t, "shared")
	cfg.KeyLabel = "rsa"
	a := open(t, cfg)
	cfg.KeyLabel = "ec"
	b := open(t, cfg)
	// The same module through another path (a symlink) is the same module.
	link := filepath.Join(t.TempDir(), "libsofthsm2.so")
	if err := os.Symlink(softhsm.lib, link); err != nil {
		t.Fatal(err)
	}
	cfg.Module = link
	c := open(t, cfg)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("x"))
	sig, err := b.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(b.Public().(*ecdsa.PublicKey), d[:], sig) {
		t.Error("signature does not verify")
	}
}

func TestOpenBy(t *testing.T) {
	label := "openby"
	cfg := fixture(t, label)
	slot, _ := slotOf(t, label)
	islot := int(slot)
	generate(t, label, keySpec{label: "", id: []byte{0xca, 0xfe}, rsa: 2048}, true)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // Describe
	}{
		{"label", Config{TokenLabel: label, KeyLabel: "rsa"}, `PKCS#11 token "openby" key "rsa" (RSA 2048) via ` + softhsm.lib},
		{"id", Config{TokenLabel: label, KeyID: []byte{2}}, `PKCS#11 token "openby" key id 02 (EC P-256) via ` + softhsm.lib},
		{"label and id", Config{TokenLabel: label, KeyLabel: "ec", KeyID: []byte{2}}, `PKCS#11 token "openby" key "ec" (EC P-256) via ` + softhsm.lib},
		{"unlabelled key", Config{TokenLabel: label, KeyID: []byte{0xca, 0xfe}}, `PKCS#11 token "openby" key id cafe (RSA 2048) via ` + softhsm.lib},
		{"slot", Config{Slot: &islot, KeyLabel: "rsa"}, `PKCS#11 token "openby" key "rsa" (RSA 2048) via ` + softhsm.lib},
		{"slot and label", Config{Slot: &islot, TokenLabel: label, KeyLabel: "rsa"}, `PKCS#11 token "openby" key "rsa" (RSA 2048) via ` + softhsm.lib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.Module, c.PIN = cfg.Module, cfg.PIN
			k := open(t, c)
			if got := k.Describe(); got != tc.want {
				t.Errorf("Describe() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNotExtractable checks that the keys the tests make are as an HSM's:
// sensitive and not extractable, and that Open needs no more.
func TestNotExtractable(t *testing.T) {
	cfg := fixture(t, "sensitive")
	cfg.KeyLabel = "rsa"
	k := open(t, cfg)

	m, err := loadModule(softhsm.lib)
	if err != nil {
		t.Fatal(err)
	}
	defer m.release()
	s, err := m.ctx.OpenSession(k.token.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer m.ctx.CloseSession(s)
	attrs, err := m.ctx.GetAttributeValue(s, k.ref.handle, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ALWAYS_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_NEVER_EXTRACTABLE, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint]bool{pkcs11.CKA_SENSITIVE: true, pkcs11.CKA_EXTRACTABLE: false, pkcs11.CKA_ALWAYS_SENSITIVE: true, pkcs11.CKA_NEVER_EXTRACTABLE: true}
	for _, a := range attrs {
		if got := len(a.Value) == 1 && a.Value[0] != 0; got != want[a.Type] {
			t.Errorf("attribute 0x%x = %v, want %v", a.Type, got, want[a.Type])
		}
	}
	_, err = m.ctx.GetAttributeValue(s, k.ref.handle, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, nil)})
	if !errors.Is(err, pkcs11.Error(pkcs11.CKR_ATTRIBUTE_SENSITIVE)) {
		t.Errorf("reading the private exponent: %v, want CKR_ATTRIBUTE_SENSITIVE", err)
	}
}

func TestRefusals(t *testing.T) {
	freshSoftHSM(t)
	label := "refusals"
	newToken(t, label)
	generate(t, label, keySpec{label: "signing", id: []byte{1}, rsa: 2048}, true)
	generate(t, label, keySpec{label: "weak", id: []byte{2}, rsa: 1024}, true)
	generate(t, label, keySpec{label: "twin", id: []byte{3}, curve: oidP256}, true)
	generate(t, label, keySpec{label: "twin", id: []byte{4}, curve: oidP256}, true)
	generate(t, label, keySpec{label: "ec-nopub", id: []byte{5}, curve: oidP256}, false)
	newToken(t, "other")
	newToken(t, "dup")
	newToken(t, "dup")
	slot, _ := slotOf(t, label)
	islot, neg, missing := int(slot), -1, 123456

	dir := t.TempDir()
	notLib := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notLib, []byte("not a library"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := Config{Module: softhsm.lib, TokenLabel: label, KeyLabel: "signing", PIN: userPIN}
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }

	cases := []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"no module", with(func(c *Config) { c.Module = "" }), []string{"no PKCS#11 module given", "/usr/lib/softhsm/libsofthsm2.so"}},
		{"module missing", with(func(c *Config) { c.Module = "/nonexistent/libvendor-pkcs11.so" }),
			[]string{"load PKCS#11 module /nonexistent/libvendor-pkcs11.so: no such file", "must be the path of the token's PKCS#11 library"}},
		{"module not a library", with(func(c *Config) { c.Module = notLib }),
			[]string{"load PKCS#11 module " + notLib, "must be the path of the token's PKCS#11 library"}},
		{"module a directory", with(func(c *Config) { c.Module = dir }), []string{"it is a directory"}},
		{"no PIN", with(func(c *Config) { c.PIN = "" }), []string{"no PIN"}},
		{"wrong PIN", with(func(c *Config) { c.PIN = "wrong-pin-0000" }), []string{`log in to PKCS#11 token "refusals": wrong PIN`, "CKR_PIN_INCORRECT"}},
		{"no token given", with(func(c *Config) { c.TokenLabel = "" }), []string{"no PKCS#11 token given"}},
		{"no such token", with(func(c *Config) { c.TokenLabel = "nope" }),
			[]string{`no PKCS#11 token "nope" in module ` + softhsm.lib, `tokens seen: `, `"refusals" (slot `, `"other" (slot `}},
		{"ambiguous token", with(func(c *Config) { c.TokenLabel = "dup" }), []string{`2 PKCS#11 tokens are labelled "dup" in module`, "give the slot too"}},
		{"no such slot", with(func(c *Config) { c.TokenLabel = ""; c.Slot = &missing }), []string{"no PKCS#11 slot 123456", `"refusals" (slot`}},
		{"negative slot", with(func(c *Config) { c.TokenLabel = ""; c.Slot = &neg }), []string{"slot -1"}},
		{"slot and label disagree", with(func(c *Config) { c.TokenLabel = "other"; c.Slot = &islot }),
			[]string{fmt.Sprintf(`PKCS#11 slot %d holds token "refusals", not "other"`, slot)}},
		{"no key given", with(func(c *Config) { c.KeyLabel = "" }), []string{"no PKCS#11 key given"}},
		{"no such key", with(func(c *Config) { c.KeyLabel = "nope" }),
			[]string{`no private key "nope" in PKCS#11 token "refusals"; private keys seen: `, `"signing" id 01`, `"weak" id 02`}},
		{"no such key id", with(func(c *Config) { c.KeyLabel = ""; c.KeyID = []byte{9} }), []string{`no private key id 09`}},
		{"label and id disagree", with(func(c *Config) { c.KeyID = []byte{2} }), []string{`no private key "signing" id 02`}},
		{"empty token", with(func(c *Config) { c.TokenLabel = "other" }), []string{"the token has no private keys"}},
		{"ambiguous key", with(func(c *Config) { c.KeyLabel = "twin" }), []string{`2 private keys in PKCS#11 token "refusals" match "twin"`, "id 03", "id 04"}},
		{"RSA 1024", with(func(c *Config) { c.KeyLabel = "weak" }), []string{`is RSA 1024 bits: Signet needs RSA keys of at least 2048 bits`}},
		{"EC without public key", with(func(c *Config) { c.KeyLabel = "ec-nopub" }), []string{"no public key object for this EC key"}},
	}
	// A shared library that is not a PKCS#11 module.
	for _, lib := range []string{"/lib/x86_64-linux-gnu/libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6", "/usr/lib64/libm.so.6", "/lib64/libm.so.6"} {
		if _, err := os.Stat(lib); err == nil {
			cases = append(cases, struct {
				name string
				cfg  Config
				want []string
			}{"library not PKCS#11", with(func(c *Config) { c.Module = lib }), []string{"it is not a PKCS#11 library (it has no C_GetFunctionList)"}})
			break
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Open(tc.cfg)
			if err == nil {
				k.Close()
				t.Fatal("Open worked")
			}
			t.Logf("%v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if tc.cfg.PIN != "" && strings.Contains(err.Error(), tc.cfg.PIN) {
				t.Errorf("error %q shows the PIN", err)
			}
		})
	}
	// The module is unloaded after each refusal: nothing leaks.
	// (freshSoftHSM checks the same before each test.)
	modulesMu.Lock()
	n := len(modules)
	modulesMu.Unlock()
	if n != 0 {
		t.Errorf("%d modules still loaded", n)
	}
	// And the right configuration still opens.
	open(t, ok)
}

// TestRelogin checks that a Key logs in again when the token forgot its
// login (here: someone logged the application out).
func TestRelogin(t *testing.T) {
	cfg := fixture(t, "relogin")
	cfg.KeyLabel = "ec"
	k := open(t, cfg)
	d := sha256.Sum256([]byte("x"))
	if _, err := k.Sign(nil, d[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		forget func() error
	}{
		{"logout", func() error { return k.mod.ctx.Logout(k.loginSession) }},
		{"sessions closed", func() error { return k.mod.ctx.CloseAllSessions(k.token.slot) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Leave several sessions idle, for the token to forget.
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { k.Sign(nil, d[:], crypto.SHA256) })
			}
			wg.Wait()
			if err := tc.forget(); err != nil {
				t.Fatal(err)
			}
			sig, err := k.Sign(nil, d[:], crypto.SHA256)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if !ecdsa.VerifyASN1(k.Public().(*ecdsa.PublicKey), d[:], sig) {
				t.Error("signature does not verify")
			}
		})
	}
}

// A second key on a token this process is logged in to already is refused
// with a wrong PIN: the token itself does not check it then.
func TestWrongPINWhileLoggedIn(t *testing.T) {
	cfg := fixture(t, "loggedin")
	cfg.KeyLabel = "rsa"
	a := open(t, cfg)
	defer a.Close()
	wrong := cfg
	wrong.KeyLabel = "ec"
	wrong.PIN = cfg.PIN + "-wrong"
	if k, err := Open(wrong); err == nil {
		k.Close()
		t.Fatal("a wrong PIN was accepted while the token was logged in")
	} else if !strings.Contains(err.Error(), "wrong PIN") || strings.Contains(err.Error(), wrong.PIN) {
		t.Errorf("error %q: want wrong PIN, without the PIN", err)
	}
	right := cfg
	right.KeyLabel = "ec"
	b := open(t, right)
	b.Close()
}
