package pkcs8

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
)

// PEMType is the type of the PEM block that holds an EncryptedPrivateKeyInfo,
// as in "-----BEGIN ENCRYPTED PRIVATE KEY-----" (RFC 7468 §11).
const PEMType = "ENCRYPTED PRIVATE KEY"

// DefaultIterations is the PBKDF2 iteration count Encrypt uses when
// Options.Iterations is zero. It is OWASP's 2023 Password Storage Cheat Sheet
// figure for PBKDF2-HMAC-SHA256: a key file that leaks is attacked offline
// with GPUs, and the iteration count is the only thing that slows each guess.
// It costs about a tenth of a second when a key is loaded, which happens once
// per start or rotation, not per request. (OpenSSL's default is only 2048.)
const DefaultIterations = 600_000

// MaxIterations is the largest iteration count Decrypt and Describe accept,
// and the largest Encrypt writes. A hostile or corrupt file could otherwise
// ask for billions of iterations and stall the process that loads it. Ten
// million is over 16 times DefaultIterations and takes two to six seconds on
// one core, depending on the hash.
const MaxIterations = 10_000_000

// Sentinel errors. Errors returned by this package wrap at most one of them,
// with a message that says what is wrong and what to do; test with errors.Is.
var (
	// ErrWrongPassword means the key did not decrypt to a PKCS#8 structure:
	// the password is wrong, or the encrypted bytes were damaged.
	ErrWrongPassword = errors.New("wrong password for the encrypted private key (or the file is damaged)")

	// ErrUnsupported means the key is encrypted with a scheme, key
	// derivation, cipher or parameter (such as an iteration count above
	// MaxIterations) that this package refuses. The wrapping error names it
	// and says how to re-encrypt the key.
	ErrUnsupported = errors.New("unsupported private key encryption")

	// ErrMalformed means the input is not a DER EncryptedPrivateKeyInfo.
	ErrMalformed = errors.New("not a valid encrypted PKCS#8 private key")
)

// Options tunes Encrypt. The zero value, and a nil *Options, are ready to use.
type Options struct {
	// Iterations is the PBKDF2 iteration count; 0 means DefaultIterations.
	// It must not exceed MaxIterations. Counts far below the default are
	// fit only for tests.
	Iterations int

	// Rand is the source of the salt and IV; nil means crypto/rand.Reader.
	Rand io.Reader
}

// saltSize is the PBKDF2 salt length Encrypt writes: 128 bits, the minimum
// NIST SP 800-132 recommends and twice OpenSSL's 8 bytes.
const saltSize = 16

// Encrypt wraps an unencrypted PKCS#8 DER private key (what
// x509.MarshalPKCS8PrivateKey returns) in an EncryptedPrivateKeyInfo: PBES2
// with PBKDF2-HMAC-SHA256 (a random 16-byte salt and opts.Iterations, by
// default DefaultIterations) and AES-256-CBC (a random IV). The result is DER;
// wrap it in a PEM block of type PEMType to write a file that OpenSSL reads
// with "openssl pkey -in key.pem".
//
// Encrypt refuses an empty password, since such a file only looks protected,
// and input that is not a PKCS#8 PrivateKeyInfo.
func Encrypt(pkcs8DER []byte, password []byte, opts *Options) ([]byte, error) {
	if opts == nil {
		opts = &Options{}
	}
	iterations := opts.Iterations
	switch {
	case iterations == 0:
		iterations = DefaultIterations
	case iterations < 0:
		return nil, fmt.Errorf("iteration count %d is negative: give a positive count, or 0 for the default (%d)", iterations, DefaultIterations)
	case iterations > MaxIterations:
		return nil, fmt.Errorf("iteration count %d is above %d, the most Decrypt accepts: give a smaller count, or 0 for the default (%d)", iterations, MaxIterations, DefaultIterations)
	}
	if len(password) == 0 {
		return nil, errors.New("the password is empty: a key encrypted with an empty password is not protected; give a password, or write an unencrypted PKCS#8 key deliberately")
	}
	if err := checkPrivateKeyInfo(pkcs8DER); err != nil {
		if hint := inputHint(pkcs8DER); hint != "" {
			return nil, fmt.Errorf("the key to encrypt is not unencrypted PKCS#8 DER: %s", hint)
		}
		return nil, fmt.Errorf("the key to encrypt is not unencrypted PKCS#8 DER (%v): pass the output of x509.MarshalPKCS8PrivateKey", err)
	}
	random := opts.Rand
	if random == nil {
		random = rand.Reader
	}
	s := &scheme{
		kind:       kindPBES2,
		prf:        prfHMACSHA256,
		cipher:     cipherAES256CBC,
		iterations: iterations,
		salt:       make([]byte, saltSize),
		iv:         make([]byte, cipherAES256CBC.blockSize),
	}
	if _, err := io.ReadFull(random, s.salt); err != nil {
		return nil, fmt.Errorf("read random salt: %w", err)
	}
	if _, err := io.ReadFull(random, s.iv); err != nil {
		return nil, fmt.Errorf("read random IV: %w", err)
	}
	return seal(pkcs8DER, password, s)
}

