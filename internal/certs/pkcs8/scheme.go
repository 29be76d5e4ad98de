package pkcs8

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"math/big"
)

// ASN.1 structures, from RFC 5958 (PKCS#8), RFC 8018 (PKCS#5) and RFC 7292
// (PKCS#12). The same types serve parsing and encoding.

// encryptedPrivateKeyInfo is RFC 5958 §3.
type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// privateKeyInfo is RFC 5958 §2 (OneAsymmetricKey, which includes PKCS#8
// v1 PrivateKeyInfo). Decrypt uses it only to tell a right password from a
// wrong one, so it does not look inside the key.
type privateKeyInfo struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
	Attributes asn1.RawValue `asn1:"optional,tag:0"`
	PublicKey  asn1.RawValue `asn1:"optional,tag:1"`
}

// pbes2Params is RFC 8018 appendix A.4.
type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

// pbkdf2Params is RFC 8018 appendix A.2. Salt is a CHOICE of which only
// "specified OCTET STRING" is read; the integers are big so that an absurd
// count gets a clear error rather than an ASN.1 one.
type pbkdf2Params struct {
	Salt           asn1.RawValue
	IterationCount *big.Int
	KeyLength      *big.Int                 `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"` // DEFAULT hmacWithSHA1
}

// pkcs12PBEParams is RFC 7292 appendix C.
type pkcs12PBEParams struct {
	Salt       []byte
	Iterations *big.Int
}

var (
	oidPBES2                      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2                     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBEWithSHAAnd3KeyTripleDES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
)

// prf is a PBKDF2 pseudorandom function (RFC 8018 appendix B.1).
type prf struct {
	name string // as Describe shows it
	oid  asn1.ObjectIdentifier
	hash func() hash.Hash
}

var (
	prfHMACSHA1   = &prf{"HMAC-SHA1", asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}, sha1.New}
	prfHMACSHA224 = &prf{"HMAC-SHA224", asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}, sha256.New224}
	prfHMACSHA256 = &prf{"HMAC-SHA256", asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, sha256.New}
	prfHMACSHA384 = &prf{"HMAC-SHA384", asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}, sha512.New384}
	prfHMACSHA512 = &prf{"HMAC-SHA512", asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}, sha512.New}

	prfs = []*prf{prfHMACSHA1, prfHMACSHA224, prfHMACSHA256, prfHMACSHA384, prfHMACSHA512}
)

// blockCipher is a PBES2 encryption scheme (RFC 8018 appendix B.2), always
// in CBC mode with PKCS#7 padding.
type blockCipher struct {
	name      string // as Describe shows it
	oid       asn1.ObjectIdentifier
	keyLen    int
	blockSize int
	newBlock  func(key []byte) (cipher.Block, error)
}

var (
	cipherAES128CBC  = &blockCipher{"AES-128-CBC", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}, 16, aes.BlockSize, aes.NewCipher}
	cipherAES192CBC  = &blockCipher{"AES-192-CBC", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}, 24, aes.BlockSize, aes.NewCipher}
	cipherAES256CBC  = &blockCipher{"AES-256-CBC", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, 32, aes.BlockSize, aes.NewCipher}
	cipherDESEDE3CBC = &blockCipher{"DES-EDE3-CBC", asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}, 24, des.BlockSize, des.NewTripleDESCipher}

	ciphers = []*blockCipher{cipherAES128CBC, cipherAES192CBC, cipherAES256CBC, cipherDESEDE3CBC}

	// The RC2 of the PKCS#12 schemes, whose effective key length is the
	// key's length; PBES2's rc2CBC (with its RC2 version parameter) is
	// not read.
	cipherRC2128CBC = &blockCipher{"RC2-128-CBC", nil, 16, rc2BlockSize, newRC2FullKey}
	cipherRC240CBC  = &blockCipher{"RC2-40-CBC", nil, 5, rc2BlockSize, newRC2FullKey}
)

