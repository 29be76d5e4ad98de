package certs

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/signetid/signet/internal/certs/pkcs8"
)

// EncodeCertPEM writes certificates as PEM "CERTIFICATE" blocks.
func EncodeCertPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// EncodeKeyPEM writes the credential's private key as PKCS#8 PEM, encrypted
// with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) unless password is empty.
func EncodeKeyPEM(cred *Credential, password string) ([]byte, error) {
	if cred.Key == nil {
		return nil, ErrNoPrivateKey
	}
	der, err := x509.MarshalPKCS8PrivateKey(cred.Key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	if password == "" {
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
	enc, err := pkcs8.Encrypt(der, []byte(password), nil)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc}), nil
}
