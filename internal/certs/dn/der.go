package dn

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Universal ASN.1 tags (class universal, primitive unless noted).
const (
	tagOID             = 0x06
	tagUTF8String      = 0x0C
	tagNumericString   = 0x12
	tagPrintableString = 0x13
	tagT61String       = 0x14
	tagIA5String       = 0x16
	tagVisibleString   = 0x1A
	tagUniversalString = 0x1C
	tagBMPString       = 0x1E
	tagSequence        = 0x30 // constructed
	tagSet             = 0x31 // constructed
)

// maxDER bounds the input of FromDER before it is decoded. The real bound is
// the length of the string form (maxLen), checked afterwards.
const maxDER = 64 << 10

// DER returns the DER encoding of the name as an X.501 RDNSequence, ready
// for x509.Certificate.RawSubject (or RawIssuer).
//
// String types are chosen per attribute type: C is a PrintableString and
// must be two letters A-Z; DC and E are IA5Strings and must be ASCII; every
// other value is a PrintableString when all its characters are in the
// PrintableString set (A-Z a-z 0-9 space ' ( ) + , - . / : = ?) and a
// UTF8String otherwise. That is what .NET's CertificateRequest and Windows
// do; OpenSSL's default (string_mask = utf8only) makes everything but C a
// UTF8String instead. Both are valid, and RFC 5280 matching ignores the
// difference, but Windows and .NET compare some names byte for byte, so a
// certificate made here looks like one made with New-SelfSignedCertificate.
//
// A value read from DER is written back exactly as it was read, as long as
// its Value is unchanged. The attributes of a multi-valued RDN are sorted by
// their encoding, as DER requires of a SET OF. An empty Name encodes as an
// empty SEQUENCE.
//
// DER fails for an empty RDN, an invalid OID, or a value that is empty, not
// UTF-8, contains NUL, or breaks the rule of its type.
func (n Name) DER() ([]byte, error) {
	var seq []byte
	for i, rdn := range n {
		if len(rdn) == 0 {
			return nil, fmt.Errorf("dn: RDN %d of %d (in DER order) is empty: every RDN needs at least one attribute", i+1, len(n))
		}
		atvs := make([][]byte, 0, len(rdn))
		for _, a := range rdn {
			atv, err := encodeAttribute(a)
			if err != nil {
				return nil, err
			}
			atvs = append(atvs, atv)
		}
		// X.690 11.6: the members of a SET OF appear in ascending order
		// of their encodings. Each member is a whole TLV, so none is a
		// proper prefix of another and bytes.Compare is that order.
		slices.SortFunc(atvs, bytes.Compare)
		seq = appendTLV(seq, tagSet, bytes.Join(atvs, nil))
	}
	return appendTLV(nil, tagSequence, seq), nil
}

// encodeAttribute returns the AttributeTypeAndValue SEQUENCE for a.
func encodeAttribute(a Attribute) ([]byte, error) {
	oid, err := encodeOID(a.Type)
	if err != nil {
		return nil, fmt.Errorf("dn: cannot encode attribute type %s: %w", a.Type, err)
	}
	var value []byte
	if _, ok := a.fresh(); ok {
		value = []byte(a.der)
	} else if value, err = encodeString(a.Type, a.Value, false); err != nil {
		return nil, fmt.Errorf("dn: cannot encode %s=%q: %w", typeName(a.Type), a.Value, err)
	}
	return appendTLV(nil, tagSequence, append(oid, value...)), nil
}

// encodeString returns the DER encoding of v as a value of type oid. With
// lenient set, the type's rule only picks the string type and is not
// enforced; String uses that to write hand-built values that Parse would
// refuse as text.
func encodeString(oid asn1.ObjectIdentifier, v string, lenient bool) ([]byte, error) {
	switch {
	case v == "" && !lenient:
		return nil, errors.New("the value is empty; X.520 values need at least one character")
	case !utf8.ValidString(v):
		return nil, errors.New("the value is not valid UTF-8")
	case strings.IndexByte(v, 0) >= 0:
		return nil, errors.New("the value contains a NUL character, which names must not have")
	}
	tag := byte(tagUTF8String)
	switch ruleOf(oid) {
	case countryCode:
		switch {
		case isCountryCode(v):
			tag = tagPrintableString
		case !lenient:
			return nil, errors.New("a country (C) must be exactly two letters A-Z, an ISO 3166 code such as US or DE")
		case isPrintableString(v):
			tag = tagPrintableString
		}
	case ia5:
		switch {
		case isASCII(v):
			tag = tagIA5String
		case !lenient:
			return nil, errors.New("the value must be ASCII, because DC and E are encoded as IA5String")
		}
	default:
		if isPrintableString(v) {
			tag = tagPrintableString
		}
	}
	return appendTLV(nil, tag, []byte(v)), nil
}

