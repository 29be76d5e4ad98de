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
//
// go-pkcs12 decodes the file, but only after Signet has walked it with the
// same password (see pfxFile.open): go-pkcs12 runs whatever iteration count a
// file names, and reads DER only.
func decodePFXLimited(data []byte, password Password, maxIterations int) (*Contents, error) {
	if der, err := berToDER(data); err == nil {
		// DER comes back unchanged; a file that is not even BER gets
		// parsePFX's error below.
		data = der
	}
	f, err := parsePFX(data, maxIterations)
	if err != nil {
		return nil, err
	}
	if err := f.checkLayout(); err != nil {
		return nil, err
	}
	c := &Contents{Format: FormatPFX}
	r, err := f.open("", maxIterations)
	if err != nil {
		return nil, err
	}
	if r.err != nil && f.info.MAC == "" && f.info.encrypted() && !errors.Is(r.err, errPFXLayout) {
		// go-pkcs12 decrypts a file without a MAC only with the empty
		// password, and nothing but a decryption failure would tell a
		// wrong password from a right one.
		return nil, errors.New("the PKCS#12 file is encrypted but has no MAC (openssl pkcs12 -nomac writes such files), which Signet cannot read: export it again with a MAC, e.g. openssl pkcs12 -export without -nomac")
	}
	if errors.Is(r.err, pkcs12.ErrIncorrectPassword) {
		c.Encrypted = true
		pw, perr := askPassword(password)
		if perr != nil {
			return nil, perr
		}
		if r, err = f.open(pw, maxIterations); err != nil {
			return nil, err
		}
	}
	switch err := r.err; {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, ErrWrongPassword
	case errors.Is(err, errPFXLayout):
		return nil, err
	case err != nil && strings.Contains(err.Error(), "private key missing"):
		c.Notes = append(c.Notes, "the PKCS#12 file holds certificates but no private key")
		c.Protection = f.info.String()
		return c, nil
	case err != nil && strings.Contains(err.Error(), "certificate missing"):
		return nil, errors.New("the PKCS#12 file holds no certificate: export it again together with its certificate")
	case err != nil:
		return nil, fmt.Errorf("read PKCS#12: %w", err)
	}
	c.Key = r.key
	c.Certificates = append([]*x509.Certificate{r.cert}, r.chain...)
	c.Protection = f.info.String()
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

// PFXInfo is what can be learnt of a PKCS#12 file without its password,
// and, once it is open, of the content the password hid.
type PFXInfo struct {
	// MAC names the integrity algorithm, "" when the file has no MAC.
	MAC string
	// MACIterations is the MAC key derivation's iteration count.
	MACIterations int
	// CertEncryption and KeyEncryption name how certificates and keys are
	// encrypted: "" when in the clear (or, for the key, when none was
	// seen), "not encrypted" for a key bag in the clear. A key found
	// inside encrypted content (an EncryptedData, as some exporters write
	// it) is "inside encrypted content" when that is its only protection,
	// or its own encryption when it is shrouded as well; KeyContainer
	// then names the content's encryption.
	CertEncryption, KeyEncryption string
	// KeyContainer names the encryption of the encrypted content that
	// holds the key, "" when the key is not inside encrypted content.
	KeyContainer string
	// Legacy is true when any part uses a pre-PBES2 algorithm.
	Legacy bool
}

// keyInsideContent is KeyEncryption for a key bag whose only protection is
// the encrypted content around it.
const keyInsideContent = "inside encrypted content"

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
	certs := "certificates not encrypted"
	if i.CertEncryption != "" {
		certs = "certificates " + i.CertEncryption
	}
	switch {
	case i.KeyContainer != "" && i.KeyEncryption == keyInsideContent && i.KeyContainer == i.CertEncryption:
		certs = "key and certificates " + i.CertEncryption
	case i.KeyContainer != "" && i.KeyEncryption == keyInsideContent:
		parts = append(parts, "key "+keyInsideContent+" ("+i.KeyContainer+")")
	case i.KeyContainer != "":
		parts = append(parts, "key "+i.KeyEncryption+", "+keyInsideContent+" ("+i.KeyContainer+")")
	case i.KeyEncryption != "":
		parts = append(parts, "key "+i.KeyEncryption)
	}
	parts = append(parts, certs)
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
	oidCertBag          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 3}
	oidPBES2            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidSHA1             = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	pfxMaxAuthSafeItems = 64
)