func newRC2FullKey(key []byte) (cipher.Block, error) { return newRC2(key, 8*len(key)) }

// pkcs12PBE is an encryption scheme of RFC 7292 appendix C: the PKCS#12
// key derivation with SHA-1, and a block cipher in CBC mode.
type pkcs12PBE struct {
	name   string // the ASN.1 name, as Describe shows it
	oid    asn1.ObjectIdentifier
	cipher *blockCipher
	// dataOnly is true for the schemes only DecryptData reads: they
	// protect certificates in PKCS#12 files, and are too weak for keys.
	dataOnly bool
}

var (
	pbeSHA3DES   = &pkcs12PBE{"pbeWithSHAAnd3-KeyTripleDES-CBC", oidPBEWithSHAAnd3KeyTripleDES, cipherDESEDE3CBC, false}
	pbeSHARC2128 = &pkcs12PBE{"pbeWithSHAAnd128BitRC2-CBC", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}, cipherRC2128CBC, true}
	pbeSHARC240  = &pkcs12PBE{"pbeWithSHAAnd40BitRC2-CBC", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}, cipherRC240CBC, true}

	pkcs12PBEs = []*pkcs12PBE{pbeSHA3DES, pbeSHARC2128, pbeSHARC240}
)

// refusal describes an algorithm Decrypt knows but refuses.
type refusal struct {
	name string // the ASN.1 name, which is what tools print
	what string // what it is, for people who do not know the name
	// legacy is true when OpenSSL 3 reads it only with the legacy provider.
	legacy bool
}

// refused lists the algorithms, by OID, that are refused by name. Any other
// unknown OID is refused by number.
var refused = map[string]refusal{
	// PKCS#5 PBES1 (RFC 8018 §6.1): 56-bit DES or RC2 under MD2, MD5 or SHA-1.
	"1.2.840.113549.1.5.1":  {"pbeWithMD2AndDES-CBC", "PBES1 with MD2 and single DES", true},
	"1.2.840.113549.1.5.4":  {"pbeWithMD2AndRC2-CBC", "PBES1 with MD2 and RC2", true},
	"1.2.840.113549.1.5.3":  {"pbeWithMD5AndDES-CBC", "PBES1 with MD5 and single DES", true},
	"1.2.840.113549.1.5.6":  {"pbeWithMD5AndRC2-CBC", "PBES1 with MD5 and RC2", true},
	"1.2.840.113549.1.5.10": {"pbeWithSHA1AndDES-CBC", "PBES1 with SHA-1 and single DES", true},
	"1.2.840.113549.1.5.11": {"pbeWithSHA1AndRC2-CBC", "PBES1 with SHA-1 and RC2", true},
	// PKCS#12 PBE (RFC 7292 appendix C) other than three-key triple DES.
	"1.2.840.113549.1.12.1.1": {"pbeWithSHAAnd128BitRC4", "PKCS#12 PBE with 128-bit RC4", true},
	"1.2.840.113549.1.12.1.2": {"pbeWithSHAAnd40BitRC4", "PKCS#12 PBE with 40-bit RC4", true},
	"1.2.840.113549.1.12.1.4": {"pbeWithSHAAnd2-KeyTripleDES-CBC", "PKCS#12 PBE with two-key triple DES", true},
	"1.2.840.113549.1.12.1.5": {"pbeWithSHAAnd128BitRC2-CBC", "PKCS#12 PBE with 128-bit RC2", true},
	"1.2.840.113549.1.12.1.6": {"pbeWithSHAAnd40BitRC2-CBC", "PKCS#12 PBE with 40-bit RC2", true},
	// PBES2 key derivation functions other than PBKDF2.
	"1.3.6.1.4.1.11591.4.11": {"scrypt", "the scrypt key derivation of RFC 7914", false},
	// PBKDF2 pseudorandom functions outside the SHA-1 and SHA-2 set.
	"1.2.840.113549.2.12":     {"hmacWithSHA512-224", "PBKDF2 with HMAC-SHA512/224", false},
	"1.2.840.113549.2.13":     {"hmacWithSHA512-256", "PBKDF2 with HMAC-SHA512/256", false},
	"2.16.840.1.101.3.4.2.13": {"id-hmacWithSHA3-224", "PBKDF2 with HMAC-SHA3-224", false},
	"2.16.840.1.101.3.4.2.14": {"id-hmacWithSHA3-256", "PBKDF2 with HMAC-SHA3-256", false},
	"2.16.840.1.101.3.4.2.15": {"id-hmacWithSHA3-384", "PBKDF2 with HMAC-SHA3-384", false},
	"2.16.840.1.101.3.4.2.16": {"id-hmacWithSHA3-512", "PBKDF2 with HMAC-SHA3-512", false},
	// PBES2 ciphers other than AES-CBC and DES-EDE3-CBC.
	"1.3.14.3.2.7":               {"desCBC", "single DES with a 56-bit key", true},
	"1.2.840.113549.3.2":         {"rc2CBC", "RC2", true},
	"1.2.840.113549.3.4":         {"rc4", "RC4", true},
	"1.2.840.113549.3.9":         {"rc5-CBC-PAD", "RC5", true},
	"2.16.840.1.101.3.4.1.6":     {"aes128-GCM", "AES-128 in GCM mode", false},
	"2.16.840.1.101.3.4.1.26":    {"aes192-GCM", "AES-192 in GCM mode", false},
	"2.16.840.1.101.3.4.1.46":    {"aes256-GCM", "AES-256 in GCM mode", false},
	"1.2.392.200011.61.1.1.1.2":  {"camellia128-cbc", "Camellia-128-CBC", false},
	"1.2.392.200011.61.1.1.1.3":  {"camellia192-cbc", "Camellia-192-CBC", false},
	"1.2.392.200011.61.1.1.1.4":  {"camellia256-cbc", "Camellia-256-CBC", false},
	"1.2.156.10197.1.104.2":      {"sm4-cbc", "SM4-CBC", false},
	"1.2.410.200046.1.1.2":       {"aria-128-cbc", "ARIA-128-CBC", false},
	"1.2.410.200004.1.4":         {"seedCBC", "SEED-CBC", true},
	"1.2.840.113549.1.9.16.3.18": {"id-alg-AEADChaCha20Poly1305", "ChaCha20-Poly1305", false},
}

