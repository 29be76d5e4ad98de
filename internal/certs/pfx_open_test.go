package certs

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/certs/pkcs8"
)

// A shrouded key bag inside encrypted content shows its iteration count
// only once the content is decrypted. A hostile file that names two
// billion iterations there is refused at once, with any password that
// opens the content, instead of spinning in PBKDF2 for tens of minutes.
func TestPFXRefusesHugeIterationsInsideEncryptedContent(t *testing.T) {
	t.Parallel()
	cert := fixtureCert(t, "rsa.cer")
	const huge = 2_000_000_000
	tests := []struct {
		name     string
		password Password
		build    func(t *testing.T) []byte
	}{
		{"empty password, no MAC", nil, func(t *testing.T) []byte {
			return buildPFX(t, pfxMAC{none: true}, encryptedItem(t, "", 2048, certBagOf(t, cert), hostileKeyBag(t, huge)))
		}},
		{"password and MAC", StaticPassword(fixturePassword), func(t *testing.T) []byte {
			return buildPFX(t, pfxMAC{password: fixturePassword}, encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert), hostileKeyBag(t, huge)))
		}},
		{"empty password as no bytes in the MAC", nil, func(t *testing.T) []byte {
			return buildPFX(t, pfxMAC{absent: true}, encryptedItem(t, "", 2048, certBagOf(t, cert), hostileKeyBag(t, huge)))
		}},
		{"second item", StaticPassword(fixturePassword), func(t *testing.T) []byte {
			return buildPFX(t, pfxMAC{password: fixturePassword},
				encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert)),
				encryptedItem(t, fixturePassword, 2048, hostileKeyBag(t, huge)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hostile := tt.build(t)
			start := time.Now()
			_, err := Parse(hostile, tt.password)
			if err == nil || !strings.Contains(err.Error(), "2000000000 key-derivation iterations") {
				t.Fatalf("error %v, want the iteration count refused", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
}

// Some exporters put the key bag inside the encrypted content with the
// certificates, not beside it in the clear as OpenSSL and Windows do:
// Signet reads such files and says where the key is.
func TestPFXKeyInsideEncryptedContent(t *testing.T) {
	t.Parallel()
	cert, key := fixtureCert(t, "rsa.cer"), fixtureKey(t)
	const (
		pbes2     = "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"
		pbes2More = "PBES2 (PBKDF2-HMAC-SHA256, 4096 iterations, AES-256-CBC)"
		mac       = "MAC HMAC-SHA256 (2048 iterations)"
	)
	tests := []struct {
		name       string
		items      func(t *testing.T) []contentInfo
		protection string
	}{
		{"key bag with the certificates", func(t *testing.T) []contentInfo {
			return []contentInfo{encryptedItem(t, fixturePassword, 2048, keyBagOf(t, key), certBagOf(t, cert))}
		}, "modern: key and certificates " + pbes2 + "; " + mac},
		{"shrouded key bag with the certificates", func(t *testing.T) []contentInfo {
			return []contentInfo{encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert), shroudedBagOf(t, key, fixturePassword, 2048))}
		}, "modern: key " + pbes2 + ", inside encrypted content (" + pbes2 + "); certificates " + pbes2 + "; " + mac},
		{"key bag in encrypted content of its own", func(t *testing.T) []contentInfo {
			return []contentInfo{
				encryptedItem(t, fixturePassword, 4096, keyBagOf(t, key)),
				encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert)),
			}
		}, "modern: key inside encrypted content (" + pbes2More + "); certificates " + pbes2 + "; " + mac},
		{"key in the clear, certificates encrypted (Windows)", func(t *testing.T) []contentInfo {
			return []contentInfo{
				dataItem(t, shroudedBagOf(t, key, fixturePassword, 2048)),
				encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert)),
			}
		}, "modern: key " + pbes2 + "; certificates " + pbes2 + "; " + mac},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pfx := buildPFX(t, pfxMAC{password: fixturePassword}, tt.items(t)...)
			asked := 0
			c, err := Parse(pfx, countingPassword(fixturePassword, &asked))
			if err != nil {
				t.Fatal(err)
			}
			if asked != 1 || !c.Encrypted {
				t.Errorf("password asked %d times, encrypted %v; want once, true", asked, c.Encrypted)
			}
			if len(c.Certificates) != 1 || !c.Certificates[0].Equal(cert) || !KeyMatches(cert, c.Key) {
				t.Fatalf("got %d certificates and key %T, want the fixture's", len(c.Certificates), c.Key)
			}
			if c.Protection != tt.protection {
				t.Errorf("protection\n%q, want\n%q", c.Protection, tt.protection)
			}
			checkOpenSSLReadsPFX(t, pfx, fixturePassword, cert)
		})
	}
}

