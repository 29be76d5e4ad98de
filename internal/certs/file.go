package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/signetid/signet/internal/certs/pkcs8"
	"github.com/signetid/signet/internal/certs/pvk"
)

// MaxFileSize bounds what ReadFile reads: certificate and key files are a few
// kilobytes, and a bigger file is almost certainly the wrong one.
const MaxFileSize = 1 << 20

// Format is the encoding of a certificate or key file.
type Format string

// The formats Signet reads.
const (
	FormatPFX Format = "PKCS#12"
	FormatPEM Format = "PEM"
	FormatDER Format = "DER"
	FormatPVK Format = "PVK"
)

var (
	// ErrWrongPassword means the password does not open the file.
	ErrWrongPassword = errors.New("wrong password")
	// ErrPasswordRequired means the file is protected and no password was given.
	ErrPasswordRequired = errors.New("the file is password-protected and no password was given")
	// ErrNoPrivateKey means a private key was needed and none was found.
	ErrNoPrivateKey = errors.New("no private key")
)

// Password supplies the password of a protected file. It is called at most
// once, and only when the file turns out to need one. It returns
// ErrPasswordRequired when there is no way to get one.
type Password func() (string, error)

// StaticPassword returns a Password that always gives pw.
func StaticPassword(pw string) Password { return func() (string, error) { return pw, nil } }

func askPassword(p Password) (string, error) {
	if p == nil {
		return "", ErrPasswordRequired
	}
	return p()
}

// Contents is everything one file holds.
type Contents struct {
	// Format is how the file is encoded.
	Format Format
	// Certificates in file order.
	Certificates []*x509.Certificate
	// Key is the private key, or nil.
	Key crypto.PrivateKey
	// Encrypted is true when a password was needed.
	Encrypted bool
	// Protection describes how the key is protected in the file, for
	// people; empty when nothing is protected.
	Protection string
	// Notes are things a person should know about the file, such as blocks
	// that were skipped.
	Notes []string
}

// ReadFile reads and parses a certificate or key file of any supported
// format, detected from its content rather than its name.
func ReadFile(path string, password Password) (*Contents, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d KiB; certificate and key files are a few KiB: is it the right file?", path, MaxFileSize>>10)
	}
	return Parse(data, password)
}

// Parse parses the content of a certificate or key file: PKCS#12, PEM (any
// mix of certificates and PKCS#1, PKCS#8, SEC1 or encrypted keys), a DER
// certificate or PKCS#8 key, or PVK.
func Parse(data []byte, password Password) (*Contents, error) {
	switch {
	case len(data) == 0:
		return nil, errors.New("the file is empty")
	case len(data) >= 4 && binary.LittleEndian.Uint32(data) == pvkMagic:
		return parsePVK(data, password)
	case bytes.Contains(data, []byte("-----BEGIN ")):
		return parsePEM(data, password)
	case data[0] == 0x30: // an ASN.1 SEQUENCE: a certificate, a key or PKCS#12
		return parseDER(data, password)
	}
	return nil, errors.New("not a certificate or key file: expected PKCS#12 (.pfx/.p12), PEM, a DER certificate (.cer/.der/.crt) or a PVK key")
}

const pvkMagic = 0xB0B5F11E

func parsePVK(data []byte, password Password) (*Contents, error) {
	info, err := pvk.Peek(data)
	if err != nil {
		return nil, err
	}
	c := &Contents{Format: FormatPVK}
	var pw []byte
	if info.Encrypted() {
		c.Encrypted = true
		s, err := askPassword(password)
		if err != nil {
			return nil, err
		}
		pw = []byte(s)
	}
	key, info, err := pvk.Decode(data, pw)
	switch {
	case errors.Is(err, pvk.ErrWrongPassword):
		return nil, ErrWrongPassword
	case errors.Is(err, pvk.ErrPasswordRequired):
		return nil, ErrPasswordRequired
	case err != nil:
		return nil, err
	}
	c.Key = key
	c.Protection = info.Encryption.String()
	if info.Encryption == pvk.None {
		c.Protection = ""
	}
	c.Notes = append(c.Notes, "a PVK file holds only a private key: pair it with its certificate (--cer) to make a PFX")
	return c, nil
}

func parseDER(data []byte, password Password) (*Contents, error) {
	if cert, err := x509.ParseCertificate(data); err == nil {
		return &Contents{Format: FormatDER, Certificates: []*x509.Certificate{cert}}, nil
	}
	if key, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return &Contents{Format: FormatDER, Key: key}, nil
	}
	if _, err := pkcs8.Describe(data); err == nil {
		c := &Contents{Format: FormatDER}
		if err := c.decryptPKCS8(data, password); err != nil {
			return nil, err
		}
		return c, nil
	}
	if !looksLikePFX(data) {
		return nil, errors.New("not a certificate or key file: it is DER, but neither a certificate, a PKCS#8 key nor a PKCS#12 file (it may be corrupt or truncated)")
	}
	return decodePFX(data, password)
}

func (c *Contents) decryptPKCS8(der []byte, password Password) error {
	c.Encrypted = true
	c.Protection, _ = pkcs8.Describe(der)
	pw, err := askPassword(password)
	if err != nil {
		return err
	}
	plain, err := pkcs8.Decrypt(der, []byte(pw))
	if errors.Is(err, pkcs8.ErrWrongPassword) {
		return ErrWrongPassword
	} else if err != nil {
		return err
	}
	key, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		return fmt.Errorf("encrypted private key: %w", err)
	}
	return c.setKey(key)
}

func (c *Contents) setKey(key crypto.PrivateKey) error {
	if c.Key != nil {
		return errors.New("the file holds more than one private key: keep one key per file")
	}
	c.Key = key
	return nil
}