// isPrintableString reports whether every character of v is in the
// PrintableString set of X.680. Unlike crypto/x509's parser, it does not
// allow '*' and '&', so that what DER writes is valid.
func isPrintableString(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(" '()+,-./:=?", c) >= 0:
		default:
			return false
		}
	}
	return v != ""
}

// appendTLV appends the DER encoding of a value with a one-byte tag.
func appendTLV(dst []byte, tag byte, content []byte) []byte {
	dst = append(dst, tag)
	n := len(content)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xFF:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xFFFFFF:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, content...)
}

// validOID reports whether oid can be encoded, and decoded again, here: at
// least two arcs, the first 0, 1 or 2, the second below 40 unless the first
// is 2, and every arc (and the first two combined) within 0..2^31-1, the
// range encoding/asn1 and crypto/x509 accept.
func validOID(oid asn1.ObjectIdentifier) bool {
	if len(oid) < 2 || oid[0] < 0 || oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) {
		return false
	}
	for _, arc := range oid {
		if arc < 0 || arc > math.MaxInt32 {
			return false
		}
	}
	return int64(oid[0])*40+int64(oid[1]) <= math.MaxInt32
}

// encodeOID returns the DER encoding (TLV) of oid.
func encodeOID(oid asn1.ObjectIdentifier) ([]byte, error) {
	if !validOID(oid) {
		return nil, errors.New("an OID needs at least two arcs, the first 0, 1 or 2 and the second below 40 unless the first is 2, each at most 2147483647")
	}
	var content []byte
	content = appendBase128(content, oid[0]*40+oid[1])
	for _, arc := range oid[2:] {
		content = appendBase128(content, arc)
	}
	return appendTLV(nil, tagOID, content), nil
}

// appendBase128 appends v as a minimal base-128 integer.
func appendBase128(dst []byte, v int) []byte {
	var buf [5]byte
	i := len(buf) - 1
	buf[i] = byte(v & 0x7F)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		buf[i] = byte(v&0x7F) | 0x80
	}
	return append(dst, buf[i:]...)
}

// decodeOID decodes the contents of a DER OBJECT IDENTIFIER.
func decodeOID(content string) (asn1.ObjectIdentifier, error) {
	if content == "" {
		return nil, errors.New("the attribute type is an empty OID")
	}
	var oid asn1.ObjectIdentifier
	for i := 0; i < len(content); {
		if content[i] == 0x80 {
			return nil, errors.New("the attribute type OID is not minimally encoded")
		}
		v := 0
		for {
			if i == len(content) {
				return nil, errors.New("the attribute type OID is truncated")
			}
			if v > math.MaxInt32>>7 {
				return nil, errors.New("the attribute type OID has an arc above 2147483647")
			}
			c := content[i]
			i++
			v = v<<7 | int(c&0x7F)
			if c&0x80 == 0 {
				break
			}
		}
		if oid == nil {
			switch {
			case v < 40:
				oid = append(oid, 0, v)
			case v < 80:
				oid = append(oid, 1, v-40)
			default:
				oid = append(oid, 2, v-80)
			}
			continue
		}
		oid = append(oid, v)
	}
	return oid, nil
}

// tlv is one DER element.
type tlv struct {
	tag     byte   // the first identifier octet
	content string // the contents octets
	full    string // the whole element
}

