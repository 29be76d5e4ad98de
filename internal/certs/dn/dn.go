package dn

import (
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Object identifiers of the attribute types Parse knows by keyword. They are
// variables only because Go has no constant slices: do not modify them. The
// package keeps its own copies, so a modified variable does not change how
// names are parsed or written.
var (
	CommonName         = asn1.ObjectIdentifier{2, 5, 4, 3}                       // CN
	Surname            = asn1.ObjectIdentifier{2, 5, 4, 4}                       // SN, SURNAME
	SerialNumber       = asn1.ObjectIdentifier{2, 5, 4, 5}                       // SERIALNUMBER
	Country            = asn1.ObjectIdentifier{2, 5, 4, 6}                       // C
	Locality           = asn1.ObjectIdentifier{2, 5, 4, 7}                       // L
	State              = asn1.ObjectIdentifier{2, 5, 4, 8}                       // S, ST
	StreetAddress      = asn1.ObjectIdentifier{2, 5, 4, 9}                       // STREET
	Organization       = asn1.ObjectIdentifier{2, 5, 4, 10}                      // O
	OrganizationalUnit = asn1.ObjectIdentifier{2, 5, 4, 11}                      // OU
	Title              = asn1.ObjectIdentifier{2, 5, 4, 12}                      // T, TITLE
	PostalCode         = asn1.ObjectIdentifier{2, 5, 4, 17}                      // POSTALCODE
	GivenName          = asn1.ObjectIdentifier{2, 5, 4, 42}                      // G, GN, GIVENNAME
	Initials           = asn1.ObjectIdentifier{2, 5, 4, 43}                      // I, INITIALS
	DNQualifier        = asn1.ObjectIdentifier{2, 5, 4, 46}                      // DNQ, DNQUALIFIER
	DomainComponent    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25} // DC
	UserID             = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}  // UID
	EmailAddress       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}       // E, EMAIL, EMAILADDRESS
)

// Attribute is one attribute type and value of a relative distinguished name,
// such as CN=my-app-auth.
//
// Value is the text of the value. When the value was read from DER (FromDER,
// or a #hex value in Parse) and is not a character string the package can
// decode, Value holds its RFC 4514 hex form, "#" followed by the upper-case hex
// of the DER encoding (for example "#04024869" for an OCTET STRING), and the
// original encoding is kept.
//
// A value read from DER also keeps its original string type (UTF8String,
// BMPString, T61String, ...) for as long as Value is left unchanged, so DER
// writes back the bytes it read. Setting Value to something else makes DER
// choose the string type afresh.
type Attribute struct {
	// Type identifies the attribute, e.g. CommonName (2.5.4.3).
	Type asn1.ObjectIdentifier
	// Value is the attribute's value as text; see the type's documentation
	// for values that are not strings.
	Value string

	// der is the DER encoding (tag, length and contents) the value was read
	// from, or "" for a value that came from text. It is used only while
	// Value still equals what der decodes to.
	der string
}

// RDN is a relative distinguished name: one or more attributes that together
// name one level of the hierarchy. It has more than one attribute when it is
// multi-valued, as in "CN=a+UID=b". The order of the attributes does not
// matter for Equal; DER sorts them as DER requires.
type RDN []Attribute

// Name is a distinguished name as a sequence of RDNs in DER order: the most
// significant RDN first (C, O, ..., CN). That is the reverse of the order of
// the string form, so Parse("CN=a, O=b, C=US") returns
//
//	Name{
//		{{Type: Country, Value: "US"}},
//		{{Type: Organization, Value: "b"}},
//		{{Type: CommonName, Value: "a"}},
//	}
type Name []RDN

// rule says how an attribute's value is encoded and which values are valid.
type rule int

const (
	// directoryString values are PrintableString when possible, else
	// UTF8String.
	directoryString rule = iota
	// countryCode values are two letters A-Z as a PrintableString.
	countryCode
	// ia5 values are ASCII, encoded as IA5String.
	ia5
)

// attrType describes an attribute type the package knows by keyword.
type attrType struct {
	oid asn1.ObjectIdentifier
	// name is the keyword String writes: the one .NET's
	// X500DistinguishedName.Name uses where there is one.
	name string
	// keywords are the upper-case keywords Parse accepts, name included.
	keywords []string
	rule     rule
}

