package certs

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/signetid/signet/internal/certs/pkcs8"
)

// PFXEncryption chooses how a PKCS#12 file is protected.
type PFXEncryption int

const (
	// PFXModern is AES-256-CBC with PBKDF2-HMAC-SHA256 and an HMAC-SHA256
	// MAC: what OpenSSL 3 and .NET 5+ write, readable by OpenSSL 1.1.1+,
	// .NET Core 3+, Java 12+ and Windows Server 2019+.
	PFXModern PFXEncryption = iota
	// PFXLegacy is PBE-SHA1-3DES for keys and certificates with an
	// HMAC-SHA1 MAC: what Windows Server 2016, .NET Framework and other old
	// importers need. Weak: protect the file by other means too.
	PFXLegacy
)

// String names the encryption as the CLI does.
func (e PFXEncryption) String() string {
	if e == PFXLegacy {
		return "legacy (PBE-SHA1-3DES, MAC HMAC-SHA1)"
	}
	return "modern (AES-256-CBC, PBKDF2-HMAC-SHA256, MAC HMAC-SHA256)"
}

// EncodePFX writes the credential's key, certificate and chain as PKCS#12.
// An empty password still encrypts and MACs the file with the empty
// password, which every importer reads (a PFX with no MAC at all is not).
func EncodePFX(cred *Credential, password string, enc PFXEncryption) ([]byte, error) {
	if cred.Key == nil {
		return nil, ErrNoPrivateKey
	}
	encoder := pkcs12.Modern2023
	if enc == PFXLegacy {
		// LegacyDES derives its MAC key with one iteration, which makes
		// the MAC a fast password oracle; 2048, as OpenSSL -legacy and
		// Windows write, costs nothing to old importers.
		encoder = pkcs12.LegacyDES.WithIterations(2048)
	}
	der, err := encoder.Encode(cred.Key, cred.Certificate, cred.Chain, password)
	if err != nil {
		return nil, fmt.Errorf("encode PKCS#12: %w", err)
	}
	return der, nil
}

// decodePFX reads a PKCS#12 file, asking for a password only when the empty
// password does not open it (Azure's and many exported files have none).
func decodePFX(data []byte, password Password) (*Contents, error) {
	return decodePFXLimited(data, password, pkcs8.MaxIterations)
}

// decodePFXLimited is decodePFX with a bound on key-derivation iterations;
// the fuzz tests lower it to keep each input fast.
func decodePFXLimited(data []byte, password Password, maxIterations int) (*Contents, error) {
	info, err := parsePFXInfo(data, maxIterations)
	if err != nil {
		return nil, err
	}
	c := &Contents{Format: FormatPFX, Protection: info.String()}
	key, cert, chain, err := safeDecodeChain(data, "")
	if err != nil && info.MAC == "" && info.encrypted() {
		// go-pkcs12 decrypts a file without a MAC only with the empty
		// password, and nothing but a decryption failure would tell a
		// wrong password from a right one.
		return nil, errors.New("the PKCS#12 file is encrypted but has no MAC (openssl pkcs12 -nomac writes such files), which Signet cannot read: export it again with a MAC, e.g. openssl pkcs12 -export without -nomac")
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		c.Encrypted = true
		pw, perr := askPassword(password)
		if perr != nil {
			return nil, perr
		}
		key, cert, chain, err = safeDecodeChain(data, pw)
	}
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, ErrWrongPassword
	case err != nil && strings.Contains(err.Error(), "private key missing"):
		c.Notes = append(c.Notes, "the PKCS#12 file holds certificates but no private key")
		return c, nil
	case err != nil && strings.Contains(err.Error(), "certificate missing"):
		return nil, errors.New("the PKCS#12 file holds no certificate: export it again together with its certificate")
	case err != nil:
		return nil, fmt.Errorf("read PKCS#12: %w", err)
	}
	c.Key = key
	c.Certificates = append([]*x509.Certificate{cert}, chain...)
	return c, nil
}

// safeDecodeChain guards against a panic in the third-party PKCS#12 parser:
// the input comes from outside, and a malformed file must be an error.
func safeDecodeChain(data []byte, password string) (key crypto.PrivateKey, cert *x509.Certificate, chain []*x509.Certificate, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed PKCS#12 file (%v)", r)
		}
	}()
	return pkcs12.DecodeChain(data, password)
}

// PFXInfo is what can be learnt of a PKCS#12 file without its password.
type PFXInfo struct {
	// MAC names the integrity algorithm, "" when the file has no MAC.
	MAC string
	// MACIterations is the MAC key derivation's iteration count.
	MACIterations int
	// CertEncryption and KeyEncryption name how certificates and keys are
	// encrypted: "" when in the clear, "unknown" when hidden in encrypted
	// content.
	CertEncryption, KeyEncryption string
	// Legacy is true when any part uses a pre-PBES2 algorithm.
	Legacy bool
}

