//go:build !(pkcs11 && cgo)

package pkcs11

import (
	"crypto"
	"io"
)

// Available reports whether this build can use PKCS#11 tokens.
const Available = false

// Key is a private key in a PKCS#11 token. In this build there is none.
type Key struct{}

// Open returns ErrUnavailable: this build has no PKCS#11 support.
func Open(cfg Config) (*Key, error) { return nil, ErrUnavailable }

// Public returns nil.
func (k *Key) Public() crypto.PublicKey { return nil }

// Sign returns ErrUnavailable.
func (k *Key) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return nil, ErrUnavailable
}

// Close does nothing.
func (k *Key) Close() error { return nil }

// Describe says that there is no key.
func (k *Key) Describe() string { return "PKCS#11 (not built in)" }

var _ crypto.Signer = (*Key)(nil)