func parsePEM(data []byte, password Password) (*Contents, error) {
	c := &Contents{Format: FormatPEM}
	var pw *string // asked once, for every encrypted block
	getPassword := func() (string, error) {
		if pw == nil {
			s, err := askPassword(password)
			if err != nil {
				return "", err
			}
			pw = &s
		}
		return *pw, nil
	}
	for n := 0; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			if n == 0 {
				return nil, errors.New("malformed PEM: found a BEGIN line but no complete block")
			}
			break
		}
		if err := c.addPEMBlock(block, getPassword); err != nil {
			if errors.Is(err, ErrPasswordRequired) || errors.Is(err, ErrWrongPassword) {
				return nil, err
			}
			return nil, fmt.Errorf("PEM block %d (%s): %w", n+1, block.Type, err)
		}
	}
	if c.Key == nil && len(c.Certificates) == 0 {
		return nil, errors.New("the PEM file holds no certificate or private key")
	}
	return c, nil
}

func (c *Contents) addPEMBlock(block *pem.Block, password Password) error {
	//lint:ignore SA1019 legacy encrypted PEM ("Proc-Type: 4,ENCRYPTED") is still what openssl genrsa -aes256 -traditional writes.
	if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
		c.Encrypted = true
		c.Protection = "legacy PEM encryption (" + block.Headers["DEK-Info"] + "): re-encrypt it with openssl pkcs8 -topk8 -v2 aes-256-cbc"
		pw, err := password()
		if err != nil {
			return err
		}
		plain, err := x509.DecryptPEMBlock(block, []byte(pw)) //nolint:staticcheck
		if errors.Is(err, x509.IncorrectPasswordError) {
			return ErrWrongPassword
		} else if err != nil {
			return err
		}
		block = &pem.Block{Type: block.Type, Bytes: plain}
	}
	switch block.Type {
	case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return err
		}
		c.Certificates = append(c.Certificates, cert)
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return wrongPasswordIfEncrypted(c, err)
		}
		return c.setKey(key)
	case "EC PRIVATE KEY":
		key, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return wrongPasswordIfEncrypted(c, err)
		}
		return c.setKey(key)
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return err
		}
		return c.setKey(key)
	case "ENCRYPTED PRIVATE KEY":
		return c.decryptPKCS8(block.Bytes, password)
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		c.Notes = append(c.Notes, "skipped a "+block.Type+" block: a bare public key cannot be published as a signing certificate")
	case "EC PARAMETERS":
		// written by openssl ecparam -genkey before the key; nothing to keep.
	default:
		c.Notes = append(c.Notes, "skipped a "+block.Type+" block")
	}
	return nil
}

// wrongPasswordIfEncrypted turns a parse failure after legacy PEM decryption
// into ErrWrongPassword: RFC 1423 has no MAC, so a wrong password shows up
// as garbage that happens to have valid padding.
func wrongPasswordIfEncrypted(c *Contents, err error) error {
	if c.Encrypted {
		return ErrWrongPassword
	}
	return err
}

// Credential returns the private key and the certificate it belongs to, with
// the other certificates as its chain (see Combine).
func (c *Contents) Credential() (*Credential, error) {
	return Combine(c)
}

// Credential is a certificate, its private key when present, and the other
// certificates that came with it.
type Credential struct {
	Certificate *x509.Certificate
	// Key is nil when only the certificate is known.
	Key crypto.Signer
	// Chain holds the other certificates, in file order.
	Chain []*x509.Certificate
}

// Combine merges what several files hold (a PVK and a CER, a PEM key and
// a PEM certificate, ...) into one credential: exactly one private key, and
// the certificate that matches it; the other certificates become the chain.
// Without any key, the single leaf certificate is returned with a nil Key.
func Combine(parts ...*Contents) (*Credential, error) {
	var key crypto.PrivateKey
	var certs []*x509.Certificate
	for _, p := range parts {
		if p.Key != nil {
			if key != nil {
				return nil, errors.New("more than one private key was given: give exactly one")
			}
			key = p.Key
		}
		certs = append(certs, p.Certificates...)
	}
	if len(certs) == 0 {
		if key != nil {
			return nil, errors.New("a private key alone is not a signing credential: give its certificate too (for a PVK, --cer FILE)")
		}
		return nil, errors.New("no certificate found")
	}
	if key == nil {
		return &Credential{Certificate: leaf(certs), Chain: others(certs, leaf(certs))}, nil
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	for _, cert := range certs {
		if KeyMatches(cert, signer) {
			return &Credential{Certificate: cert, Key: signer, Chain: others(certs, cert)}, nil
		}
	}
	names := make([]string, len(certs))
	for i, cert := range certs {
		names[i] = Thumbprint(cert) + " " + SubjectString(cert)
	}
	return nil, fmt.Errorf("the private key (%s) does not belong to any certificate given (%s): pair the key with the certificate that was made with it", DescribeKey(signer), strings.Join(names, "; "))
}

// leaf picks the end-entity certificate of an unordered bundle: the one that
// issued no other certificate, else the first.
func leaf(certs []*x509.Certificate) *x509.Certificate {
	for _, c := range certs {
		issuer := false
		for _, o := range certs {
			if o != c && bytes.Equal(o.RawIssuer, c.RawSubject) && !bytes.Equal(o.RawSubject, o.RawIssuer) {
				issuer = true
				break
			}
		}
		if !issuer {
			return c
		}
	}
	return certs[0]
}

func others(certs []*x509.Certificate, skip *x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range certs {
		if c != skip {
			out = append(out, c)
		}
	}
	return out
}
