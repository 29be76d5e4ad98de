package pvk

import (
	"bytes"
	"crypto/rc4"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
)

// Layout of a PVK file. All integers are little-endian.
//
//	offset  size  field
//	0       4     magic 0xB0B5F11E
//	4       4     reserved, 0
//	8       4     key spec: 1 AT_KEYEXCHANGE, 2 AT_SIGNATURE
//	12      4     encrypted: 0 or 1
//	16      4     salt length (0 when not encrypted; 16 as written by everyone)
//	20      4     key blob length
//	24      salt  salt
//	...     blob  PRIVATEKEYBLOB; when encrypted, all of it after its first
//	              8 bytes (the BLOBHEADER) is RC4-encrypted
//
// The PRIVATEKEYBLOB for RSA:
//
//	0       1     bType 0x07 (PRIVATEKEYBLOB; 0x06 is PUBLICKEYBLOB)
//	1       1     bVersion 0x02
//	2       2     reserved
//	4       4     aiKeyAlg: CALG_RSA_KEYX 0xA400, CALG_RSA_SIGN 0x2400
//	8       4     magic "RSA2"
//	12      4     bitlen, the modulus size in bits
//	16      4     public exponent
//	20      n     modulus                  n = ceil(bitlen/8)
//	        h     prime1, prime2,          h = ceil(bitlen/16)
//	              exponent1, exponent2,
//	              coefficient
//	        n     private exponent
//
// The sizes round up as OpenSSL's pvkfmt.c does, so a 1023-bit or 1000-bit key
// (which OpenSSL writes with exactly that bitlen) has a well-defined layout.
const (
	fileMagic     = 0xB0B5F11E
	headerLen     = 24
	blobHeaderLen = 8  // BLOBHEADER: bType, bVersion, reserved, aiKeyAlg
	rsaPubKeyLen  = 12 // RSAPUBKEY: magic, bitlen, pubexp

	blobTypePublic  = 0x06
	blobTypePrivate = 0x07
	blobVersion     = 0x02

	calgRSASign = 0x2400
	calgRSAKeyX = 0xA400
	calgDSSSign = 0x2200

	magicRSA1 = 0x31415352 // "RSA1", public key
	magicRSA2 = 0x32415352 // "RSA2", private key
	magicDSS1 = 0x31535344 // "DSS1", public key
	magicDSS2 = 0x32535344 // "DSS2", private key

	// minBits and maxBits bound the modulus. CryptoAPI's RSA providers accept
	// 384 to 16384 bits; below 512 is a toy key.
	minBits = 512
	maxBits = 16384

	// saltLen is the salt length every known writer uses; maxSaltLen is the
	// most a reader accepts, as in OpenSSL.
	saltLen    = 16
	maxSaltLen = 10240
)

// maxBlobLen is the key blob length of the largest RSA key this package reads.
var maxBlobLen = rsaBlobLen(maxBits)

// rsaBlobLen returns the length of an RSA PRIVATEKEYBLOB whose header says
// bitlen: BLOBHEADER, RSAPUBKEY, two full-size and five half-size integers.
func rsaBlobLen(bitlen int) int {
	n, h := componentLens(bitlen)
	return blobHeaderLen + rsaPubKeyLen + 2*n + 5*h
}

// componentLens returns the byte lengths of the full-size (modulus, private
// exponent) and half-size (primes, CRT values) integers for bitlen.
func componentLens(bitlen int) (n, h int) {
	return (bitlen + 7) / 8, (bitlen + 15) / 16
}

// KeySpec is the CryptoAPI key specification recorded in a PVK file: which of
// a key container's two key slots the key was made for.
type KeySpec uint32

const (
	// KeyExchange is AT_KEYEXCHANGE: the key may encrypt session keys and
	// sign. OpenSSL writes every RSA key with this spec.
	KeyExchange KeySpec = 1
	// Signature is AT_SIGNATURE: the key only signs. makecert -sky signature
	// and Authenticode tooling write this spec; Encode uses it by default.
	Signature KeySpec = 2
)

// String returns the CryptoAPI name of the key spec.
func (k KeySpec) String() string {
	switch k {
	case KeyExchange:
		return "AT_KEYEXCHANGE"
	case Signature:
		return "AT_SIGNATURE"
	}
	return fmt.Sprintf("KeySpec(%d)", uint32(k))
}

