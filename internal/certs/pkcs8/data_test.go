package pkcs8

import (
	"bytes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// dataSchemes returns every scheme DecryptData reads: those of Decrypt and
// the two PKCS#12 RC2 schemes.
func dataSchemes(t testing.TB, iterations int) []*scheme {
	t.Helper()
	out := allSchemes(t, iterations)
	for _, pbe := range []*pkcs12PBE{pbeSHARC2128, pbeSHARC240} {
		salt := make([]byte, 8)
		rand.Read(salt)
		out = append(out, &scheme{kind: kindPKCS12, pbe: pbe, cipher: pbe.cipher, salt: salt, iterations: iterations})
	}
	return out
}

// sealData encrypts plain under s as a PKCS#12 EncryptedData would, and
// returns the algorithm identifier and the ciphertext.
func sealData(t testing.TB, plain, password []byte, absent bool, s *scheme) (pkix.AlgorithmIdentifier, []byte) {
	t.Helper()
	block, iv, err := s.cbc(password, absent)
	if err != nil {
		t.Fatal(err)
	}
	ciphertext := pad(plain, block.BlockSize())
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ciphertext, ciphertext)
	der, err := s.marshal(ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		t.Fatal(err)
	}
	return info.Algorithm, ciphertext
}

func TestDecryptDataEveryScheme(t *testing.T) {
	t.Parallel()
	plain := []byte("any content at all, not a PKCS#8 key")
	for _, s := range dataSchemes(t, 3) {
		t.Run(s.String(), func(t *testing.T) {
			t.Parallel()
			for _, password := range []string{fixturePassword, fixtureUTF8Password, "", "\xff\xfe not UTF-8"} {
				alg, ciphertext := sealData(t, plain, []byte(password), false, s)
				got, err := DecryptData(alg, ciphertext, []byte(password), nil)
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("password %q: DecryptData = %q, %v; want the plaintext", password, got, err)
				}
				// A wrong password fails the padding check but about
				// once in 256 tries; it never gives the plaintext.
				if got, err := DecryptData(alg, ciphertext, []byte(password+"!"), nil); err == nil && bytes.Equal(got, plain) {
					t.Fatalf("password %q: a wrong password decrypted", password)
				} else if err != nil && !errors.Is(err, ErrWrongPassword) {
					t.Fatalf("wrong password: %v, want ErrWrongPassword", err)
				}
			}

			// The absent password is the empty one for PBES2, and a
			// different key for the PKCS#12 schemes.
			alg, ciphertext := sealData(t, plain, nil, true, s)
			got, err := DecryptData(alg, ciphertext, nil, &DataOptions{AbsentPassword: true})
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("absent password: DecryptData = %q, %v", got, err)
			}
			got, err = DecryptData(alg, ciphertext, nil, nil)
			if same := err == nil && bytes.Equal(got, plain); same != (s.kind == kindPBES2) {
				t.Errorf("the empty password decrypts what the absent one encrypted: %v", same)
			}
		})
	}
}

func TestDecryptDataErrors(t *testing.T) {
	t.Parallel()
	s := dataSchemes(t, 2048)[0]
	alg, ciphertext := sealData(t, []byte("content"), []byte("pw"), false, s)
	tests := []struct {
		name       string
		alg        pkix.AlgorithmIdentifier
		ciphertext []byte
		password   string
		opts       *DataOptions
		want       error
		msg        string
	}{
		{"iterations above the option", alg, ciphertext, "pw", &DataOptions{MaxIterations: 2047}, ErrUnsupported, "above the limit of 2047"},
		{"empty ciphertext", alg, nil, "pw", nil, ErrMalformed, "0 bytes"},
		{"partial block", alg, ciphertext[:len(ciphertext)-1], "pw", nil, ErrMalformed, "not a positive multiple"},
		{"RC4", pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 1}}, ciphertext, "pw", nil, ErrUnsupported, "pbeWithSHAAnd128BitRC4"},
		{"absent but not empty", alg, ciphertext, "pw", &DataOptions{AbsentPassword: true}, nil, "absent password must be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecryptData(tt.alg, tt.ciphertext, []byte(tt.password), tt.opts)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %v with %q", err, tt.want, tt.msg)
			}
		})
	}
	// Above MaxIterations the option is lowered to it.
	tooMany := &scheme{kind: kindPKCS12, pbe: pbeSHARC240, cipher: cipherRC240CBC, salt: []byte{1}, iterations: MaxIterations + 1}
	der, err := tooMany.marshal(make([]byte, 8))
	if err != nil {
		t.Fatal(err)
	}
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		t.Fatal(err)
	}
	if _, err := DecryptData(info.Algorithm, info.EncryptedData, nil, &DataOptions{MaxIterations: 1 << 40}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("error %v, want ErrUnsupported above MaxIterations", err)
	}
}

// Decrypt reads the RC2 schemes for content only, not for keys.
func TestDecryptRefusesRC2Keys(t *testing.T) {
	t.Parallel()
	keyDER := fixtureDER(t, "ec.pem")
	for _, pbe := range []*pkcs12PBE{pbeSHARC2128, pbeSHARC240} {
		s := &scheme{kind: kindPKCS12, pbe: pbe, cipher: pbe.cipher, salt: []byte("saltsalt"), iterations: 1}
		der, err := seal(keyDER, []byte("pw"), s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decrypt(der, []byte("pw")); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), pbe.name) {
			t.Errorf("%s: Decrypt error %v, want ErrUnsupported", pbe.name, err)
		}
		var info encryptedPrivateKeyInfo
		if _, err := asn1.Unmarshal(der, &info); err != nil {
			t.Fatal(err)
		}
		if got, err := DecryptData(info.Algorithm, info.EncryptedData, []byte("pw"), nil); err != nil || !bytes.Equal(got, keyDER) {
			t.Errorf("%s: DecryptData = %v", pbe.name, err)
		}
	}
}