// The ASN.1 of RFC 7292, shaped as go-pkcs12 shapes it so that what parses
// here parses there.

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
	Value      asn1.RawValue     `asn1:"tag:0,explicit"`
	Attributes []pkcs12Attribute `asn1:"set,optional"`
}

type pkcs12Attribute struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type certBag struct {
	ID   asn1.ObjectIdentifier
	Data []byte `asn1:"tag:0,explicit"`
}

// pfxFile is a PKCS#12 file walked as far as it goes without a password.
type pfxFile struct {
	der   []byte // the file, its outer layers converted to DER
	pdu   pfxPDU
	auth  []byte        // the authSafe content octets, which the MAC covers
	items []contentInfo // the authenticated safe
	// safes[i] is the DER SafeContents of items[i] when it is data; nil
	// for encrypted data.
	safes [][]byte
	// ber is true when some content the MAC covers is BER, not DER.
	ber   bool
	bags  bagStats // of the data items
	info  PFXInfo
	limit int // the iteration bound
}

// parsePFX walks the outer, unencrypted structure of a PKCS#12 file (DER,
// or BER inside the authSafe) and bounds every iteration count it shows.
func parsePFX(der []byte, maxIterations int) (*pfxFile, error) {
	checkIterations := func(what string, n int) error { return checkIterations(what, n, maxIterations) }
	checkPBE := func(alg pkix.AlgorithmIdentifier) error { return checkPBE(alg, maxIterations) }
	f := &pfxFile{der: der, limit: maxIterations}
	info := &f.info
	pfx := &f.pdu
	if err := unmarshalAll(der, pfx); err != nil {
		return nil, fmt.Errorf("malformed PKCS#12 file, truncated or corrupt (%w): copy it again, or export it again", err)
	}
	if pfx.Version != 3 {
		return nil, fmt.Errorf("PKCS#12 version %d is not supported (only version 3 exists in practice)", pfx.Version)
	}
	if !pfx.AuthSafe.ContentType.Equal(oidData) {
		return nil, errors.New("PKCS#12 files protected with public keys (not a password) are not supported: export it again with a password")
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
				return nil, err
			}
			info.MACIterations = n
		}
		if err := checkIterations("MAC", info.MACIterations); err != nil {
			return nil, err
		}
	}
	if err := unmarshalAll(pfx.AuthSafe.Content.Bytes, &f.auth); err != nil {
		return nil, fmt.Errorf("malformed PKCS#12 file: %w", err)
	}
	ber, err := unmarshalBER(f.auth, &f.items)
	if err != nil {
		return nil, fmt.Errorf("malformed PKCS#12 file: %w", err)
	}
	f.ber = f.ber || ber
	if len(f.items) > pfxMaxAuthSafeItems {
		return nil, fmt.Errorf("malformed PKCS#12 file: %d content items", len(f.items))
	}
	f.safes = make([][]byte, len(f.items))
	for i, ci := range f.items {
		switch {
		case ci.ContentType.Equal(oidEncryptedData):
			var ed encryptedData
			ber, err := unmarshalBER(ci.Content.Bytes, &ed)
			if err != nil {
				return nil, fmt.Errorf("malformed PKCS#12 encrypted content: %w", err)
			}
			f.ber = f.ber || ber
			alg := ed.EncryptedContentInfo.ContentEncryptionAlgorithm
			if err := checkPBE(alg); err != nil {
				return nil, err
			}
			info.CertEncryption = describeAlgorithm(alg)
			if !alg.Algorithm.Equal(oidPBES2) {
				info.Legacy = true
			}
		case ci.ContentType.Equal(oidData):
			var data []byte
			ber, err := unmarshalBER(ci.Content.Bytes, &data)
			if err != nil {
				return nil, fmt.Errorf("malformed PKCS#12 content: %w", err)
			}
			var bags []safeBag
			ber2, err := unmarshalBER(data, &bags)
			if err != nil {
				return nil, fmt.Errorf("malformed PKCS#12 bags: %w", err)
			}
			f.ber = f.ber || ber || ber2
			if f.safes[i], err = derOf(data, ber2); err != nil {
				return nil, fmt.Errorf("malformed PKCS#12 bags: %w", err)
			}
			stats, err := scanBags(bags, maxIterations)
			if err != nil {
				return nil, err
			}
			f.bags.add(stats)
			if stats.keys > 0 {
				info.KeyEncryption = stats.keyEncryption
				info.Legacy = info.Legacy || stats.keyLegacy
			}
		}
	}
	return f, nil
}

