package certs

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestBERToDER(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("3080", n) + "0500" + strings.Repeat("0000", n) }
	tests := []struct {
		name, ber, der string
		err            string // substring of the error, "" for success
	}{
		{"DER unchanged", "3006020103040100", "3006020103040100", ""},
		{"indefinite SEQUENCE", "30800201030000", "3003020103", ""},
		{"nested indefinite", "3080308002010300000000", "30053003020103", ""},
		{"non-minimal definite length", "308200030201 03", "3003020103", ""},
		{"long definite length kept long", "3081" + "80" + strings.Repeat("0400", 64), "3081" + "80" + strings.Repeat("0400", 64), ""},
		{"constructed OCTET STRING", "2480040161040262630000", "0403616263", ""},
		{"constructed OCTET STRING, definite", "240704016104026263", "0403616263", ""},
		{"nested constructed OCTET STRING pieces", "248004016124800401620000040163 0000", "0403616263", ""},
		{"empty constructed OCTET STRING", "24800000", "0400", ""},
		{"constructed BIT STRING", "2380030200ff0302047000 00", "0303 04ff70", ""},
		{"constructed BMPString", "3e80 1e020061 1e020062 0000", "1e0400610062", ""},
		{"BOOLEAN true", "0101 01", "0101ff", ""},
		{"context tag, indefinite", "a0800201030000", "a003020103", ""},
		{"implicit constructed [0] kept", "a080040161 0000", "a003040161", ""},
		{"high tag number", "bf1f800201030000", "bf1f03020103", ""},
		{"primitive indefinite", "0480", "", "primitive element with an indefinite length"},
		{"missing end-of-contents", "30800201 03", "", "without end-of-contents"},
		{"end-of-contents in a definite SEQUENCE", "30020000", "", "end-of-contents where an element belongs"},
		{"truncated", "3005020103", "", "truncated"},
		{"trailing bytes", "300000", "", "1 bytes follow"},
		{"reserved length", "30ff", "", "reserved"},
		{"length too long", "3085000000000000", "", "too long"},
		{"tag not minimal", "1f8001", "", "not minimally encoded"},
		{"low tag in long form", "1f0100", "", "below 31"},
		{"OCTET STRING piece of another type", "248002010100 00", "", "another type"},
		{"BIT STRING with unused bits in a middle piece", "2380030204f0030200ff0000", "", "malformed piece"},
		{"deep but allowed", deep(berMaxDepth), "", ""},
		{"too deep", deep(berMaxDepth + 1), "", "nested more than"},
		{"empty", "", "", "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := unhex(t, tt.ber)
			got, err := berToDER(in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("berToDER(%x) = %x, %v; want an error with %q", in, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("berToDER(%x): %v", in, err)
			}
			if tt.der != "" && !bytes.Equal(got, unhex(t, tt.der)) {
				t.Errorf("berToDER(%x) = %x, want %s", in, got, strings.ReplaceAll(tt.der, " ", ""))
			}
			if err := checkDER(got, 0); err != nil {
				t.Errorf("output %x is not DER: %v", got, err)
			}
		})
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every PKCS#12 fixture in DER comes back unchanged.
func TestBERToDERKeepsDER(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.pfx")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		data := readFixture(t, filepath.Base(file))
		got, err := berToDER(data)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: berToDER changed DER (%v)", file, err)
		}
	}
}

// derToBER re-encodes DER as BER the way NSS does: every constructed
// element with an indefinite length, and every OCTET STRING longer than 16
// bytes in pieces of at most 100 (nested, for the first piece). It does not
// look inside OCTET STRINGs.
func derToBER(t testing.TB, der []byte) []byte {
	t.Helper()
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil || len(rest) > 0 {
		t.Fatalf("derToBER: %v (%d trailing bytes)", err, len(rest))
	}
	id := v.FullBytes[0] // PKCS#12 uses low tag numbers only
	switch {
	case v.IsCompound:
		out := []byte{id, 0x80}
		for b := v.Bytes; len(b) > 0; {
			var c asn1.RawValue
			if b, err = asn1.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, derToBER(t, c.FullBytes)...)
		}
		return append(out, 0, 0)
	case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && len(v.Bytes) > 16:
		out := []byte{0x24, 0x80}
		for i, b := 0, v.Bytes; len(b) > 0; i++ {
			n := min(len(b), 100)
			piece := mustMarshal(t, b[:n])
			if i == 0 {
				piece = append(append([]byte{0x24, 0x80}, piece...), 0, 0)
			}
			out = append(out, piece...)
			b = b[n:]
		}
		return append(out, 0, 0)
	}
	return v.FullBytes
}

