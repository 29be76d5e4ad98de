//go:build pkcs11 && cgo

package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/miekg/pkcs11"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/signing/pkcs11/softhsmtest"

	"github.com/signetid/signet/internal/certs"
)

// key.type Pkcs11 end to end: keys generated inside SoftHSM2 (sensitive,
// not extractable, as an HSM's), loaded by signet serve and signet config
// check from the configuration file, and tokens verified by go-oidc with
// the served JWKS.
//
// The tests skip when SoftHSM2 is missing, unless
// SIGNET_TEST_REQUIRE_SOFTHSM=1 (as in .ci/run). Run them with
//
//	go test -tags pkcs11 ./cmd/signet -run Pkcs11
//
// SoftHSM reads SOFTHSM2_CONF (its token directory) once, when the module
// is initialised, and the module stays initialised while any key from it is
// open; serve does not close its signing key when it stops. So one SoftHSM,
// with every token made before signet first loads the module, serves all
// the scenarios of this process: they are subtests of TestPkcs11, which is
// not parallel (t.Setenv), so the parallel tests of the package wait, and
// SOFTHSM2_CONF is restored when it ends.

const (
	hsmSOPIN = "so-pin-8642"
	// hsmPIN is the user PIN of every token: it must never be printed.
	hsmPIN = "hsm-user-pin-97531"
)

var softHSMLibs = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// softHSMUsed is set once a run of TestPkcs11 has made a SoftHSM in this
// process (go test -count=2 runs it again).
var softHSMUsed atomic.Bool

// hsmKey is a key pair to make in a token, and its public key once made.
type hsmKey struct {
	token, label string
	id           []byte
	rsaBits      int    // 0 for EC
	curve        []byte // DER OID of the EC curve
	public       crypto.PublicKey
}

var oidP256 = softhsmtest.OIDP256

// softHSM is the SoftHSM of the test: its library and its keys.
type softHSM struct {
	lib  string
	keys map[string]*hsmKey // by token/label
}

func (s *softHSM) public(token, label string) crypto.PublicKey {
	return s.keys[token+"/"+label].public
}

// newSoftHSM gives t a SoftHSM of its own (configuration and token
// directory in t.TempDir, SOFTHSM2_CONF set for t), with the tokens and
// keys given, made with softhsm2-util and C_GenerateKeyPair.
func newSoftHSM(t *testing.T, tokens []string, keys []*hsmKey) *softHSM {
	t.Helper()
	var lib string
	for _, p := range softHSMLibs {
		if _, err := os.Stat(p); err == nil {
			lib = p
			break
		}
	}
	util, _ := exec.LookPath("softhsm2-util")
	missing := ""
	switch {
	case lib == "":
		missing = "libsofthsm2.so not found (apt-get install softhsm2)"
	case util == "":
		missing = "softhsm2-util not found (apt-get install softhsm2)"
	}
	if missing != "" {
		if os.Getenv("SIGNET_TEST_REQUIRE_SOFTHSM") == "1" {
			t.Fatal("SIGNET_TEST_REQUIRE_SOFTHSM=1 but " + missing)
		}
		t.Skip(missing)
	}
	if softHSMUsed.Swap(true) {
		t.Skip("SoftHSM was initialised by an earlier run of this test in this process, with a token directory now gone (signet keeps the module loaded): run with -count=1")
	}

	dir := t.TempDir()
	tokenDir := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokenDir, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokenDir + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)

	for _, label := range tokens {
		out, err := exec.Command(util, "--init-token", "--free", "--label", label,
			"--so-pin", hsmSOPIN, "--pin", hsmPIN).CombinedOutput()
		if err != nil {
			t.Fatalf("softhsm2-util --init-token %s: %v\n%s", label, err, out)
		}
	}

	// The module is initialised here once, after every token exists, and
	// finalised before signet loads it.
	ctx := pkcs11.New(lib)
	if ctx == nil {
		t.Fatalf("cannot load %s", lib)
	}
	defer ctx.Destroy()
	if err := ctx.Initialize(); err != nil {
		t.Fatalf("initialise %s: %v", lib, err)
	}
	defer ctx.Finalize()
	s := &softHSM{lib: lib, keys: map[string]*hsmKey{}}
	for _, k := range keys {
		k.public = generateKey(t, ctx, k)
		s.keys[k.token+"/"+k.label] = k
	}
	return s
}