// checkOpenSSLReadsPFX checks, when openssl is at hand, that it verifies
// the MAC of a PFX and finds in it the key of cert.
func checkOpenSSLReadsPFX(t *testing.T, pfx []byte, password string, cert *x509.Certificate, extra ...string) {
	t.Helper()
	requireOpenSSL(t)
	path := writeTemp(t, "test.pfx", pfx)
	args := append([]string{"pkcs12", "-in", path, "-passin", "pass:" + password}, extra...)
	info := opensslInfo(t, append(append([]string{}, args...), "-info", "-noout")...)
	if !strings.Contains(info, "MAC verified OK") && !strings.Contains(info, "MAC:") {
		t.Errorf("openssl pkcs12 -info:\n%s", info)
	}
	keyPEM := openssl(t, nil, append(args, "-nocerts", "-nodes")...)
	got, err := Parse([]byte(keyPEM), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !KeyMatches(cert, got.Key) {
		t.Error("the key openssl extracted does not match the certificate")
	}
}

// Layouts go-pkcs12 does not read get an error that names the layout and
// the command that rewrites the file, not go-pkcs12's message.
func TestPFXLayoutErrors(t *testing.T) {
	t.Parallel()
	cert, key := fixtureCert(t, "rsa.cer"), fixtureKey(t)
	ca := fixtureCert(t, "ca.crt")
	tests := []struct {
		name  string
		items func(t *testing.T) []contentInfo
		asks  int
		want  []string
	}{
		{"three items", func(t *testing.T) []contentInfo {
			return []contentInfo{
				dataItem(t, shroudedBagOf(t, key, fixturePassword, 2048)),
				encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert)),
				encryptedItem(t, fixturePassword, 2048, certBagOf(t, ca)),
			}
		}, 0, []string{"3 parts", "one or two", "openssl pkcs12 -export"}},
		{"two keys", func(t *testing.T) []contentInfo {
			return []contentInfo{
				dataItem(t, shroudedBagOf(t, key, fixturePassword, 2048), shroudedBagOf(t, key, fixturePassword, 2048)),
				encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert)),
			}
		}, 1, []string{"2 private keys", "one key", "openssl pkcs12 -export"}},
		{"a key in the clear and one encrypted", func(t *testing.T) []contentInfo {
			return []contentInfo{
				dataItem(t, shroudedBagOf(t, key, fixturePassword, 2048)),
				encryptedItem(t, fixturePassword, 2048, keyBagOf(t, key), certBagOf(t, cert)),
			}
		}, 1, []string{"2 private keys", "openssl pkcs12 -export"}},
		{"two certificates in one bag", func(t *testing.T) []contentInfo {
			return []contentInfo{
				dataItem(t, shroudedBagOf(t, key, fixturePassword, 2048)),
				encryptedItem(t, fixturePassword, 2048, certBagOf(t, cert, ca)),
			}
		}, 1, []string{"2 certificates into one certificate bag", "openssl pkcs12 -export"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pfx := buildPFX(t, pfxMAC{password: fixturePassword}, tt.items(t)...)
			asked := 0
			_, err := Parse(pfx, countingPassword(fixturePassword, &asked))
			if !errors.Is(err, errPFXLayout) {
				t.Fatalf("error %v, want a layout error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "pkcs12: ") {
				t.Errorf("error %q passes go-pkcs12's message on", err)
			}
			if asked != tt.asks {
				t.Errorf("password asked %d times, want %d", asked, tt.asks)
			}
		})
	}

	t.Run("no items", func(t *testing.T) {
		t.Parallel()
		_, err := Parse(buildPFX(t, pfxMAC{password: fixturePassword}), StaticPassword(fixturePassword))
		if err == nil || !strings.Contains(err.Error(), "holds no content") {
			t.Fatalf("error %v, want the file called empty", err)
		}
	})
}

