package pkcs8

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"testing"
)

// The test vectors of RFC 2268 §5, every one of them.
func TestRC2Vectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key           string
		effectiveBits int
		plain, cipher string
	}{
		{"0000000000000000", 63, "0000000000000000", "ebb773f993278eff"},
		{"ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"},
		{"3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"},
		{"88", 64, "0000000000000000", "61a8a244adacccf0"},
		{"88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"},
		{"88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"},
		{"88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"},
		{"88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", 129, "0000000000000000", "5b78d3a43dfff1f1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.key, tt.effectiveBits), func(t *testing.T) {
			key, plain, want := unhex(t, tt.key), unhex(t, tt.plain), unhex(t, tt.cipher)
			block, err := newRC2(key, tt.effectiveBits)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 8)
			block.Encrypt(got, plain)
			if !bytes.Equal(got, want) {
				t.Errorf("Encrypt = %x, want %x", got, want)
			}
			block.Decrypt(got, want)
			if !bytes.Equal(got, plain) {
				t.Errorf("Decrypt = %x, want %x", got, plain)
			}
		})
	}
}

// RC2-CBC with the two effective key lengths PKCS#12 uses (40 bits from a
// 5-byte key, 128 from a 16-byte key), against vectors OpenSSL made with
//
//	printf 'PKCS#12 RC2 test' | openssl enc -e -rc2-40-cbc -K 0102030405 \
//	  -iv 0001020304050607 -nopad -provider legacy -provider default
//
// (and -rc2-cbc with the 16-byte key), and against the openssl at hand.
func TestRC2CBCAgainstOpenSSL(t *testing.T) {
	t.Parallel()
	plain := []byte("PKCS#12 RC2 test")
	const iv = "0001020304050607"
	tests := []struct {
		cipher        string
		key           string
		effectiveBits int
		want          string
	}{
		{"rc2-40-cbc", "0102030405", 40, "f476ae8ae3369b4889768da78be33f35"},
		{"rc2-cbc", "000102030405060708090a0b0c0d0e0f", 128, "23736a3f29424ee28648bb5719fae94e"},
	}
	for _, tt := range tests {
		t.Run(tt.cipher, func(t *testing.T) {
			t.Parallel()
			block, err := newRC2(unhex(t, tt.key), tt.effectiveBits)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(plain))
			cipher.NewCBCEncrypter(block, unhex(t, iv)).CryptBlocks(got, plain)
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("encrypted %x, want %s", got, tt.want)
			}
			back := make([]byte, len(got))
			cipher.NewCBCDecrypter(block, unhex(t, iv)).CryptBlocks(back, got)
			if !bytes.Equal(back, plain) {
				t.Errorf("decrypted %q, want %q", back, plain)
			}

			cmd := exec.Command(openssl(t), "enc", "-e", "-"+tt.cipher, "-K", tt.key, "-iv", iv, "-nopad",
				"-provider", "legacy", "-provider", "default")
			cmd.Stdin = bytes.NewReader(plain)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("openssl enc -%s (the legacy provider is needed): %v", tt.cipher, err)
			}
			if !bytes.Equal(out, got) {
				t.Errorf("openssl encrypted %x, we %x", out, got)
			}
		})
	}
}

// Encrypting and decrypting random blocks under random keys of every
// length round-trips.
func TestRC2RoundTrip(t *testing.T) {
	t.Parallel()
	for keyLen := 1; keyLen <= 128; keyLen += 7 {
		for _, bitsLen := range []int{1, 40, 64, 128, 1024} {
			key := make([]byte, keyLen)
			rand.Read(key)
			block, err := newRC2(key, bitsLen)
			if err != nil {
				t.Fatal(err)
			}
			src := make([]byte, 8)
			rand.Read(src)
			enc, dec := make([]byte, 8), make([]byte, 8)
			block.Encrypt(enc, src)
			block.Decrypt(dec, enc)
			if !bytes.Equal(dec, src) {
				t.Fatalf("key %d bytes, %d bits: Decrypt(Encrypt(%x)) = %x", keyLen, bitsLen, src, dec)
			}
		}
	}
	for _, tt := range []struct{ keyLen, bits int }{{0, 40}, {129, 40}, {5, 0}, {5, 1025}} {
		if _, err := newRC2(make([]byte, tt.keyLen), tt.bits); err == nil {
			t.Errorf("newRC2(%d-byte key, %d bits) accepted", tt.keyLen, tt.bits)
		}
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
