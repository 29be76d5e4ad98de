package pkcs8

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzMaxIterations is the iteration limit under fuzzing: high enough for
// the OpenSSL fixtures (2048), low enough that inputs rarely spend long in
// key derivation.
const fuzzMaxIterations = 2048

// addSeeds adds every encrypted fixture with its password, and a
// one-iteration encryption of a key under every scheme Decrypt reads.
func addSeeds(f *testing.F) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.pem"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if block, _ := pem.Decode(data); block != nil && block.Type == PEMType {
			f.Add(block.Bytes, []byte(fixturePasswordFor(filepath.Base(path))))
		}
	}
	plain := fixtureDER(f, "ec.pem")
	for _, s := range allSchemes(f, 1) {
		der, err := seal(plain, []byte("pw"), s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der, []byte("pw"))
	}
}

// isPackageError reports whether err wraps one of the package's sentinels,
// as every error from Decrypt and Describe on bad input must.
func isPackageError(err error) bool {
	return errors.Is(err, ErrWrongPassword) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrMalformed)
}

// FuzzDecrypt checks that Decrypt never panics, fails only with the
// package's errors, returns only PKCS#8 structures, and agrees with
// Describe; and that what it returns encrypts and decrypts again.
func FuzzDecrypt(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data, password []byte) {
		plain, err := decrypt(data, password, fuzzMaxIterations)
		_, describeErr := Describe(data)
		if err != nil {
			if !isPackageError(err) {
				t.Fatalf("decrypt: error %v wraps no sentinel", err)
			}
			if describeErr != nil && errors.Is(err, ErrWrongPassword) {
				t.Fatalf("Describe refused (%v) an input whose password decrypt tried", describeErr)
			}
			return
		}
		if describeErr != nil {
			t.Fatalf("decrypt succeeded but Describe: %v", describeErr)
		}
		if err := checkPrivateKeyInfo(plain); err != nil {
			t.Fatalf("decrypt returned a non-PKCS#8 plaintext: %v", err)
		}
		again, err := Encrypt(plain, []byte("fuzz"), &Options{Iterations: 1})
		if err != nil {
			t.Fatalf("Encrypt(decrypted): %v", err)
		}
		if back, err := Decrypt(again, []byte("fuzz")); err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("Decrypt(Encrypt(decrypted)) = %x, %v; want %x", back, err, plain)
		}
	})
}

// FuzzDescribe checks that Describe never panics, fails only with the
// package's errors, agrees with DescribeAlgorithm, and that a scheme it accepts, once encoded again,
// describes the same.
func FuzzDescribe(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data, _ []byte) {
		desc, err := Describe(data)
		if err != nil {
			if !isPackageError(err) || errors.Is(err, ErrWrongPassword) {
				t.Fatalf("Describe: error %v, want ErrUnsupported or ErrMalformed", err)
			}
			return
		}
		if !strings.HasPrefix(desc, "PBES2 (") && !strings.HasPrefix(desc, "PKCS#12 ") {
			t.Fatalf("Describe = %q", desc)
		}
		var info encryptedPrivateKeyInfo
		if _, err := asn1.Unmarshal(data, &info); err != nil {
			t.Fatalf("Describe succeeded but the input does not parse: %v", err)
		}
		if got, err := DescribeAlgorithm(info.Algorithm); err != nil || got != desc {
			t.Fatalf("DescribeAlgorithm = %q, %v; want Describe's %q", got, err, desc)
		}
		s, ciphertext, err := parse(data, MaxIterations)
		if err != nil {
			t.Fatalf("parse after Describe succeeded: %v", err)
		}
		der, err := s.marshal(ciphertext)
		if err != nil {
			t.Fatalf("marshal a parsed scheme: %v", err)
		}
		if again, err := Describe(der); err != nil || again != desc {
			t.Fatalf("Describe(re-encoded) = %q, %v; want %q", again, err, desc)
		}
	})
}

// FuzzDecryptData checks that DecryptData and PKCS12MAC never panic, fail
// only with the package's errors, and give the same answer twice; the
// algorithm identifier, the ciphertext and the password all come from the
// fuzzer.
func FuzzDecryptData(f *testing.F) {
	for _, s := range dataSchemes(f, 1) {
		alg, ciphertext := sealData(f, []byte("content"), []byte("pw"), false, s)
		f.Add(mustMarshal(f, alg), ciphertext, []byte("pw"))
	}
	f.Fuzz(func(t *testing.T, algDER, ciphertext, password []byte) {
		var alg pkix.AlgorithmIdentifier
		if _, err := asn1.Unmarshal(algDER, &alg); err != nil {
			return
		}
		opts := &DataOptions{MaxIterations: fuzzMaxIterations, AbsentPassword: len(password) == 0 && len(ciphertext)%2 == 1}
		plain, err := DecryptData(alg, ciphertext, password, opts)
		if err != nil {
			if !isPackageError(err) {
				t.Fatalf("DecryptData: error %v wraps no sentinel", err)
			}
		} else {
			if len(plain) >= len(ciphertext) {
				t.Fatalf("%d bytes of plaintext from %d of ciphertext", len(plain), len(ciphertext))
			}
			again, err := DecryptData(alg, ciphertext, password, opts)
			if err != nil || !bytes.Equal(again, plain) {
				t.Fatalf("DecryptData again = %x, %v; want %x", again, err, plain)
			}
		}
		sum, err := PKCS12MAC(alg, ciphertext, len(password)+1, algDER, password, opts)
		if err != nil {
			if !isPackageError(err) {
				t.Fatalf("PKCS12MAC: error %v wraps no sentinel", err)
			}
			return
		}
		if len(sum) < 20 {
			t.Fatalf("a MAC of %d bytes", len(sum))
		}
	})
}
