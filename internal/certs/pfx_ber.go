package certs

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
)

// BER (X.690 §8) lets a writer encode one value several ways; DER (§10 and
// §11) allows one. macOS Keychain, NSS's pk12util, BouncyCastle (EJBCA) and
// older Java write PKCS#12 files in BER: indefinite lengths, and OCTET
// STRINGs split into constructed pieces. OpenSSL reads them; encoding/asn1,
// and so go-pkcs12, reads DER only. berToDER bridges the two.

const (
	// berMaxDepth bounds the nesting berToDER follows. PKCS#12 nests about
	// eight deep between two OCTET STRINGs (berToDER does not look inside
	// a primitive OCTET STRING).
	berMaxDepth = 32
	// berMaxInput bounds the input; DER is at most a quarter longer than
	// the BER it comes from (an indefinite length costs four bytes, a
	// definite one at most five below 16 MiB).
	berMaxInput = 4 * MaxFileSize
)

// berToDER re-encodes one BER element, which must fill in, as DER:
// definite lengths in their shortest form, constructed strings (OCTET
// STRING, BIT STRING and the character strings) joined into primitive
// ones, and BOOLEAN true as 0xFF. DER input comes back unchanged.
//
// It does not look inside primitive OCTET STRINGs: in PKCS#12 they hold
// nested encodings (the authSafe content, certificates) that the caller
// converts, when it must, one level at a time, because the MAC covers those
// octets as they are. Nor does it sort SET OF elements, which no reader of
// PKCS#12 needs. It refuses nesting deeper than berMaxDepth and input
// longer than berMaxInput, and never panics.
func berToDER(in []byte) ([]byte, error) {
	if len(in) > berMaxInput {
		return nil, fmt.Errorf("BER input of %d bytes is over the %d-byte limit", len(in), berMaxInput)
	}
	e, rest, err := parseBER(in, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%d bytes follow the BER element", len(rest))
	}
	return e.appendDER(nil), nil
}

// berElement is one converted element: its identifier octets (with the
// constructed bit as DER wants it) and its DER content.
type berElement struct {
	id      []byte
	content []byte
}

func (e berElement) class() int        { return int(e.id[0] >> 6) }
func (e berElement) constructed() bool { return e.id[0]&0x20 != 0 }

// tag returns the tag number; -1 for the high-tag-number form, which no
// universal type the converter treats specially uses.
func (e berElement) tag() int {
	if e.id[0]&0x1f == 0x1f {
		return -1
	}
	return int(e.id[0] & 0x1f)
}

// appendDER appends the element's DER encoding to b.
func (e berElement) appendDER(b []byte) []byte {
	b = append(b, e.id...)
	n := len(e.content)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n <= 0xff:
		b = append(b, 0x81, byte(n))
	case n <= 0xffff:
		b = append(b, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		b = append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, e.content...)
}

// isBERString reports whether a universal type may be split into a
// constructed encoding of pieces (X.690 §8.6, §8.7, §8.23).
func isBERString(tag int) bool {
	switch tag {
	case asn1.TagBitString, asn1.TagOctetString, asn1.TagUTF8String,
		18, asn1.TagPrintableString, asn1.TagT61String, 21, asn1.TagIA5String,
		25, 26, asn1.TagGeneralString, 28, 30:
		return true
	}
	return false
}

var errBERTruncated = errors.New("BER element truncated")

