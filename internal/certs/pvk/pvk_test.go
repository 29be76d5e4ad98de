package pvk

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// The passwords testdata/make-fixtures.sh encrypts the fixtures with.
const (
	fixturePassword     = "signet-test-password"
	fixturePasswordUTF8 = "pässwörd-ключ"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture (regenerate with testdata/make-fixtures.sh): %v", err)
	}
	return data
}

// readPEMKey parses an RSA private key in PKCS#8 or PKCS#1 PEM.
func readPEMKey(t testing.TB, data []byte) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("no PEM block in %q", data)
	}
	if block.Type == "RSA PRIVATE KEY" {
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			t.Fatalf("parse PKCS#1 key: %v", err)
		}
		return key
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse PKCS#8 key: %v", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("PEM key is %T, want *rsa.PrivateKey", k)
	}
	return key
}

// assertSameKey fails unless got and want agree on every number, including
// the CRT values.
func assertSameKey(t testing.TB, got, want *rsa.PrivateKey) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("keys differ:\n got N=%x...\nwant N=%x...", got.N.Bytes()[:8], want.N.Bytes()[:8])
	}
	for _, c := range []struct {
		name      string
		got, want *big.Int
	}{
		{"Dp", got.Precomputed.Dp, want.Precomputed.Dp},
		{"Dq", got.Precomputed.Dq, want.Precomputed.Dq},
		{"Qinv", got.Precomputed.Qinv, want.Precomputed.Qinv},
	} {
		if c.got == nil || c.want == nil || c.got.Cmp(c.want) != 0 {
			t.Fatalf("%s differs: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// fixtures lists the PVK files make-fixtures.sh writes with openssl.
var fixtures = []struct {
	name     string
	pvk      string
	pem      string
	password string
	enc      Encryption
	bits     int
}{
	{"2048 none", "rsa2048-none.pvk", "rsa2048.pem", "", None, 2048},
	{"2048 strong", "rsa2048-strong.pvk", "rsa2048.pem", fixturePassword, RC4Strong, 2048},
	{"2048 weak", "rsa2048-weak.pvk", "rsa2048.pem", fixturePassword, RC4Weak, 2048},
	{"1024 strong utf8 password", "rsa1024-strong-utf8.pvk", "rsa1024.pem", fixturePasswordUTF8, RC4Strong, 1024},
	{"1023 none odd bitlen", "rsa1023-none.pvk", "rsa1023.pem", "", None, 1023},
	{"1000 weak bitlen not multiple of 16", "rsa1000-weak.pvk", "rsa1000.pem", fixturePassword, RC4Weak, 1000},
}

func TestDecodeOpenSSLFixtures(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtures {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := readFixture(t, tc.pvk)
			want := readPEMKey(t, readFixture(t, tc.pem))
			orig := bytes.Clone(data)

			key, info, err := Decode(data, []byte(tc.password))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			assertSameKey(t, key, want)
			wantInfo := Info{KeySpec: KeyExchange, Encryption: tc.enc, Bits: tc.bits}
			if info != wantInfo {
				t.Errorf("Decode info = %+v, want %+v", info, wantInfo)
			}
			if !bytes.Equal(data, orig) {
				t.Error("Decode modified its input")
			}

			peeked, err := Peek(data)
			if err != nil {
				t.Fatalf("Peek: %v", err)
			}
			wantPeek := Info{KeySpec: KeyExchange, Encryption: None, Bits: tc.bits}
			if tc.enc != None {
				wantPeek = Info{KeySpec: KeyExchange, Encryption: RC4}
			}
			if peeked != wantPeek {
				t.Errorf("Peek = %+v, want %+v", peeked, wantPeek)
			}
			if peeked.Encrypted() != (tc.password != "") {
				t.Errorf("Peek.Encrypted() = %v for a file with password %q", peeked.Encrypted(), tc.password)
			}
		})
	}
}

// TestEncodeMatchesOpenSSL re-encodes each fixture's key with the fixture's
// salt and expects openssl's bytes exactly: same layout, same key derivation,
// same RC4 stream.
func TestEncodeMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtures {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := readFixture(t, tc.pvk)
			key := readPEMKey(t, readFixture(t, tc.pem))
			salt := want[headerLen : headerLen+binary.LittleEndian.Uint32(want[16:])]
			got, err := Encode(key, EncodeOptions{
				Password: []byte(tc.password),
				Weak:     tc.enc == RC4Weak,
				KeySpec:  KeyExchange, // what OpenSSL writes for RSA
				Rand:     bytes.NewReader(salt),
			})
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if tc.bits%8 != 0 {
				// OpenSSL records the exact modulus size; Encode rounds it up
				// to a multiple of 8 as CryptoAPI requires. Only the RSAPUBKEY
				// bitlen field (plaintext here) may differ.
				off := headerLen + len(salt) + blobHeaderLen + 4
				if got, want := binary.LittleEndian.Uint32(got[off:]), uint32(tc.bits+7)&^7; got != want {
					t.Errorf("Encode wrote bitlen %d, want %d", got, want)
				}
				copy(got[off:off+4], want[off:off+4])
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Encode output differs from openssl's %s", tc.pvk)
			}
		})
	}
}