// algID returns the aiKeyAlg a CryptoAPI writer records for an RSA key of
// this spec.
func (k KeySpec) algID() uint32 {
	if k == KeyExchange {
		return calgRSAKeyX
	}
	return calgRSASign
}

// Encryption is how the key blob in a PVK file is protected.
type Encryption int

const (
	// None means the key blob is stored in the clear.
	None Encryption = iota
	// RC4Strong is RC4 with a 128-bit key: the first 16 bytes of
	// SHA-1(salt || password). OpenSSL's -pvk-strong, its default.
	RC4Strong
	// RC4Weak is RC4 with a 40-bit key: the first 5 bytes of
	// SHA-1(salt || password) followed by 11 zero bytes. OpenSSL's -pvk-weak;
	// the export-grade form old Windows tools wrote.
	RC4Weak
	// RC4 is what Peek reports for an encrypted file: the header cannot say
	// which key length was used; Decode finds out by trying both.
	RC4
)

// String names the scheme: "none", "RC4-128 (strong)", "RC4-40 (weak)".
func (e Encryption) String() string {
	switch e {
	case None:
		return "none"
	case RC4Strong:
		return "RC4-128 (strong)"
	case RC4Weak:
		return "RC4-40 (weak)"
	case RC4:
		return "RC4 (strength known after decryption)"
	}
	return fmt.Sprintf("Encryption(%d)", int(e))
}

// Info describes a PVK file.
type Info struct {
	// KeySpec is the key spec from the file header, as written. OpenSSL
	// ignores it on reading, and so does this package: any value is reported.
	KeySpec KeySpec
	// Encryption is how the key blob was protected. Decode reports None,
	// RC4Strong or RC4Weak; Peek reports None or, for an encrypted file, RC4.
	Encryption Encryption
	// Bits is the size of the RSA modulus in bits. Peek cannot see it in an
	// encrypted file and reports 0 there.
	Bits int
}

// Encrypted reports whether the file needs a password to decode.
func (i Info) Encrypted() bool { return i.Encryption != None }

var (
	// ErrNotPVK means the data is not a PVK file at all.
	ErrNotPVK = errors.New("not a PVK file: it does not start with the PVK magic 0xB0B5F11E")

	// ErrPasswordRequired means the file is encrypted and Decode was given no
	// password (and the empty password does not decrypt it).
	ErrPasswordRequired = errors.New("the PVK file is encrypted: supply its password")

	// ErrWrongPassword means the file is encrypted and the password given does
	// not decrypt it with either key length.
	ErrWrongPassword = errors.New("wrong password: neither the strong nor the weak PVK key decrypts it")

	// ErrUnsupportedKey means the file holds a key this package does not
	// handle (DSA), or Encode was given a key PVK cannot hold. The wrapped
	// message says which and what to do instead.
	ErrUnsupportedKey = errors.New("unsupported key")

	// ErrMalformed means the file is damaged or inconsistent: truncated, with
	// lengths that disagree, or holding numbers that are not an RSA key. The
	// wrapped message says what is wrong.
	ErrMalformed = errors.New("malformed PVK file")
)

// malformed returns an error wrapping ErrMalformed with a description.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// errDSA is returned for DSA blobs, whether found by algorithm or by magic.
var errDSA = fmt.Errorf("%w: the PVK file holds a DSA (DSS2) key, and DSA keys cannot sign tokens; use an RSA key", ErrUnsupportedKey)

// file is a PVK file split into its parts. salt and blob alias the input.
type file struct {
	keySpec   KeySpec
	encrypted bool
	salt      []byte
	blob      []byte
}