// reencrypt returns the command that rewrites a key in the scheme Encrypt
// writes; legacy adds the providers OpenSSL 3 needs to read old ciphers.
func reencrypt(legacy bool) string {
	providers := ""
	if legacy {
		providers = " -provider legacy -provider default"
	}
	return "openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 600000" + providers + " -in old.pem -out new.pem"
}

// unsupported returns the ErrUnsupported error for an algorithm in the given
// role ("encryption scheme", "cipher", ...).
func unsupported(role string, oid asn1.ObjectIdentifier) error {
	if r, ok := refused[oid.String()]; ok {
		return fmt.Errorf("%w: the key is encrypted with the %s %s (%s), which Signet does not read; re-encrypt it with: %s",
			ErrUnsupported, role, r.name, r.what, reencrypt(r.legacy))
	}
	return fmt.Errorf("%w: the key is encrypted with an unknown %s (OID %s); re-encrypt it with: %s",
		ErrUnsupported, role, oid, reencrypt(false))
}

// malformedf returns an ErrMalformed error.
func malformedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// schemeKind tells the two families of encryption scheme apart.
type schemeKind int

const (
	kindPBES2  schemeKind = iota + 1 // RFC 8018 PBES2 with PBKDF2
	kindPKCS12                       // RFC 7292 appendix C, such as pbeWithSHAAnd3-KeyTripleDES-CBC
)

// scheme is a parsed encryption algorithm with its parameters.
type scheme struct {
	kind       schemeKind
	prf        *prf       // PBES2 only
	pbe        *pkcs12PBE // PKCS#12 only
	cipher     *blockCipher
	salt       []byte
	iterations int
	iv         []byte // PBES2 only; PKCS#12 derives it from the password
}

