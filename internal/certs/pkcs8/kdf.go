package pkcs8

import (
	"crypto/sha1"
	"hash"
	"unicode/utf16"
	"unicode/utf8"
)

// Diversifier IDs of the PKCS#12 key derivation (RFC 7292 appendix B.3).
const (
	pkcs12KeyID byte = 1
	pkcs12IVID  byte = 2
	pkcs12MACID byte = 3
)

// pkcs12KDF derives n bytes from a BMPString password and a salt with the
// key derivation of RFC 7292 appendix B.2, using SHA-1 (u = 20-byte output,
// v = 64-byte blocks), which is what the PKCS#12 encryption schemes use.
func pkcs12KDF(id byte, password, salt []byte, iterations, n int) []byte {
	return pkcs12KDFHash(sha1.New, 64, id, password, salt, iterations, n)
}

// pkcs12KDFHash is the key derivation of RFC 7292 appendix B.2 with any
// hash: h gives u-byte outputs and works on v-byte blocks (64 for SHA-1,
// SHA-224 and SHA-256, 128 for SHA-384 and SHA-512). PKCS#12 MACs use it
// with the MAC's own hash.
func pkcs12KDFHash(h func() hash.Hash, v int, id byte, password, salt []byte, iterations, n int) []byte {
	hh := h()
	u := hh.Size()

	// Steps 1 to 4: D is v copies of id; I is the salt and then the
	// password, each repeated to a whole number of v-byte blocks.
	d := make([]byte, v)
	for i := range d {
		d[i] = id
	}
	s, p := repeatToBlocks(salt, v), repeatToBlocks(password, v)
	defer clear(p)
	in := append(s, p...)
	defer clear(in)

	// Steps 5 to 7: c = ceil(n/u) rounds, each hashing D||I iterations
	// times and then adding the result to every block of I.
	out := make([]byte, 0, (n+u-1)/u*u)
	a := make([]byte, 0, u)
	b := make([]byte, v)
	for len(out) < n {
		hh.Reset()
		hh.Write(d)
		hh.Write(in)
		a = hh.Sum(a[:0])
		for range iterations - 1 {
			hh.Reset()
			hh.Write(a)
			a = hh.Sum(a[:0])
		}
		out = append(out, a...)
		if len(out) >= n {
			break
		}
		for i := range b {
			b[i] = a[i%u]
		}
		// I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block I_j.
		for j := 0; j < len(in); j += v {
			carry := 1
			for k := v - 1; k >= 0; k-- {
				sum := int(in[j+k]) + int(b[k]) + carry
				in[j+k] = byte(sum)
				carry = sum >> 8
			}
		}
	}
	clear(a)
	return out[:n]
}

// repeatToBlocks returns b repeated to fill ceil(len(b)/v) blocks of v bytes,
// or nil for an empty b (RFC 7292 appendix B.2 steps 2 and 3).
func repeatToBlocks(b []byte, v int) []byte {
	if len(b) == 0 {
		return nil
	}
	out := make([]byte, (len(b)+v-1)/v*v)
	for i := range out {
		out[i] = b[i%len(b)]
	}
	return out
}

// bmpString encodes a password for the PKCS#12 KDF as RFC 7292 appendix B.1
// requires: big-endian UTF-16 with a two-byte NUL terminator, so an empty
// password is two zero bytes. Valid UTF-8 is converted (characters beyond
// the BMP become surrogate pairs, as OpenSSL does); other bytes are taken as
// Latin-1 characters, which is OpenSSL's fallback too.
func bmpString(password []byte) []byte {
	var units []uint16
	if utf8.Valid(password) {
		units = utf16.Encode([]rune(string(password)))
	} else {
		units = make([]uint16, len(password))
		for i, c := range password {
			units[i] = uint16(c)
		}
	}
	out := make([]byte, 0, 2*len(units)+2)
	for _, c := range units {
		out = append(out, byte(c>>8), byte(c))
	}
	clear(units)
	return append(out, 0, 0)
}
