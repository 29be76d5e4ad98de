package dn_test

import (
	"encoding/asn1"
	"slices"
	"testing"

	"github.com/signetid/signet/internal/certs/dn"
)

// checkRoundTrip fails the test unless Parse(n.String()) succeeds, is Equal
// to n and writes the same string again.
func checkRoundTrip(t *testing.T, n dn.Name) {
	t.Helper()
	s := n.String()
	m, err := dn.Parse(s)
	if err != nil {
		t.Fatalf("Parse(String()) of %q: %v", s, err)
	}
	if !m.Equal(n) || !n.Equal(m) {
		t.Errorf("Parse(%q) = %q, not Equal to the original", s, flat(m))
	}
	if got := m.String(); got != s {
		t.Errorf("Parse(%q).String() = %q", s, got)
	}
}

func TestStringRoundTripsParse(t *testing.T) {
	t.Parallel()
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkRoundTrip(t, mustParse(t, tt.in))
		})
	}
}

// fromDERStringTests are DER values from certificates, as a one-attribute
// name of type oid (CN when nil), and what String writes for them.
var fromDERStringTests = []struct {
	name  string
	oid   asn1.ObjectIdentifier
	value []byte
	want  string
}{
	{"UTF8String", nil, tlv(0x0C, []byte("my app")), "CN=my app"},
	{"PrintableString", nil, tlv(0x13, []byte("my app")), "CN=my app"},
	{"IA5String", nil, tlv(0x16, []byte("x@y")), "CN=x@y"},
	{"NumericString", nil, tlv(0x12, []byte("123 4")), "CN=123 4"},
	{"VisibleString", nil, tlv(0x1A, []byte("v")), "CN=v"},
	{"BMPString", nil, unhex("1E06 0061 00E9 4E2D"), "CN=aé中"},
	{"BMPString with a surrogate pair", nil, unhex("1E04 D83D DE00"), "CN=😀"},
	{"BMPString with a lone surrogate", nil, unhex("1E02 D83D"), "CN=#1E02D83D"},
	{"BMPString of odd length", nil, unhex("1E03 0061 00"), "CN=#1E03006100"},
	{"T61String read as Latin-1", nil, unhex("1403 4AE9 72"), "CN=Jér"},
	{"UniversalString", nil, unhex("1C08 00000061 0001F600"), "CN=a😀"},
	{"UniversalString out of range", nil, unhex("1C04 00110000"), "CN=#1C0400110000"},
	{"UTF8String with NUL is shown in hex", nil, tlv(0x0C, []byte("www.a.com\x00.evil")), "CN=#0C0F7777772E612E636F6D002E6576696C"},
	{"UTF8String that is not UTF-8", nil, unhex("0C02 C328"), "CN=#0C02C328"},
	{"PrintableString with a Latin-1 byte", nil, unhex("1301 E9"), "CN=#1301E9"},
	{"empty UTF8String", nil, unhex("0C00"), "CN=#0C00"},
	{"OCTET STRING", nil, unhex("0402 4869"), "CN=#04024869"},
	{"GeneralString", nil, unhex("1B01 61"), "CN=#1B0161"},
	{"INTEGER under an unknown type", asn1.ObjectIdentifier{1, 2, 3}, unhex("0201 01"), "OID.1.2.3=#020101"},
	{"constructed value", nil, unhex("3003 020101"), "CN=#3003020101"},
	{"high tag number", nil, unhex("1F1F 01 61"), "CN=#1F1F0161"},
	{"context-specific tag", nil, unhex("8001 61"), "CN=#800161"},
	{"country of three letters", dn.Country, tlv(0x13, []byte("USA")), "C=#1303555341"},
	{"country in lower case", dn.Country, tlv(0x13, []byte("us")), "C=#13027573"},
	{"country as UTF8String", dn.Country, tlv(0x0C, []byte("US")), "C=US"},
	{"non-ASCII DC", dn.DomainComponent, tlv(0x0C, []byte("é")), "DC=#0C02C3A9"},
	{"leading and trailing spaces", nil, tlv(0x0C, []byte(" a ")), `CN=" a "`},
	{"newline", nil, tlv(0x0C, []byte("a\nb")), "CN=\"a\nb\""},
	{"control character", nil, tlv(0x0C, []byte("a\x01b")), "CN=\"a\x01b\""},
	{"quote and backslash", nil, tlv(0x0C, []byte(`a"b\c`)), `CN="a""b\\c"`},
	{"leading hash", nil, tlv(0x0C, []byte("#1")), `CN="#1"`},
	{"only spaces", nil, tlv(0x0C, []byte("  ")), `CN="  "`},
}