// parseFile checks the file header and the cleartext BLOBHEADER, and that the
// lengths in the header account for exactly the bytes in data.
func parseFile(data []byte) (*file, error) {
	if len(data) < 4 || binary.LittleEndian.Uint32(data) != fileMagic {
		return nil, notPVK(data)
	}
	if len(data) < headerLen {
		return nil, malformed("the file is %d bytes, shorter than the 24-byte PVK header; it is truncated, copy it again", len(data))
	}
	var (
		keySpec   = KeySpec(binary.LittleEndian.Uint32(data[8:]))
		encrypted = binary.LittleEndian.Uint32(data[12:])
		salt      = uint64(binary.LittleEndian.Uint32(data[16:]))
		keyLen    = uint64(binary.LittleEndian.Uint32(data[20:]))
	)
	// The reserved word at offset 4 is ignored, as OpenSSL does.
	switch {
	case encrypted > 1:
		return nil, malformed("the header's encrypted flag is %d; only 0 (none) and 1 (RC4) exist", encrypted)
	case encrypted == 1 && salt == 0:
		return nil, malformed("the header says the key is encrypted but gives no salt")
	case encrypted == 0 && salt != 0:
		return nil, malformed("the header says the key is not encrypted but gives a %d-byte salt", salt)
	case salt > maxSaltLen:
		return nil, malformed("the header gives a %d-byte salt; PVK writers use %d and readers accept at most %d", salt, saltLen, maxSaltLen)
	case keyLen < blobHeaderLen+rsaPubKeyLen:
		return nil, malformed("the header gives a %d-byte key blob, too short to hold even the %d-byte blob header", keyLen, blobHeaderLen+rsaPubKeyLen)
	case keyLen > uint64(maxBlobLen):
		return nil, malformed("the header gives a %d-byte key blob; the largest RSA key read here (%d-bit) needs %d", keyLen, maxBits, maxBlobLen)
	}
	// Both lengths are bounded above, so this sum cannot overflow.
	if want := headerLen + salt + keyLen; uint64(len(data)) != want {
		if uint64(len(data)) < want {
			return nil, malformed("the file is %d bytes but its header promises %d (24 header + %d salt + %d key blob); it is truncated, copy it again in binary mode", len(data), want, salt, keyLen)
		}
		return nil, malformed("the file is %d bytes but its header accounts for %d (24 header + %d salt + %d key blob); %d bytes trail the key, so it was altered or copied as text", len(data), want, salt, keyLen, uint64(len(data))-want)
	}
	f := &file{
		keySpec:   keySpec,
		encrypted: encrypted == 1,
		salt:      data[headerLen : headerLen+salt],
		blob:      data[headerLen+salt:],
	}
	if err := checkBlobHeader(f.blob); err != nil {
		return nil, err
	}
	return f, nil
}

// notPVK returns ErrNotPVK, with a hint when the data looks like another
// format a key might come in.
func notPVK(data []byte) error {
	switch {
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN")):
		return fmt.Errorf("%w (it is PEM text; load it as PEM, or convert it with openssl rsa -outform PVK)", ErrNotPVK)
	case len(data) >= 2 && data[0] == 0x30 && data[1]&0x80 != 0:
		return fmt.Errorf("%w (it looks like DER, e.g. PKCS#8 or a PFX; load it as that format)", ErrNotPVK)
	}
	return ErrNotPVK
}

// checkBlobHeader checks the 8-byte BLOBHEADER, which is never encrypted, so
// a DSA key or a public key blob is refused before anyone asks for a password.
func checkBlobHeader(blob []byte) error {
	switch blob[0] {
	case blobTypePrivate:
	case blobTypePublic:
		return malformed("the key blob is a PUBLICKEYBLOB: the file holds no private key")
	default:
		return malformed("the key blob type is %#02x, not PRIVATEKEYBLOB (0x07)", blob[0])
	}
	if blob[1] != blobVersion {
		return malformed("the key blob version is %d; PVK RSA blobs are version 2", blob[1])
	}
	// The reserved word is ignored. aiKeyAlg is ignored for RSA, as OpenSSL
	// does (it writes CALG_RSA_KEYX whatever the key spec); the blob magic
	// decides. A DSS algorithm is refused here, before decryption.
	if binary.LittleEndian.Uint32(blob[4:]) == calgDSSSign {
		return errDSA
	}
	return nil
}

// rsaLayout checks the cleartext RSAPUBKEY against the blob length and returns
// the bitlen it declares.
func rsaLayout(blob []byte) (int, error) {
	switch magic := binary.LittleEndian.Uint32(blob[blobHeaderLen:]); magic {
	case magicRSA2:
	case magicDSS2:
		return 0, errDSA
	case magicRSA1, magicDSS1:
		return 0, malformed("the key blob holds a public key only (magic %q)", magicString(magic))
	default:
		return 0, malformed("the key blob magic is %#08x (%q), not RSA2", magic, magicString(magic))
	}
	bitlen := binary.LittleEndian.Uint32(blob[blobHeaderLen+4:])
	if bitlen < minBits || bitlen > maxBits {
		return 0, malformed("the key blob declares a %d-bit modulus; RSA keys of %d to %d bits are accepted", bitlen, minBits, maxBits)
	}
	if want := rsaBlobLen(int(bitlen)); len(blob) != want {
		return 0, malformed("key blob is %d bytes but a %d-bit RSA key needs %d", len(blob), bitlen, want)
	}
	return int(bitlen), nil
}