// parseBER converts the element at the start of in and returns the bytes
// after it.
func parseBER(in []byte, depth int) (berElement, []byte, error) {
	if depth > berMaxDepth {
		return berElement{}, nil, fmt.Errorf("BER nested more than %d deep", berMaxDepth)
	}
	// Identifier octets (X.690 §8.1.2).
	if len(in) < 2 {
		return berElement{}, nil, errBERTruncated
	}
	idLen := 1
	if in[0]&0x1f == 0x1f {
		// High tag number: base-128 digits, the last without bit 8, the
		// first not 0x80 (§8.1.2.4.2), the number at least 31 and fitting
		// encoding/asn1's int32.
		tag := 0
		for {
			if idLen >= len(in) {
				return berElement{}, nil, errBERTruncated
			}
			c := in[idLen]
			if idLen == 1 && c == 0x80 {
				return berElement{}, nil, errors.New("BER tag number not minimally encoded")
			}
			if tag > 1<<23 {
				return berElement{}, nil, errors.New("BER tag number too large")
			}
			tag = tag<<7 | int(c&0x7f)
			idLen++
			if c&0x80 == 0 {
				break
			}
		}
		if tag < 0x1f {
			return berElement{}, nil, errors.New("BER tag number below 31 in the long form")
		}
	}
	id := in[:idLen:idLen]
	constructed := in[0]&0x20 != 0
	rest := in[idLen:]

	// Length octets (§8.1.3).
	if len(rest) < 1 {
		return berElement{}, nil, errBERTruncated
	}
	l := rest[0]
	rest = rest[1:]
	indefinite := false
	length := 0
	switch {
	case l < 0x80:
		length = int(l)
	case l == 0x80:
		if !constructed {
			return berElement{}, nil, errors.New("BER primitive element with an indefinite length")
		}
		indefinite = true
	case l == 0xff:
		return berElement{}, nil, errors.New("BER length octet 0xFF is reserved")
	default:
		n := int(l & 0x7f)
		if n > 4 {
			return berElement{}, nil, fmt.Errorf("BER length of %d octets is too long", n)
		}
		if len(rest) < n {
			return berElement{}, nil, errBERTruncated
		}
		for _, c := range rest[:n] {
			length = length<<8 | int(c)
		}
		rest = rest[n:]
	}
	if !indefinite && length > len(rest) {
		return berElement{}, nil, errBERTruncated
	}

	e := berElement{id: id}
	if !constructed {
		if in[0] == 0 { // universal primitive tag 0: end-of-contents
			return berElement{}, nil, errors.New("BER end-of-contents where an element belongs")
		}
		e.content = rest[:length:length]
		if in[0] == asn1.TagBoolean && length == 1 && e.content[0] != 0 {
			e.content = []byte{0xff} // DER's TRUE (§11.1)
		}
		return e, rest[length:], nil
	}

	// Constructed: convert the children, up to the end-of-contents octets
	// or across the definite length.
	var children []berElement
	var after []byte
	body := rest
	if !indefinite {
		body, after = rest[:length], rest[length:]
	}
	for {
		if indefinite {
			if len(body) >= 2 && body[0] == 0 && body[1] == 0 {
				after = body[2:]
				break
			}
			if len(body) == 0 {
				return berElement{}, nil, errors.New("BER indefinite length without end-of-contents")
			}
		} else if len(body) == 0 {
			break
		}
		child, r, err := parseBER(body, depth+1)
		if err != nil {
			return berElement{}, nil, err
		}
		children = append(children, child)
		body = r
	}

	if e.class() == asn1.ClassUniversal && isBERString(e.tag()) {
		joined, err := joinStrings(e.tag(), children)
		if err != nil {
			return berElement{}, nil, err
		}
		e.id = []byte{id[0] &^ 0x20}
		e.content = joined
		return e, after, nil
	}
	var buf bytes.Buffer
	for _, c := range children {
		buf.Write(c.appendDER(nil))
	}
	if buf.Len() > berMaxInput {
		return berElement{}, nil, errors.New("BER element too large")
	}
	e.content = buf.Bytes()
	return e, after, nil
}

// joinStrings joins the pieces of a constructed string (X.690 §8.6.4,
// §8.7.3, §8.23.6), which by now are primitive and must be of the same
// type.
func joinStrings(tag int, pieces []berElement) ([]byte, error) {
	var out []byte
	if tag == asn1.TagBitString {
		out = []byte{0} // the number of unused bits, set from the last piece
	}
	for i, p := range pieces {
		if p.class() != asn1.ClassUniversal || p.tag() != tag || p.constructed() {
			return nil, fmt.Errorf("BER constructed string of type %d holds an element of another type", tag)
		}
		if tag != asn1.TagBitString {
			out = append(out, p.content...)
			continue
		}
		// Each piece of a BIT STRING starts with its unused-bit count;
		// only the last piece may leave bits unused (§8.6.4).
		if len(p.content) == 0 || p.content[0] > 7 || (p.content[0] != 0 && (i != len(pieces)-1 || len(p.content) == 1)) {
			return nil, errors.New("BER constructed BIT STRING with a malformed piece")
		}
		out[0] = p.content[0]
		out = append(out, p.content[1:]...)
	}
	return out, nil
}