// PKCS#12 files in BER, as NSS, macOS and BouncyCastle write them, read as
// their DER originals do. The outer layers can be converted under the MAC;
// BER inside the authSafe, which the MAC covers, makes Signet check the
// MAC itself and hand go-pkcs12 a DER copy.
func TestPFXReadsBER(t *testing.T) {
	t.Parallel()
	rsaCert := fixtureCert(t, "rsa.cer")
	tests := []struct {
		name       string
		make       func(t *testing.T) []byte
		legacy     bool // openssl needs -legacy
		protection string
	}{
		{"outer BER, OpenSSL 3 fixture", func(t *testing.T) []byte {
			return derToBER(t, readFixture(t, "rsa-openssl3.pfx"))
		}, false, "modern: key PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC); certificates PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC); MAC HMAC-SHA256 (2048 iterations)"},
		{"outer BER, legacy fixture", func(t *testing.T) []byte {
			return derToBER(t, readFixture(t, "rsa-legacy.pfx"))
		}, true, "legacy: key PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC); certificates PKCS#12 pbeWithSHAAnd40BitRC2-CBC; MAC HMAC-SHA1 (2048 iterations)"},
		{"BER inside the authSafe", func(t *testing.T) []byte {
			return berInside(t)
		}, false, "modern: key PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC); certificates PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC); MAC HMAC-SHA256 (2048 iterations)"},
		{"NSS pk12util", func(t *testing.T) []byte {
			return readFixture(t, "rsa-nss.p12")
		}, false, "modern: key PBES2 (PBKDF2-HMAC-SHA256, 600000 iterations, AES-256-CBC); certificates PBES2 (PBKDF2-HMAC-SHA256, 600000 iterations, AES-128-CBC); MAC HMAC-SHA256 (600000 iterations)"},
		{"NSS pk12util, legacy algorithms", func(t *testing.T) []byte {
			return readFixture(t, "rsa-nss-legacy.p12")
		}, true, "legacy: key PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 600000 iterations, DES-EDE3-CBC); certificates PKCS#12 pbeWithSHAAnd40BitRC2-CBC; MAC HMAC-SHA1 (600000 iterations)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pfx := tt.make(t)
			if _, err := asn1.Unmarshal(pfx, new(pfxPDU)); err == nil {
				if der, _ := berToDER(pfx); bytes.Equal(der, pfx) {
					t.Fatal("the test file is DER")
				}
			}
			asked := 0
			c, err := Parse(pfx, countingPassword(fixturePassword, &asked))
			if err != nil {
				t.Fatal(err)
			}
			if asked != 1 {
				t.Errorf("password asked %d times, want 1", asked)
			}
			if len(c.Certificates) != 1 || !c.Certificates[0].Equal(rsaCert) || !KeyMatches(rsaCert, c.Key) {
				t.Fatalf("got %d certificates and key %T, want the fixture's", len(c.Certificates), c.Key)
			}
			if c.Protection != tt.protection {
				t.Errorf("protection\n%q, want\n%q", c.Protection, tt.protection)
			}
			if _, err := Parse(pfx, StaticPassword("wrong")); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: %v, want ErrWrongPassword", err)
			}
			var extra []string
			if tt.legacy {
				extra = []string{"-legacy"}
			}
			checkOpenSSLReadsPFX(t, pfx, fixturePassword, rsaCert, extra...)
		})
	}
}

