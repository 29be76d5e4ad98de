// Package sealed encrypts small secrets under the key-encryption key (KEK):
// managed signing keys, users' TOTP keys, an external provider's tokens.
// An envelope is magic | KEK id | nonce | AES-256-GCM ciphertext, and is
// bound to two strings given by the caller (a signing key's kid and
// algorithm; a user's id and what the secret is for), so that a row's data
// cannot be moved onto another row or used for another purpose.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// KEKSize is the size of a key-encryption key: AES-256.
const KEKSize = 32

// The envelope of a stored key: magic | kekID | nonce | ciphertext.
const (
	magic     = "SGK1"
	kekIDSize = 8
	nonceSize = 12
	headerLen = len(magic) + kekIDSize + nonceSize
)

// kekIDLabel separates the key-encryption key's id from any other hash of
// it.
const kekIDLabel = "signet key-encryption key id"

// Errors of opening an envelope; OpenError wraps one of them.
var (
	// ErrOtherKEK: the key was encrypted under another key-encryption key
	// (its id differs from the configured one's).
	ErrOtherKEK = errors.New("encrypted under another key-encryption key")
	// ErrCorrupt: the data is not an envelope, or does not decrypt under
	// the key-encryption key it names (changed, or moved from another kid),
	// or holds no key that fits the kid and algorithm.
	ErrCorrupt = errors.New("corrupt data")
)

// KEKID is the id of a key-encryption key stored in each envelope: the
// first 8 bytes of SHA-256 over "signet key-encryption key id" || kek, in
// hex. It tells which key-encryption key a key was encrypted under without
// revealing it.
func KEKID(kek []byte) string {
	id := kekID(kek)
	return hex.EncodeToString(id[:])
}

func kekID(kek []byte) [kekIDSize]byte {
	h := sha256.New()
	h.Write([]byte(kekIDLabel))
	h.Write(kek)
	var id [kekIDSize]byte
	copy(id[:], h.Sum(nil))
	return id
}

// CheckKEK refuses a key-encryption key of the wrong size.
func CheckKEK(name string, kek []byte) error {
	if len(kek) != KEKSize {
		return fmt.Errorf("the %s is %d bytes; it must be %d (AES-256)", name, len(kek), KEKSize)
	}
	return nil
}

// aad binds a ciphertext to its header, kid and algorithm, so that a row's
// data cannot be moved onto another kid. kid and alg are length-prefixed
// (two bytes each, big endian) so that no two pairs give the same bytes.
func aad(header []byte, kid, alg string) []byte {
	b := make([]byte, 0, len(magic)+kekIDSize+4+len(kid)+len(alg))
	b = append(b, header[:len(magic)+kekIDSize]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(kid)))
	b = append(b, kid...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(alg)))
	b = append(b, alg...)
	return b
}

func newGCM(kek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext for the pair (kid, alg) under kek: for a signing
// key its kid and algorithm, for another secret its owner and purpose.
func Seal(kek []byte, kid, alg string, plaintext []byte) ([]byte, error) {
	return sealWith(rand.Reader, kek, kid, alg, plaintext)
}

// sealWith is Seal with the nonce read from random.
func sealWith(random io.Reader, kek []byte, kid, alg string, plaintext []byte) ([]byte, error) {
	if err := CheckKEK("key-encryption key", kek); err != nil {
		return nil, err
	}
	gcm, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	id := kekID(kek)
	out := make([]byte, headerLen, headerLen+len(plaintext)+gcm.Overhead())
	copy(out, magic)
	copy(out[len(magic):], id[:])
	if _, err := io.ReadFull(random, out[len(magic)+kekIDSize:headerLen]); err != nil {
		return nil, err
	}
	return gcm.Seal(out, out[len(magic)+kekIDSize:headerLen], plaintext, aad(out, kid, alg)), nil
}

// EnvelopeKEKID returns the key-encryption key id an envelope names, or
// ErrCorrupt if data is not an envelope.
func EnvelopeKEKID(data []byte) (string, error) {
	if len(data) < headerLen || string(data[:len(magic)]) != magic {
		return "", fmt.Errorf("%w: not a Signet key envelope", ErrCorrupt)
	}
	return hex.EncodeToString(data[len(magic) : len(magic)+kekIDSize]), nil
}

// Open decrypts an envelope made by Seal for kid and alg under kek. Its
// errors wrap ErrOtherKEK or ErrCorrupt.
func Open(kek []byte, kid, alg string, data []byte) ([]byte, error) {
	if err := CheckKEK("key-encryption key", kek); err != nil {
		return nil, err
	}
	got, err := EnvelopeKEKID(data)
	if err != nil {
		return nil, err
	}
	if want := KEKID(kek); got != want {
		return nil, fmt.Errorf("%w (id %s; the configured one is %s)", ErrOtherKEK, got, want)
	}
	gcm, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if len(data) < headerLen+gcm.Overhead() {
		return nil, fmt.Errorf("%w: envelope truncated", ErrCorrupt)
	}
	plain, err := gcm.Open(nil, data[len(magic)+kekIDSize:headerLen], data[headerLen:], aad(data, kid, alg))
	if err != nil {
		return nil, fmt.Errorf("%w: it does not decrypt for %s and %s (changed, or moved from another row)", ErrCorrupt, kid, alg)
	}
	return plain, nil
}