// generateKey makes the key pair inside its token with C_GenerateKeyPair
// (the private key sensitive and not extractable) and returns the public
// key read from the token.
func generateKey(t *testing.T, ctx *pkcs11.Ctx, k *hsmKey) crypto.PublicKey {
	t.Helper()
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	slot, found := uint(0), false
	for _, sl := range slots {
		info, err := ctx.GetTokenInfo(sl)
		if err == nil && strings.TrimRight(info.Label, " \x00") == k.token {
			slot, found = sl, true
		}
	}
	if !found {
		t.Fatalf("no token %q", k.token)
	}
	s, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.CloseSession(s)
	if err := ctx.Login(s, pkcs11.CKU_USER, hsmPIN); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
		t.Fatal(err)
	}
	ph, err := softhsmtest.Generate(ctx, s, softhsmtest.KeyPair{Label: k.label, ID: k.id, RSABits: k.rsaBits, Curve: k.curve})
	if err != nil {
		t.Fatalf("generate %s/%s: %v", k.token, k.label, err)
	}
	if k.rsaBits > 0 {
		attrs, err := ctx.GetAttributeValue(s, ph, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		})
		if err != nil {
			t.Fatal(err)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(attrs[0].Value), E: int(new(big.Int).SetBytes(attrs[1].Value).Int64())}
	}
	attrs, err := ctx.GetAttributeValue(s, ph, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		t.Fatal(err)
	}
	var point []byte
	if _, err := asn1.Unmarshal(attrs[0].Value, &point); err != nil {
		t.Fatalf("CKA_EC_POINT: %v", err)
	}
	ec, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		t.Fatal(err)
	}
	return ec
}

// hsmKeyYAML is a key section for a key in the SoftHSM; more is appended.
func hsmKeyYAML(s *softHSM, token, more string) string {
	return "type: Pkcs11\nmodule: " + s.lib + "\ntokenLabel: " + token + "\n" + more
}

// publishedKey returns the JWKS key with the kid, failing the test when
// there is none.
func publishedKey(t *testing.T, set jose.JSONWebKeySet, kid string) jose.JSONWebKey {
	t.Helper()
	ks := set.Key(kid)
	if len(ks) != 1 {
		t.Fatalf("the JWKS has %d keys with kid %q (kids %v)", len(ks), kid, kids(set))
	}
	return ks[0]
}

// samePublic reports whether a JWKS key is the public key.
func samePublic(jwk jose.JSONWebKey, pub crypto.PublicKey) bool {
	e, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(jwk.Key)
}

// noPIN fails the test when text holds a PIN.
func noPIN(t *testing.T, what, text string, pins ...string) {
	t.Helper()
	for _, p := range append(pins, hsmPIN) {
		if strings.Contains(text, p) {
			t.Errorf("%s holds the PIN %q:\n%s", what, p, text)
		}
	}
}

func TestPkcs11(t *testing.T) {
	hsm := newSoftHSM(t,
		[]string{"signet-serve", "signet-refusals", "signet-validation"},
		[]*hsmKey{
			{token: "signet-serve", label: "signing", id: []byte{0x01}, rsaBits: 2048},
			{token: "signet-serve", label: "signing-ec", id: []byte{0x02}, curve: oidP256},
			{token: "signet-refusals", label: "signing", id: []byte{0x01}, curve: oidP256},
			{token: "signet-refusals", label: "other", id: []byte{0x02}, curve: oidP256},
			{token: "signet-validation", label: "validation", id: []byte{0xa1, 0xb2}, curve: oidP256},
		})
	// Each scenario has a token of its own. A token stays logged in while a
	// key of it is open (and serve never closes its key), and C_Login then
	// answers CKR_USER_ALREADY_LOGGED_IN whatever the PIN: the wrong PIN
	// must meet a token that no open key has logged in to.
	t.Run("Refusals", func(t *testing.T) { testPkcs11Refusals(t, hsm) })
	t.Run("Serve", func(t *testing.T) { testPkcs11Serve(t, hsm) })
	t.Run("ValidationKey", func(t *testing.T) { testPkcs11ValidationKey(t, hsm) })
}

