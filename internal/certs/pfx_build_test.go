package certs

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/signetid/signet/internal/certs/pkcs8"
)

// This file builds PKCS#12 files the way no exporter does, to test how
// Signet reads them: any layout, any iteration count, BER.

var (
	oidCertTypeX509 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 1}
	oidPBKDF2       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA256   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES256CBC    = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// pbes2Algorithm returns PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC.
func pbes2Algorithm(t testing.TB, salt []byte, iterations int, iv []byte) pkix.AlgorithmIdentifier {
	t.Helper()
	kdf := mustMarshal(t, struct {
		Salt       []byte
		Iterations *big.Int
		PRF        pkix.AlgorithmIdentifier
	}{salt, big.NewInt(int64(iterations)), pkix.AlgorithmIdentifier{Algorithm: oidHMACSHA256, Parameters: asn1.NullRawValue}})
	params := mustMarshal(t, struct {
		KDF, Scheme pkix.AlgorithmIdentifier
	}{
		pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, iv)}},
	})
	return pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}}
}

// pbes2Encrypt encrypts plain as PBES2 does (RFC 8018 §6.2).
func pbes2Encrypt(t testing.TB, plain []byte, password string, iterations int) (pkix.AlgorithmIdentifier, []byte) {
	t.Helper()
	salt, iv := randomBytes(t, 16), randomBytes(t, 16)
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	n := 16 - len(plain)%16
	padded := append([]byte{}, plain...)
	for range n {
		padded = append(padded, byte(n))
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(padded, padded)
	return pbes2Algorithm(t, salt, iterations, iv), padded
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// explicit0 wraps der in [0] EXPLICIT.
func explicit0(der []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der}
}

func certBagOf(t testing.TB, certs ...*x509.Certificate) safeBag {
	t.Helper()
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	return safeBag{ID: oidCertBag, Value: explicit0(mustMarshal(t, certBag{ID: oidCertTypeX509, Data: raw}))}
}

func keyBagOf(t testing.TB, key crypto.PrivateKey) safeBag {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return safeBag{ID: oidKeyBag, Value: explicit0(der)}
}

// shroudedBagOf encrypts key with PBES2 (what go-pkcs12 and OpenSSL 3 write).
func shroudedBagOf(t testing.TB, key crypto.PrivateKey, password string, iterations int) safeBag {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	epki, err := pkcs8.Encrypt(der, []byte(password), &pkcs8.Options{Iterations: iterations})
	if err != nil {
		t.Fatal(err)
	}
	return safeBag{ID: oidShroudedKeyBag, Value: explicit0(epki)}
}

// hostileKeyBag is a shrouded key bag whose PBKDF2 asks for iterations
// rounds; its ciphertext is noise, since nothing may ever get to it.
func hostileKeyBag(t testing.TB, iterations int) safeBag {
	t.Helper()
	epki := mustMarshal(t, encryptedPrivateKeyInfo{
		Algorithm: pbes2Algorithm(t, randomBytes(t, 16), iterations, randomBytes(t, 16)),
		Data:      randomBytes(t, 64),
	})
	return safeBag{ID: oidShroudedKeyBag, Value: explicit0(epki)}
}

// dataItem is an authenticated-safe item holding bags in the clear.
func dataItem(t testing.TB, bags ...safeBag) contentInfo {
	t.Helper()
	return contentInfo{ContentType: oidData, Content: explicit0(mustMarshal(t, mustMarshal(t, bags)))}
}

// encryptedItem is an EncryptedData item holding bags encrypted with PBES2.
func encryptedItem(t testing.TB, password string, iterations int, bags ...safeBag) contentInfo {
	t.Helper()
	alg, ciphertext := pbes2Encrypt(t, mustMarshal(t, bags), password, iterations)
	var ed encryptedData
	ed.EncryptedContentInfo.ContentType = oidData
	ed.EncryptedContentInfo.ContentEncryptionAlgorithm = alg
	ed.EncryptedContentInfo.EncryptedContent = ciphertext
	return contentInfo{ContentType: oidEncryptedData, Content: explicit0(mustMarshal(t, ed))}
}

// pfxMAC says how buildPFX protects a file's integrity.
type pfxMAC struct {
	none     bool   // no MAC at all
	password string // the MAC password
	absent   bool   // the empty password as no bytes (OpenSSL's NULL password)
}

// buildPFX assembles a PFX from authenticated-safe items, with an
// HMAC-SHA256 MAC unless mac.none.
func buildPFX(t testing.TB, mac pfxMAC, items ...contentInfo) []byte {
	t.Helper()
	auth := mustMarshal(t, items)
	return assemblePFX(t, mac, auth)
}

// assemblePFX wraps authSafe content octets, which may be BER, in a DER PFX
// with a MAC over them.
func assemblePFX(t testing.TB, mac pfxMAC, auth []byte) []byte {
	t.Helper()
	pdu := pfxPDU{Version: 3, AuthSafe: contentInfo{ContentType: oidData, Content: explicit0(mustMarshal(t, auth))}}
	if !mac.none {
		pdu.MacData.Mac.Algorithm = pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}
		pdu.MacData.MacSalt = randomBytes(t, 16)
		pdu.MacData.Iterations = 2048
		sum, err := pkcs8.PKCS12MAC(pdu.MacData.Mac.Algorithm, pdu.MacData.MacSalt, pdu.MacData.Iterations, auth,
			[]byte(mac.password), &pkcs8.DataOptions{AbsentPassword: mac.absent})
		if err != nil {
			t.Fatal(err)
		}
		pdu.MacData.Mac.Digest = sum
	}
	return mustMarshal(t, pdu)
}

// fixtureKey returns the private key of the rsa-* fixtures.
func fixtureKey(t testing.TB) crypto.PrivateKey {
	t.Helper()
	c, err := ReadFile(filepath.Join("testdata", "rsa-pkcs8.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Key
}

// writeTemp writes data to a file in a test's temporary directory.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