// pfxMacData is the part of a PKCS#12 file PKCS12MAC needs.
type pfxMacData struct {
	Version  int
	AuthSafe struct {
		ContentType asn1.ObjectIdentifier
		Content     []byte `asn1:"tag:0,explicit"`
	}
	MacData struct {
		Mac struct {
			Algorithm pkix.AlgorithmIdentifier
			Digest    []byte
		}
		MacSalt    []byte
		Iterations int `asn1:"optional,default:1"`
	}
}

// checkPKCS12MAC checks that PKCS12MAC computes the MAC of a PKCS#12 file
// made by another implementation, and that a wrong password does not.
func checkPKCS12MAC(t *testing.T, pfx []byte, password string) {
	t.Helper()
	var p pfxMacData
	if _, err := asn1.Unmarshal(pfx, &p); err != nil {
		t.Fatal(err)
	}
	m := p.MacData
	sum, err := PKCS12MAC(m.Mac.Algorithm, m.MacSalt, m.Iterations, p.AuthSafe.Content, []byte(password), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !hmac.Equal(sum, m.Mac.Digest) {
		t.Errorf("MAC %x, want %x", sum, m.Mac.Digest)
	}
	sum, err = PKCS12MAC(m.Mac.Algorithm, m.MacSalt, m.Iterations, p.AuthSafe.Content, []byte(password+"x"), nil)
	if err != nil || hmac.Equal(sum, m.Mac.Digest) {
		t.Errorf("a wrong password gave the MAC (%v)", err)
	}
}

// PKCS12MAC agrees with go-pkcs12 on the MACs it writes: HMAC-SHA1 and
// HMAC-SHA256 with the PKCS#12 key derivation, and PBMAC1.
func TestPKCS12MACGoPKCS12(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	for name, enc := range map[string]*pkcs12.Encoder{
		"LegacyDES":  pkcs12.LegacyDES.WithIterations(100),
		"Modern2023": pkcs12.Modern2023,
		"Modern2026": pkcs12.Modern2026,
	} {
		for _, password := range []string{"pässwörd", ""} {
			t.Run(name+"/"+password, func(t *testing.T) {
				pfx, err := enc.Encode(key, cert, nil, password)
				if err != nil {
					t.Fatal(err)
				}
				checkPKCS12MAC(t, pfx, password)
			})
		}
	}
}

// PKCS12MAC agrees with OpenSSL for every MAC digest it offers.
func TestPKCS12MACOpenSSL(t *testing.T) {
	t.Parallel()
	bin := openssl(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "key.pem")
	certPath := filepath.Join(dir, "cert.pem")
	runOpenSSL(t, bin, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", keyPath, "-out", certPath, "-subj", "/CN=mac", "-days", "1")
	for _, digest := range []string{"sha1", "sha224", "sha256", "sha384", "sha512"} {
		t.Run(digest, func(t *testing.T) {
			path := filepath.Join(dir, digest+".p12")
			runOpenSSL(t, bin, "pkcs12", "-export", "-inkey", keyPath, "-in", certPath, "-macalg", digest,
				"-passout", "pass:"+fixturePassword, "-out", path)
			pfx, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkPKCS12MAC(t, pfx, fixturePassword)
		})
	}
}

func TestPKCS12MACErrors(t *testing.T) {
	t.Parallel()
	sha1 := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}}
	pbmac1 := func(keyLen int, iterations int) pkix.AlgorithmIdentifier {
		kdf := mustMarshal(t, struct {
			Salt       []byte
			Iterations int
			KeyLength  int `asn1:"optional"`
			PRF        pkix.AlgorithmIdentifier
		}{[]byte("saltsalt"), iterations, keyLen, pkix.AlgorithmIdentifier{Algorithm: prfHMACSHA256.oid}})
		params := mustMarshal(t, pbmac1Params{
			KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
			MessageAuthScheme: pkix.AlgorithmIdentifier{Algorithm: prfHMACSHA256.oid},
		})
		return pkix.AlgorithmIdentifier{Algorithm: oidPBMAC1, Parameters: asn1.RawValue{FullBytes: params}}
	}
	tests := []struct {
		name       string
		alg        pkix.AlgorithmIdentifier
		iterations int
		want       error
		msg        string
	}{
		{"MD5", pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}}, 1, ErrUnsupported, "1.2.840.113549.2.5"},
		{"zero iterations", sha1, 0, ErrMalformed, "not positive"},
		{"too many iterations", sha1, MaxIterations + 1, ErrUnsupported, "above the limit"},
		{"PBMAC1 key too short", pbmac1(16, 1), 1, ErrMalformed, "key length 16"},
		{"PBMAC1 key absent", pbmac1(0, 1), 1, ErrMalformed, "key length (absent)"},
		{"PBMAC1 too many iterations", pbmac1(32, MaxIterations+1), 1, ErrUnsupported, "above the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := PKCS12MAC(tt.alg, []byte("salt"), tt.iterations, []byte("message"), []byte("pw"), nil)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %v with %q", err, tt.want, tt.msg)
			}
		})
	}
	if sum, err := PKCS12MAC(pbmac1(32, 1), nil, 0, []byte("message"), []byte("pw"), nil); err != nil || len(sum) != 32 {
		t.Errorf("PBMAC1 = %x, %v", sum, err)
	}
}