// testPkcs11Serve: serve signs with a key in the token, by label or by id,
// with RS256, PS256 and ES256; go-oidc verifies the tokens with the served
// JWKS, whose key is the token's; config check and the startup log name
// the token and the key, never the PIN.
func testPkcs11Serve(t *testing.T, hsm *softHSM) {
	for _, tc := range []struct {
		name, key string
		pinFile   bool
		alg       string
		public    crypto.PublicKey
		source    string
	}{
		{"RSA by label, RS256", "keyLabel: signing\npin: ${HSM_PIN}\n", false, "RS256",
			hsm.public("signet-serve", "signing"), `PKCS#11 token "signet-serve" key "signing" (RSA 2048) via ` + hsm.lib},
		{"RSA by label and id, PS256, pinFile", "keyLabel: signing\nkeyId: 01\npinFile: hsm.pin\nalgorithm: PS256\n", true, "PS256",
			hsm.public("signet-serve", "signing"), `PKCS#11 token "signet-serve" key "signing" (RSA 2048) via ` + hsm.lib},
		{"EC by id, ES256", "keyId: \"0x02\"\npin: ${HSM_PIN}\n", false, "ES256",
			hsm.public("signet-serve", "signing-ec"), `PKCS#11 token "signet-serve" key id 02 (EC P-256) via ` + hsm.lib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t)
			h.env["HSM_PIN"] = hsmPIN
			if tc.pinFile {
				// As an editor leaves it: with a final newline.
				h.write("hsm.pin", hsmPIN+"\n")
			}
			cfg := h.config(hsmKeyYAML(hsm, "signet-serve", tc.key), "")

			start := time.Now()
			code, stdout, stderr := h.cliRun(time.Now(), "", "config", "check", "--config", cfg)
			t.Logf("config check (%s):\n%s%s", time.Since(start).Round(time.Millisecond), stdout, stderr)
			if code != 0 {
				t.Fatalf("config check exited %d:\n%s%s", code, stdout, stderr)
			}
			contains(t, "config check", stdout, "("+tc.alg+") from "+tc.source)
			noPIN(t, "config check", stdout+stderr)

			srv := h.serve(cfg, "")
			tok := srv.token(oauth2.AuthStyleInHeader, "api1")
			claims, header := srv.verify(tok.AccessToken)
			if header.Algorithm != tc.alg {
				t.Errorf("alg %s, want %s", header.Algorithm, tc.alg)
			}
			if claims["client_id"] != "app" || claims["scope"] != "api1" {
				t.Errorf("claims %v", claims)
			}
			set := srv.jwks()
			if len(set.Keys) != 1 {
				t.Errorf("the JWKS has %d keys (%v), want the token's one", len(set.Keys), kids(set))
			}
			jwk := publishedKey(t, set, header.KeyID)
			if !samePublic(jwk, tc.public) {
				t.Errorf("the JWKS key %s is not the public key in the token", header.KeyID)
			}
			if jwk.Algorithm != tc.alg {
				t.Errorf("the JWKS key's alg is %s, want %s", jwk.Algorithm, tc.alg)
			}
			// Several at once: the key's sessions are pooled. The client's
			// connections are closed after, or a connection it dialed and
			// never used would hold up serve's shutdown for 5 s.
			client := &http.Client{Transport: &http.Transport{}}
			errs := make(chan error, 8)
			for range 8 {
				go func() { errs <- tokenOnce(client, srv.base) }()
			}
			for range 8 {
				if err := <-errs; err != nil {
					t.Errorf("concurrent token: %v", err)
				}
			}
			client.CloseIdleConnections()

			logs := srv.logs.String()
			contains(t, "the startup log", logs, "role=signing", "alg="+tc.alg, "kid="+header.KeyID,
				strings.ReplaceAll(tc.source, `"`, `\"`))
			if err := srv.stop(); err != nil {
				t.Fatal(err)
			}
			noPIN(t, "the log", srv.logs.String())
		})
	}
}

// tokenOnce gets a client_credentials token, from any goroutine.
func tokenOnce(client *http.Client, base string) error {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api2"}}
	req, err := http.NewRequest(http.MethodPost, base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", url.QueryEscape(appSecret))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token endpoint: %s: %s", resp.Status, body)
	}
	return nil
}