// berInside builds a PFX whose authenticated safe, SafeContents and
// decrypted content are all BER, with a MAC over the BER octets, as NSS
// writes them.
func berInside(t testing.TB) []byte {
	t.Helper()
	k := fixtureKey(t)
	contents, err := ReadFile(filepath.Join("testdata", "rsa.cer"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := contents.Certificates[0]
	berBags := func(bags ...safeBag) []byte { return derToBER(t, mustMarshal(t, bags)) }
	keyItem := contentInfo{ContentType: oidData, Content: explicit0(mustMarshal(t, berBags(shroudedBagOf(t, k, fixturePassword, 2048))))}
	alg, ciphertext := pbes2Encrypt(t, berBags(certBagOf(t, c)), fixturePassword, 2048)
	var ed encryptedData
	ed.EncryptedContentInfo.ContentType = oidData
	ed.EncryptedContentInfo.ContentEncryptionAlgorithm = alg
	ed.EncryptedContentInfo.EncryptedContent = ciphertext
	certItem := contentInfo{ContentType: oidEncryptedData, Content: explicit0(mustMarshal(t, ed))}
	auth := derToBER(t, mustMarshal(t, []contentInfo{keyItem, certItem}))
	return derToBER(t, assemblePFX(t, pfxMAC{password: fixturePassword}, auth))
}

// checkDER reports whether b is one DER element as berToDER promises:
// definite lengths in the shortest form, primitive strings, BOOLEANs of
// 0x00 or 0xFF.
func checkDER(b []byte, depth int) error {
	rest, err := checkDERElement(b, depth)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%d trailing bytes", len(rest))
	}
	return nil
}

func checkDERElement(b []byte, depth int) ([]byte, error) {
	if depth > 100 {
		return nil, errors.New("too deep")
	}
	if len(b) < 2 {
		return nil, errors.New("truncated header")
	}
	id, i := b[0], 1
	if id&0x1f == 0x1f {
		for ; i < len(b) && b[i]&0x80 != 0; i++ {
		}
		i++
		if i >= len(b) {
			return nil, errors.New("truncated tag")
		}
	}
	l := int(b[i])
	i++
	switch {
	case l == 0x80:
		return nil, errors.New("indefinite length")
	case l > 0x80:
		n := l & 0x7f
		if n > 4 || i+n > len(b) {
			return nil, errors.New("bad long length")
		}
		if b[i] == 0 {
			return nil, errors.New("length with a leading zero")
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		if l < 0x80 {
			return nil, errors.New("long form for a short length")
		}
		i += n
	}
	if i+l > len(b) {
		return nil, errors.New("truncated content")
	}
	content, rest := b[i:i+l], b[i+l:]
	if id&0x20 != 0 {
		if id&0xc0 == 0 && isBERString(int(id&0x1f)) {
			return nil, fmt.Errorf("constructed string type %d", id&0x1f)
		}
		for len(content) > 0 {
			var err error
			if content, err = checkDERElement(content, depth+1); err != nil {
				return nil, err
			}
		}
	} else if id == asn1.TagBoolean && l == 1 && content[0] != 0 && content[0] != 0xff {
		return nil, errors.New("BOOLEAN neither 0x00 nor 0xFF")
	}
	return rest, nil
}

// FuzzBERToDER checks that berToDER never panics, that what it returns is
// DER that converts to itself, and that it leaves DER alone.
func FuzzBERToDER(f *testing.F) {
	for _, file := range []string{"rsa-openssl3.pfx", "rsa-legacy.pfx", "rsa-nss.p12", "rsa-nss-legacy.p12", "chain.pfx"} {
		f.Add(readFixture(f, file))
	}
	f.Add(derToBER(f, readFixture(f, "rsa-openssl3.pfx")))
	for _, s := range []string{"2480040161040262630000", "2380030200ff0302047000 00", "0101 01", "bf1f800201030000", "3080308002010300000000"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := berToDER(in)
		if err != nil {
			return
		}
		if err := checkDER(out, 0); err != nil {
			t.Fatalf("berToDER(%x) = %x, not DER: %v", in, out, err)
		}
		again, err := berToDER(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("berToDER(%x) = %x, %v; want it unchanged", out, again, err)
		}
		if checkDER(in, 0) == nil && !bytes.Equal(out, in) {
			t.Fatalf("berToDER changed DER %x to %x", in, out)
		}
	})
}