// Signet decrypts the encrypted content of every PKCS#12 fixture itself
// (go-pkcs12 would read the files anyway, and hide a failure): RC2-40,
// RC2-128, 3DES and AES, with a password and without, DER and BER.
func TestPFXDecryptsFixtureContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, password, cert string
		container            string
	}{
		{"rsa-openssl3.pfx", fixturePassword, "rsa.cer", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{"rsa-legacy.pfx", fixturePassword, "rsa.cer", "PKCS#12 pbeWithSHAAnd40BitRC2-CBC"},
		{"rsa-rc2-128.pfx", fixturePassword, "rsa.cer", "PKCS#12 pbeWithSHAAnd128BitRC2-CBC"},
		{"rsa-3des.pfx", fixturePassword, "rsa.cer", "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC)"},
		{"rsa-emptypassword.pfx", "", "rsa.cer", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
		{"rsa-nss.p12", fixturePassword, "rsa.cer", "PBES2 (PBKDF2-HMAC-SHA256, 600000 iterations, AES-128-CBC)"},
		{"rsa-nss-legacy.p12", fixturePassword, "rsa.cer", "PKCS#12 pbeWithSHAAnd40BitRC2-CBC"},
		{"chain.pfx", fixturePassword, "leaf.crt", "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			want := fixtureCert(t, tt.cert)
			f := parseFixturePFX(t, tt.file)
			found := false
			for _, ci := range f.items {
				if !ci.ContentType.Equal(oidEncryptedData) {
					continue
				}
				alg, ciphertext, _, err := parseEncryptedData(ci.Content.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				if got := describeAlgorithm(alg); got != tt.container {
					t.Errorf("encrypted with %q, want %q", got, tt.container)
				}
				plain, err := pkcs8.DecryptData(alg, ciphertext, []byte(tt.password), nil)
				if err != nil {
					t.Fatalf("DecryptData: %v", err)
				}
				var bags []safeBag
				if _, err := unmarshalBER(plain, &bags); err != nil {
					t.Fatalf("decrypted content: %v", err)
				}
				for _, bag := range bags {
					var cb certBag
					if bag.ID.Equal(oidCertBag) && unmarshalAll(bag.Value.Bytes, &cb) == nil {
						if c, err := x509.ParseCertificate(cb.Data); err == nil && c.Equal(want) {
							found = true
						}
					}
				}
				if _, err := pkcs8.DecryptData(alg, ciphertext, []byte(tt.password+"x"), nil); err == nil {
					t.Log("a wrong password passed the padding check (about one in 256)")
				}
			}
			if !found {
				t.Errorf("no encrypted content held %s", tt.cert)
			}
		})
	}
}

func parseFixturePFX(t *testing.T, name string) *pfxFile {
	t.Helper()
	data := readFixture(t, name)
	der, err := berToDER(data)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parsePFX(der, pkcs8.MaxIterations)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The empty password has two encodings in PKCS#12 (RFC 7292 appendix B.1
// and B.2); go-pkcs12 and OpenSSL try both, and so does Signet's walk.
func TestPFXEmptyPasswordAsNoBytes(t *testing.T) {
	t.Parallel()
	cert, key := fixtureCert(t, "rsa.cer"), fixtureKey(t)
	pfx := buildPFX(t, pfxMAC{absent: true}, encryptedItem(t, "", 2048, keyBagOf(t, key), certBagOf(t, cert)))
	asked := 0
	c, err := Parse(pfx, countingPassword("unused", &asked))
	if err != nil {
		t.Fatal(err)
	}
	if asked != 0 || !KeyMatches(cert, c.Key) {
		t.Errorf("password asked %d times, key matches %v; want 0, true", asked, KeyMatches(cert, c.Key))
	}
	if want := "modern: key and certificates PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC); MAC HMAC-SHA256 (2048 iterations)"; c.Protection != want {
		t.Errorf("protection %q, want %q", c.Protection, want)
	}
}

// What users see for ordinary files does not change with the walk.
func TestPFXErrorsForOrdinaryFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, password string
		want           error
		msg            string
	}{
		{"rsa-openssl3.pfx", "wrong", ErrWrongPassword, ""},
		{"rsa-legacy.pfx", "wrong", ErrWrongPassword, ""},
		{"rsa-nss.p12", "wrong", ErrWrongPassword, ""},
		{"rsa-nomac.pfx", fixturePassword, nil, "encrypted but has no MAC"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(readFixture(t, tt.file), StaticPassword(tt.password))
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %v %q", err, tt.want, tt.msg)
			}
		})
	}
}