// String describes s for Describe.
func (s *scheme) String() string {
	iterations := fmt.Sprintf("%d iterations", s.iterations)
	if s.iterations == 1 {
		iterations = "1 iteration"
	}
	if s.kind == kindPKCS12 {
		return fmt.Sprintf("PKCS#12 %s (SHA-1 KDF, %s, %s)", s.pbe.name, iterations, s.cipher.name)
	}
	return fmt.Sprintf("PBES2 (PBKDF2-%s, %s, %s)", s.prf.name, iterations, s.cipher.name)
}

// deriveKeyAbsent returns the cipher key and IV for password; the caller
// should clear the key after use. With absent (and an empty password) it
// gives the PKCS#12 key derivation no password bytes at all rather than the
// BMPString of an empty password; see DataOptions.AbsentPassword.
func (s *scheme) deriveKeyAbsent(password []byte, absent bool) (key, iv []byte, err error) {
	if s.kind == kindPKCS12 {
		var pw []byte
		if !absent {
			pw = bmpString(password)
		}
		defer clear(pw)
		key = pkcs12KDF(pkcs12KeyID, pw, s.salt, s.iterations, s.cipher.keyLen)
		iv = pkcs12KDF(pkcs12IVID, pw, s.salt, s.iterations, s.cipher.blockSize)
		return key, iv, nil
	}
	key, err = pbkdf2.Key(s.prf.hash, string(password), s.salt, s.iterations, s.cipher.keyLen)
	if err != nil {
		return nil, nil, fmt.Errorf("derive the key with PBKDF2-%s: %w", s.prf.name, err)
	}
	return key, s.iv, nil
}

// marshal encodes the EncryptedPrivateKeyInfo for s and ciphertext.
func (s *scheme) marshal(ciphertext []byte) ([]byte, error) {
	var alg pkix.AlgorithmIdentifier
	switch s.kind {
	case kindPKCS12:
		params, err := asn1.Marshal(pkcs12PBEParams{Salt: s.salt, Iterations: big.NewInt(int64(s.iterations))})
		if err != nil {
			return nil, fmt.Errorf("encode PKCS#12 PBE parameters: %w", err)
		}
		alg = pkix.AlgorithmIdentifier{Algorithm: s.pbe.oid, Parameters: asn1.RawValue{FullBytes: params}}
	case kindPBES2:
		kdf := pbkdf2Params{
			Salt:           asn1.RawValue{Tag: asn1.TagOctetString, Bytes: s.salt},
			IterationCount: big.NewInt(int64(s.iterations)),
		}
		if s.prf != prfHMACSHA1 { // DER omits a DEFAULT value
			kdf.PRF = pkix.AlgorithmIdentifier{Algorithm: s.prf.oid, Parameters: asn1.NullRawValue}
		}
		kdfParams, err := asn1.Marshal(kdf)
		if err != nil {
			return nil, fmt.Errorf("encode PBKDF2 parameters: %w", err)
		}
		iv, err := asn1.Marshal(s.iv)
		if err != nil {
			return nil, fmt.Errorf("encode IV: %w", err)
		}
		params, err := asn1.Marshal(pbes2Params{
			KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdfParams}},
			EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: s.cipher.oid, Parameters: asn1.RawValue{FullBytes: iv}},
		})
		if err != nil {
			return nil, fmt.Errorf("encode PBES2 parameters: %w", err)
		}
		alg = pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}}
	default:
		return nil, fmt.Errorf("internal error: unknown scheme kind %d", s.kind)
	}
	der, err := asn1.Marshal(encryptedPrivateKeyInfo{Algorithm: alg, EncryptedData: ciphertext})
	if err != nil {
		return nil, fmt.Errorf("encode EncryptedPrivateKeyInfo: %w", err)
	}
	return der, nil
}