// magicString renders a blob magic as the four ASCII letters it spells, when
// it does.
func magicString(magic uint32) string {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], magic)
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("% x", b)
		}
	}
	return string(b[:])
}

// Peek reads the header of a PVK file without a password. It tells whether
// data is a PVK file at all, whether it is encrypted (so the caller knows to
// ask for a password), and, when the key is in the clear, its size. It checks
// everything it can see without decrypting: the lengths, the blob type, and
// that the key is not DSA; it does not check the key itself, which only
// Decode does.
func Peek(data []byte) (Info, error) {
	f, err := parseFile(data)
	if err != nil {
		return Info{}, err
	}
	info := Info{KeySpec: f.keySpec}
	if f.encrypted {
		info.Encryption = RC4
		return info, nil
	}
	bitlen, err := rsaLayout(f.blob)
	if err != nil {
		return Info{}, err
	}
	n, _ := componentLens(bitlen)
	info.Bits = leInt(f.blob[blobHeaderLen+rsaPubKeyLen:][:n]).BitLen()
	return info, nil
}

// Decode reads an RSA private key from a PVK file.
//
// For an encrypted file it derives both the 128-bit and the 40-bit RC4 key
// from password and keeps the one that decrypts the blob's "RSA2" magic, as
// OpenSSL does. An empty password is tried as such before ErrPasswordRequired
// is returned. A password given for an unencrypted file is ignored.
//
// The key is checked with Precompute and Validate, including the CRT values
// stored in the file; a key that fails is refused, never returned.
//
// Errors wrap ErrNotPVK, ErrPasswordRequired, ErrWrongPassword,
// ErrUnsupportedKey or ErrMalformed. Decode does not modify data, and the key
// it returns does not alias it.
func Decode(data []byte, password []byte) (*rsa.PrivateKey, Info, error) {
	f, err := parseFile(data)
	if err != nil {
		return nil, Info{}, err
	}
	info := Info{KeySpec: f.keySpec, Encryption: None}
	blob := f.blob
	if f.encrypted {
		plain, enc, err := decrypt(f.salt, f.blob, password)
		if err != nil {
			return nil, Info{}, err
		}
		defer clear(plain)
		blob, info.Encryption = plain, enc
	}
	key, err := parseRSA(blob)
	if err != nil {
		return nil, Info{}, err
	}
	info.Bits = key.N.BitLen()
	return key, info, nil
}

// decrypt returns a decrypted copy of blob and the key length that worked.
func decrypt(salt, blob, password []byte) ([]byte, Encryption, error) {
	plain := make([]byte, len(blob))
	copy(plain, blob[:blobHeaderLen])
	for _, enc := range []Encryption{RC4Strong, RC4Weak} {
		c, err := newCipher(salt, password, enc)
		if err != nil {
			return nil, None, err
		}
		c.XORKeyStream(plain[blobHeaderLen:], blob[blobHeaderLen:])
		switch binary.LittleEndian.Uint32(plain[blobHeaderLen:]) {
		case magicRSA2, magicDSS2:
			return plain, enc, nil
		}
	}
	clear(plain)
	if len(password) == 0 {
		return nil, None, ErrPasswordRequired
	}
	return nil, None, ErrWrongPassword
}

// newCipher returns the RC4 cipher for salt and password at the given
// strength: key = SHA-1(salt || password), truncated to 16 bytes, and for the
// weak form with all but its first 5 bytes zeroed.
func newCipher(salt, password []byte, enc Encryption) (*rc4.Cipher, error) {
	h := sha1.New()
	h.Write(salt)
	h.Write(password)
	var sum [sha1.Size]byte
	h.Sum(sum[:0])
	key := sum[:16]
	if enc == RC4Weak {
		clear(key[5:])
	}
	c, err := rc4.NewCipher(key)
	clear(sum[:])
	if err != nil {
		// Unreachable: rc4.NewCipher fails only for keys outside 1..256 bytes.
		return nil, fmt.Errorf("pvk: set up RC4: %w", err)
	}
	return c, nil
}
