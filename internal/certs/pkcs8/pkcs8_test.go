package pkcs8

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The passwords of testdata/make-fixtures.sh.
const (
	fixturePassword     = "correct horse battery staple"
	fixtureUTF8Password = "pässwörd-€-𝄞"
)

// fixtureDER returns the bytes of the one PEM block in testdata/name.
func fixtureDER(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || len(bytes.TrimSpace(rest)) > 0 {
		t.Fatalf("%s: want exactly one PEM block", name)
	}
	return block.Bytes
}

// fixturePasswordFor returns the password make-fixtures.sh used for name.
func fixturePasswordFor(name string) string {
	switch {
	case strings.Contains(name, "-utf8"):
		return fixtureUTF8Password
	case strings.Contains(name, "-empty"):
		return ""
	}
	return fixturePassword
}

func TestDecryptFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		encrypted, plain string
		describe         string
	}{
		{"rsa-aes256.pem", "rsa.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{"ec-aes256.pem", "ec.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{"rsa-aes128-sha1.pem", "rsa.pem", "PBES2 (PBKDF2-HMAC-SHA1, 2048 iterations, AES-128-CBC)"},
		{"ec-aes128-sha1.pem", "ec.pem", "PBES2 (PBKDF2-HMAC-SHA1, 2048 iterations, AES-128-CBC)"},
		{"rsa-des3.pem", "rsa.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, DES-EDE3-CBC)"},
		{"ec-des3.pem", "ec.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, DES-EDE3-CBC)"},
		{"rsa-pbe-sha1-3des.pem", "rsa.pem", "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC)"},
		{"ec-pbe-sha1-3des.pem", "ec.pem", "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC)"},
		{"ed25519-aes192-sha512.pem", "ed25519.pem", "PBES2 (PBKDF2-HMAC-SHA512, 2048 iterations, AES-192-CBC)"},
		{"ec-aes256-sha384.pem", "ec.pem", "PBES2 (PBKDF2-HMAC-SHA384, 2048 iterations, AES-256-CBC)"},
		{"ec-aes128-sha224.pem", "ec.pem", "PBES2 (PBKDF2-HMAC-SHA224, 2048 iterations, AES-128-CBC)"},
		{"ec-aes256-utf8.pem", "ec.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{"ec-pbe-sha1-3des-utf8.pem", "ec.pem", "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC)"},
		{"ec-aes256-empty.pem", "ec.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{"ec-pbe-sha1-3des-empty.pem", "ec.pem", "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC)"},
		{"genpkey-rsa-aes256.pem", "genpkey-rsa.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{"genpkey-ec-aes256.pem", "genpkey-ec.pem", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
	}
	for _, tt := range tests {
		t.Run(tt.encrypted, func(t *testing.T) {
			t.Parallel()
			encrypted, want := fixtureDER(t, tt.encrypted), fixtureDER(t, tt.plain)
			password := []byte(fixturePasswordFor(tt.encrypted))

			got, err := Decrypt(encrypted, password)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Decrypt returned\n%x\nwant the DER of %s\n%x", got, tt.plain, want)
			}
			if _, err := x509.ParsePKCS8PrivateKey(got); err != nil {
				t.Errorf("x509.ParsePKCS8PrivateKey(decrypted): %v", err)
			}
			if d, err := Describe(encrypted); err != nil || d != tt.describe {
				t.Errorf("Describe = %q, %v; want %q", d, err, tt.describe)
			}

			wrong := [][]byte{[]byte("wrong"), []byte(fixturePassword + "x"), []byte(strings.ToUpper(fixturePassword))}
			if len(password) > 0 {
				wrong = append(wrong, nil, []byte{})
			}
			for _, w := range wrong {
				if _, err := Decrypt(encrypted, w); !errors.Is(err, ErrWrongPassword) {
					t.Errorf("Decrypt with password %q: error %v, want ErrWrongPassword", w, err)
				}
			}
		})
	}
}

func TestDecryptRefusesUnsupportedFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want []string // in the error message
	}{
		{"ec-pbe-sha1-rc2-40.pem", []string{"pbeWithSHAAnd40BitRC2-CBC", "40-bit RC2", "-provider legacy", "openssl pkcs8 -topk8 -v2 aes-256-cbc"}},
		{"ec-pbe-md5-des.pem", []string{"pbeWithMD5AndDES-CBC", "MD5", "-provider legacy", "openssl pkcs8 -topk8 -v2 aes-256-cbc"}},
		{"ec-scrypt.pem", []string{"scrypt", "openssl pkcs8 -topk8 -v2 aes-256-cbc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			der := fixtureDER(t, tt.name)
			_, err := Decrypt(der, []byte(fixturePassword))
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Decrypt: error %v, want ErrUnsupported", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, derr := Describe(der); derr == nil || derr.Error() != err.Error() {
				t.Errorf("Describe error %v, want the same as Decrypt's", derr)
			}
		})
	}
}