func TestStringOfFromDER(t *testing.T) {
	t.Parallel()
	for _, tt := range fromDERStringTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			oid := tt.oid
			if oid == nil {
				oid = dn.CommonName
			}
			der := name(rdn(atv(oid, tt.value)))
			n, err := dn.FromDER(der)
			if err != nil {
				t.Fatalf("FromDER(% X): %v", der, err)
			}
			if got := n.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			checkRoundTrip(t, n)
			if got, err := n.DER(); err != nil || string(got) != string(der) {
				t.Errorf("DER() = % X, %v; want the input % X", got, err, der)
			}
		})
	}
}

func TestStringOfHandBuiltNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		n          dn.Name
		want       string
		roundTrips bool
	}{
		{"empty name", nil, "", false},
		{"one CN", dn.Name{{{Type: dn.CommonName, Value: "x"}}}, "CN=x", true},
		{
			"DER order is reversed",
			dn.Name{{{Type: dn.Country, Value: "US"}}, {{Type: dn.Organization, Value: "Contoso, Ltd"}}, {{Type: dn.CommonName, Value: "app"}}},
			`CN=app, O="Contoso, Ltd", C=US`, true,
		},
		{"multi-valued", dn.Name{{{Type: dn.CommonName, Value: "a"}, {Type: dn.UserID, Value: "b"}}}, "CN=a + UID=b", true},
		{"unknown type", dn.Name{{{Type: asn1.ObjectIdentifier{1, 2, 3}, Value: "x"}}}, "OID.1.2.3=x", true},
		{"country that Parse refuses", dn.Name{{{Type: dn.Country, Value: "USA"}}}, "C=#1303555341", true},
		{"country that is not printable", dn.Name{{{Type: dn.Country, Value: "É"}}}, "C=#0C02C389", true},
		{"non-ASCII email", dn.Name{{{Type: dn.EmailAddress, Value: "é@x"}}}, "E=#0C04C3A94078", true},
		{"literal #HEX text", dn.Name{{{Type: dn.CommonName, Value: "#0402"}}}, `CN="#0402"`, true},
		{"empty value", dn.Name{{{Type: dn.CommonName, Value: ""}}}, "CN=#0C00", true},
		{"NUL", dn.Name{{{Type: dn.CommonName, Value: "a\x00"}}}, "CN=\"a\x00\"", false},
		{"not UTF-8", dn.Name{{{Type: dn.CommonName, Value: "\xff"}}}, "CN=\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.n.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.roundTrips {
				checkRoundTrip(t, tt.n)
			} else if _, err := dn.Parse(tt.n.String()); err == nil {
				t.Errorf("Parse(%q) succeeded, want an error", tt.n.String())
			}
		})
	}
}

