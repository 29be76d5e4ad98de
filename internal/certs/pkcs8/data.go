package pkcs8

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
)

// DataOptions tunes DecryptData and PKCS12MAC. The zero value, and a nil
// *DataOptions, are ready to use.
type DataOptions struct {
	// MaxIterations bounds the key derivation's iteration count, so that
	// a hostile file cannot stall the process; the input is refused with
	// ErrUnsupported above it. 0, or anything above MaxIterations, means
	// MaxIterations.
	MaxIterations int

	// AbsentPassword derives the PKCS#12 keys (of the PKCS#12 schemes and
	// of the classic PKCS#12 MAC) from no password bytes at all, instead
	// of the BMPString of the empty password, which RFC 7292 appendix B.1
	// makes a two-byte NUL. Some writers encode an empty password so
	// (OpenSSL calls it the NULL password), and readers such as OpenSSL
	// and go-pkcs12 try it when the empty password fails. The password
	// must then be empty. PBES2 and PBMAC1 take the password as it is, so
	// it changes nothing for them.
	AbsentPassword bool
}

func (o *DataOptions) limit() int {
	if o == nil || o.MaxIterations <= 0 || o.MaxIterations > MaxIterations {
		return MaxIterations
	}
	return o.MaxIterations
}

func (o *DataOptions) absent(password []byte) (bool, error) {
	if o == nil || !o.AbsentPassword {
		return false, nil
	}
	if len(password) > 0 {
		return false, errors.New("an absent password must be empty")
	}
	return true, nil
}

// DecryptData decrypts content encrypted under a password-based scheme
// named by alg, without the PKCS#8 structure around it and without looking
// at the plaintext: the encryptedContent of a PKCS#12 (.pfx) file's
// EncryptedData (RFC 7292 §4.1, RFC 5652 §8), for example. The password is
// read as Decrypt reads it.
//
// It reads the schemes Decrypt reads, and also the PKCS#12 schemes
// pbeWithSHAAnd128BitRC2-CBC and pbeWithSHAAnd40BitRC2-CBC, with which
// OpenSSL's -legacy option, Windows before Server 2019 and old Java encrypt
// the certificates of a PKCS#12 file. (Decrypt refuses them for keys:
// 40-bit RC2 falls to brute force.)
//
// It returns the plaintext without its padding. Errors wrap
// ErrWrongPassword when the padding is wrong, which is all a wrong password
// shows without a look at the plaintext (a wrong password passes this check
// about once in 256 tries, so check the plaintext too); ErrUnsupported for
// a scheme or iteration count it refuses, checked before any key
// derivation; and ErrMalformed for parameters or a ciphertext length that
// cannot be right.
func DecryptData(alg pkix.AlgorithmIdentifier, ciphertext, password []byte, opts *DataOptions) ([]byte, error) {
	s, err := parseAlgorithm(alg, opts.limit(), true)
	if err != nil {
		return nil, err
	}
	absent, err := opts.absent(password)
	if err != nil {
		return nil, err
	}
	if n, bs := len(ciphertext), s.cipher.blockSize; n == 0 || n%bs != 0 {
		return nil, malformedf("the encrypted data is %d bytes, not a positive multiple of the %d-byte %s block; it is truncated or damaged", n, bs, s.cipher.name)
	}
	return s.decryptCBC(ciphertext, password, absent)
}

// The MAC algorithms of a PKCS#12 file's MacData (RFC 7292 §4 and
// appendix B; RFC 9579 for PBMAC1).
var (
	oidPBMAC1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}

	pkcs12MACHashes = []struct {
		oid  asn1.ObjectIdentifier
		hash func() hash.Hash
		v    int // the hash's block size, the v of RFC 7292 appendix B.2
	}{
		{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, sha1.New, 64},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}, sha256.New224, 64},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, sha256.New, 64},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, sha512.New384, 128},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, sha512.New, 128},
	}
)

// pbmac1Params is RFC 8018 appendix A.5.
type pbmac1Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	MessageAuthScheme pkix.AlgorithmIdentifier
}