// testKeys returns one PKCS#8 DER key of each type the tests encrypt.
func testKeys(t testing.TB) map[string][]byte {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]byte{"rsa": fixtureDER(t, "rsa.pem")}
	for name, k := range map[string]any{"ec": ec, "ed25519": ed} {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		keys[name] = der
	}
	return keys
}

// allSchemes returns every scheme Decrypt reads, with a fresh salt and IV
// and the given iteration count.
func allSchemes(t testing.TB, iterations int) []*scheme {
	t.Helper()
	random := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	var out []*scheme
	for _, p := range prfs {
		for _, c := range ciphers {
			out = append(out, &scheme{kind: kindPBES2, prf: p, cipher: c, salt: random(16), iterations: iterations, iv: random(c.blockSize)})
		}
	}
	return append(out, &scheme{kind: kindPKCS12, pbe: pbeSHA3DES, cipher: cipherDESEDE3CBC, salt: random(8), iterations: iterations})
}

func TestRoundTripEveryScheme(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	for _, s := range allSchemes(t, 3) {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			for name, plain := range keys {
				for _, password := range []string{fixturePassword, fixtureUTF8Password, "", "\xff\xfe not UTF-8"} {
					encrypted, err := seal(plain, []byte(password), s)
					if err != nil {
						t.Fatalf("seal %s: %v", name, err)
					}
					got, err := Decrypt(encrypted, []byte(password))
					if err != nil || !bytes.Equal(got, plain) {
						t.Fatalf("Decrypt(seal(%s), %q) = %x, %v; want the key back", name, password, got, err)
					}
					if _, err := Decrypt(encrypted, []byte(password+"!")); !errors.Is(err, ErrWrongPassword) {
						t.Errorf("Decrypt(seal(%s)) with a wrong password: error %v, want ErrWrongPassword", name, err)
					}
					if d, err := Describe(encrypted); err != nil || d != s.String() {
						t.Errorf("Describe = %q, %v; want %q", d, err, s.String())
					}
				}
			}
		})
	}
}

