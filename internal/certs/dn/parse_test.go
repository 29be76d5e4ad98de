package dn_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/certs/dn"
)

// flat lists a Name's RDNs in DER order as "OID=value" strings, with the
// attributes of a multi-valued RDN joined by " + ".
func flat(n dn.Name) []string {
	var out []string
	for _, rdn := range n {
		var parts []string
		for _, a := range rdn {
			parts = append(parts, a.Type.String()+"="+a.Value)
		}
		out = append(out, strings.Join(parts, " + "))
	}
	return out
}

// mustParse parses s or fails the test.
func mustParse(t *testing.T, s string) dn.Name {
	t.Helper()
	n, err := dn.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return n
}

// parseTests are inputs Parse must accept: want is the Name in DER order as
// flat gives it, str what String writes. TestDERX509 also uses them: derStr
// is what String writes after a trip through DER when that differs from str
// (DER sorts multi-valued RDNs), and noX509 marks names that crypto/x509
// refuses to parse because they hold values that are not strings.
var parseTests = []struct {
	name   string
	in     string
	want   []string
	str    string
	derStr string
	noX509 bool
}{
	{
		name: "brief example with escaped comma",
		in:   `CN=my-app-auth, O=Contoso\, Ltd, OU=Identity, C=US`,
		want: []string{"2.5.4.6=US", "2.5.4.11=Identity", "2.5.4.10=Contoso, Ltd", "2.5.4.3=my-app-auth"},
		str:  `CN=my-app-auth, O="Contoso, Ltd", OU=Identity, C=US`,
	},
	{
		name: "quoted value",
		in:   `CN=my-app-auth, O="Contoso, Ltd", C=US`,
		want: []string{"2.5.4.6=US", "2.5.4.10=Contoso, Ltd", "2.5.4.3=my-app-auth"},
		str:  `CN=my-app-auth, O="Contoso, Ltd", C=US`,
	},
	{
		name: "semicolons and no spaces",
		in:   "CN=a;O=b ; C=US",
		want: []string{"2.5.4.6=US", "2.5.4.10=b", "2.5.4.3=a"},
		str:  "CN=a, O=b, C=US",
	},
	{
		name: "commas without spaces",
		in:   "CN=a,O=b",
		want: []string{"2.5.4.10=b", "2.5.4.3=a"},
		str:  "CN=a, O=b",
	},
	{
		name: "white space everywhere",
		in:   "  CN = a + UID = b ,\tO = c \n",
		want: []string{"2.5.4.10=c", "2.5.4.3=a + 0.9.2342.19200300.100.1.1=b"},
		str:  "CN=a + UID=b, O=c",
	},
	{
		name: "multi-valued RDN",
		in:   "CN=a+UID=b, O=c",
		want: []string{"2.5.4.10=c", "2.5.4.3=a + 0.9.2342.19200300.100.1.1=b"},
		str:  "CN=a + UID=b, O=c",
	},
	{
		name:   "multi-valued RDN of three with the same type twice",
		in:     "OU=x+OU=y+CN=z",
		want:   []string{"2.5.4.11=x + 2.5.4.11=y + 2.5.4.3=z"},
		str:    "OU=x + OU=y + CN=z",
		derStr: "CN=z + OU=x + OU=y",
	},
	{
		name: "lower-case keywords",
		in:   "cn=a, o=b, ou=c, c=US",
		want: []string{"2.5.4.6=US", "2.5.4.11=c", "2.5.4.10=b", "2.5.4.3=a"},
		str:  "CN=a, O=b, OU=c, C=US",
	},
	{
		name: "every keyword",
		in: "CN=1, C=US, L=2, S=3, ST=4, O=5, OU=6, T=7, TITLE=8, STREET=9, DC=10, UID=11, E=12, EMAIL=13, " +
			"EMAILADDRESS=14, SERIALNUMBER=15, G=16, GN=17, GIVENNAME=18, SN=19, SURNAME=20, I=21, INITIALS=22, " +
			"DNQ=23, DNQUALIFIER=24, POSTALCODE=25",
		want: []string{
			"2.5.4.17=25", "2.5.4.46=24", "2.5.4.46=23", "2.5.4.43=22", "2.5.4.43=21", "2.5.4.4=20", "2.5.4.4=19",
			"2.5.4.42=18", "2.5.4.42=17", "2.5.4.42=16", "2.5.4.5=15", "1.2.840.113549.1.9.1=14",
			"1.2.840.113549.1.9.1=13", "1.2.840.113549.1.9.1=12", "0.9.2342.19200300.100.1.1=11",
			"0.9.2342.19200300.100.1.25=10", "2.5.4.9=9", "2.5.4.12=8", "2.5.4.12=7", "2.5.4.11=6", "2.5.4.10=5",
			"2.5.4.8=4", "2.5.4.8=3", "2.5.4.7=2", "2.5.4.6=US", "2.5.4.3=1",
		},
		str: "CN=1, C=US, L=2, S=3, S=4, O=5, OU=6, T=7, T=8, STREET=9, DC=10, UID=11, E=12, E=13, E=14, " +
			"SERIALNUMBER=15, G=16, G=17, G=18, SN=19, SN=20, I=21, I=22, dnQualifier=23, dnQualifier=24, PostalCode=25",
	},
	{
		name: "LDAP long names",
		in:   "commonName=a, organizationalUnitName=b, organizationName=c, localityName=d, stateOrProvinceName=e, countryName=US",
		want: []string{"2.5.4.6=US", "2.5.4.8=e", "2.5.4.7=d", "2.5.4.10=c", "2.5.4.11=b", "2.5.4.3=a"},
		str:  "CN=a, OU=b, O=c, L=d, S=e, C=US",
	},
	{
		name: "dotted OIDs",
		in:   "2.5.4.3=a, OID.2.5.4.10=b, oid.1.2.3.4=c, 2.999.4294967=d",
		want: []string{"2.999.4294967=d", "1.2.3.4=c", "2.5.4.10=b", "2.5.4.3=a"},
		str:  "CN=a, O=b, OID.1.2.3.4=c, OID.2.999.4294967=d",
	},
	{
		name: "backslash escapes",
		in:   `CN=a\+b\;c\"d\\e\<f\>g\=h\#i\,j`,
		want: []string{`2.5.4.3=a+b;c"d\e<f>g=h#i,j`},
		str:  `CN="a+b;c""d\\e<f>g=h#i,j"`,
	},
	{
		name: "escaped spaces at both ends are kept",
		in:   `CN=\ a\ ,O=  b  `,
		want: []string{"2.5.4.10=b", "2.5.4.3= a "},
		str:  `CN=" a ", O=b`,
	},
	{
		name: "escaped leading hash",
		in:   `CN=\#1 fan`,
		want: []string{"2.5.4.3=#1 fan"},
		str:  `CN="#1 fan"`,
	},
	{
		name: "hex pair escapes are UTF-8 bytes",
		in:   `CN=Jos\C3\A9, O=M\c3\bcller`,
		want: []string{"2.5.4.10=Müller", "2.5.4.3=José"},
		str:  "CN=José, O=Müller",
	},
	{
		name: "hex pair escape of a special character",
		in:   `CN=a\2Cb`,
		want: []string{"2.5.4.3=a,b"},
		str:  `CN="a,b"`,
	},
	{
		name: "Unicode text",
		in:   "CN=Zoë Ångström, O=株式会社コントソ, L=Zürich, C=CH",
		want: []string{"2.5.4.6=CH", "2.5.4.7=Zürich", "2.5.4.10=株式会社コントソ", "2.5.4.3=Zoë Ångström"},
		str:  "CN=Zoë Ångström, O=株式会社コントソ, L=Zürich, C=CH",
	},
	{
		name: "hex value of a UTF8String",
		in:   "CN=#0C03616263",
		want: []string{"2.5.4.3=abc"},
		str:  "CN=abc",
	},
	{
		name: "hex value of a PrintableString, lower-case digits, then spaces",
		in:   "CN=#130161  , O=b",
		want: []string{"2.5.4.10=b", "2.5.4.3=a"},
		str:  "CN=a, O=b",
	},
	{
		name:   "hex value that is not a string",
		in:     "1.3.6.1.4.1.1466.0=#04024869",
		want:   []string{"1.3.6.1.4.1.1466.0=#04024869"},
		str:    "OID.1.3.6.1.4.1.1466.0=#04024869",
		noX509: true,
	},
	{
		name:   "hex value that is not a string, lower case",
		in:     "CN=#0403abcdef",
		want:   []string{"2.5.4.3=#0403ABCDEF"},
		str:    "CN=#0403ABCDEF",
		noX509: true,
	},
	{
		name: "hex value escapes the country rule",
		in:   "C=#1303555341",
		want: []string{"2.5.4.6=USA"},
		str:  "C=#1303555341",
	},
	{
		name: "doubled quotes inside quotes (Windows)",
		in:   `CN="Bob ""Gage"""`,
		want: []string{`2.5.4.3=Bob "Gage"`},
		str:  `CN="Bob ""Gage"""`,
	},
	{
		name: "backslash quote inside quotes (RFC 1779)",
		in:   `CN="a\"b", O="c\\d"`,
		want: []string{`2.5.4.10=c\d`, `2.5.4.3=a"b`},
		str:  `CN="a""b", O="c\\d"`,
	},
	{
		name: "quoted value keeps its spaces and special characters",
		in:   `CN="  padded; +=<> # "  ,  O = "x"`,
		want: []string{"2.5.4.10=x", "2.5.4.3=  padded; +=<> # "},
		str:  `CN="  padded; +=<> # ", O=x`,
	},
	{
		name: "inner white space is kept",
		in:   "CN=a   b\tc",
		want: []string{"2.5.4.3=a   b\tc"},
		str:  "CN=\"a   b\tc\"",
	},
	{
		name: "unescaped = and quotes inside a value",
		in:   `CN=a=b, O=say "hi"`,
		want: []string{`2.5.4.10=say "hi"`, "2.5.4.3=a=b"},
		str:  `CN="a=b", O="say ""hi"""`,
	},
	{
		name: "domain components",
		in:   "CN=Administrator, CN=Users, DC=contoso, DC=com",
		want: []string{"0.9.2342.19200300.100.1.25=com", "0.9.2342.19200300.100.1.25=contoso", "2.5.4.3=Users", "2.5.4.3=Administrator"},
		str:  "CN=Administrator, CN=Users, DC=contoso, DC=com",
	},
	{
		name: "email address",
		in:   "E=admin@contoso.com, CN=admin",
		want: []string{"2.5.4.3=admin", "1.2.840.113549.1.9.1=admin@contoso.com"},
		str:  "E=admin@contoso.com, CN=admin",
	},
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := dn.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := flat(n); !slices.Equal(got, tt.want) {
				t.Errorf("Parse(%q) =\n  %q\nwant\n  %q", tt.in, got, tt.want)
			}
			if got := n.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
		})
	}
}

