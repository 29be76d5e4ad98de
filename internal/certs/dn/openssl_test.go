package dn_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/certs/dn"
	"github.com/signetid/signet/internal/openssltest"
)

// findOpenSSL returns the path of openssl, or skips the test when it is not
// on PATH, unless SIGNET_TEST_REQUIRE_OPENSSL=1 makes that a failure.
func findOpenSSL(t *testing.T) string {
	t.Helper()
	return openssltest.Require(t)
}

// runOpenSSL runs openssl with args and returns its standard output.
func runOpenSSL(t *testing.T, path string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// opensslSubject returns the subject of the PEM certificate at path as
// `openssl x509 -nameopt RFC2253` prints it.
func opensslSubject(t *testing.T, openssl, path string) string {
	t.Helper()
	out := runOpenSSL(t, openssl, "x509", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253")
	subject, ok := strings.CutPrefix(strings.TrimSpace(out), "subject=")
	if !ok {
		t.Fatalf("unexpected openssl output %q", out)
	}
	return subject
}

// TestOpenSSLReadsDER writes certificates whose subject is our DER() and
// checks what OpenSSL prints for them. It also parses OpenSSL's RFC 2253
// output back, which must give an Equal name.
func TestOpenSSLReadsDER(t *testing.T) {
	t.Parallel()
	openssl := findOpenSSL(t)
	tests := []struct {
		name string
		in   string
		want string // openssl -nameopt RFC2253
	}{
		{"brief example", `CN=my-app-auth, O=Contoso\, Ltd, OU=Identity, C=US`, `CN=my-app-auth,O=Contoso\, Ltd,OU=Identity,C=US`},
		{"Unicode and a multi-valued RDN", "CN=José 😀, O=Zoë + OU=x, C=DE", `CN=Jos\C3\A9 \F0\9F\98\80,O=Zo\C3\AB+OU=x,C=DE`},
		{"special characters", `CN=a\+b\;c\"d\\e\<f\>g\=h\#i`, `CN=a\+b\;c\"d\\e\<f\>g=h#i`},
		{"leading and trailing spaces and hash", `CN=\ padded\ , O=\#1`, `CN=\ padded\ ,O=\#1`},
		{"all keywords OpenSSL knows", "CN=c, SN=s, G=g, I=i, T=t, SERIALNUMBER=42, UID=u, E=a@b.c, STREET=1 Main St, L=l, S=WA, POSTALCODE=98052, DC=com, C=US",
			"CN=c,SN=s,GN=g,initials=i,title=t,serialNumber=42,UID=u,emailAddress=a@b.c,street=1 Main St,L=l,ST=WA,postalCode=98052,DC=com,C=US"},
		{"unknown type", "OID.1.2.3.4=foo, CN=a", "1.2.3.4=#1303666F6F,CN=a"},
		// OpenSSL refuses names with an OCTET STRING value, but takes a
		// SEQUENCE.
		{"non-string value", "1.2.3=#3003020101", "1.2.3=#3003020101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := mustParse(t, tt.in)
			der, err := n.DER()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "cert.pem")
			pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t, der)})
			if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
				t.Fatal(err)
			}
			got := opensslSubject(t, openssl, path)
			if got != tt.want {
				t.Errorf("openssl prints\n  %s\nwant\n  %s", got, tt.want)
			}
			back, err := dn.Parse(got)
			if err != nil {
				t.Fatalf("Parse(openssl output %q): %v", got, err)
			}
			if !back.Equal(n) {
				t.Errorf("Parse(%q) = %q, not Equal to %q", got, flat(back), flat(n))
			}
		})
	}
}

// TestFromDEROpenSSL reads subjects made by `openssl req -x509 -subj`.
func TestFromDEROpenSSL(t *testing.T) {
	t.Parallel()
	openssl := findOpenSSL(t)
	tests := []struct {
		name string
		subj string // openssl's /-separated form, most significant first
		want string // String of FromDER
		tags []int  // value tags in DER order
	}{
		{
			"usual order",
			"/C=US/O=Contoso, Ltd/OU=Identity/CN=my-app-auth",
			`CN=my-app-auth, OU=Identity, O="Contoso, Ltd", C=US`,
			[]int{printableString, utf8String, utf8String, utf8String},
		},
		{
			// -subj lists RDNs in DER order, so this common way of
			// writing it puts C last in the string form.
			"CN first in -subj",
			"/CN=my-app-auth/O=Contoso/C=US",
			"C=US, O=Contoso, CN=my-app-auth",
			[]int{utf8String, utf8String, printableString},
		},
		{
			"domain components",
			"/DC=com/DC=contoso/CN=Users/CN=Administrator",
			"CN=Administrator, CN=Users, DC=contoso, DC=com",
			[]int{ia5String, ia5String, utf8String, utf8String},
		},
		{
			"Unicode and a multi-valued RDN",
			"/C=DE/O=Zoë+OU=x/CN=José 😀",
			"CN=José 😀, OU=x + O=Zoë, C=DE",
			[]int{printableString, utf8String, utf8String, utf8String},
		},
		{
			"email, serial number and UID",
			"/emailAddress=a@b.c/serialNumber=42/UID=u1/CN=a",
			"CN=a, UID=u1, SERIALNUMBER=42, E=a@b.c",
			[]int{ia5String, printableString, utf8String, utf8String},
		},
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "req.cnf")
	if err := os.WriteFile(config, []byte("[req]\ndistinguished_name = dn\nstring_mask = utf8only\n[dn]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			certPath := filepath.Join(tmp, "cert.pem")
			runOpenSSL(t, openssl, "req", "-config", config, "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
				"-noenc", "-keyout", filepath.Join(tmp, "key.pem"), "-out", certPath, "-days", "1", "-utf8", "-subj", tt.subj)
			pemBytes, err := os.ReadFile(certPath)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(pemBytes)
			if block == nil {
				t.Fatalf("no PEM block in %s", certPath)
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			n, err := dn.FromDER(cert.RawSubject)
			if err != nil {
				t.Fatalf("FromDER(% X): %v", cert.RawSubject, err)
			}
			if got := n.String(); got != tt.want {
				t.Errorf("FromDER(RawSubject).String() = %q, want %q", got, tt.want)
			}
			if got := checkDER(t, cert.RawSubject); !slices.Equal(got, tt.tags) {
				t.Errorf("OpenSSL wrote value tags %v, want %v", got, tt.tags)
			}
			if der, err := n.DER(); err != nil || !bytes.Equal(der, cert.RawSubject) {
				t.Errorf("DER() = % X, %v; want the bytes OpenSSL wrote % X", der, err, cert.RawSubject)
			}
			if want := mustParse(t, tt.want); !want.Equal(n) {
				t.Errorf("Parse(%q) not Equal to FromDER", tt.want)
			}
			// And OpenSSL's own string form parses to the same name.
			printed := opensslSubject(t, openssl, certPath)
			if back, err := dn.Parse(printed); err != nil || !back.Equal(n) {
				t.Errorf("Parse(openssl output %q) = %q, %v; want Equal to %q", printed, flat(back), err, flat(n))
			}
		})
	}
}