// Decrypt returns the unencrypted PKCS#8 DER inside an EncryptedPrivateKeyInfo
// (the bytes of an "ENCRYPTED PRIVATE KEY" PEM block); parse it with
// x509.ParsePKCS8PrivateKey. See the package documentation for the schemes it
// reads.
//
// For PBES2 the password is used as given (OpenSSL passes the bytes typed,
// normally UTF-8). For the PKCS#12 scheme it is read as UTF-8 and converted
// to a NUL-terminated BMPString as RFC 7292 requires; bytes that are not
// valid UTF-8 are taken as Latin-1, as OpenSSL does.
//
// Errors wrap ErrWrongPassword when the result is not a PKCS#8 structure,
// ErrUnsupported for a scheme or iteration count it refuses, and ErrMalformed
// for input that is not an EncryptedPrivateKeyInfo. It checks everything that
// needs no password before it derives the key, so an unsupported or
// malformed file fails fast whatever the password.
func Decrypt(encryptedDER []byte, password []byte) ([]byte, error) {
	return decrypt(encryptedDER, password, MaxIterations)
}

// decrypt is Decrypt with the iteration limit as a parameter, so that the
// fuzz test can keep key derivation cheap.
func decrypt(encryptedDER, password []byte, maxIterations int) ([]byte, error) {
	s, ciphertext, err := parse(encryptedDER, maxIterations)
	if err != nil {
		return nil, err
	}
	unpadded, err := s.decryptCBC(ciphertext, password, false)
	if err != nil {
		return nil, err
	}
	if checkPrivateKeyInfo(unpadded) != nil {
		clear(unpadded)
		return nil, ErrWrongPassword
	}
	return unpadded, nil
}

// decryptCBC derives the key and IV from password, decrypts and removes
// the padding; a bad padding is ErrWrongPassword. absent is as in
// deriveKeyAbsent.
func (s *scheme) decryptCBC(ciphertext, password []byte, absent bool) ([]byte, error) {
	block, iv, err := s.cbc(password, absent)
	if err != nil {
		return nil, err
	}
	plaintext := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plaintext, ciphertext)
	unpadded, ok := unpad(plaintext, block.BlockSize())
	if !ok {
		clear(plaintext)
		return nil, ErrWrongPassword
	}
	return unpadded, nil
}

// cbc derives the key and IV of s from password (absent as in
// deriveKeyAbsent) and makes the block cipher, which keeps its own key
// schedule: the derived key is cleared before cbc returns.
func (s *scheme) cbc(password []byte, absent bool) (cipher.Block, []byte, error) {
	key, iv, err := s.deriveKeyAbsent(password, absent)
	if err != nil {
		return nil, nil, err
	}
	defer clear(key)
	block, err := s.cipher.newBlock(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%s key: %w", s.cipher.name, err)
	}
	return block, iv, nil
}

// Describe names the encryption scheme of an EncryptedPrivateKeyInfo without
// a password, for "signet cert inspect", for example
// "PBES2 (PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC)" or
// "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC (SHA-1 KDF, 2048 iterations, DES-EDE3-CBC)".
//
// It returns the error Decrypt would return whatever the password: an
// ErrUnsupported error (which names the algorithm) for a scheme Decrypt
// refuses, and ErrMalformed for input that is not an EncryptedPrivateKeyInfo.
// So a nil error means the key can be decrypted given the right password.
func Describe(encryptedDER []byte) (string, error) {
	s, _, err := parse(encryptedDER, MaxIterations)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

// DescribeAlgorithm is Describe for the encryptionAlgorithm of an
// EncryptedPrivateKeyInfo found inside another structure, such as the
// shrouded key bag of a PKCS#12 (.pfx) file, whose encrypted data is not at
// hand. It returns the same description and errors as Describe, except that
// it cannot check the length of the encrypted data.
func DescribeAlgorithm(alg pkix.AlgorithmIdentifier) (string, error) {
	s, err := parseAlgorithm(alg, MaxIterations, false)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

// seal encrypts plaintext under s, whose salt and IV are already chosen, and
// encodes the EncryptedPrivateKeyInfo.
func seal(plaintext, password []byte, s *scheme) ([]byte, error) {
	block, iv, err := s.cbc(password, false)
	if err != nil {
		return nil, err
	}
	padded := pad(plaintext, block.BlockSize())
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(padded, padded)
	return s.marshal(padded)
}

// pad appends PKCS#7 padding (RFC 8018 §6.1.1 step 4) to a copy of b.
func pad(b []byte, blockSize int) []byte {
	n := blockSize - len(b)%blockSize
	out := make([]byte, len(b), len(b)+n)
	copy(out, b)
	for range n {
		out = append(out, byte(n))
	}
	return out
}

// unpad removes PKCS#7 padding, reporting false if it is not well formed,
// which with a wrong key happens all but about once in 256 tries.
func unpad(b []byte, blockSize int) ([]byte, bool) {
	if len(b) == 0 || len(b)%blockSize != 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > blockSize {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