// parseErrorTests are inputs Parse must refuse, with the message, offset and
// part of the hint of the *SyntaxError.
var parseErrorTests = []struct {
	name   string
	in     string
	msg    string
	offset int
	hint   string
}{
	{"empty", "", "subject is empty", 0, "write it as CN=name"},
	{"only spaces", "   ", "subject is empty", 3, "write it as CN=name"},
	{"unknown type with suggestion", "CNN=x", `unknown attribute type "CNN"`, 0, "did you mean CN? Use CN, O, OU, C, L, ST,"},
	{"unknown type", "Foo=x, CN=a", `unknown attribute type "Foo"`, 0, "or a dotted OID like 2.5.4.3"},
	{"unknown type later", "CN=a, ORG=b", `unknown attribute type "ORG"`, 6, "use CN, O, OU"},
	{"missing equals at end", "CN", `missing "=" after "CN"`, 2, "write CN=value"},
	{"missing equals before value", "CN my-app", `missing "=" after "CN"`, 3, "write CN=value"},
	{"type with a space in it", "Common Name=x", `missing "=" after "Common"`, 7, "write attributes as TYPE=value, e.g. CN=my-app"},
	{"just a name", "my-app", `missing "=" after "my-app"`, 6, "write attributes as TYPE=value, e.g. CN=my-app"},
	{"OpenSSL -subj form", "/C=US/O=x/CN=y", `unexpected "/" where an attribute type should start`, 0, "write it as CN=y, O=x, C=US"},
	{"missing type", "=a", `missing attribute type before "="`, 0, "write TYPE=value"},
	{"missing type after separator", "CN=a, =b", `missing attribute type before "="`, 6, "write TYPE=value"},
	{"bad character for a type", "CN=a, *=b", `unexpected "*" where an attribute type should start`, 6, "such as CN"},
	{"empty value at end", "CN=", "empty value for CN", 3, "write CN=name"},
	{"empty value before separator", "CN= ,O=x", "empty value for CN", 4, "write CN=name"},
	{"empty value before plus", "cn=+O=x", "empty value for cn", 3, "write cn=name"},
	{"empty quoted value", `CN=""`, "empty value for CN", 3, "write CN=name"},
	{"double separator", "CN=a,,O=b", `unexpected "," where an attribute should start`, 5, "remove the extra separator"},
	{"leading separator", ";CN=a", `unexpected ";" where an attribute should start`, 0, "remove the extra separator"},
	{"trailing comma", "CN=a, ", `subject ends with ","`, 4, "remove it"},
	{"trailing plus", "CN=a+", `subject ends with "+"`, 4, "remove it"},
	{"unterminated quote", `CN="abc, O=x`, "unterminated quoted value", 3, "add the closing quote"},
	{"unterminated after doubled quote", `CN="abc""`, "unterminated quoted value", 3, "add the closing quote"},
	{"text after quoted value", `CN="a" b`, `unexpected "b" after a quoted value`, 7, "put the whole value inside the quotes"},
	{"bad escape", `CN=a\Zb`, `bad escape "\\Z"`, 4, `\C3\A9`},
	{"bad escape in quotes", `CN="C:\temp"`, `bad escape "\\t"`, 6, `\\`},
	{"bad escape of a non-ASCII character", `CN=\é`, `bad escape "\\é"`, 3, `\C3\A9`},
	{"single hex digit", `CN=a\4`, `bad escape "\\4"`, 4, `\C3\A9`},
	{"half a hex pair", `CN=a\4g`, `bad escape "\\4"`, 4, `\C3\A9`},
	{"trailing backslash", `CN=a\`, `bad escape "\\" at the end of the subject`, 4, `\\`},
	{"escapes that are not UTF-8", `CN=\C3`, "value for CN is not valid UTF-8 once its \\XX escapes are decoded", 3, `\C3\A9 for é`},
	{"escaped NUL", `CN=a\00b`, "value for CN contains NUL", 3, "remove the \\00 escape"},
	{"NUL byte", "CN=a\x00", "NUL byte", 4, "remove it"},
	{"invalid UTF-8", "CN=ok, O=\xff", "invalid UTF-8", 9, "must be UTF-8"},
	{"country of three letters", "CN=a, C=USA", `invalid country "USA"`, 8, "exactly two letters A-Z"},
	{"country in lower case", "C=us", `invalid country "us"`, 2, "ISO 3166"},
	{"country with a digit", "C=U1", `invalid country "U1"`, 2, "ISO 3166"},
	{"country with a space in quotes", `C="US "`, `invalid country "US "`, 2, "ISO 3166"},
	{"country by OID", "2.5.4.6=United States", `invalid country "United States"`, 8, "ISO 3166"},
	{"non-ASCII DC", "DC=exämple, DC=com", "value for DC must be ASCII, because it is encoded as IA5String", 3, "xn--"},
	{"non-ASCII email", "E=jösé@contoso.com", "value for E must be ASCII, because it is encoded as IA5String", 2, "ASCII"},
	{"empty hex", "CN=#", "empty hex value for CN", 3, "RFC 4514"},
	{"odd hex", "CN=#0C0", "hex value for CN has an odd number of digits", 3, "RFC 4514"},
	{"hex with a bad digit", "CN=#0C0G", `unexpected "G" in the hex value of CN`, 7, `write \# or quote the value`},
	{"literal hash", "CN=#1 Fan", `unexpected "F" in the hex value of CN`, 6, `write \# or quote the value`},
	{"hex that runs short", "CN=#0C05616263", "hex value for CN is not DER: an element's length runs past the end of the data", 3, "#0C03616263"},
	{"hex with extra bytes", "CN=#0C016162", "hex value for CN has 1 bytes after its DER value", 3, "RFC 4514"},
	{"hex with indefinite length", "CN=#2C800C01610000", "hex value for CN is not DER: an element has an indefinite length, which DER does not allow", 3, "RFC 4514"},
	{"hex with non-minimal length", "CN=#0C810161", "hex value for CN is not DER: an element's length is not minimally encoded", 3, "RFC 4514"},
	{"OID with empty arc", "2.5..4=x", `invalid OID "2.5..4"`, 0, "2.5.4.3"},
	{"OID with bad first arc", "3.1=x", `invalid OID "3.1"`, 0, "first 0, 1 or 2"},
	{"OID with second arc too big", "1.40=x", `invalid OID "1.40"`, 0, "2.5.4.3"},
	{"OID with one arc", "2=x", `invalid OID "2"`, 0, "at least two arcs"},
	{"OID with zero padding", "2.5.4.03=x", `invalid OID "2.5.4.03"`, 0, "zero-padded"},
	{"OID with an arc too big", "2.5.4.2147483648=x", `invalid OID "2.5.4.2147483648"`, 0, "2.5.4.3"},
	{"OID. with a keyword", "OID.CN=x", `invalid OID "OID.CN"`, 0, "OID.2.5.4.3"},
	{"OID. with nothing", "OID.=x", `invalid OID "OID."`, 0, "2.5.4.3"},
	{"too long", "CN=" + strings.Repeat("a", 4094), "subject is 4097 bytes long", 4096, "the limit is 4096 bytes"},
	{"too many attributes", strings.Repeat("CN=a,", 64) + "CN=a", "more than 64 attributes", 320, "almost certainly a mistake"},
	{
		"too long once written out",
		strings.Repeat("1.2="+strings.Repeat("x", 60)+",", 59) + "1.2=x",
		"subject is 4139 bytes long once written in canonical form", 0, "the limit is 4096 bytes",
	},
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range parseErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := dn.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tt.in, n.String())
			}
			var se *dn.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error is %T, want *dn.SyntaxError: %v", tt.in, err, err)
			}
			if se.Msg != tt.msg || se.Offset != tt.offset || se.Input != tt.in {
				t.Errorf("Parse(%q) error: Msg %q, Offset %d; want %q, %d", tt.in, se.Msg, se.Offset, tt.msg, tt.offset)
			}
			if !strings.Contains(se.Hint, tt.hint) {
				t.Errorf("Parse(%q) hint %q does not contain %q", tt.in, se.Hint, tt.hint)
			}
			t.Logf("%v", err)
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "dn: subject is empty: write it as CN=name"},
		{"missing equals", "CN", `dn: missing "=" after "CN" at offset 2: write CN=value`},
		{"empty value", "CN=", "dn: empty value for CN at offset 3: write CN=name"},
		{"bad escape", `CN=\Z`, `dn: bad escape "\\Z" at offset 3: escape special characters as \, \+ \; \" \\ \< \> \= \# or "\ ", and other bytes as two hex digits, e.g. \C3\A9 for é`},
		{"unknown type", "CNN=x", `dn: unknown attribute type "CNN" at offset 0: did you mean CN? Use CN, O, OU, C, L, ST, STREET, DC, UID, E, SERIALNUMBER, T, G, SN, I, DNQ, POSTALCODE or a dotted OID like 2.5.4.3`},
		{"country", "C=USA", `dn: invalid country "USA" at offset 2: C must be exactly two letters A-Z, an ISO 3166 country code such as US, GB or DE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := dn.Parse(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n  %v\nwant\n  %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseReturnsFreshOIDs(t *testing.T) {
	t.Parallel()
	n := mustParse(t, "CN=a")
	n[0][0].Type[3] = 99 // must not change the package's table
	if got := mustParse(t, "CN=b"); !got[0][0].Type.Equal(dn.CommonName) {
		t.Fatalf("after modifying a parsed OID, Parse(CN=b) has type %v", got[0][0].Type)
	}
}