func TestPasswordIsRawBytes(t *testing.T) {
	t.Parallel()
	data := readFixture(t, "rsa2048-strong.pvk")
	for _, tc := range []struct {
		name     string
		password string
	}{
		{"NUL terminated", fixturePassword + "\x00"},
		{"upper case", strings.ToUpper(fixturePassword)},
		{"trailing newline", fixturePassword + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := Decode(data, []byte(tc.password)); !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("Decode with %q: err = %v, want ErrWrongPassword", tc.password, err)
			}
		})
	}
}

// mutate returns a copy of the named fixture changed by f.
func mutate(t testing.TB, name string, f func([]byte) []byte) []byte {
	t.Helper()
	return f(bytes.Clone(readFixture(t, name)))
}

func putU32(b []byte, off int, v uint32) []byte {
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

// Offsets in an unencrypted file: the blob starts right after the header.
const (
	offKeySpec   = 8
	offEncrypted = 12
	offSaltLen   = 16
	offKeyLen    = 20
	offBlob      = headerLen
	offAlg       = offBlob + 4
	offMagic     = offBlob + 8
	offBitlen    = offBlob + 12
	offPubExp    = offBlob + 16
	offModulus   = offBlob + 20
)

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		data     func(t testing.TB) []byte
		password string
		want     error
		wantMsg  string // substring of the message
		peekOK   bool   // the problem is only visible after decryption
	}{
		{
			name:    "empty",
			data:    func(testing.TB) []byte { return nil },
			want:    ErrNotPVK,
			wantMsg: "not a PVK file: it does not start with the PVK magic 0xB0B5F11E",
		},
		{
			name: "bad magic",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, 0, 0xB0B5F11F) })
			},
			want: ErrNotPVK,
		},
		{
			name:    "PEM",
			data:    func(t testing.TB) []byte { return readFixture(t, "rsa2048.pem") },
			want:    ErrNotPVK,
			wantMsg: "it is PEM text",
		},
		{
			name:    "header truncated",
			data:    func(t testing.TB) []byte { return readFixture(t, "rsa2048-none.pvk")[:20] },
			want:    ErrMalformed,
			wantMsg: "the file is 20 bytes, shorter than the 24-byte PVK header",
		},
		{
			name:    "truncated by one byte",
			data:    func(t testing.TB) []byte { d := readFixture(t, "rsa2048-none.pvk"); return d[:len(d)-1] },
			want:    ErrMalformed,
			wantMsg: "the file is 1195 bytes but its header promises 1196 (24 header + 0 salt + 1172 key blob); it is truncated",
		},
		{
			name:    "truncated encrypted",
			data:    func(t testing.TB) []byte { return readFixture(t, "rsa2048-strong.pvk")[:100] },
			want:    ErrMalformed,
			wantMsg: "it is truncated",
		},
		{
			name:    "trailing bytes",
			data:    func(t testing.TB) []byte { return append(readFixture(t, "rsa2048-none.pvk"), 0, 0) },
			want:    ErrMalformed,
			wantMsg: "2 bytes trail the key",
		},
		{
			name: "blob too short for its bitlen",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offKeyLen, 600)[:headerLen+600] })
			},
			want:    ErrMalformed,
			wantMsg: "key blob is 600 bytes but a 2048-bit RSA key needs 1172",
		},
		{
			name: "bitlen disagrees with blob length",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offBitlen, 2056) })
			},
			want:    ErrMalformed,
			wantMsg: "key blob is 1172 bytes but a 2056-bit RSA key needs 1179",
		},
		{
			name: "absurd bitlen",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offBitlen, 0xFFFFFFF8) })
			},
			want:    ErrMalformed,
			wantMsg: "declares a 4294967288-bit modulus; RSA keys of 512 to 16384 bits are accepted",
		},
		{
			name: "tiny bitlen",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offBitlen, 256) })
			},
			want:    ErrMalformed,
			wantMsg: "declares a 256-bit modulus",
		},
		{
			name: "absurd key length",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offKeyLen, 0xFFFFFFFF) })
			},
			want:    ErrMalformed,
			wantMsg: "the header gives a 4294967295-byte key blob; the largest RSA key read here (16384-bit) needs 9236",
		},
		{
			name: "absurd salt length",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-strong.pvk", func(b []byte) []byte { return putU32(b, offSaltLen, 0xFFFFFFFF) })
			},
			want:    ErrMalformed,
			wantMsg: "4294967295-byte salt",
		},
		{
			name: "encrypted flag 2",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-strong.pvk", func(b []byte) []byte { return putU32(b, offEncrypted, 2) })
			},
			want:    ErrMalformed,
			wantMsg: "encrypted flag is 2",
		},
		{
			name: "encrypted without salt",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offEncrypted, 1) })
			},
			want:    ErrMalformed,
			wantMsg: "encrypted but gives no salt",
		},
		{
			name: "salt without encryption",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-strong.pvk", func(b []byte) []byte { return putU32(b, offEncrypted, 0) })
			},
			want:    ErrMalformed,
			wantMsg: "not encrypted but gives a 16-byte salt",
		},
		{
			name: "public key blob",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { b[offBlob] = blobTypePublic; return b })
			},
			want:    ErrMalformed,
			wantMsg: "PUBLICKEYBLOB",
		},
		{
			name: "blob version 3",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { b[offBlob+1] = 3; return b })
			},
			want:    ErrMalformed,
			wantMsg: "version is 3",
		},
		{
			name: "RSA1 magic",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offMagic, magicRSA1) })
			},
			want:    ErrMalformed,
			wantMsg: `public key only (magic "RSA1")`,
		},
		{
			name: "garbage magic",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offMagic, 0x01020304) })
			},
			want:    ErrMalformed,
			wantMsg: "not RSA2",
		},
		{
			name:    "encrypted, no password",
			data:    func(t testing.TB) []byte { return readFixture(t, "rsa2048-strong.pvk") },
			want:    ErrPasswordRequired,
			peekOK:  true,
			wantMsg: "supply its password",
		},
		{
			name:     "strong, wrong password",
			data:     func(t testing.TB) []byte { return readFixture(t, "rsa2048-strong.pvk") },
			password: "wrong",
			want:     ErrWrongPassword,
			peekOK:   true,
			wantMsg:  "wrong password: neither the strong nor the weak PVK key decrypts it",
		},
		{
			name:     "weak, wrong password",
			data:     func(t testing.TB) []byte { return readFixture(t, "rsa2048-weak.pvk") },
			password: "wrong",
			want:     ErrWrongPassword,
			peekOK:   true,
		},
		{
			name:    "openssl DSA key",
			data:    func(t testing.TB) []byte { return readFixture(t, "dsa1024-none.pvk") },
			want:    ErrUnsupportedKey,
			wantMsg: "DSA keys cannot sign tokens; use an RSA key",
		},
		{
			name:    "openssl DSA key, encrypted, refused without a password",
			data:    func(t testing.TB) []byte { return readFixture(t, "dsa1024-strong.pvk") },
			want:    ErrUnsupportedKey,
			wantMsg: "DSA",
		},
		{
			name: "crafted DSS2 magic under an RSA algorithm",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offMagic, magicDSS2) })
			},
			want:    ErrUnsupportedKey,
			wantMsg: "DSA (DSS2) key",
		},
		{
			name: "crafted DSS algorithm",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offAlg, calgDSSSign) })
			},
			want: ErrUnsupportedKey,
		},
		{
			name: "public exponent above 2^31-1",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { return putU32(b, offPubExp, 1<<31+1) })
			},
			want:    ErrUnsupportedKey,
			wantMsg: "public exponent 2147483649",
			peekOK:  true,
		},
		{
			name: "modulus shorter than bitlen",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { b[offModulus+255] = 0; return b })
			},
			want:    ErrMalformed,
			wantMsg: "declares 2048",
			peekOK:  true,
		},
		{
			name: "corrupt prime",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { b[offModulus+256+3] ^= 0x10; return b })
			},
			want:    ErrMalformed,
			wantMsg: "do not form a valid RSA key",
			peekOK:  true,
		},
		{
			name: "corrupt coefficient",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { b[offModulus+256+4*128] ^= 0x01; return b })
			},
			want:    ErrMalformed,
			wantMsg: "invalid CRT coefficient",
			peekOK:  true,
		},
		{
			name: "corrupt private exponent",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-none.pvk", func(b []byte) []byte { b[offModulus+256+5*128+7] ^= 0x01; return b })
			},
			want:    ErrMalformed,
			wantMsg: "d does not match",
			peekOK:  true,
		},
		{
			name: "encrypted blob corrupted after the magic",
			data: func(t testing.TB) []byte {
				return mutate(t, "rsa2048-strong.pvk", func(b []byte) []byte { b[len(b)-1] ^= 0xFF; return b })
			},
			password: fixturePassword,
			want:     ErrMalformed,
			wantMsg:  "do not form a valid RSA key",
			peekOK:   true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := tc.data(t)
			key, _, err := Decode(data, []byte(tc.password))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode: err = %v, want %v", err, tc.want)
			}
			if key != nil {
				t.Error("Decode returned a key with an error")
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Decode: err = %q, want it to contain %q", err, tc.wantMsg)
			}
			_, perr := Peek(data)
			if tc.peekOK {
				if perr != nil {
					t.Errorf("Peek: %v, want no error (the problem is beyond the header)", perr)
				}
			} else if !errors.Is(perr, tc.want) {
				t.Errorf("Peek: err = %v, want %v", perr, tc.want)
			}
		})
	}
}