// parse decodes an EncryptedPrivateKeyInfo and checks everything that needs
// no password: the algorithms, the parameters, an iteration count within
// maxIterations, and a ciphertext length that fits the cipher.
func parse(der []byte, maxIterations int) (*scheme, []byte, error) {
	var epki encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &epki)
	if err != nil {
		if hint := inputHint(der); hint != "" {
			return nil, nil, malformedf("%s", hint)
		}
		return nil, nil, malformedf("%v; check that the input is the DER of an %s PEM block", err, PEMType)
	}
	if len(rest) > 0 {
		return nil, nil, malformedf("%d bytes follow the EncryptedPrivateKeyInfo; the file is damaged or holds something else", len(rest))
	}
	s, err := parseAlgorithm(epki.Algorithm, maxIterations, false)
	if err != nil {
		return nil, nil, err
	}
	bs := s.cipher.blockSize
	if n := len(epki.EncryptedData); n == 0 || n%bs != 0 {
		return nil, nil, malformedf("the encrypted key is %d bytes, not a positive multiple of the %d-byte %s block; the file is truncated or damaged", n, bs, s.cipher.name)
	}
	return s, epki.EncryptedData, nil
}

// parseAlgorithm reads the encryptionAlgorithm of an EncryptedPrivateKeyInfo,
// or with forData, the algorithm of other encrypted content (DecryptData),
// which admits the RC2 schemes too.
func parseAlgorithm(alg pkix.AlgorithmIdentifier, maxIterations int, forData bool) (*scheme, error) {
	switch {
	case len(alg.Algorithm) == 0:
		return nil, malformedf("the encryption algorithm has no OID")
	case alg.Algorithm.Equal(oidPBES2):
		return parsePBES2(alg.Parameters.FullBytes, maxIterations)
	}
	for _, pbe := range pkcs12PBEs {
		if !alg.Algorithm.Equal(pbe.oid) || (pbe.dataOnly && !forData) {
			continue
		}
		var p pkcs12PBEParams
		if err := unmarshalExact(alg.Parameters.FullBytes, &p); err != nil {
			return nil, malformedf("%s parameters: %v", pbe.name, err)
		}
		n, err := checkIterations(p.Iterations, maxIterations)
		if err != nil {
			return nil, err
		}
		return &scheme{kind: kindPKCS12, pbe: pbe, cipher: pbe.cipher, salt: p.Salt, iterations: n}, nil
	}
	return nil, unsupported("encryption scheme", alg.Algorithm)
}

// parsePBES2 reads PBES2-params.
func parsePBES2(der []byte, maxIterations int) (*scheme, error) {
	var p pbes2Params
	if err := unmarshalExact(der, &p); err != nil {
		return nil, malformedf("PBES2 parameters: %v", err)
	}
	if !p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, unsupported("PBES2 key derivation function", p.KeyDerivationFunc.Algorithm)
	}
	var k pbkdf2Params
	if err := unmarshalExact(p.KeyDerivationFunc.Parameters.FullBytes, &k); err != nil {
		return nil, malformedf("PBKDF2 parameters: %v", err)
	}
	s := &scheme{kind: kindPBES2}
	switch {
	case k.Salt.Class == asn1.ClassUniversal && k.Salt.Tag == asn1.TagOctetString && !k.Salt.IsCompound:
		s.salt = k.Salt.Bytes
	case k.Salt.Class == asn1.ClassUniversal && k.Salt.Tag == asn1.TagSequence:
		return nil, fmt.Errorf("%w: the PBKDF2 salt comes from an otherSource algorithm, which Signet does not read; re-encrypt the key with: %s", ErrUnsupported, reencrypt(false))
	default:
		return nil, malformedf("PBKDF2 salt is ASN.1 class %d tag %d, not an OCTET STRING", k.Salt.Class, k.Salt.Tag)
	}
	n, err := checkIterations(k.IterationCount, maxIterations)
	if err != nil {
		return nil, err
	}
	s.iterations = n
	if len(k.PRF.Algorithm) == 0 {
		s.prf = prfHMACSHA1 // the DEFAULT of RFC 8018 appendix A.2
	} else {
		for _, f := range prfs {
			if f.oid.Equal(k.PRF.Algorithm) {
				s.prf = f
			}
		}
		if s.prf == nil {
			return nil, unsupported("PBKDF2 pseudorandom function", k.PRF.Algorithm)
		}
	}
	for _, c := range ciphers {
		if c.oid.Equal(p.EncryptionScheme.Algorithm) {
			s.cipher = c
		}
	}
	if s.cipher == nil {
		return nil, unsupported("PBES2 cipher", p.EncryptionScheme.Algorithm)
	}
	if k.KeyLength != nil && (!k.KeyLength.IsInt64() || k.KeyLength.Int64() != int64(s.cipher.keyLen)) {
		return nil, malformedf("PBKDF2 key length %s does not match the %d-byte key of %s", short(k.KeyLength), s.cipher.keyLen, s.cipher.name)
	}
	if err := unmarshalExact(p.EncryptionScheme.Parameters.FullBytes, &s.iv); err != nil {
		return nil, malformedf("%s IV: %v", s.cipher.name, err)
	}
	if len(s.iv) != s.cipher.blockSize {
		return nil, malformedf("%s IV is %d bytes, not %d", s.cipher.name, len(s.iv), s.cipher.blockSize)
	}
	return s, nil
}