// attrTypes is the package's own table, with copies of the exported OIDs so
// that callers changing those variables cannot change parsing.
var attrTypes = []attrType{
	{slices.Clone(CommonName), "CN", []string{"CN", "COMMONNAME"}, directoryString},
	{slices.Clone(Organization), "O", []string{"O", "ORGANIZATIONNAME"}, directoryString},
	{slices.Clone(OrganizationalUnit), "OU", []string{"OU", "ORGANIZATIONALUNITNAME"}, directoryString},
	{slices.Clone(Country), "C", []string{"C", "COUNTRYNAME"}, countryCode},
	{slices.Clone(Locality), "L", []string{"L", "LOCALITYNAME"}, directoryString},
	{slices.Clone(State), "S", []string{"S", "ST", "STATEORPROVINCENAME"}, directoryString},
	{slices.Clone(StreetAddress), "STREET", []string{"STREET", "STREETADDRESS"}, directoryString},
	{slices.Clone(DomainComponent), "DC", []string{"DC", "DOMAINCOMPONENT"}, ia5},
	{slices.Clone(UserID), "UID", []string{"UID", "USERID"}, directoryString},
	{slices.Clone(EmailAddress), "E", []string{"E", "EMAIL", "EMAILADDRESS"}, ia5},
	{slices.Clone(SerialNumber), "SERIALNUMBER", []string{"SERIALNUMBER"}, directoryString},
	{slices.Clone(Title), "T", []string{"T", "TITLE"}, directoryString},
	{slices.Clone(GivenName), "G", []string{"G", "GN", "GIVENNAME"}, directoryString},
	{slices.Clone(Surname), "SN", []string{"SN", "SURNAME"}, directoryString},
	{slices.Clone(Initials), "I", []string{"I", "INITIALS"}, directoryString},
	{slices.Clone(DNQualifier), "dnQualifier", []string{"DNQ", "DNQUALIFIER"}, directoryString},
	{slices.Clone(PostalCode), "PostalCode", []string{"POSTALCODE"}, directoryString},
}

// knownKeywords is the list of keywords quoted in error messages.
const knownKeywords = "CN, O, OU, C, L, ST, STREET, DC, UID, E, SERIALNUMBER, T, G, SN, I, DNQ, POSTALCODE"

// byKeyword maps every upper-case keyword to its entry in attrTypes.
var byKeyword = func() map[string]*attrType {
	m := make(map[string]*attrType)
	for i := range attrTypes {
		for _, k := range attrTypes[i].keywords {
			m[k] = &attrTypes[i]
		}
	}
	return m
}()

// lookupOID returns the table entry for oid, or nil for an unknown type.
func lookupOID(oid asn1.ObjectIdentifier) *attrType {
	for i := range attrTypes {
		if attrTypes[i].oid.Equal(oid) {
			return &attrTypes[i]
		}
	}
	return nil
}

// ruleOf returns the encoding rule for values of type oid.
func ruleOf(oid asn1.ObjectIdentifier) rule {
	if t := lookupOID(oid); t != nil {
		return t.rule
	}
	return directoryString
}

// typeName returns the keyword String writes for oid: a short name for the
// known types and the .NET/Windows "OID.1.2.3" form for the others.
func typeName(oid asn1.ObjectIdentifier) string {
	if t := lookupOID(oid); t != nil {
		return t.name
	}
	return "OID." + oid.String()
}

// fresh reports whether a still holds the value its DER encoding was read as
// (ok), and if so whether that value is a character string.
func (a Attribute) fresh() (isString, ok bool) {
	if a.der == "" {
		return false, false
	}
	v, isString := decodeValue(a.der)
	if v != a.Value {
		return false, false
	}
	return isString, true
}

// isRaw reports whether a is a value that is not a character string and is
// held as its DER encoding.
func (a Attribute) isRaw() bool {
	isString, ok := a.fresh()
	return ok && !isString
}

// String returns the name in the order it is usually written, least
// significant RDN first, like .NET's X500DistinguishedName.Name:
//
//	CN=my-app-auth, O="Contoso, Ltd", C=US
//
// RDNs are separated by ", " and the attributes of a multi-valued RDN by
// " + ". Known types are written by keyword (CN, O, OU, C, L, S, STREET, DC,
// UID, E, SERIALNUMBER, T, G, SN, I, dnQualifier, PostalCode), others as
// OID.1.2.3. A value is quoted the Windows way when it has leading or
// trailing white space, a control character or one of , + = " \ < > # ;
// in it; inside quotes a " is doubled and a \ is written \\. Values that are
// not character strings are written as "#" and the hex of their DER
// encoding (RFC 4514), and so are strings Parse would refuse as text, such
// as a country code that is not two letters A-Z.
//
// Parse(n.String()) returns a Name Equal to n, with the same String, for
// every non-empty Name returned by Parse or FromDER. A hand-built Name whose
// values are empty, contain NUL or are not UTF-8 is written as well as
// possible, but Parse refuses the result. An empty Name gives "".
func (n Name) String() string {
	var b strings.Builder
	for i := len(n) - 1; i >= 0; i-- {
		if i != len(n)-1 {
			b.WriteString(", ")
		}
		for j, a := range n[i] {
			if j > 0 {
				b.WriteString(" + ")
			}
			b.WriteString(typeName(a.Type))
			b.WriteByte('=')
			writeValue(&b, a)
		}
	}
	return b.String()
}