func TestEncrypt(t *testing.T) {
	t.Parallel()
	plain := fixtureDER(t, "ec.pem")
	password := []byte(fixturePassword)

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		for _, opts := range []*Options{nil, {}} {
			encrypted, err := Encrypt(plain, password, opts)
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := parse(encrypted, MaxIterations)
			if err != nil {
				t.Fatal(err)
			}
			if want := "PBES2 (PBKDF2-HMAC-SHA256, 600000 iterations, AES-256-CBC)"; s.String() != want {
				t.Errorf("scheme %q, want %q", s, want)
			}
			if len(s.salt) != 16 || len(s.iv) != 16 {
				t.Errorf("salt %d bytes, IV %d bytes; want 16 and 16", len(s.salt), len(s.iv))
			}
		}
	})

	t.Run("fresh salt and IV each call", func(t *testing.T) {
		t.Parallel()
		a, errA := Encrypt(plain, password, &Options{Iterations: 1})
		b, errB := Encrypt(plain, password, &Options{Iterations: 1})
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		sa, _, _ := parse(a, MaxIterations)
		sb, _, _ := parse(b, MaxIterations)
		if bytes.Equal(sa.salt, sb.salt) || bytes.Equal(sa.iv, sb.iv) {
			t.Error("two calls reused a salt or an IV")
		}
	})

	t.Run("Rand is used", func(t *testing.T) {
		t.Parallel()
		opts := func() *Options { return &Options{Iterations: 5, Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 32))} }
		a, errA := Encrypt(plain, password, opts())
		b, errB := Encrypt(plain, password, opts())
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Error("the same Rand gave different output")
		}
		s, _, _ := parse(a, MaxIterations)
		if want := bytes.Repeat([]byte{7}, 16); !bytes.Equal(s.salt, want) || !bytes.Equal(s.iv, want) {
			t.Errorf("salt %x, IV %x; want both from Rand", s.salt, s.iv)
		}
		if got, err := Decrypt(a, password); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Decrypt = %v", err)
		}
	})

	// Each case must fail, with an error that mentions every string in want.
	tests := []struct {
		name     string
		key      []byte
		password string
		opts     *Options
		want     []string
	}{
		{"negative iterations", plain, fixturePassword, &Options{Iterations: -1}, []string{"-1", "negative"}},
		{"too many iterations", plain, fixturePassword, &Options{Iterations: MaxIterations + 1}, []string{"10000001", "10000000"}},
		{"empty password", plain, "", nil, []string{"password is empty"}},
		{"PEM input", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: plain}), fixturePassword, nil, []string{"PEM", "pem.Decode"}},
		{"already encrypted", fixtureDER(t, "ec-aes256.pem"), fixturePassword, nil, []string{"already"}},
		{"garbage", []byte("not a key"), fixturePassword, nil, []string{"x509.MarshalPKCS8PrivateKey"}},
		{"nil key", nil, fixturePassword, nil, []string{"x509.MarshalPKCS8PrivateKey"}},
		{"PKCS#1 key", fixturePKCS1(t), fixturePassword, nil, []string{"x509.MarshalPKCS8PrivateKey"}},
		{"trailing data", append(append([]byte{}, plain...), 0), fixturePassword, nil, []string{"follow"}},
		{"failing Rand", plain, fixturePassword, &Options{Iterations: 1, Rand: failingReader{}}, []string{"random", "entropy gone"}},
		{"short Rand", plain, fixturePassword, &Options{Iterations: 1, Rand: bytes.NewReader(make([]byte, 20))}, []string{"random IV"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := Encrypt(tt.key, []byte(tt.password), tt.opts)
			if err == nil {
				t.Fatalf("Encrypt succeeded (%d bytes), want an error", len(out))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// fixturePKCS1 returns the RSA fixture in PKCS#1 form, which Encrypt must refuse.
func fixturePKCS1(t testing.TB) []byte {
	t.Helper()
	key, err := x509.ParsePKCS8PrivateKey(fixtureDER(t, "rsa.pem"))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("rsa.pem holds a %T", key)
	}
	return x509.MarshalPKCS1PrivateKey(rsaKey)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy gone") }

// epki builds an EncryptedPrivateKeyInfo from parts, for malformed and
// refused inputs that no tool writes.
func epki(t testing.TB, alg asn1.ObjectIdentifier, params any, ciphertext []byte) []byte {
	t.Helper()
	ai := pkix.AlgorithmIdentifier{Algorithm: alg}
	if params != nil {
		ai.Parameters = asn1.RawValue{FullBytes: mustMarshal(t, params)}
	}
	return mustMarshal(t, encryptedPrivateKeyInfo{Algorithm: ai, EncryptedData: ciphertext})
}

// pbes2 builds PBES2 parameters with PBKDF2 (given parameters) and a cipher.
func pbes2(t testing.TB, kdf any, cipherOID asn1.ObjectIdentifier, cipherParams any) pbes2Params {
	t.Helper()
	p := pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, kdf)}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: cipherOID},
	}
	if cipherParams != nil {
		p.EncryptionScheme.Parameters = asn1.RawValue{FullBytes: mustMarshal(t, cipherParams)}
	}
	return p
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecryptErrors(t *testing.T) {
	t.Parallel()
	good := fixtureDER(t, "ec-aes256.pem")
	goodPKCS12 := fixtureDER(t, "ec-pbe-sha1-3des.pem")
	salt := asn1.RawValue{Tag: asn1.TagOctetString, Bytes: make([]byte, 8)}
	iv := make([]byte, 16)
	block := make([]byte, 32)
	n := big.NewInt
	huge := new(big.Int).Lsh(n(1), 100)
	kdf := func(iter *big.Int) pbkdf2Params {
		return pbkdf2Params{Salt: salt, IterationCount: iter, PRF: pkix.AlgorithmIdentifier{Algorithm: prfHMACSHA256.oid, Parameters: asn1.NullRawValue}}
	}
	aes256 := cipherAES256CBC.oid
	withPRF := func(oid asn1.ObjectIdentifier) pbkdf2Params {
		return pbkdf2Params{Salt: salt, IterationCount: n(1), PRF: pkix.AlgorithmIdentifier{Algorithm: oid}}
	}

	tests := []struct {
		name  string
		input []byte
		is    error
		want  []string // in the message
	}{
		{"nil", nil, ErrMalformed, nil},
		{"empty", []byte{}, ErrMalformed, nil},
		{"garbage", []byte("\x30\x03\x02\x01"), ErrMalformed, []string{"ENCRYPTED PRIVATE KEY"}},
		{"random bytes", bytes.Repeat([]byte{0xa5, 0x5a, 0x01}, 100), ErrMalformed, nil},
		{"PEM text", pem.EncodeToMemory(&pem.Block{Type: PEMType, Bytes: good}), ErrMalformed, []string{"PEM", "pem.Decode"}},
		{"unencrypted PKCS#8", fixtureDER(t, "ec.pem"), ErrMalformed, []string{"unencrypted", "x509.ParsePKCS8PrivateKey"}},
		{"trailing data", append(append([]byte{}, good...), 0, 0), ErrMalformed, []string{"2 bytes follow"}},
		{"ciphertext cut to a partial block", epki(t, oidPBES2, pbes2(t, kdf(n(1)), aes256, iv), make([]byte, 31)), ErrMalformed, []string{"31 bytes", "truncated"}},
		{"empty ciphertext", epki(t, oidPBES2, pbes2(t, kdf(n(1)), aes256, iv), nil), ErrMalformed, []string{"0 bytes"}},

		{"iterations above the limit", epki(t, oidPBES2, pbes2(t, kdf(n(MaxIterations+1)), aes256, iv), block), ErrUnsupported, []string{"10000001", "limit of 10000000", "openssl pkcs8"}},
		{"iterations 2^40", epki(t, oidPBES2, pbes2(t, kdf(n(1<<40)), aes256, iv), block), ErrUnsupported, []string{"1099511627776"}},
		{"iterations 2^100", epki(t, oidPBES2, pbes2(t, kdf(huge), aes256, iv), block), ErrUnsupported, []string{"101-bit number"}},
		{"PKCS#12 iterations above the limit", epki(t, oidPBEWithSHAAnd3KeyTripleDES, pkcs12PBEParams{Salt: make([]byte, 8), Iterations: n(1 << 31)}, block), ErrUnsupported, []string{"2147483648"}},
		{"zero iterations", epki(t, oidPBES2, pbes2(t, kdf(n(0)), aes256, iv), block), ErrMalformed, []string{"iteration count 0 is not positive"}},
		{"negative iterations", epki(t, oidPBES2, pbes2(t, kdf(n(-5)), aes256, iv), block), ErrMalformed, []string{"-5"}},
		{"PKCS#12 zero iterations", epki(t, oidPBEWithSHAAnd3KeyTripleDES, pkcs12PBEParams{Salt: make([]byte, 8), Iterations: n(0)}, block), ErrMalformed, []string{"not positive"}},

		{"unknown scheme", epki(t, asn1.ObjectIdentifier{1, 2, 3, 4}, nil, block), ErrUnsupported, []string{"OID 1.2.3.4", "encryption scheme", "openssl pkcs8"}},
		{"PKCS#12 40-bit RC4", epki(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 2}, pkcs12PBEParams{Salt: make([]byte, 8), Iterations: n(1)}, block), ErrUnsupported, []string{"pbeWithSHAAnd40BitRC4", "-provider legacy"}},
		{"PBES1 SHA-1 DES", epki(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 10}, nil, block), ErrUnsupported, []string{"pbeWithSHA1AndDES-CBC"}},
		{"PRF hmacWithSHA512-256", epki(t, oidPBES2, pbes2(t, withPRF(asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 13}), aes256, iv), block), ErrUnsupported, []string{"pseudorandom function", "hmacWithSHA512-256"}},
		{"unknown PRF", epki(t, oidPBES2, pbes2(t, withPRF(asn1.ObjectIdentifier{1, 9}), aes256, iv), block), ErrUnsupported, []string{"OID 1.9"}},
		{"cipher RC2", epki(t, oidPBES2, pbes2(t, kdf(n(1)), asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 2}, iv), block), ErrUnsupported, []string{"cipher rc2CBC"}},
		{"cipher single DES", epki(t, oidPBES2, pbes2(t, kdf(n(1)), asn1.ObjectIdentifier{1, 3, 14, 3, 2, 7}, iv[:8]), block), ErrUnsupported, []string{"desCBC"}},
		{"cipher AES-GCM", epki(t, oidPBES2, pbes2(t, kdf(n(1)), asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 46}, iv), block), ErrUnsupported, []string{"aes256-GCM"}},
		{"salt from otherSource", epki(t, oidPBES2, pbes2(t, pbkdf2Params{Salt: asn1.RawValue{FullBytes: mustMarshal(t, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2}})}, IterationCount: n(1)}, aes256, iv), block), ErrUnsupported, []string{"otherSource"}},

		{"salt of the wrong type", epki(t, oidPBES2, pbes2(t, pbkdf2Params{Salt: asn1.RawValue{FullBytes: mustMarshal(t, 5)}, IterationCount: n(1)}, aes256, iv), block), ErrMalformed, []string{"not an OCTET STRING"}},
		{"key length mismatch", epki(t, oidPBES2, pbes2(t, pbkdf2Params{Salt: salt, IterationCount: n(1), KeyLength: n(16)}, aes256, iv), block), ErrMalformed, []string{"key length 16", "32-byte"}},
		{"short IV", epki(t, oidPBES2, pbes2(t, kdf(n(1)), aes256, iv[:8]), block), ErrMalformed, []string{"IV is 8 bytes, not 16"}},
		{"missing IV", epki(t, oidPBES2, pbes2(t, kdf(n(1)), aes256, nil), block), ErrMalformed, []string{"IV: missing"}},
		{"IV of the wrong type", epki(t, oidPBES2, pbes2(t, kdf(n(1)), aes256, 16), block), ErrMalformed, []string{"IV"}},
		{"missing PBES2 parameters", epki(t, oidPBES2, nil, block), ErrMalformed, []string{"PBES2 parameters: missing"}},
		{"missing PBKDF2 parameters", epki(t, oidPBES2, pbes2Params{KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2}, EncryptionScheme: pkix.AlgorithmIdentifier{Algorithm: aes256}}, block), ErrMalformed, []string{"PBKDF2 parameters: missing"}},
		{"missing PKCS#12 parameters", epki(t, oidPBEWithSHAAnd3KeyTripleDES, nil, block), ErrMalformed, []string{"pbeWithSHAAnd3-KeyTripleDES-CBC parameters: missing"}},
	}
	// Every proper prefix of a fixture is truncated input.
	for _, der := range [][]byte{good, goodPKCS12} {
		for i := range len(der) {
			tests = append(tests, struct {
				name  string
				input []byte
				is    error
				want  []string
			}{fmt.Sprintf("truncated to %d of %d bytes", i, len(der)), der[:i], ErrMalformed, nil})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decrypt(tt.input, []byte(fixturePassword))
			if !errors.Is(err, tt.is) {
				t.Fatalf("Decrypt: error %v, want %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, derr := Describe(tt.input); derr == nil || derr.Error() != err.Error() {
				t.Errorf("Describe error %v, want Decrypt's %v", derr, err)
			}
		})
	}
}