// readTLV reads one DER element from the start of s and returns it and what
// follows it. It accepts only definite, minimal lengths and minimal tags.
func readTLV(s string) (tlv, string, error) {
	if len(s) < 2 {
		return tlv{}, "", errors.New("the data ends inside an element's tag or length")
	}
	i := 1
	if s[0]&0x1F == 0x1F { // high tag number form
		if s[i] == 0x80 {
			return tlv{}, "", errors.New("a tag number is not minimally encoded")
		}
		num := 0
		for {
			if i == len(s) {
				return tlv{}, "", errors.New("the data ends inside an element's tag")
			}
			if num > 1<<21 {
				return tlv{}, "", errors.New("a tag number is too large")
			}
			c := s[i]
			i++
			num = num<<7 | int(c&0x7F)
			if c&0x80 == 0 {
				break
			}
		}
		if num < 0x1F {
			return tlv{}, "", errors.New("a tag number is not minimally encoded")
		}
	}
	if i == len(s) {
		return tlv{}, "", errors.New("the data ends before an element's length")
	}
	n := int(s[i])
	i++
	if n&0x80 != 0 {
		size := n & 0x7F
		switch {
		case size == 0:
			return tlv{}, "", errors.New("an element has an indefinite length, which DER does not allow")
		case size > 4:
			return tlv{}, "", errors.New("an element's length is too large")
		case len(s)-i < size:
			return tlv{}, "", errors.New("the data ends inside an element's length")
		case s[i] == 0:
			return tlv{}, "", errors.New("an element's length is not minimally encoded")
		}
		n = 0
		for range size {
			n = n<<8 | int(s[i])
			i++
		}
		if n < 0x80 {
			return tlv{}, "", errors.New("an element's length is not minimally encoded")
		}
	}
	if n > len(s)-i {
		return tlv{}, "", errors.New("an element's length runs past the end of the data")
	}
	end := i + n
	return tlv{tag: s[0], content: s[i:end], full: s[:end]}, s[end:], nil
}

// hexForm returns the RFC 4514 hex form of a DER encoding: "#" and upper-case
// hex.
func hexForm(der string) string {
	return "#" + strings.ToUpper(hex.EncodeToString([]byte(der)))
}

// decodeValue returns the value that the DER encoding der stands for: the
// text of a character string, or its hex form when it is not a string this
// package can decode to NUL-free UTF-8.
func decodeValue(der string) (value string, isString bool) {
	t, _, err := readTLV(der)
	if err == nil {
		if v, ok := decodeString(t.tag, t.content); ok {
			return v, true
		}
	}
	return hexForm(der), false
}

// decodeString decodes the contents of a character string with the given
// tag. It reports false for other types, for contents that are not valid in
// the string type's character set as UTF-8 needs it, and for strings with
// NUL in them, which are shown in hex so that they cannot hide a suffix.
func decodeString(tag byte, content string) (string, bool) {
	var v string
	switch tag {
	case tagUTF8String:
		if !utf8.ValidString(content) {
			return "", false
		}
		v = content
	case tagPrintableString, tagIA5String, tagNumericString, tagVisibleString:
		// Decoded leniently as ASCII: what matters is that the text is
		// unambiguous, and DER writes the original bytes back anyway.
		if !isASCII(content) {
			return "", false
		}
		v = content
	case tagT61String:
		// Read as Latin-1, like crypto/x509 and BoringSSL.
		b := make([]byte, 0, len(content))
		for i := 0; i < len(content); i++ {
			b = utf8.AppendRune(b, rune(content[i]))
		}
		v = string(b)
	case tagBMPString:
		if len(content)%2 != 0 {
			return "", false
		}
		b := make([]byte, 0, len(content))
		for i := 0; i < len(content); i += 2 {
			r := rune(content[i])<<8 | rune(content[i+1])
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || i+3 >= len(content) {
					return "", false
				}
				r2 := rune(content[i+2])<<8 | rune(content[i+3])
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
				i += 2
			}
			b = utf8.AppendRune(b, r)
		}
		v = string(b)
	case tagUniversalString:
		if len(content)%4 != 0 {
			return "", false
		}
		b := make([]byte, 0, len(content))
		for i := 0; i < len(content); i += 4 {
			r := rune(content[i])<<24 | rune(content[i+1])<<16 | rune(content[i+2])<<8 | rune(content[i+3])
			if !utf8.ValidRune(r) {
				return "", false
			}
			b = utf8.AppendRune(b, r)
		}
		v = string(b)
	default:
		return "", false
	}
	if strings.IndexByte(v, 0) >= 0 {
		return "", false
	}
	return v, true
}

