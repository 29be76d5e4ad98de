package passkey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/passkey"
)

func TestForIssuer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		issuer, id, origin, off string
	}{
		{issuer: "https://id.example.com", id: "id.example.com", origin: "https://id.example.com"},
		{issuer: "https://ID.Example.com:443/tenant", id: "id.example.com", origin: "https://id.example.com"},
		{issuer: "https://id.example.com:8443", id: "id.example.com", origin: "https://id.example.com:8443"},
		{issuer: "http://localhost:5000", id: "localhost", origin: "http://localhost:5000"},
		{issuer: "http://app.localhost", id: "app.localhost", origin: "http://app.localhost"},
		{issuer: "https://192.0.2.7", off: "WebAuthn needs a domain name (localhost works)"},
		{issuer: "http://127.0.0.1:5000", off: "WebAuthn needs a domain name (localhost works)"},
		{issuer: "https://[2001:db8::1]:8443", off: "WebAuthn needs a domain name (localhost works)"},
		{issuer: "http://id.example.com", off: "only over https (or on localhost)"},
		{issuer: "not a url", off: "not an absolute URL"},
	} {
		rp, err := passkey.ForIssuer(tc.issuer)
		var off *passkey.OffError
		switch {
		case tc.off != "":
			if !errors.As(err, &off) || !strings.Contains(off.Reason, tc.off) {
				t.Errorf("ForIssuer(%q) = %+v, %v; want off: %s", tc.issuer, rp, err, tc.off)
			}
		case err != nil || rp.ID != tc.id || rp.Origin != tc.origin:
			t.Errorf("ForIssuer(%q) = %+v, %v; want %s at %s", tc.issuer, rp, err, tc.id, tc.origin)
		}
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"  Phone ": "Phone", "YubiKey 5 NFC": "YubiKey 5 NFC", "": "", "a\tb": "", strings.Repeat("x", 65): "", "\xff": ""} {
		got, err := passkey.CheckName(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("CheckName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
