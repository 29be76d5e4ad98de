package pvk

import (
	"crypto/rsa"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
)

// parseRSA converts a cleartext RSA PRIVATEKEYBLOB to a validated key.
func parseRSA(blob []byte) (*rsa.PrivateKey, error) {
	bitlen, err := rsaLayout(blob)
	if err != nil {
		return nil, err
	}
	n, h := componentLens(bitlen)
	e := binary.LittleEndian.Uint32(blob[blobHeaderLen+8:])
	rest := blob[blobHeaderLen+rsaPubKeyLen:]
	next := func(size int) *big.Int {
		v := leInt(rest[:size])
		rest = rest[size:]
		return v
	}
	var (
		modulus = next(n)
		p       = next(h)
		q       = next(h)
		dp      = next(h)
		dq      = next(h)
		qinv    = next(h)
		d       = next(n)
	)
	// OpenSSL writes bitlen as the modulus's exact size; CryptoAPI and Encode
	// round it up to a multiple of 8. Either way the modulus fills its bytes.
	switch got := modulus.BitLen(); {
	case got > bitlen || got <= bitlen-8:
		return nil, malformed("the modulus is %d bits but the key blob declares %d", got, bitlen)
	case got < minBits:
		return nil, malformed("the modulus is %d bits; RSA keys of %d to %d bits are accepted", got, minBits, maxBits)
	}
	if e > math.MaxInt32 {
		return nil, fmt.Errorf("%w: the public exponent %d is above 2^31-1, which Go's crypto/rsa cannot use; re-key with e=65537", ErrUnsupportedKey, e)
	}
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: modulus, E: int(e)},
		D:         d,
		Primes:    []*big.Int{p, q},
		Precomputed: rsa.PrecomputedValues{
			Dp:   dp,
			Dq:   dq,
			Qinv: qinv,
		},
	}
	// With Dp, Dq and Qinv set, Precompute and Validate check the file's CRT
	// values against the primes and d rather than recomputing them.
	key.Precompute()
	if err := key.Validate(); err != nil {
		return nil, malformed("its numbers do not form a valid RSA key (%v); the file is corrupt, re-export the key", err)
	}
	return key, nil
}

// marshalRSA converts key to a cleartext PRIVATEKEYBLOB for spec.
func marshalRSA(key *rsa.PrivateKey, spec KeySpec) ([]byte, error) {
	if key == nil || key.N == nil || key.D == nil {
		return nil, fmt.Errorf("pvk: the RSA key is incomplete: it needs N, E, D and two primes")
	}
	if len(key.Primes) != 2 {
		return nil, fmt.Errorf("%w: the RSA key has %d primes but PVK holds exactly 2; use a 2-prime key, as crypto/rsa.GenerateKey makes", ErrUnsupportedKey, len(key.Primes))
	}
	if key.E <= 0 || uint64(key.E) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: the public exponent %d does not fit PVK's 32-bit field; use a key with e=65537", ErrUnsupportedKey, key.E)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("pvk: refusing to write an invalid RSA key: %w", err)
	}
	bits := key.N.BitLen()
	if bits < minBits || bits > maxBits {
		return nil, fmt.Errorf("%w: the RSA key is %d bits; PVK files are written for keys of %d to %d bits", ErrUnsupportedKey, bits, minBits, maxBits)
	}
	// CryptoAPI wants bitlen to be a multiple of 8. Rounding up changes none
	// of the component sizes, so readers that use the exact size agree.
	return writeRSABlob(key, (bits+7)&^7, spec)
}

// writeRSABlob lays out a 2-prime key as a PRIVATEKEYBLOB declaring bitlen,
// refusing components that do not fit the sizes bitlen gives them.
func writeRSABlob(key *rsa.PrivateKey, bitlen int, spec KeySpec) ([]byte, error) {
	n, h := componentLens(bitlen)
	p, q := key.Primes[0], key.Primes[1]
	one := big.NewInt(1)
	dp := new(big.Int).Mod(key.D, new(big.Int).Sub(p, one))
	dq := new(big.Int).Mod(key.D, new(big.Int).Sub(q, one))
	qinv := new(big.Int).ModInverse(q, p)
	if qinv == nil {
		return nil, fmt.Errorf("pvk: refusing to write an invalid RSA key: its primes are not coprime")
	}
	halves := []struct {
		name string
		v    *big.Int
	}{{"prime1", p}, {"prime2", q}, {"exponent1", dp}, {"exponent2", dq}, {"coefficient", qinv}}
	for _, c := range halves {
		if size := (c.v.BitLen() + 7) / 8; size > h {
			return nil, fmt.Errorf("%w: %s is %d bytes but PVK stores it in %d (half the modulus); PVK cannot hold a key with unbalanced primes", ErrUnsupportedKey, c.name, size, h)
		}
	}
	for _, c := range []struct {
		name string
		v    *big.Int
	}{{"modulus", key.N}, {"private exponent", key.D}} {
		if size := (c.v.BitLen() + 7) / 8; size > n {
			return nil, fmt.Errorf("%w: the %s is %d bytes but PVK stores it in %d (the modulus size)", ErrUnsupportedKey, c.name, size, n)
		}
	}

	blob := make([]byte, rsaBlobLen(bitlen))
	blob[0] = blobTypePrivate
	blob[1] = blobVersion
	binary.LittleEndian.PutUint32(blob[4:], spec.algID())
	binary.LittleEndian.PutUint32(blob[8:], magicRSA2)
	binary.LittleEndian.PutUint32(blob[12:], uint32(bitlen))
	binary.LittleEndian.PutUint32(blob[16:], uint32(key.E))
	rest := blob[blobHeaderLen+rsaPubKeyLen:]
	put := func(v *big.Int, size int) {
		putLE(rest[:size], v)
		rest = rest[size:]
	}
	put(key.N, n)
	for _, c := range halves {
		put(c.v, h)
	}
	put(key.D, n)
	return blob, nil
}

// leInt returns the unsigned little-endian integer in b.
func leInt(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	v := new(big.Int).SetBytes(be)
	clear(be)
	return v
}

// putLE writes v into dst as an unsigned little-endian integer, zero-padded.
// v must be non-negative and fit in dst.
func putLE(dst []byte, v *big.Int) {
	v.FillBytes(dst)
	for i, j := 0, len(dst)-1; i < j; i, j = i+1, j-1 {
		dst[i], dst[j] = dst[j], dst[i]
	}
}