// TestDecryptWrongPasswordDetection damages the plaintext rather than the
// password, to show both detectors work: bad padding, and good padding
// around bytes that are not a PrivateKeyInfo.
func TestDecryptWrongPasswordDetection(t *testing.T) {
	t.Parallel()
	s := allSchemes(t, 1)[0]
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"not ASN.1", []byte("this is not a private key at all")},
		{"ASN.1 but not a PrivateKeyInfo", mustMarshal(t, []int{1, 2, 3})},
		{"PrivateKeyInfo version 2", mustMarshal(t, privateKeyInfo{Version: 2, Algorithm: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2}}, PrivateKey: []byte{1}})},
		{"PrivateKeyInfo without an algorithm", mustMarshal(t, struct {
			Version    int
			Algorithm  asn1.RawValue
			PrivateKey []byte
		}{0, asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: []byte{}}, []byte{1}})},
		{"PrivateKeyInfo and trailing bytes", append(fixtureDER(t, "ec.pem"), 0)},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			encrypted, err := seal(tt.plaintext, []byte("pw"), s)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decrypt(encrypted, []byte("pw")); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("Decrypt: error %v, want ErrWrongPassword", err)
			}
		})
	}
}

func TestUnpad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string // hex
		want string // hex, or "bad"
	}{
		{"one byte of padding", "00000000000000000000000000000001", "000000000000000000000000000000"},
		{"a whole block of padding", "10101010101010101010101010101010", ""},
		{"zero padding byte", "00000000000000000000000000000000", "bad"},
		{"padding longer than a block", "11111111111111111111111111111111", "bad"},
		{"inconsistent padding", "00000000000000000000000000020302", "bad"},
		{"not whole blocks", "0101", "bad"},
		{"empty", "", "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, _ := hex.DecodeString(tt.in)
			got, ok := unpad(in, 16)
			switch {
			case tt.want == "bad" && ok:
				t.Errorf("unpad(%s) = %x, want a refusal", tt.in, got)
			case tt.want != "bad" && (!ok || hex.EncodeToString(got) != tt.want):
				t.Errorf("unpad(%s) = %x, %v; want %s", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestPad(t *testing.T) {
	t.Parallel()
	for n := range 40 {
		in := bytes.Repeat([]byte{0xee}, n)
		padded := pad(in, 8)
		if len(padded)%8 != 0 || len(padded) <= n {
			t.Fatalf("pad(%d bytes) is %d bytes", n, len(padded))
		}
		if got, ok := unpad(padded, 8); !ok || !bytes.Equal(got, in) {
			t.Fatalf("unpad(pad(%d bytes)) = %x, %v", n, got, ok)
		}
	}
}

// TestPKCS12KDFKnownAnswers checks the PKCS#12 key derivation against the
// vectors OpenSSL, Bouncy Castle and wolfSSL test with (password "smeg" or
// "queeg" as a BMPString with its terminator).
func TestPKCS12KDFKnownAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		password   string
		salt       string
		id         byte
		iterations int
		want       string
	}{
		{"smeg", "0a58cf64530d823f", 1, 1, "8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3"},
		{"smeg", "0a58cf64530d823f", 2, 1, "79993dfe048d3b76"},
		{"queeg", "1682c0fc5b3f7ec5", 1, 1000, "483dd6e919d7de2e8e648ba8f862f3fbfbdc2bcb2c02957f"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/id%d/%d", tt.password, tt.id, tt.iterations), func(t *testing.T) {
			t.Parallel()
			salt, _ := hex.DecodeString(tt.salt)
			got := pkcs12KDF(tt.id, bmpString([]byte(tt.password)), salt, tt.iterations, len(tt.want)/2)
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("pkcs12KDF = %x, want %s", got, tt.want)
			}
		})
	}
}

