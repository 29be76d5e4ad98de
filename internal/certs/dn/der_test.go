package dn_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/certs/dn"
)

// TestDERX509 encodes every name of parseTests, puts it in a self-signed
// certificate as RawSubject, parses the certificate with crypto/x509 and
// reads the subject back with FromDER.
func TestDERX509(t *testing.T) {
	t.Parallel()
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := mustParse(t, tt.in)
			der, err := n.DER()
			if err != nil {
				t.Fatalf("DER(): %v", err)
			}
			checkDER(t, der)
			want := tt.str
			if tt.derStr != "" {
				want = tt.derStr
			}

			subject := der
			if !tt.noX509 {
				cert, err := x509.ParseCertificate(selfSigned(t, der))
				if err != nil {
					t.Fatalf("x509.ParseCertificate: %v", err)
				}
				if !bytes.Equal(cert.RawSubject, der) || !bytes.Equal(cert.RawIssuer, der) {
					t.Fatalf("RawSubject % X / RawIssuer % X, want % X", cert.RawSubject, cert.RawIssuer, der)
				}
				// crypto/x509's own reading of the subject agrees.
				if cns := n.Get(dn.CommonName); len(cns) > 0 && cert.Subject.CommonName != cns[len(cns)-1] {
					t.Errorf("x509 CommonName %q, want %q", cert.Subject.CommonName, cns[len(cns)-1])
				}
				for _, f := range []struct {
					oid asn1.ObjectIdentifier
					got []string
				}{
					{dn.Organization, cert.Subject.Organization},
					{dn.OrganizationalUnit, cert.Subject.OrganizationalUnit},
					{dn.Country, cert.Subject.Country},
					{dn.Locality, cert.Subject.Locality},
				} {
					if want := n.Get(f.oid); !slices.Equal(f.got, want) {
						t.Errorf("x509 reads %v as %q, want %q", f.oid, f.got, want)
					}
				}
				subject = cert.RawSubject
			}

			m, err := dn.FromDER(subject)
			if err != nil {
				t.Fatalf("FromDER(% X): %v", subject, err)
			}
			if got := m.String(); got != want {
				t.Errorf("FromDER(DER()).String() = %q, want %q", got, want)
			}
			if !m.Equal(n) {
				t.Errorf("FromDER(DER()) = %q, not Equal to %q", flat(m), flat(n))
			}
			if again, err := m.DER(); err != nil || !bytes.Equal(again, der) {
				t.Errorf("FromDER(der).DER() = % X, %v; want % X", again, err, der)
			}
		})
	}
}

// String types, as universal tag numbers.
const (
	utf8String      = 12
	printableString = 19
	ia5String       = 22
	bmpString       = 30
)

func TestDERStringTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []int // value tags in DER order
	}{
		{"printable text", `CN=My App (test) 1.0/2:3=4?\+'-`, []int{printableString}},
		{"comma is printable", `O=Contoso\, Ltd`, []int{printableString}},
		{"underscore is not printable", "CN=my_app", []int{utf8String}},
		{"star is not printable", "CN=*.contoso.com", []int{utf8String}},
		{"ampersand is not printable", "O=A&B", []int{utf8String}},
		{"at sign is not printable", "CN=a@b", []int{utf8String}},
		{"non-ASCII", "CN=José", []int{utf8String}},
		{"country", "C=US", []int{printableString}},
		{"domain components", "DC=contoso, DC=com", []int{ia5String, ia5String}},
		{"email", "E=admin@contoso.com", []int{ia5String}},
		{"email that is printable is still IA5String", "E=admin", []int{ia5String}},
		{"serial number", "SERIALNUMBER=1234-5678", []int{printableString}},
		{"hex value keeps its type", "CN=#1E0400610062", []int{bmpString}},
		{"hex UTF8String stays UTF8String", "CN=#0C03616263", []int{utf8String}},
		{"brief example", `CN=my-app-auth, O=Contoso\, Ltd, OU=Identity, C=US`, []int{printableString, printableString, printableString, printableString}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			der, err := mustParse(t, tt.in).DER()
			if err != nil {
				t.Fatal(err)
			}
			if got := checkDER(t, der); !slices.Equal(got, tt.want) {
				t.Errorf("value tags %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDERExactBytes(t *testing.T) {
	t.Parallel()
	cn := func(tag byte, v string) []byte { return atv(dn.CommonName, tlv(tag, []byte(v))) }
	tests := []struct {
		name string
		in   string
		want []byte
	}{
		{
			"brief example",
			`CN=my-app-auth, O=Contoso\, Ltd, OU=Identity, C=US`,
			name(
				rdn(atv(dn.Country, tlv(0x13, []byte("US")))),
				rdn(atv(dn.OrganizationalUnit, tlv(0x13, []byte("Identity")))),
				rdn(atv(dn.Organization, tlv(0x13, []byte("Contoso, Ltd")))),
				rdn(cn(0x13, "my-app-auth")),
			),
		},
		{
			// The UID attribute's OID is longer, so its encoding sorts
			// after CN's whatever order the string gives.
			"multi-valued RDN sorted as a DER SET",
			"UID=b + CN=a",
			name(rdn(cn(0x13, "a"), atv(dn.UserID, tlv(0x13, []byte("b"))))),
		},
		{
			"same type in one RDN sorted by value",
			"OU=b+OU=a",
			name(rdn(atv(dn.OrganizationalUnit, tlv(0x13, []byte("a"))), atv(dn.OrganizationalUnit, tlv(0x13, []byte("b"))))),
		},
		{
			"long value uses a long-form length",
			"CN=" + strings.Repeat("x", 200),
			name(rdn(cn(0x13, strings.Repeat("x", 200)))),
		},
		{
			"non-string value verbatim",
			"1.2.3=#04024869",
			name(rdn(atv(asn1.ObjectIdentifier{1, 2, 3}, unhex("04024869")))),
		},
		{
			"large OID arcs",
			"2.999.2147483647=x",
			name(rdn(atv(asn1.ObjectIdentifier{2, 999, 2147483647}, tlv(0x13, []byte("x"))))),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustParse(t, tt.in).DER()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("DER() =\n  % X\nwant\n  % X", got, tt.want)
			}
			checkDER(t, got)
		})
	}
}

func TestEmptyName(t *testing.T) {
	t.Parallel()
	n, err := dn.FromDER([]byte{0x30, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	if len(n) != 0 || n.String() != "" {
		t.Fatalf("FromDER(30 00) = %q", flat(n))
	}
	der, err := n.DER()
	if err != nil || !bytes.Equal(der, []byte{0x30, 0x00}) {
		t.Fatalf("DER() of the empty name = % X, %v", der, err)
	}
}

func TestFromDERKeepsEncoding(t *testing.T) {
	t.Parallel()
	// The way OpenSSL writes names by default: UTF8String except C.
	orig := name(
		rdn(atv(dn.Country, tlv(0x13, []byte("US")))),
		rdn(atv(dn.Organization, tlv(0x0C, []byte("Contoso")))),
		rdn(atv(dn.CommonName, tlv(0x0C, []byte("my-app-auth")))),
	)
	n, err := dn.FromDER(orig)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := n.DER(); err != nil || !bytes.Equal(got, orig) {
		t.Fatalf("DER() = % X, %v; want the bytes read % X", got, err, orig)
	}

	// Parsing the string form chooses string types afresh, but the name is
	// Equal.
	m := mustParse(t, n.String())
	if !m.Equal(n) {
		t.Fatalf("Parse(%q) not Equal", n.String())
	}
	if got, _ := m.DER(); bytes.Equal(got, orig) {
		t.Fatalf("Parse(String()).DER() kept UTF8String; want PrintableString")
	}

	// Changing a Value drops the original encoding of that value only.
	n[2][0].Value = "new-app"
	want := name(
		rdn(atv(dn.Country, tlv(0x13, []byte("US")))),
		rdn(atv(dn.Organization, tlv(0x0C, []byte("Contoso")))),
		rdn(atv(dn.CommonName, tlv(0x13, []byte("new-app")))),
	)
	if got, err := n.DER(); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("DER() after changing CN = % X, %v; want % X", got, err, want)
	}
}

func TestFromDERUnsortedSet(t *testing.T) {
	t.Parallel()
	uid := atv(dn.UserID, tlv(0x0C, []byte("b")))
	cn := atv(dn.CommonName, tlv(0x0C, []byte("a")))
	n, err := dn.FromDER(name(rdn(uid, cn))) // not DER order
	if err != nil {
		t.Fatal(err)
	}
	if got := n.String(); got != "UID=b + CN=a" {
		t.Errorf("String() = %q, want the order read", got)
	}
	der, err := n.DER()
	if err != nil {
		t.Fatal(err)
	}
	if want := name(rdn(cn, uid)); !bytes.Equal(der, want) {
		t.Errorf("DER() = % X, want it sorted % X", der, want)
	}
}

func TestFromDERErrors(t *testing.T) {
	t.Parallel()
	good := atv(dn.CommonName, tlv(0x0C, []byte("a")))
	tooMany := make([][]byte, 65)
	for i := range tooMany {
		tooMany[i] = rdn(good)
	}
	tests := []struct {
		name string
		der  []byte
		want string
	}{
		{"nil", nil, "dn: no data: pass the DER encoding of a name, such as a certificate's RawSubject"},
		{"too big", make([]byte, 65537), "dn: the name is 65537 bytes of DER; the limit is 65536"},
		{"PEM", []byte("-----BEGIN CERTIFICATE-----\nMIIB\n"), "dn: this is PEM text, not DER: decode it with encoding/pem and pass the certificate's RawSubject or RawIssuer"},
		{"one byte", []byte{0x30}, "dn: not a DER-encoded name: the data ends inside an element's tag or length"},
		{"truncated", unhex("3005 3103"), "dn: not a DER-encoded name: an element's length runs past the end of the data"},
		{"indefinite length", unhex("3080 0000"), "dn: not a DER-encoded name: an element has an indefinite length, which DER does not allow"},
		{"non-minimal length", unhex("308100"), "dn: not a DER-encoded name: an element's length is not minimally encoded"},
		{"length with a leading zero", unhex("30820000"), "dn: not a DER-encoded name: an element's length is not minimally encoded"},
		{"length of five bytes", unhex("30850000000000"), "dn: not a DER-encoded name: an element's length is too large"},
		{"not a SEQUENCE", unhex("3100"), "dn: not a DER-encoded name: it starts with tag 0x31, not a SEQUENCE (0x30); pass a certificate's RawSubject or RawIssuer"},
		{"trailing data", append(name(rdn(good)), 0), "dn: 1 bytes of unexpected data after the name"},
		{"RDN that is not a SET", name(good), "dn: RDN 1 is tag 0x30, not a SET (0x31); is this a whole certificate instead of its RawSubject?"},
		{"empty SET", name(rdn(good), unhex("3100")), "dn: RDN 2 is an empty SET; every RDN needs at least one attribute"},
		{"attribute that is not a SEQUENCE", name(rdn(tlv(0x04))), "dn: RDN 1, attribute 1: tag 0x04 is not a SEQUENCE (0x30) of type and value"},
		{"type that is not an OID", name(rdn(tlv(0x30, tlv(0x02, []byte{1}), tlv(0x0C)))), "dn: RDN 1, attribute 1: the attribute type is tag 0x02, not an OID (0x06)"},
		{"empty OID", name(rdn(tlv(0x30, tlv(0x06), tlv(0x0C)))), "dn: RDN 1, attribute 1: the attribute type is an empty OID"},
		{"non-minimal OID", name(rdn(tlv(0x30, unhex("0603 55 8004"), tlv(0x0C)))), "dn: RDN 1, attribute 1: the attribute type OID is not minimally encoded"},
		{"truncated OID", name(rdn(tlv(0x30, unhex("0602 5584"), tlv(0x0C)))), "dn: RDN 1, attribute 1: the attribute type OID is truncated"},
		{"OID arc too big", name(rdn(tlv(0x30, unhex("0606 55 8880808000"), tlv(0x0C)))), "dn: RDN 1, attribute 1: the attribute type OID has an arc above 2147483647"},
		{"no value", name(rdn(tlv(0x30, unhex("0603 550403")))), "dn: RDN 1, attribute 1: attribute 2.5.4.3 has no value"},
		{"truncated value", name(rdn(tlv(0x30, unhex("0603 550403 0C05 61")))), "dn: RDN 1, attribute 1: value of 2.5.4.3: an element's length runs past the end of the data"},
		{"two values", name(rdn(tlv(0x30, unhex("0603 550403 0C0161 0C0162")))), "dn: RDN 1, attribute 1: attribute 2.5.4.3 has 3 bytes of unexpected data after its value"},
		{"non-minimal tag", name(rdn(tlv(0x30, unhex("0603 550403 1F80 1F 01 61")))), "dn: RDN 1, attribute 1: value of 2.5.4.3: a tag number is not minimally encoded"},
		{"low tag in high form", name(rdn(tlv(0x30, unhex("0603 550403 1F05 01 61")))), "dn: RDN 1, attribute 1: value of 2.5.4.3: a tag number is not minimally encoded"},
		{"truncated tag", name(rdn(tlv(0x30, unhex("0603 550403 1F81")))), "dn: RDN 1, attribute 1: value of 2.5.4.3: the data ends inside an element's tag"},
		{"whole certificate", selfSigned(t, name(rdn(good))), "dn: RDN 1 is tag 0x30, not a SET (0x31); is this a whole certificate instead of its RawSubject?"},
		{"too many attributes", name(tooMany...), "dn: the name has more than 64 attributes"},
		{"too long as a string", name(rdn(atv(dn.CommonName, tlv(0x04, make([]byte, 2100))))), "dn: the name is 4212 bytes long as a string; the limit is 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := dn.FromDER(tt.der)
			if err == nil {
				t.Fatalf("FromDER = %q, want an error", n.String())
			}
			if err.Error() != tt.want {
				t.Errorf("FromDER error\n  %v\nwant\n  %s", err, tt.want)
			}
		})
	}
}

func TestDERErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    dn.Name
		want string
	}{
		{"empty RDN", dn.Name{{{Type: dn.Country, Value: "US"}}, {}}, "dn: RDN 2 of 2 (in DER order) is empty: every RDN needs at least one attribute"},
		{"no type", dn.Name{{{Value: "x"}}}, "dn: cannot encode attribute type : an OID needs at least two arcs"},
		{"bad first arc", dn.Name{{{Type: asn1.ObjectIdentifier{3, 1}, Value: "x"}}}, "dn: cannot encode attribute type 3.1: an OID needs"},
		{"negative arc", dn.Name{{{Type: asn1.ObjectIdentifier{1, 2, -3}, Value: "x"}}}, "dn: cannot encode attribute type 1.2.-3: an OID needs"},
		{"empty value", dn.Name{{{Type: dn.CommonName}}}, `dn: cannot encode CN="": the value is empty`},
		{"not UTF-8", dn.Name{{{Type: dn.CommonName, Value: "\xff"}}}, `dn: cannot encode CN="\xff": the value is not valid UTF-8`},
		{"NUL", dn.Name{{{Type: dn.CommonName, Value: "a\x00b"}}}, `dn: cannot encode CN="a\x00b": the value contains a NUL character`},
		{"country", dn.Name{{{Type: dn.Country, Value: "USA"}}}, `dn: cannot encode C="USA": a country (C) must be exactly two letters A-Z`},
		{"lower-case country", dn.Name{{{Type: dn.Country, Value: "us"}}}, `dn: cannot encode C="us": a country (C) must be exactly two letters A-Z`},
		{"non-ASCII DC", dn.Name{{{Type: dn.DomainComponent, Value: "é"}}}, `dn: cannot encode DC="é": the value must be ASCII, because DC and E are encoded as IA5String`},
		{"non-ASCII email", dn.Name{{{Type: dn.EmailAddress, Value: "é@x"}}}, `dn: cannot encode E="é@x": the value must be ASCII`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			der, err := tt.n.DER()
			if err == nil {
				t.Fatalf("DER() = % X, want an error", der)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("DER() error\n  %v\nwant it to start with\n  %s", err, tt.want)
			}
		})
	}
}
