package dn

import (
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what Parse and FromDER accept. Real subjects are a few hundred
// bytes and a dozen attributes; the limits keep hostile input cheap.
const (
	// maxLen is the longest string Parse reads, and the longest String a
	// Name from Parse or FromDER may have.
	maxLen = 4096
	// maxAttributes is the most attributes a Name from Parse or FromDER
	// may have.
	maxAttributes = 64
)

// SyntaxError describes a distinguished name that Parse cannot read: what is
// wrong, where, and how to fix it.
type SyntaxError struct {
	// Input is the string given to Parse.
	Input string
	// Offset is the byte offset in Input where the problem was found.
	Offset int
	// Msg says what is wrong, e.g. `unknown attribute type "CNN"`.
	Msg string
	// Hint says how to fix it, e.g. "use CN, O, OU, ..."; it may be empty.
	Hint string
}

// Error returns "dn: " + Msg + " at offset N" + ": " + Hint, leaving out the
// offset for an empty input and the hint when there is none.
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("dn: ")
	b.WriteString(e.Msg)
	if e.Input != "" {
		b.WriteString(" at offset ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Parse reads a distinguished name written the way people type subjects,
// most specific RDN first:
//
//	CN=my-app-auth, O=Contoso\, Ltd, OU=Identity, C=US
//
// and returns it in DER order (C first). It accepts RFC 4514 and the
// RFC 1779, .NET and Windows variants:
//
//   - RDNs are separated by "," or ";", the attributes of a multi-valued RDN
//     by "+"; white space around separators, "=" and "+" is ignored.
//   - Types are keywords, in any case: CN, C, L, S or ST, O, OU, T or TITLE,
//     STREET, DC, UID, E or EMAIL or EMAILADDRESS, SERIALNUMBER, G or GN or
//     GIVENNAME, SN or SURNAME, I or INITIALS, DNQ or DNQUALIFIER, POSTALCODE,
//     and the LDAP long names (commonName, organizationName, ...); or dotted
//     OIDs, bare (2.5.4.3) or in the .NET form OID.2.5.4.3.
//   - Values may be quoted ("Contoso, Ltd"), with \" or "" for a quote inside.
//     Outside and inside quotes, a backslash escapes one of , + " \ < > ; = #
//     and space, or introduces two hex digits giving one byte of UTF-8
//     (\C3\A9 is é). Unescaped white space at either end of an unquoted
//     value is not part of it.
//   - A value of "#" and hex digits is the hex of a DER-encoded value
//     (RFC 4514). A character string becomes its text; anything else is
//     kept as is and encoded verbatim by DER.
//
// Text values must be non-empty, UTF-8 and free of NUL. C must be two
// letters A-Z (ISO 3166). DC and E must be ASCII, since they are encoded as
// IA5String. Hex values are taken as given and are not checked against these
// rules. Parse accepts up to 4096 bytes and 64 attributes, and refuses a
// name whose String would be longer than 4096 bytes.
//
// Every error is a *SyntaxError giving the offset of the problem and how to
// fix it.
func Parse(s string) (Name, error) {
	p := &parser{in: s}
	if len(s) > maxLen {
		return nil, p.fail(maxLen, fmt.Sprintf("the limit is %d bytes", maxLen), "subject is %d bytes long", len(s))
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, p.fail(i, "the subject must be UTF-8 text", "invalid UTF-8")
		case r == 0:
			return nil, p.fail(i, "remove it; names cannot contain NUL characters", "NUL byte")
		}
		i += size
	}
	p.skipSpace()
	if p.eof() {
		return nil, p.fail(p.pos, "write it as CN=name", "subject is empty")
	}
	var rdns []RDN
	count := 0
	for {
		var rdn RDN
		for {
			if count == maxAttributes {
				return nil, p.fail(p.pos, "a distinguished name this long is almost certainly a mistake", "more than %d attributes", maxAttributes)
			}
			a, err := p.attribute()
			if err != nil {
				return nil, err
			}
			count++
			rdn = append(rdn, a)
			p.skipSpace()
			if p.eof() || p.in[p.pos] != '+' {
				break
			}
			if err := p.separator(); err != nil {
				return nil, err
			}
		}
		rdns = append(rdns, rdn)
		if p.eof() {
			break
		}
		if err := p.separator(); err != nil {
			return nil, err
		}
	}
	slices.Reverse(rdns)
	n := Name(rdns)
	if l := len(n.String()); l > maxLen {
		return nil, p.fail(0, fmt.Sprintf("the limit is %d bytes", maxLen), "subject is %d bytes long once written in canonical form", l)
	}
	return n, nil
}

// parser holds the state of Parse.
type parser struct {
	in  string
	pos int
}

// fail returns a *SyntaxError at offset off.
func (p *parser) fail(off int, hint, format string, args ...any) error {
	return &SyntaxError{Input: p.in, Offset: off, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

func (p *parser) eof() bool { return p.pos >= len(p.in) }

func (p *parser) skipSpace() {
	for !p.eof() && isSpace(p.in[p.pos]) {
		p.pos++
	}
}

// runeAt returns the character at offset i, as a string for messages.
func (p *parser) runeAt(i int) string {
	r, _ := utf8.DecodeRuneInString(p.in[i:])
	return string(r)
}

// separator consumes the ",", ";" or "+" at p.pos and the white space after
// it, and checks that something follows.
func (p *parser) separator() error {
	at := p.pos
	switch c := p.in[at]; c {
	case ',', ';', '+':
		p.pos++
		p.skipSpace()
		if p.eof() {
			return p.fail(at, "remove it, or add an attribute after it", "subject ends with %q", string(c))
		}
		return nil
	}
	// Values end only at a separator, so this is reached only after a
	// quoted or hex value, which check what follows them themselves.
	return p.fail(at, `separate RDNs with "," or ";" and the attributes of one RDN with "+"`, "unexpected %q", p.runeAt(at))
}

// isKeyChar reports whether c can be part of an attribute type.
func isKeyChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

// attribute reads one TYPE=value.
func (p *parser) attribute() (Attribute, error) {
	start := p.pos
	for !p.eof() && isKeyChar(p.in[p.pos]) {
		p.pos++
	}
	tok := p.in[start:p.pos]
	if tok == "" {
		switch c := p.in[start]; c {
		case '=':
			return Attribute{}, p.fail(start, "write TYPE=value, e.g. CN=name", "missing attribute type before \"=\"")
		case ',', ';', '+':
			return Attribute{}, p.fail(start, "remove the extra separator", "unexpected %q where an attribute should start", string(c))
		case '/':
			if start == 0 {
				return Attribute{}, p.fail(start, "this looks like OpenSSL's -subj form /C=US/O=x/CN=y; write it as CN=y, O=x, C=US", "unexpected \"/\" where an attribute type should start")
			}
		}
		return Attribute{}, p.fail(start, "start each attribute with a type such as CN, O or C, then \"=\"", "unexpected %q where an attribute type should start", p.runeAt(start))
	}
	p.skipSpace()
	if p.eof() || p.in[p.pos] != '=' {
		hint := "write attributes as TYPE=value, e.g. CN=my-app"
		if _, known := byKeyword[strings.ToUpper(tok)]; known {
			hint = fmt.Sprintf("write %s=value", tok)
		}
		return Attribute{}, p.fail(p.pos, hint, "missing \"=\" after %q", tok)
	}
	oid, err := p.attributeType(tok, start)
	if err != nil {
		return Attribute{}, err
	}
	p.pos++ // "="
	p.skipSpace()
	at := p.pos
	if p.eof() || strings.IndexByte(",;+", p.in[p.pos]) >= 0 {
		return Attribute{}, p.fail(at, fmt.Sprintf("write %s=name", tok), "empty value for %s", tok)
	}
	var value []byte
	switch p.in[p.pos] {
	case '#':
		return p.hexValue(tok, oid)
	case '"':
		value, err = p.quotedValue()
	default:
		value, err = p.plainValue()
	}
	if err != nil {
		return Attribute{}, err
	}
	if err := p.checkText(tok, oid, value, at); err != nil {
		return Attribute{}, err
	}
	return Attribute{Type: oid, Value: string(value)}, nil
}

// attributeType resolves a keyword or OID that starts at offset start.
func (p *parser) attributeType(tok string, start int) (asn1.ObjectIdentifier, error) {
	const oidHint = "write a dotted OID like 2.5.4.3 or OID.2.5.4.3: at least two arcs, the first 0, 1 or 2, no empty or zero-padded arcs"
	upper := strings.ToUpper(tok)
	if dotted, ok := strings.CutPrefix(upper, "OID."); ok {
		if oid, ok := parseDottedOID(dotted); ok {
			return oid, nil
		}
		return nil, p.fail(start, oidHint, "invalid OID %q", tok)
	}
	if '0' <= tok[0] && tok[0] <= '9' {
		if oid, ok := parseDottedOID(tok); ok {
			return oid, nil
		}
		return nil, p.fail(start, oidHint, "invalid OID %q", tok)
	}
	if t, ok := byKeyword[upper]; ok {
		return slices.Clone(t.oid), nil
	}
	hint := "use " + knownKeywords + " or a dotted OID like 2.5.4.3"
	if s := suggest(upper); s != "" {
		hint = "did you mean " + s + "? Use " + knownKeywords + " or a dotted OID like 2.5.4.3"
	}
	return nil, p.fail(start, hint, "unknown attribute type %q", tok)
}

// suggest returns the keyword that the unknown upper-case keyword tok is
// one edit away from, or "" when there is none or more than one type.
func suggest(tok string) string {
	var found string
	var foundType *attrType
	for k, t := range byKeyword {
		if editDistanceOne(tok, k) {
			if foundType != nil && foundType != t {
				return ""
			}
			if found == "" || k < found {
				found = k
			}
			foundType = t
		}
	}
	return found
}

// editDistanceOne reports whether a and b differ by exactly one inserted,
// deleted or replaced byte.
func editDistanceOne(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 || a == b {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

// parseDottedOID parses "2.5.4.3".
func parseDottedOID(s string) (asn1.ObjectIdentifier, bool) {
	var oid asn1.ObjectIdentifier
	for arc := range strings.SplitSeq(s, ".") {
		if arc == "" || len(arc) > 10 || (len(arc) > 1 && arc[0] == '0') {
			return nil, false
		}
		var v int64
		for i := 0; i < len(arc); i++ {
			if arc[i] < '0' || arc[i] > '9' {
				return nil, false
			}
			v = v*10 + int64(arc[i]-'0')
		}
		if v > math.MaxInt32 {
			return nil, false
		}
		oid = append(oid, int(v))
	}
	return oid, validOID(oid)
}

// escape reads the backslash escape at p.pos and returns the byte it stands
// for.
func (p *parser) escape() (byte, error) {
	at := p.pos
	const hint = `escape special characters as \, \+ \; \" \\ \< \> \= \# or "\ ", and other bytes as two hex digits, e.g. \C3\A9 for é`
	if at+1 >= len(p.in) {
		return 0, p.fail(at, hint, "bad escape %q at the end of the subject", `\`)
	}
	c := p.in[at+1]
	if at+2 < len(p.in) && isHex(c) && isHex(p.in[at+2]) {
		p.pos += 3
		b, _ := hex.DecodeString(p.in[at+1 : at+3])
		return b[0], nil
	}
	if strings.IndexByte(`,+"\<>;=# `, c) >= 0 {
		p.pos += 2
		return c, nil
	}
	return 0, p.fail(at, hint, "bad escape %q", `\`+p.runeAt(at+1))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// plainValue reads an unquoted value up to the next separator, dropping
// unescaped white space at its end.
func (p *parser) plainValue() ([]byte, error) {
	var v []byte
	keep := 0 // length of v up to its last significant byte
	for !p.eof() {
		c := p.in[p.pos]
		if c == ',' || c == ';' || c == '+' {
			break
		}
		if c == '\\' {
			b, err := p.escape()
			if err != nil {
				return nil, err
			}
			v = append(v, b)
			keep = len(v)
			continue
		}
		v = append(v, c)
		p.pos++
		if !isSpace(c) {
			keep = len(v)
		}
	}
	return v[:keep], nil
}

// quotedValue reads a value in double quotes and checks what follows it.
func (p *parser) quotedValue() ([]byte, error) {
	open := p.pos
	p.pos++
	var v []byte
	for {
		if p.eof() {
			return nil, p.fail(open, `add the closing quote; write "" or \" for a quote inside the value`, "unterminated quoted value")
		}
		c := p.in[p.pos]
		if c == '"' {
			if p.pos+1 < len(p.in) && p.in[p.pos+1] == '"' {
				v = append(v, '"')
				p.pos += 2
				continue
			}
			p.pos++
			break
		}
		if c == '\\' {
			b, err := p.escape()
			if err != nil {
				return nil, err
			}
			v = append(v, b)
			continue
		}
		v = append(v, c)
		p.pos++
	}
	p.skipSpace()
	if !p.eof() && strings.IndexByte(",;+", p.in[p.pos]) < 0 {
		return nil, p.fail(p.pos, `put the whole value inside the quotes, and separate attributes with "," or "+"`, "unexpected %q after a quoted value", p.runeAt(p.pos))
	}
	return v, nil
}

// hexValue reads a #hex value for attribute tok of type oid.
func (p *parser) hexValue(tok string, oid asn1.ObjectIdentifier) (Attribute, error) {
	const hint = `a value starting with # must be the hex of one DER-encoded value (RFC 4514), e.g. #0C03616263 for the UTF8String "abc"; for a literal #, write \# or quote the value`
	start := p.pos
	p.pos++
	for !p.eof() && isHex(p.in[p.pos]) {
		p.pos++
	}
	digits := p.in[start+1 : p.pos]
	p.skipSpace()
	if !p.eof() && strings.IndexByte(",;+", p.in[p.pos]) < 0 {
		return Attribute{}, p.fail(p.pos, hint, "unexpected %q in the hex value of %s", p.runeAt(p.pos), tok)
	}
	if digits == "" {
		return Attribute{}, p.fail(start, hint, "empty hex value for %s", tok)
	}
	if len(digits)%2 != 0 {
		return Attribute{}, p.fail(start, hint, "hex value for %s has an odd number of digits", tok)
	}
	der, _ := hex.DecodeString(digits)
	t, rest, err := readTLV(string(der))
	if err != nil {
		return Attribute{}, p.fail(start, hint, "hex value for %s is not DER: %v", tok, err)
	}
	if rest != "" {
		return Attribute{}, p.fail(start, hint, "hex value for %s has %d bytes after its DER value", tok, len(rest))
	}
	v, _ := decodeValue(t.full)
	return Attribute{Type: oid, Value: v, der: t.full}, nil
}

// checkText applies the rules for text values to v, the value of attribute
// tok of type oid that starts at offset at.
func (p *parser) checkText(tok string, oid asn1.ObjectIdentifier, v []byte, at int) error {
	if len(v) == 0 {
		return p.fail(at, fmt.Sprintf("write %s=name", tok), "empty value for %s", tok)
	}
	if !utf8.Valid(v) {
		return p.fail(at, `hex escapes must spell whole UTF-8 characters, e.g. \C3\A9 for é`, "value for %s is not valid UTF-8 once its \\XX escapes are decoded", tok)
	}
	if slices.Contains(v, 0) {
		return p.fail(at, "remove the \\00 escape; names cannot contain NUL characters", "value for %s contains NUL", tok)
	}
	switch ruleOf(oid) {
	case countryCode:
		if !isCountryCode(string(v)) {
			return p.fail(at, "C must be exactly two letters A-Z, an ISO 3166 country code such as US, GB or DE", "invalid country %q", v)
		}
	case ia5:
		if !isASCII(string(v)) {
			hint := "write the address in ASCII"
			if typeName(oid) == "DC" {
				hint = "write international domain labels in their ASCII (xn--) form"
			}
			return p.fail(at, hint, "value for %s must be ASCII, because it is encoded as IA5String", tok)
		}
	}
	return nil
}
