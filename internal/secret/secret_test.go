package secret

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
)

func TestGenerateAndHash(t *testing.T) {
	t.Parallel()
	a, b := Generate(), Generate()
	if a == b || len(a) != 43 {
		t.Fatalf("secrets %q, %q", a, b)
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != Bytes {
		t.Fatalf("secret is not 32 bytes of base64url: %v", err)
	}
	h1, h2 := Hash(a), Hash(a)
	if h1 == h2 {
		t.Error("two hashes of one secret are equal: no salt")
	}
	for _, h := range []string{h1, h2, " " + h1 + "\n"} {
		p, err := Parse(h)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Verify(a) {
			t.Errorf("%s does not verify its secret", h)
		}
		if p.Verify(b) || p.Verify(a+"x") || p.Verify("") {
			t.Errorf("%s verifies another secret", h)
		}
	}
}

// IdentityServer's "secret".Sha256() and .Sha512() are standard base64 of
// the unsalted digest.
func TestIdentityServerHashes(t *testing.T) {
	t.Parallel()
	s256 := sha256.Sum256([]byte("secret"))
	s512 := sha512.Sum512([]byte("secret"))
	for _, h := range []string{base64.StdEncoding.EncodeToString(s256[:]), base64.StdEncoding.EncodeToString(s512[:])} {
		p, err := Parse(h)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Verify("secret") || p.Verify("Secret") {
			t.Errorf("%s", h)
		}
	}
	// The well-known value of "secret".Sha256() in IdentityServer samples.
	if p, err := Parse("K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="); err != nil || !p.Verify("secret") {
		t.Errorf("IdentityServer sample hash: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sha256$abc":     "expected sha256$<salt>$<digest>",
		"sha256$!!!$!!!": "not valid base64url",
		"sha256$" + strings.Repeat("A", 22) + "$AAAA": "of the right size",
		"plain text secret":                           "not a hash Signet knows",
		"":                                            "not a hash Signet knows",
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, _ := Parse(Hash(Generate()))
	s := Generate()
	for b.Loop() {
		h.Verify(s)
	}
}
