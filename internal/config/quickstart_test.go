package config

import "testing"

// The README's configuration loads and validates.
func TestQuickstartExample(t *testing.T) {
	t.Parallel()
	c, err := Load("../../examples/quickstart.yaml", env("APP_SigningCertificateThumbprint", "F599DEB3A8C31AB419EC2F323DD166E5C1824A02", "MYAPP_SECRET", "s3cret-that-is-long-enough"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Key.Type != "Store" || c.Key.Thumbprint != "F599DEB3A8C31AB419EC2F323DD166E5C1824A02" || len(c.Clients) != 1 || !c.AllowHTTP {
		t.Fatalf("%+v", c)
	}
}