func TestBMPString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, password, want string // want in hex
	}{
		{"empty", "", "0000"},
		{"ASCII", "ab", "006100620000"},
		{"Latin-1 in UTF-8", "ä", "00e40000"},
		{"BMP", "€", "20ac0000"},
		{"beyond the BMP", "𝄞", "d834dd1e0000"},
		{"invalid UTF-8 is Latin-1", "\xe4b", "00e400620000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hex.EncodeToString(bmpString([]byte(tt.password))); got != tt.want {
				t.Errorf("bmpString(%q) = %s, want %s", tt.password, got, tt.want)
			}
		})
	}
}

func TestDescribeAlgorithm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		is      error // nil: Describe succeeds
	}{
		{"rsa-aes256.pem", nil},
		{"ec-pbe-sha1-3des.pem", nil},
		{"ed25519-aes192-sha512.pem", nil},
		{"ec-pbe-sha1-rc2-40.pem", ErrUnsupported},
		{"ec-scrypt.pem", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			der := fixtureDER(t, tt.fixture)
			var info encryptedPrivateKeyInfo
			if _, err := asn1.Unmarshal(der, &info); err != nil {
				t.Fatal(err)
			}
			got, err := DescribeAlgorithm(info.Algorithm)
			want, wantErr := Describe(der)
			if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("DescribeAlgorithm = %q, %v; want Describe's %q, %v", got, err, want, wantErr)
			}
			if tt.is == nil && err != nil || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("DescribeAlgorithm error %v, want %v", err, tt.is)
			}
		})
	}
	if _, err := DescribeAlgorithm(pkix.AlgorithmIdentifier{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("DescribeAlgorithm(empty): error %v, want ErrMalformed", err)
	}
}

func TestDescribeIteration(t *testing.T) {
	t.Parallel()
	s := allSchemes(t, 1)
	if got, want := s[0].String(), "PBES2 (PBKDF2-HMAC-SHA1, 1 iteration, AES-128-CBC)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestDecryptLimitIsAParameter shows the unexported limit the fuzz test
// lowers is the one enforced.
func TestDecryptLimitIsAParameter(t *testing.T) {
	t.Parallel()
	s := allSchemes(t, 50)[2]
	encrypted, err := seal(fixtureDER(t, "ec.pem"), []byte("pw"), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decrypt(encrypted, []byte("pw"), 49); !errors.Is(err, ErrUnsupported) {
		t.Errorf("decrypt with a limit of 49: error %v, want ErrUnsupported", err)
	}
	if _, err := decrypt(encrypted, []byte("pw"), 50); err != nil {
		t.Errorf("decrypt with a limit of 50: %v", err)
	}
}
