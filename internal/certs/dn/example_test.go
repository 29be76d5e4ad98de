package dn_test

import (
	"fmt"

	"github.com/signetid/signet/internal/certs/dn"
)

func ExampleParse() {
	n, err := dn.Parse(`CN=my-app-auth, O=Contoso\, Ltd, OU=Identity, C=US`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.String())
	fmt.Println(n.Get(dn.CommonName))
	fmt.Println(n[0][0].Value) // DER order: the country comes first
	// Output:
	// CN=my-app-auth, O="Contoso, Ltd", OU=Identity, C=US
	// [my-app-auth]
	// US
}

func ExampleParse_error() {
	_, err := dn.Parse("CN=my-app-auth, C=USA")
	fmt.Println(err)
	// Output:
	// dn: invalid country "USA" at offset 18: C must be exactly two letters A-Z, an ISO 3166 country code such as US, GB or DE
}

func ExampleName_Equal() {
	a, _ := dn.Parse("CN=My App, O=Contoso")
	b, _ := dn.Parse(`cn = "my   app" ; o = CONTOSO`)
	c, _ := dn.Parse("O=Contoso, CN=My App")
	fmt.Println(a.Equal(b), a.Equal(c))
	// Output:
	// true false
}

func ExampleFromDER() {
	n, _ := dn.Parse("CN=my-app-auth, O=Contoso, C=US")
	der, _ := n.DER() // e.g. x509.Certificate.RawSubject
	back, err := dn.FromDER(der)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.String())
	// Output:
	// CN=my-app-auth, O=Contoso, C=US
}