func (i PFXInfo) encrypted() bool {
	return i.CertEncryption != "" || (i.KeyEncryption != "" && i.KeyEncryption != "not encrypted")
}

// String summarises the protection for people.
func (i PFXInfo) String() string {
	var parts []string
	kind := "modern"
	if i.Legacy {
		kind = "legacy"
	}
	if !i.encrypted() && i.MAC == "" {
		return "none (no encryption, no MAC)"
	}
	if i.KeyEncryption != "" {
		parts = append(parts, "key "+i.KeyEncryption)
	}
	if i.CertEncryption != "" {
		parts = append(parts, "certificates "+i.CertEncryption)
	} else {
		parts = append(parts, "certificates not encrypted")
	}
	if i.MAC != "" {
		parts = append(parts, fmt.Sprintf("MAC %s (%d iterations)", i.MAC, i.MACIterations))
	} else {
		parts = append(parts, "no MAC")
	}
	return kind + ": " + strings.Join(parts, "; ")
}

var (
	oidData             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidKeyBag           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidShroudedKeyBag   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPBES2            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidSHA1             = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	pfxMaxAuthSafeItems = 64
)

type pfxPDU struct {
	Version  int
	AuthSafe contentInfo
	MacData  macData `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type macData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type encryptedData struct {
	Version              int
	EncryptedContentInfo struct {
		ContentType                asn1.ObjectIdentifier
		ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
		EncryptedContent           []byte `asn1:"tag:0,optional"`
	}
}

type safeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue `asn1:"tag:0,explicit"`
	Attributes asn1.RawValue `asn1:"optional"`
}

// parsePFXInfo walks the outer, unencrypted structure of a PKCS#12 file.
func parsePFXInfo(der []byte, maxIterations int) (PFXInfo, error) {
	checkIterations := func(what string, n int) error { return checkIterations(what, n, maxIterations) }
	checkPBE := func(alg pkix.AlgorithmIdentifier) error { return checkPBE(alg, maxIterations) }
	var info PFXInfo
	var pfx pfxPDU
	if err := unmarshalAll(der, &pfx); err != nil {
		return info, fmt.Errorf("malformed PKCS#12 file, truncated or corrupt (%w): copy it again, or export it again", err)
	}
	if pfx.Version != 3 {
		return info, fmt.Errorf("PKCS#12 version %d is not supported (only version 3 exists in practice)", pfx.Version)
	}
	if !pfx.AuthSafe.ContentType.Equal(oidData) {
		return info, errors.New("PKCS#12 files protected with public keys (not a password) are not supported: export it again with a password")
	}
	if alg := pfx.MacData.Mac.Algorithm.Algorithm; len(alg) > 0 {
		info.MAC = macName(alg)
		info.MACIterations = pfx.MacData.Iterations
		if alg.Equal(oidSHA1) {
			info.Legacy = true
		}
		if alg.Equal(oidPBMAC1) {
			n, err := kdfIterations(pfx.MacData.Mac.Algorithm)
			if err != nil {
				return info, err
			}
			info.MACIterations = n
		}
		if err := checkIterations("MAC", info.MACIterations); err != nil {
			return info, err
		}
	}
	var content []byte
	if err := unmarshalAll(pfx.AuthSafe.Content.Bytes, &content); err != nil {
		return info, fmt.Errorf("malformed PKCS#12 file: %w", err)
	}
	var safe []contentInfo
	if err := unmarshalAll(content, &safe); err != nil {
		return info, fmt.Errorf("malformed PKCS#12 file: %w", err)
	}
	if len(safe) > pfxMaxAuthSafeItems {
		return info, fmt.Errorf("malformed PKCS#12 file: %d content items", len(safe))
	}
	for _, ci := range safe {
		switch {
		case ci.ContentType.Equal(oidEncryptedData):
			var ed encryptedData
			if err := unmarshalAll(ci.Content.Bytes, &ed); err != nil {
				return info, fmt.Errorf("malformed PKCS#12 encrypted content: %w", err)
			}
			alg := ed.EncryptedContentInfo.ContentEncryptionAlgorithm
			if err := checkPBE(alg); err != nil {
				return info, err
			}
			info.CertEncryption = describeAlgorithm(alg)
			if !alg.Algorithm.Equal(oidPBES2) {
				info.Legacy = true
			}
		case ci.ContentType.Equal(oidData):
			var data []byte
			if err := unmarshalAll(ci.Content.Bytes, &data); err != nil {
				return info, fmt.Errorf("malformed PKCS#12 content: %w", err)
			}
			var bags []safeBag
			if err := unmarshalAll(data, &bags); err != nil {
				return info, fmt.Errorf("malformed PKCS#12 bags: %w", err)
			}
			for _, bag := range bags {
				switch {
				case bag.ID.Equal(oidShroudedKeyBag):
					var epki struct {
						Algorithm pkix.AlgorithmIdentifier
						Data      []byte
					}
					if err := unmarshalAll(bag.Value.Bytes, &epki); err != nil {
						return info, fmt.Errorf("malformed PKCS#12 key bag: %w", err)
					}
					if err := checkPBE(epki.Algorithm); err != nil {
						return info, err
					}
					info.KeyEncryption = describeAlgorithm(epki.Algorithm)
					if !epki.Algorithm.Algorithm.Equal(oidPBES2) {
						info.Legacy = true
					}
				case bag.ID.Equal(oidKeyBag):
					info.KeyEncryption = "not encrypted"
				}
			}
		}
	}
	return info, nil
}

// checkIterations refuses key derivations so long that reading the file
// would hang the process: go-pkcs12 runs whatever count a file names, and
// the file may come from anyone.
func checkIterations(what string, n, max int) error {
	if n < 1 || n > max {
		return fmt.Errorf("the PKCS#12 file's %s asks for %d key-derivation iterations; Signet reads files with 1 to %d, so that a hostile file cannot hang it: export the file again", what, n, max)
	}
	return nil
}

// checkPBE bounds the iteration count of an encryption scheme before
// go-pkcs12 runs it.
func checkPBE(alg pkix.AlgorithmIdentifier, max int) error {
	if isPKCS12PBE(alg.Algorithm) {
		var params struct {
			Salt       []byte
			Iterations int
		}
		if err := unmarshalAll(alg.Parameters.FullBytes, &params); err != nil {
			return fmt.Errorf("malformed PKCS#12 encryption parameters: %w", err)
		}
		return checkIterations("encryption", params.Iterations, max)
	}
	if alg.Algorithm.Equal(oidPBES2) {
		if _, err := pkcs8.DescribeAlgorithm(alg); err != nil {
			return fmt.Errorf("PKCS#12 encryption: %w", err)
		}
		n, err := kdfIterations(alg)
		if err != nil {
			return err
		}
		return checkIterations("encryption", n, max)
	}
	return nil
}

func isPKCS12PBE(oid asn1.ObjectIdentifier) bool {
	return len(oid) == 8 && oid[:7].Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1})
}

// kdfIterations reads the PBKDF2 iteration count of PBES2 (RFC 8018) or
// PBMAC1 (RFC 9579), whose parameters share one shape:
// SEQUENCE { keyDerivationFunc, encryptionScheme or messageAuthScheme }.
func kdfIterations(alg pkix.AlgorithmIdentifier) (int, error) {
	var params struct {
		KDF    pkix.AlgorithmIdentifier
		Scheme pkix.AlgorithmIdentifier
	}
	if err := unmarshalAll(alg.Parameters.FullBytes, &params); err != nil {
		return 0, fmt.Errorf("malformed PBES2 or PBMAC1 parameters: %w", err)
	}
	var kdf struct {
		Salt       asn1.RawValue
		Iterations int
		Rest       asn1.RawValue `asn1:"optional"`
		Rest2      asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return 0, fmt.Errorf("malformed PBKDF2 parameters: %w", err)
	}
	return kdf.Iterations, nil
}

func describeAlgorithm(alg pkix.AlgorithmIdentifier) string {
	if s, err := pkcs8.DescribeAlgorithm(alg); err == nil {
		return s
	}
	// The PKCS#12 schemes go-pkcs12 decrypts but pkcs8 refuses for keys.
	if isPKCS12PBE(alg.Algorithm) {
		if name, ok := pkcs12PBENames[alg.Algorithm[7]]; ok {
			return "PKCS#12 " + name
		}
	}
	return "unknown algorithm " + alg.Algorithm.String()
}

var pkcs12PBENames = map[int]string{
	1: "pbeWithSHAAnd128BitRC4",
	2: "pbeWithSHAAnd40BitRC4",
	3: "pbeWithSHAAnd3-KeyTripleDES-CBC",
	4: "pbeWithSHAAnd2-KeyTripleDES-CBC",
	5: "pbeWithSHAAnd128BitRC2-CBC",
	6: "pbeWithSHAAnd40BitRC2-CBC",
}

func macName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(oidSHA1):
		return "HMAC-SHA1"
	case oid.Equal(oidSHA256):
		return "HMAC-SHA256"
	case oid.Equal(oidSHA384):
		return "HMAC-SHA384"
	case oid.Equal(oidSHA512):
		return "HMAC-SHA512"
	case oid.Equal(oidPBMAC1):
		return "PBMAC1"
	}
	return oid.String()
}

// looksLikePFX reports whether data starts as a PKCS#12 file does: a
// SEQUENCE whose first element is INTEGER 3. It judges truncated files too.
func looksLikePFX(data []byte) bool {
	if len(data) < 2 || data[0] != 0x30 {
		return false
	}
	i := 2
	if data[1]&0x80 != 0 {
		i += int(data[1] & 0x7f)
	}
	return len(data) >= i+3 && data[i] == 0x02 && data[i+1] == 0x01 && data[i+2] == 0x03
}

// unmarshalAll parses DER and refuses trailing bytes.
func unmarshalAll(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%d bytes of trailing data", len(rest))
	}
	return nil
}