// writeValue writes a's value as String does.
func writeValue(b *strings.Builder, a Attribute) {
	isString, fromDER := a.fresh()
	switch {
	case fromDER && !isString:
		b.WriteString(a.Value) // already "#HEX"
	case textOK(a.Type, a.Value):
		writeText(b, a.Value)
	case fromDER:
		b.WriteString(hexForm(a.der))
	default:
		// A hand-built value that Parse would refuse as text. Give it a
		// DER encoding if it has one, so that it still round-trips.
		if der, err := encodeString(a.Type, a.Value, true); err == nil {
			b.WriteString(hexForm(string(der)))
		} else {
			writeText(b, a.Value)
		}
	}
}

// writeText writes a string value, quoted when it needs to be.
func writeText(b *strings.Builder, v string) {
	if !needsQuotes(v) {
		b.WriteString(v)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"':
			b.WriteString(`""`)
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// needsQuotes reports whether a string value must be quoted to be read back
// by Parse, or would be quoted by Windows' CertNameToStr.
func needsQuotes(v string) bool {
	if v == "" || isSpace(v[0]) || isSpace(v[len(v)-1]) {
		return true
	}
	for _, r := range v {
		switch r {
		case ',', '+', '=', '"', '\\', '<', '>', '#', ';':
			return true
		}
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// textOK reports whether Parse accepts v as the text value of an attribute
// of type oid, so that String can write it as text.
func textOK(oid asn1.ObjectIdentifier, v string) bool {
	if v == "" || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return false
	}
	switch ruleOf(oid) {
	case countryCode:
		return isCountryCode(v)
	case ia5:
		return isASCII(v)
	}
	return true
}

// isCountryCode reports whether v is two letters A-Z.
func isCountryCode(v string) bool {
	return len(v) == 2 && 'A' <= v[0] && v[0] <= 'Z' && 'A' <= v[1] && v[1] <= 'Z'
}

// isASCII reports whether every byte of v is below 0x80.
func isASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isSpace reports whether c is white space that Parse ignores around
// separators, "=" and values.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// Equal reports whether n and m name the same entity, for finding a
// certificate by subject. It is a pragmatic subset of the RFC 4518 matching
// rules: the RDNs must match one for one in the same order; inside an RDN the
// attributes may be in any order; types match by OID; string values match
// case-insensitively (Unicode simple case folding) after leading and trailing
// white space is removed and inner runs of white space are collapsed to one
// space. Values that are not character strings match only when their DER
// encodings are identical. The string type a value was encoded with does not
// matter.
func (n Name) Equal(m Name) bool {
	if len(n) != len(m) {
		return false
	}
	for i := range n {
		if !rdnEqual(n[i], m[i]) {
			return false
		}
	}
	return true
}

// rdnEqual reports whether a and b hold matching attributes, in any order.
// Attribute matching is an equivalence relation, so pairing each attribute
// of a with the first unused match in b is enough.
func rdnEqual(a, b RDN) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
next:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && attributeEqual(x, y) {
				used[j] = true
				continue next
			}
		}
		return false
	}
	return true
}

// attributeEqual reports whether x and y match as Equal describes.
func attributeEqual(x, y Attribute) bool {
	if !x.Type.Equal(y.Type) {
		return false
	}
	xRaw, yRaw := x.isRaw(), y.isRaw()
	if xRaw || yRaw {
		return xRaw && yRaw && x.der == y.der
	}
	return strings.EqualFold(normalizeSpace(x.Value), normalizeSpace(y.Value))
}

// normalizeSpace trims v and collapses its inner white space runs.
func normalizeSpace(v string) string {
	return strings.Join(strings.Fields(v), " ")
}

// Get returns the values of every attribute of type t, in the Name's order
// (most significant first, so the most specific CN is the last one), or nil
// when there is none. Values that are not character strings are returned in
// their "#HEX" form.
func (n Name) Get(t asn1.ObjectIdentifier) []string {
	var values []string
	for _, rdn := range n {
		for _, a := range rdn {
			if a.Type.Equal(t) {
				values = append(values, a.Value)
			}
		}
	}
	return values
}

// CheckStrings reports an error when a value is not a character string (a
// "#hex" value holding, say, an OCTET STRING). Such names can be read and
// printed, but certificate parsers, Go's among them, refuse them, so a
// subject for a new certificate must pass this check.
func (n Name) CheckStrings() error {
	for _, rdn := range n {
		for _, a := range rdn {
			if a.isRaw() {
				return fmt.Errorf("dn: the %s value %s is not a character string, and certificates need one: write the text itself (e.g. %s=my-app-auth)", typeName(a.Type), a.Value, typeName(a.Type))
			}
		}
	}
	return nil
}