// checkIterations returns n as an int if it is positive and at most max.
func checkIterations(n *big.Int, max int) (int, error) {
	if n == nil || n.Sign() <= 0 {
		return 0, malformedf("iteration count %s is not positive", short(n))
	}
	if !n.IsInt64() || n.Int64() > int64(max) {
		return 0, fmt.Errorf("%w: the iteration count %s is above the limit of %d, which keeps a hostile file from stalling the process; re-encrypt the key with: %s",
			ErrUnsupported, short(n), max, reencrypt(false))
	}
	return int(n.Int64()), nil
}

// short formats an ASN.1 integer from the input without printing hundreds
// of digits.
func short(n *big.Int) string {
	switch {
	case n == nil:
		return "(absent)"
	case n.BitLen() > 64:
		return fmt.Sprintf("(a %d-bit number)", n.BitLen())
	}
	return n.String()
}

// unmarshalExact decodes der into v and refuses absent parameters and
// trailing bytes.
func unmarshalExact(der []byte, v any) error {
	if len(der) == 0 {
		return errors.New("missing")
	}
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%d bytes of trailing data", len(rest))
	}
	return nil
}

// checkPrivateKeyInfo reports whether b is exactly one PKCS#8
// PrivateKeyInfo (v1) or OneAsymmetricKey (v2). It does not parse the key,
// so it accepts key types the standard library does not know (DSA, Ed448).
func checkPrivateKeyInfo(b []byte) error {
	var pki privateKeyInfo
	rest, err := asn1.Unmarshal(b, &pki)
	switch {
	case err != nil:
		return err
	case len(rest) > 0:
		return fmt.Errorf("%d bytes follow the PrivateKeyInfo", len(rest))
	case pki.Version != 0 && pki.Version != 1:
		return fmt.Errorf("PrivateKeyInfo version %d is not 0 or 1", pki.Version)
	case len(pki.Algorithm.Algorithm) == 0:
		return errors.New("PrivateKeyInfo has no key algorithm")
	}
	return nil
}

// inputHint names a common mistake in what was passed for DER, or returns "".
func inputHint(b []byte) string {
	trimmed := bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
		return "the input is PEM text, not DER; decode it with pem.Decode and pass the block's Bytes"
	case checkPrivateKeyInfo(b) == nil:
		return "the input is an unencrypted PKCS#8 key; parse it with x509.ParsePKCS8PrivateKey"
	}
	var epki encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(b, &epki); err == nil && len(rest) == 0 {
		return "the input is already an encrypted PKCS#8 key"
	}
	return ""
}