// encryptFile encrypts an unencrypted PVK file in place of what Encode does,
// allowing an empty password, which Encode (like OpenSSL) will not use.
func encryptFile(t testing.TB, plain []byte, salt, password []byte, enc Encryption) []byte {
	t.Helper()
	out := make([]byte, 0, len(plain)+len(salt))
	out = append(out, plain[:headerLen]...)
	putU32(out, offEncrypted, 1)
	putU32(out, offSaltLen, uint32(len(salt)))
	out = append(out, salt...)
	blob := append([]byte(nil), plain[headerLen:]...)
	c, err := newCipher(salt, password, enc)
	if err != nil {
		t.Fatal(err)
	}
	c.XORKeyStream(blob[blobHeaderLen:], blob[blobHeaderLen:])
	return append(out, blob...)
}

func TestDecodeEmptyPassword(t *testing.T) {
	t.Parallel()
	plain := readFixture(t, "rsa2048-none.pvk")
	want := readPEMKey(t, readFixture(t, "rsa2048.pem"))
	salt := bytes.Repeat([]byte{0x5A}, saltLen)
	for _, tc := range []struct {
		name string
		enc  Encryption
	}{
		{"strong", RC4Strong},
		{"weak", RC4Weak},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := encryptFile(t, plain, salt, nil, tc.enc)
			for _, pw := range [][]byte{nil, {}} {
				key, info, err := Decode(data, pw)
				if err != nil {
					t.Fatalf("Decode(%q): %v", pw, err)
				}
				assertSameKey(t, key, want)
				if info.Encryption != tc.enc {
					t.Errorf("Encryption = %v, want %v", info.Encryption, tc.enc)
				}
			}
			if _, _, err := Decode(data, []byte("x")); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("Decode with a password: err = %v, want ErrWrongPassword", err)
			}
		})
	}
}

