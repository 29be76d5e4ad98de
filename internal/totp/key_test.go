package totp

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNewKey(t *testing.T) {
	t.Parallel()
	k, err := NewKey("Signet Example", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b32.DecodeString(k.Secret)
	if err != nil || len(raw) != SecretBytes || strings.Contains(k.Secret, "=") {
		t.Fatalf("secret %q: %d bytes, %v", k.Secret, len(raw), err)
	}
	want := "otpauth://totp/Signet%20Example:alice%40example.com?secret=" + k.Secret +
		"&issuer=Signet%20Example&algorithm=SHA1&digits=6&period=30"
	if k.URI != want {
		t.Errorf("URI\n got %s\nwant %s", k.URI, want)
	}
	u, err := url.Parse(k.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Signet Example:alice@example.com" ||
		q.Get("secret") != k.Secret || q.Get("issuer") != "Signet Example" || q.Get("algorithm") != "SHA1" ||
		q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Errorf("URI parses as %#v %v", u, q)
	}
	// The secret works with Verify.
	now := time.Now()
	code, err := Code(k.Secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(k.Secret, code, now, 0); err != nil {
		t.Errorf("Verify with a new key: %v", err)
	}
	// Two keys never share a secret.
	k2, _ := NewKey("Signet Example", "alice@example.com")
	if k2.Secret == k.Secret {
		t.Error("two NewKey calls gave the same secret")
	}
}

func TestKeyURIEscapes(t *testing.T) {
	t.Parallel()
	got := KeyURI("A&B Co/é", "bob+x@y.z?#", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/A&B Co/é:bob+x@y.z?#" || u.Query().Get("issuer") != "A&B Co/é" || len(u.Query()) != 5 {
		t.Errorf("%s parses to path %q, query %v", got, u.Path, u.Query())
	}
}

func TestNewKeyRefusesBadNames(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{
		{"", "alice"}, {"Signet", ""}, {"Sig:net", "alice"}, {"Signet", "a:lice"},
		{"Signet\n", "alice"}, {"Signet", "al\x00ice"}, {"Signet", "\xff"},
	} {
		if _, err := NewKey(c[0], c[1]); err == nil {
			t.Errorf("NewKey(%q, %q) succeeded", c[0], c[1])
		}
	}
}