// FromDER decodes a DER-encoded X.501 name, such as a certificate's
// RawSubject or RawIssuer, into a Name in DER order.
//
// Character strings (UTF8String, PrintableString, IA5String, T61String read
// as Latin-1, BMPString, UniversalString, NumericString, VisibleString)
// become text. Anything else, including strings that would contain NUL or
// are not valid in their type, is kept as its DER encoding and shown in the
// RFC 4514 "#HEX" form, so String still writes something Parse reads back.
// Every value keeps its original encoding for DER.
//
// FromDER is strict about the DER framing (definite, minimal lengths, no
// trailing data, no empty RDNs) but lenient about the contents of strings,
// since certificates in the wild bend those rules. It does not require the
// members of a multi-valued RDN to be sorted, and keeps them in the order
// read. A name of more than 64 attributes, or whose String would be longer
// than the 4 KiB that Parse accepts, is refused. An empty SEQUENCE, the
// subject of a certificate that names its subject only in subjectAltName,
// gives an empty Name.
func FromDER(der []byte) (Name, error) {
	if len(der) == 0 {
		return nil, errors.New("dn: no data: pass the DER encoding of a name, such as a certificate's RawSubject")
	}
	if len(der) > maxDER {
		return nil, fmt.Errorf("dn: the name is %d bytes of DER; the limit is %d", len(der), maxDER)
	}
	if bytes.HasPrefix(der, []byte("-----BEGIN")) {
		return nil, errors.New("dn: this is PEM text, not DER: decode it with encoding/pem and pass the certificate's RawSubject or RawIssuer")
	}
	seq, rest, err := readTLV(string(der))
	if err != nil {
		return nil, fmt.Errorf("dn: not a DER-encoded name: %v", err)
	}
	if seq.tag != tagSequence {
		return nil, fmt.Errorf("dn: not a DER-encoded name: it starts with tag 0x%02X, not a SEQUENCE (0x30); pass a certificate's RawSubject or RawIssuer", seq.tag)
	}
	if rest != "" {
		return nil, fmt.Errorf("dn: %d bytes of unexpected data after the name", len(rest))
	}
	n := Name{}
	count := 0
	for body := seq.content; body != ""; {
		var set tlv
		set, body, err = readTLV(body)
		if err != nil {
			return nil, fmt.Errorf("dn: RDN %d: %v", len(n)+1, err)
		}
		if set.tag != tagSet {
			return nil, fmt.Errorf("dn: RDN %d is tag 0x%02X, not a SET (0x31); is this a whole certificate instead of its RawSubject?", len(n)+1, set.tag)
		}
		if set.content == "" {
			return nil, fmt.Errorf("dn: RDN %d is an empty SET; every RDN needs at least one attribute", len(n)+1)
		}
		var rdn RDN
		for members := set.content; members != ""; {
			if count++; count > maxAttributes {
				return nil, fmt.Errorf("dn: the name has more than %d attributes", maxAttributes)
			}
			var a Attribute
			a, members, err = readAttribute(members)
			if err != nil {
				return nil, fmt.Errorf("dn: RDN %d, attribute %d: %v", len(n)+1, len(rdn)+1, err)
			}
			rdn = append(rdn, a)
		}
		n = append(n, rdn)
	}
	if l := len(n.String()); l > maxLen {
		return nil, fmt.Errorf("dn: the name is %d bytes long as a string; the limit is %d", l, maxLen)
	}
	return n, nil
}

// readAttribute reads one AttributeTypeAndValue from the start of s.
func readAttribute(s string) (Attribute, string, error) {
	seq, rest, err := readTLV(s)
	if err != nil {
		return Attribute{}, "", err
	}
	if seq.tag != tagSequence {
		return Attribute{}, "", fmt.Errorf("tag 0x%02X is not a SEQUENCE (0x30) of type and value", seq.tag)
	}
	typ, value, err := readTLV(seq.content)
	if err != nil {
		return Attribute{}, "", err
	}
	if typ.tag != tagOID {
		return Attribute{}, "", fmt.Errorf("the attribute type is tag 0x%02X, not an OID (0x06)", typ.tag)
	}
	oid, err := decodeOID(typ.content)
	if err != nil {
		return Attribute{}, "", err
	}
	if value == "" {
		return Attribute{}, "", fmt.Errorf("attribute %s has no value", oid)
	}
	v, extra, err := readTLV(value)
	if err != nil {
		return Attribute{}, "", fmt.Errorf("value of %s: %v", oid, err)
	}
	if extra != "" {
		return Attribute{}, "", fmt.Errorf("attribute %s has %d bytes of unexpected data after its value", oid, len(extra))
	}
	text, _ := decodeValue(v.full)
	return Attribute{Type: oid, Value: text, der: v.full}, rest, nil
}