// PKCS12MAC computes the MAC of a PKCS#12 file's content (the octets of its
// authSafe) under password, as its MacData names it: alg is the digest
// algorithm of MacData.mac, and salt and iterations are MacData's macSalt
// and iterations. Compare the result with MacData.mac.digest using
// hmac.Equal.
//
// The classic MAC (RFC 7292 §4 and appendix B.4) is HMAC keyed by the
// PKCS#12 key derivation; it reads SHA-1, SHA-224, SHA-256, SHA-384 and
// SHA-512, with the password as a BMPString (see DataOptions for the empty
// password). PBMAC1 (RFC 9579) takes everything from alg's parameters, and
// salt and iterations are ignored: PBKDF2 with one of the PRFs Decrypt
// reads, a key length of 20 to 64 bytes (shorter keys allow forgeries),
// and HMAC with SHA-1 or SHA-2; the password is used as given.
//
// Errors wrap ErrUnsupported for an algorithm or iteration count it
// refuses, and ErrMalformed for parameters that cannot be right; both are
// checked before any key derivation.
func PKCS12MAC(alg pkix.AlgorithmIdentifier, salt []byte, iterations int, message, password []byte, opts *DataOptions) ([]byte, error) {
	absent, err := opts.absent(password)
	if err != nil {
		return nil, err
	}
	if alg.Algorithm.Equal(oidPBMAC1) {
		return pbmac1(alg, message, password, opts.limit())
	}
	for _, h := range pkcs12MACHashes {
		if !alg.Algorithm.Equal(h.oid) {
			continue
		}
		if iterations < 1 {
			return nil, malformedf("MAC iteration count %d is not positive", iterations)
		}
		if iterations > opts.limit() {
			return nil, fmt.Errorf("%w: the MAC iteration count %d is above the limit of %d, which keeps a hostile file from stalling the process", ErrUnsupported, iterations, opts.limit())
		}
		var pw []byte
		if !absent {
			pw = bmpString(password)
		}
		defer clear(pw)
		key := pkcs12KDFHash(h.hash, h.v, pkcs12MACID, pw, salt, iterations, h.hash().Size())
		defer clear(key)
		mac := hmac.New(h.hash, key)
		mac.Write(message)
		return mac.Sum(nil), nil
	}
	return nil, fmt.Errorf("%w: the PKCS#12 MAC algorithm %s is not one Signet reads (SHA-1, SHA-2 or PBMAC1)", ErrUnsupported, alg.Algorithm)
}

// pbmac1 computes a PBMAC1 MAC (RFC 9579 §3 and RFC 8018 §7.1).
func pbmac1(alg pkix.AlgorithmIdentifier, message, password []byte, maxIterations int) ([]byte, error) {
	var p pbmac1Params
	if err := unmarshalExact(alg.Parameters.FullBytes, &p); err != nil {
		return nil, malformedf("PBMAC1 parameters: %v", err)
	}
	if !p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: the PBMAC1 key derivation %s is not PBKDF2", ErrUnsupported, p.KeyDerivationFunc.Algorithm)
	}
	var k pbkdf2Params
	if err := unmarshalExact(p.KeyDerivationFunc.Parameters.FullBytes, &k); err != nil {
		return nil, malformedf("PBMAC1 PBKDF2 parameters: %v", err)
	}
	if k.Salt.Class != asn1.ClassUniversal || k.Salt.Tag != asn1.TagOctetString || k.Salt.IsCompound {
		return nil, fmt.Errorf("%w: the PBMAC1 salt is not an OCTET STRING", ErrUnsupported)
	}
	n, err := checkIterations(k.IterationCount, maxIterations)
	if err != nil {
		return nil, err
	}
	if k.KeyLength == nil || !k.KeyLength.IsInt64() || k.KeyLength.Int64() < 20 || k.KeyLength.Int64() > 64 {
		return nil, malformedf("PBMAC1 key length %s is not 20 to 64 bytes (RFC 9579 §3 requires it, and shorter keys allow forgeries)", short(k.KeyLength))
	}
	kdf := prfHMACSHA1
	if len(k.PRF.Algorithm) > 0 {
		kdf = nil
		for _, f := range prfs {
			if f.oid.Equal(k.PRF.Algorithm) {
				kdf = f
			}
		}
		if kdf == nil {
			return nil, fmt.Errorf("%w: the PBMAC1 PRF %s is not one Signet reads", ErrUnsupported, k.PRF.Algorithm)
		}
	}
	var mac *prf
	for _, f := range prfs {
		if f.oid.Equal(p.MessageAuthScheme.Algorithm) {
			mac = f
		}
	}
	if mac == nil {
		return nil, fmt.Errorf("%w: the PBMAC1 MAC %s is not one Signet reads", ErrUnsupported, p.MessageAuthScheme.Algorithm)
	}
	key, err := pbkdf2.Key(kdf.hash, string(password), k.Salt.Bytes, n, int(k.KeyLength.Int64()))
	if err != nil {
		return nil, fmt.Errorf("derive the PBMAC1 key: %w", err)
	}
	defer clear(key)
	h := hmac.New(mac.hash, key)
	h.Write(message)
	return h.Sum(nil), nil
}