// bagStats is what a walk over SafeBags found.
type bagStats struct {
	keys          int    // key bags, shrouded or not
	keyEncryption string // the last key bag's: its algorithm, or "not encrypted"
	keyLegacy     bool   // that algorithm is pre-PBES2
	certs         int    // certificate bags
	packed        int    // the most certificates found in one certificate bag
}

func (s *bagStats) add(o bagStats) {
	s.keys += o.keys
	s.certs += o.certs
	s.packed = max(s.packed, o.packed)
	if o.keys > 0 {
		s.keyEncryption, s.keyLegacy = o.keyEncryption, o.keyLegacy
	}
}

// scanBags bounds the iteration count of every shrouded key bag, which is
// what go-pkcs12 would decrypt, and counts keys and certificates. go-pkcs12
// ignores every other kind of bag, nested SafeContents bags included, so
// they need no bound.
func scanBags(bags []safeBag, maxIterations int) (bagStats, error) {
	var s bagStats
	for _, bag := range bags {
		switch {
		case bag.ID.Equal(oidShroudedKeyBag):
			var epki encryptedPrivateKeyInfo
			if _, err := unmarshalBER(bag.Value.Bytes, &epki); err != nil {
				return s, fmt.Errorf("malformed PKCS#12 key bag: %w", err)
			}
			if err := checkPBE(epki.Algorithm, maxIterations); err != nil {
				return s, err
			}
			s.keys++
			s.keyEncryption = describeAlgorithm(epki.Algorithm)
			s.keyLegacy = !epki.Algorithm.Algorithm.Equal(oidPBES2)
		case bag.ID.Equal(oidKeyBag):
			s.keys++
			s.keyEncryption, s.keyLegacy = "not encrypted", false
		case bag.ID.Equal(oidCertBag):
			s.certs++
			var cb certBag
			if _, err := unmarshalBER(bag.Value.Bytes, &cb); err == nil {
				s.packed = max(s.packed, countDER(cb.Data))
			}
		}
	}
	return s, nil
}

// countDER counts the DER elements one after another in b, as
// x509.ParseCertificates would find certificates there.
func countDER(b []byte) int {
	n := 0
	for len(b) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			break
		}
		n, b = n+1, rest
	}
	return n
}

// unmarshalBER parses b into v as DER, as go-pkcs12 would, or, when that
// fails, as BER converted to DER; ber reports the latter. Trailing bytes
// are refused either way.
func unmarshalBER(b []byte, v any) (ber bool, err error) {
	derErr := unmarshalAll(b, v)
	if derErr == nil {
		return false, nil
	}
	der, err := berToDER(b)
	if err != nil {
		return false, derErr
	}
	if err := unmarshalAll(der, v); err != nil {
		return false, derErr
	}
	return true, nil
}

// derOf returns b, or its DER conversion when ber says it is BER.
func derOf(b []byte, ber bool) ([]byte, error) {
	if !ber {
		return b, nil
	}
	return berToDER(b)
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
		n, err := kdfIterations(alg)
		if err != nil {
			return err
		}
		if err := checkIterations("encryption", n, max); err != nil {
			return err
		}
		if _, err := pkcs8.DescribeAlgorithm(alg); err != nil {
			return fmt.Errorf("PKCS#12 encryption: %w", err)
		}
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