// testPkcs11Refusals: serve and config check refuse a key they cannot use,
// saying why and what there is, and print no PIN.
func testPkcs11Refusals(t *testing.T, hsm *softHSM) {
	const wrongPIN = "not-the-pin-1357"
	for _, tc := range []struct {
		name string
		key  string
		want []string
	}{
		{"wrong PIN", "keyLabel: signing\npin: ${HSM_PIN_WRONG}\n",
			[]string{"signet.yaml", "key", `log in to PKCS#11 token "signet-refusals": wrong PIN`}},
		{"unknown key label", "keyLabel: signin\npin: ${HSM_PIN}\n",
			[]string{`no private key "signin" in PKCS#11 token "signet-refusals"`, `private keys seen: "other" id 02, "signing" id 01`}},
		{"unknown key id", "keyId: 03\npin: ${HSM_PIN}\n",
			[]string{`no private key id 03 in PKCS#11 token "signet-refusals"`, `"signing" id 01`}},
		{"unknown token", "keyLabel: signing\npin: ${HSM_PIN}\n",
			[]string{`no PKCS#11 token "signet-refusal" in module ` + hsm.lib, `tokens seen: `, `"signet-refusals" (slot `, `"signet-serve" (slot `}},
		{"pinFile missing", "keyLabel: signing\npinFile: hsm.pin\n",
			[]string{"pinFile ", "hsm.pin does not exist", "relative to the configuration file"}},
		{"pinFile empty", "keyLabel: signing\npinFile: empty.pin\n",
			[]string{"pinFile ", "empty.pin is empty", "user PIN"}},
		{"no module", "keyLabel: signing\npin: ${HSM_PIN}\n",
			[]string{"load PKCS#11 module", "no-such-libpkcs11.so", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t)
			h.env["HSM_PIN"] = hsmPIN
			h.env["HSM_PIN_WRONG"] = wrongPIN
			key := hsmKeyYAML(hsm, "signet-refusals", tc.key)
			switch tc.name {
			case "pinFile empty":
				h.write("empty.pin", "\n")
			case "unknown token":
				key = hsmKeyYAML(hsm, "signet-refusal", tc.key)
			case "no module":
				key = strings.Replace(key, hsm.lib, h.path("no-such-libpkcs11.so"), 1)
			}
			cfg := h.config(key, "")

			logs, err := h.refuse(cfg)
			msg := err.Error()
			t.Logf("serve refused:\n%s", msg)
			contains(t, "the serve error", msg, tc.want...)
			noPIN(t, "the serve error and log", msg+logs, wrongPIN)

			code, stdout, stderr := h.cliRun(time.Now(), "", "config", "check", "--config", cfg)
			if code != 1 {
				t.Errorf("config check exited %d, want 1:\n%s%s", code, stdout, stderr)
			}
			contains(t, "config check", stderr, tc.want...)
			noPIN(t, "config check", stdout+stderr, wrongPIN)
		})
	}
}

// testPkcs11ValidationKey: a key in the token under validationKeys, beside
// a File signing key, is published in the JWKS and never signs.
func testPkcs11ValidationKey(t *testing.T, hsm *softHSM) {
	h := newHost(t)
	h.env["HSM_PIN"] = hsmPIN
	vk := hsmKeyYAML(hsm, "signet-validation", "keyLabel: validation\npin: ${HSM_PIN}\n")
	cfg := h.config(fileKey(t, "rsa-openssl3.pfx"), "validationKeys:\n  - "+indent(vk, "    ")[4:]+"\n")
	fileKid := certs.Thumbprint(fixtureCert(t, "rsa-openssl3.pfx"))

	code, stdout, stderr := h.cliRun(time.Now(), "", "config", "check", "--config", cfg)
	if code != 0 {
		t.Fatalf("config check exited %d:\n%s%s", code, stdout, stderr)
	}
	contains(t, "config check", stdout, fileKid+" (RS256) from File ", "also published  1 key(s)")
	noPIN(t, "config check", stdout+stderr)

	srv := h.serve(cfg, "")
	set := srv.jwks()
	if len(set.Keys) != 2 {
		t.Fatalf("the JWKS has %d keys (%v), want the File key and the token's", len(set.Keys), kids(set))
	}
	publishedKey(t, set, fileKid)
	var hsmKid string
	for _, k := range set.Keys {
		if k.KeyID != fileKid {
			hsmKid = k.KeyID
			if !samePublic(k, hsm.public("signet-validation", "validation")) {
				t.Errorf("the JWKS key %s is not the public key in the token", k.KeyID)
			}
			if k.Algorithm != "ES256" {
				t.Errorf("the token's key is published for %s, want ES256", k.Algorithm)
			}
		}
	}
	for range 3 {
		tok := srv.token(oauth2.AuthStyleInHeader, "api1")
		if _, header := srv.verify(tok.AccessToken); header.KeyID != fileKid || header.Algorithm != "RS256" {
			t.Errorf("signed by %s (%s), want the File key %s (RS256)", header.KeyID, header.Algorithm, fileKid)
		}
	}
	logs := srv.logs.String()
	contains(t, "the startup log", logs, "kid="+hsmKid+" alg=ES256 role=validation",
		`PKCS#11 token \"signet-validation\" key \"validation\" (EC P-256)`)
	noPIN(t, "the log", logs)
}
