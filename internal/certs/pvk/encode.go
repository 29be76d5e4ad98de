package pvk

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// EncodeOptions controls Encode. The zero value writes an unencrypted file
// with the AT_SIGNATURE key spec.
type EncodeOptions struct {
	// Password, when not empty, encrypts the key blob with RC4 keyed by
	// SHA-1(salt || Password), the bytes taken as they are. Empty means the
	// file is written unencrypted. OpenSSL 3 cannot read a file whose
	// password is longer than 1024 bytes, and other tools may hash non-ASCII
	// passwords in another encoding.
	Password []byte
	// Weak selects 40-bit RC4 (OpenSSL's -pvk-weak) instead of 128-bit. Use
	// it only for a reader that accepts nothing else. It needs a Password.
	Weak bool
	// KeySpec is recorded in the header and selects the blob's algorithm:
	// CALG_RSA_SIGN for Signature, CALG_RSA_KEYX for KeyExchange (which is
	// what OpenSSL writes). Zero means Signature.
	KeySpec KeySpec
	// Rand supplies the 16-byte salt. Nil means crypto/rand.Reader.
	Rand io.Reader
}

// Encode writes key as a PVK file.
//
// The key must be a valid 2-prime RSA key of 512 to 16384 bits with a public
// exponent that fits in 32 bits; anything else is refused with an error
// wrapping ErrUnsupportedKey, or a plain error for a key that fails Validate.
// The blob's bitlen is the modulus size rounded up to a multiple of 8, as
// CryptoAPI expects. The result is what makecert or "openssl rsa -outform PVK"
// would write for the same key, salt and options.
func Encode(key *rsa.PrivateKey, opts EncodeOptions) ([]byte, error) {
	spec := opts.KeySpec
	if spec == 0 {
		spec = Signature
	}
	if spec != Signature && spec != KeyExchange {
		return nil, fmt.Errorf("pvk: key spec %d is neither KeyExchange (1) nor Signature (2)", uint32(spec))
	}
	encrypt := len(opts.Password) > 0
	if opts.Weak && !encrypt {
		return nil, errors.New("pvk: Weak is set but Password is empty: give a password, or clear Weak to write an unencrypted file")
	}
	blob, err := marshalRSA(key, spec)
	if err != nil {
		return nil, err
	}
	defer clear(blob)

	salt := 0
	if encrypt {
		salt = saltLen
	}
	out := make([]byte, headerLen+salt+len(blob))
	binary.LittleEndian.PutUint32(out[0:], fileMagic)
	binary.LittleEndian.PutUint32(out[8:], uint32(spec))
	if encrypt {
		binary.LittleEndian.PutUint32(out[12:], 1)
	}
	binary.LittleEndian.PutUint32(out[16:], uint32(salt))
	binary.LittleEndian.PutUint32(out[20:], uint32(len(blob)))
	body := out[headerLen+salt:]
	copy(body, blob)
	if !encrypt {
		return out, nil
	}

	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	saltBytes := out[headerLen : headerLen+salt]
	if _, err := io.ReadFull(r, saltBytes); err != nil {
		clear(out)
		return nil, fmt.Errorf("pvk: read salt: %w", err)
	}
	enc := RC4Strong
	if opts.Weak {
		enc = RC4Weak
	}
	c, err := newCipher(saltBytes, opts.Password, enc)
	if err != nil {
		clear(out)
		return nil, err
	}
	c.XORKeyStream(body[blobHeaderLen:], body[blobHeaderLen:])
	return out, nil
}