func TestDecodeOddSaltLength(t *testing.T) {
	t.Parallel()
	// Every writer uses a 16-byte salt, but the header carries its length and
	// readers (OpenSSL, this one) honour it.
	plain := readFixture(t, "rsa2048-none.pvk")
	want := readPEMKey(t, readFixture(t, "rsa2048.pem"))
	for _, n := range []int{1, 20, maxSaltLen} {
		data := encryptFile(t, plain, bytes.Repeat([]byte{7}, n), []byte("pw"), RC4Strong)
		key, _, err := Decode(data, []byte("pw"))
		if err != nil {
			t.Fatalf("salt length %d: %v", n, err)
		}
		assertSameKey(t, key, want)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	keys := map[string]*rsa.PrivateKey{}
	for _, name := range []string{"rsa2048.pem", "rsa1024.pem", "rsa1023.pem", "rsa1000.pem"} {
		keys[name] = readPEMKey(t, readFixture(t, name))
	}
	long := bytes.Repeat([]byte("0123456789"), 300)
	for _, tc := range []struct {
		name     string
		pem      string
		opts     EncodeOptions
		wantInfo Info
	}{
		{"none, default spec", "rsa2048.pem", EncodeOptions{}, Info{KeySpec: Signature, Encryption: None, Bits: 2048}},
		{"none, key exchange", "rsa2048.pem", EncodeOptions{KeySpec: KeyExchange}, Info{KeySpec: KeyExchange, Encryption: None, Bits: 2048}},
		{"strong", "rsa2048.pem", EncodeOptions{Password: []byte("hunter2")}, Info{KeySpec: Signature, Encryption: RC4Strong, Bits: 2048}},
		{"weak", "rsa2048.pem", EncodeOptions{Password: []byte("hunter2"), Weak: true}, Info{KeySpec: Signature, Encryption: RC4Weak, Bits: 2048}},
		{"utf8 password", "rsa1024.pem", EncodeOptions{Password: []byte(fixturePasswordUTF8)}, Info{KeySpec: Signature, Encryption: RC4Strong, Bits: 1024}},
		{"binary password", "rsa1024.pem", EncodeOptions{Password: []byte{0, 1, 0xFF, 0}}, Info{KeySpec: Signature, Encryption: RC4Strong, Bits: 1024}},
		{"3000-byte password", "rsa1024.pem", EncodeOptions{Password: long, Weak: true}, Info{KeySpec: Signature, Encryption: RC4Weak, Bits: 1024}},
		{"odd size", "rsa1023.pem", EncodeOptions{Password: []byte("pw")}, Info{KeySpec: Signature, Encryption: RC4Strong, Bits: 1023}},
		{"size not multiple of 16", "rsa1000.pem", EncodeOptions{KeySpec: KeyExchange}, Info{KeySpec: KeyExchange, Encryption: None, Bits: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := keys[tc.pem]
			data, err := Encode(want, tc.opts)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			key, info, err := Decode(data, tc.opts.Password)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			assertSameKey(t, key, want)
			if info != tc.wantInfo {
				t.Errorf("info = %+v, want %+v", info, tc.wantInfo)
			}
			peeked, err := Peek(data)
			if err != nil {
				t.Fatalf("Peek: %v", err)
			}
			if peeked.Encrypted() != (len(tc.opts.Password) > 0) || peeked.KeySpec != tc.wantInfo.KeySpec {
				t.Errorf("Peek = %+v, want encrypted=%v spec=%v", peeked, len(tc.opts.Password) > 0, tc.wantInfo.KeySpec)
			}
		})
	}
}

func TestEncodeFreshKeys(t *testing.T) {
	t.Parallel()
	// Keys straight from crypto/rsa, including an odd size, whose bitlen
	// Encode rounds up to a multiple of 8.
	for _, bits := range []int{1024, 1025, 2048} {
		t.Run(fmt.Sprintf("%d bits", bits), func(t *testing.T) {
			t.Parallel()
			want, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				t.Fatal(err)
			}
			data, err := Encode(want, EncodeOptions{Password: []byte("pw")})
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			key, info, err := Decode(data, []byte("pw"))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			assertSameKey(t, key, want)
			if info.Bits != bits {
				t.Errorf("Bits = %d, want %d", info.Bits, bits)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	base := readPEMKey(t, readFixture(t, "rsa1024.pem"))
	clone := func(f func(k *rsa.PrivateKey)) *rsa.PrivateKey {
		k := *base
		k.Primes = append([]*big.Int(nil), base.Primes...)
		k.Precomputed = rsa.PrecomputedValues{}
		f(&k)
		return &k
	}
	for _, tc := range []struct {
		name    string
		key     *rsa.PrivateKey
		opts    EncodeOptions
		want    error // nil: any error
		wantMsg string
	}{
		{name: "nil key", key: nil, wantMsg: "incomplete"},
		{
			name:    "three primes",
			key:     clone(func(k *rsa.PrivateKey) { k.Primes = append(k.Primes, big.NewInt(7)) }),
			want:    ErrUnsupportedKey,
			wantMsg: "has 3 primes but PVK holds exactly 2",
		},
		{
			name:    "exponent wider than 32 bits",
			key:     clone(func(k *rsa.PrivateKey) { k.E = 1<<33 + 1 }),
			want:    ErrUnsupportedKey,
			wantMsg: "does not fit PVK's 32-bit field",
		},
		{
			name:    "inconsistent key",
			key:     clone(func(k *rsa.PrivateKey) { k.D = new(big.Int).Add(k.D, big.NewInt(2)) }),
			wantMsg: "refusing to write an invalid RSA key",
		},
		{
			name:    "weak without password",
			key:     base,
			opts:    EncodeOptions{Weak: true},
			wantMsg: "Weak is set but Password is empty",
		},
		{
			name:    "unknown key spec",
			key:     base,
			opts:    EncodeOptions{KeySpec: 3},
			wantMsg: "key spec 3",
		},
		{
			name:    "salt source fails",
			key:     base,
			opts:    EncodeOptions{Password: []byte("pw"), Rand: iotest.ErrReader(errors.New("no entropy"))},
			wantMsg: "read salt: no entropy",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := Encode(tc.key, tc.opts)
			if err == nil {
				t.Fatalf("Encode succeeded (%d bytes), want an error", len(data))
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		got, want string
	}{
		{None.String(), "none"},
		{RC4Strong.String(), "RC4-128 (strong)"},
		{RC4Weak.String(), "RC4-40 (weak)"},
		{RC4.String(), "RC4 (strength known after decryption)"},
		{Encryption(9).String(), "Encryption(9)"},
		{KeyExchange.String(), "AT_KEYEXCHANGE"},
		{Signature.String(), "AT_SIGNATURE"},
		{KeySpec(0).String(), "KeySpec(0)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("String() = %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// craftKey builds a valid 2-prime RSA key from primes of the given sizes,
// which crypto/rsa.GenerateKey will not make (too small, or unbalanced).
func craftKey(t testing.TB, pbits, qbits int) *rsa.PrivateKey {
	t.Helper()
	one := big.NewInt(1)
	for range 100 {
		p, err := rand.Prime(rand.Reader, pbits)
		if err != nil {
			t.Fatal(err)
		}
		q, err := rand.Prime(rand.Reader, qbits)
		if err != nil {
			t.Fatal(err)
		}
		pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		gcd := new(big.Int).GCD(nil, nil, pm1, qm1)
		lambda := new(big.Int).Div(new(big.Int).Mul(pm1, qm1), gcd)
		d := new(big.Int).ModInverse(big.NewInt(65537), lambda)
		if d == nil {
			continue
		}
		key := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537},
			D:         d,
			Primes:    []*big.Int{p, q},
		}
		key.Precompute()
		if key.Validate() == nil {
			return key
		}
	}
	t.Fatalf("could not craft a %d+%d-bit RSA key", pbits, qbits)
	return nil
}

// rawFile wraps an RSA key in an unencrypted PVK file whose blob declares
// bitlen, bypassing Encode's checks on the modulus size.
func rawFile(t testing.TB, key *rsa.PrivateKey, bitlen int) []byte {
	t.Helper()
	blob, err := writeRSABlob(key, bitlen, Signature)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, headerLen, headerLen+len(blob))
	putU32(out, 0, fileMagic)
	putU32(out, offKeySpec, uint32(Signature))
	putU32(out, offKeyLen, uint32(len(blob)))
	return append(out, blob...)
}

func TestCraftedKeys(t *testing.T) {
	t.Parallel()
	key511 := craftKey(t, 255, 256) // rand.Prime sets the top two bits: N is 511 bits
	key512 := craftKey(t, 256, 256)
	key1024 := readPEMKey(t, readFixture(t, "rsa1024.pem"))
	unbalanced := craftKey(t, 300, 724)

	t.Run("smallest size round trips", func(t *testing.T) {
		t.Parallel()
		data, err := Encode(key512, EncodeOptions{Password: []byte("pw")})
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		key, info, err := Decode(data, []byte("pw"))
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		assertSameKey(t, key, key512)
		if info.Bits != 512 {
			t.Errorf("Bits = %d, want 512", info.Bits)
		}
	})
	for _, tc := range []struct {
		name    string
		encode  *rsa.PrivateKey // Encode this key, or
		decode  []byte          // Decode this file
		want    error
		wantMsg string
	}{
		{
			name:    "Encode: key below 512 bits",
			encode:  key511,
			want:    ErrUnsupportedKey,
			wantMsg: "the RSA key is 511 bits; PVK files are written for keys of 512 to 16384 bits",
		},
		{
			name:    "Encode: unbalanced primes",
			encode:  unbalanced,
			want:    ErrUnsupportedKey,
			wantMsg: "prime2 is 91 bytes but PVK stores it in 64 (half the modulus)",
		},
		{
			name:    "Decode: 511-bit modulus in a 512-bit blob",
			decode:  rawFile(t, key511, 512),
			want:    ErrMalformed,
			wantMsg: "the modulus is 511 bits; RSA keys of 512 to 16384 bits are accepted",
		},
		{
			name:    "Decode: modulus a byte short of its bitlen",
			decode:  rawFile(t, key1024, 1032),
			want:    ErrMalformed,
			wantMsg: "the modulus is 1024 bits but the key blob declares 1032",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.encode != nil {
				_, err = Encode(tc.encode, EncodeOptions{})
			} else {
				_, _, err = Decode(tc.decode, nil)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tc.wantMsg)
			}
		})
	}
}