func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", "CN=a, O=b, C=US", "CN=a, O=b, C=US", true},
		{"separators and spacing", "CN=a, O=b", "CN = a;O=b", true},
		{"case", "CN=My-App, O=Contoso, C=US", "cn=my-app, o=CONTOSO, c=US", true},
		{"outer white space", `CN="  my app  "`, "CN=my app", true},
		{"inner white space runs", `CN="my    app", O="a` + "\t\t" + `b"`, "CN=my app, O=a b", true},
		{"inner white space is not removed", "CN=myapp", "CN=my app", false},
		{"Unicode case folding", "CN=ÉCOLE Ñandú", "CN=école ñANDÚ", true},
		{"only simple case folding", "CN=Straße", "CN=STRASSE", false},
		{"different value", "CN=a", "CN=b", false},
		{"RDN order matters", "CN=a, O=b", "O=b, CN=a", false},
		{"attribute order inside an RDN does not", "CN=a+UID=b, O=c", "UID=b + CN=a, O=c", true},
		{"multi-valued is not the same as separate RDNs", "CN=a+O=b", "CN=a, O=b", false},
		{"different type, same value", "CN=a", "O=a", false},
		{"extra RDN", "CN=a", "CN=a, O=b", false},
		{"extra attribute in an RDN", "CN=a", "CN=a+UID=b", false},
		{"keyword and OID", "2.5.4.3=a, OID.2.5.4.10=b", "CN=a, O=b", true},
		{"ST and S", "ST=WA", "S=wa", true},
		{"hex string and text", "CN=#0C03616263", "CN=ABC", true},
		{"different string types", "CN=#1E0400610062", "CN=#0C026162", true},
		{"country by hex and text", "C=#13025553", "C=US", true},
		{"non-string and its hex as text", "CN=#04024869", `CN=\#04024869`, false},
		{"non-strings with the same DER", "CN=#04024869", "cn=#04024869", true},
		{"non-strings with different DER", "CN=#04024869", "CN=#04024868", false},
		{"repeated attributes count", "OU=a+OU=a+OU=b", "OU=a+OU=b+OU=b", false},
		{"repeated attributes in another order", "OU=a+OU=a+OU=b", "OU=b+OU=a+OU=A", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if got := a.Equal(b); got != tt.want {
				t.Errorf("Parse(%q).Equal(Parse(%q)) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := b.Equal(a); got != tt.want {
				t.Errorf("Parse(%q).Equal(Parse(%q)) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestEqualEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b dn.Name
		want bool
	}{
		{"nil and empty", nil, dn.Name{}, true},
		{"empty and non-empty", dn.Name{}, dn.Name{{{Type: dn.CommonName, Value: "a"}}}, false},
		{"empty RDNs", dn.Name{{}}, dn.Name{{}}, true},
		{"Value changed after FromDER", func() dn.Name {
			n, err := dn.FromDER(name(rdn(atv(dn.CommonName, unhex("0402 4869")))))
			if err != nil {
				panic(err)
			}
			n[0][0].Value = "hello"
			return n
		}(), dn.Name{{{Type: dn.CommonName, Value: "Hello"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	n := mustParse(t, "CN=Administrator, CN=Users, DC=contoso, DC=com, 1.2.3=#04024869, OU=a+OU=b")
	tests := []struct {
		name string
		oid  asn1.ObjectIdentifier
		want []string
	}{
		{"CNs, most specific last", dn.CommonName, []string{"Users", "Administrator"}},
		{"DCs", dn.DomainComponent, []string{"com", "contoso"}},
		{"inside a multi-valued RDN", dn.OrganizationalUnit, []string{"a", "b"}},
		{"non-string value", asn1.ObjectIdentifier{1, 2, 3}, []string{"#04024869"}},
		{"absent", dn.Country, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := n.Get(tt.oid); !slices.Equal(got, tt.want) {
				t.Errorf("Get(%v) = %q, want %q", tt.oid, got, tt.want)
			}
		})
	}
}

func TestCheckStrings(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{
		"CN=my-app-auth, O=Contoso": true,
		"CN=#0C03616263":            true,  // a UTF8String in hex
		"CN=#0403616263":            false, // an OCTET STRING
		`CN=\#0403616263`:           true,  // escaped: the text "#0403616263"
	} {
		n, err := dn.Parse(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if err := n.CheckStrings(); (err == nil) != ok {
			t.Errorf("%s: CheckStrings() = %v, want ok=%v", in, err, ok)
		}
	}
}
