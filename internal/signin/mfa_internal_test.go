package signin

import (
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestACROf(t *testing.T) {
	t.Parallel()
	two, one := []string{"pwd", "otp", "mfa"}, []string{"pwd"}
	for _, tc := range []struct {
		name, acrValues string
		amr             []string
		want            string
	}{
		{"none asked, two factors", "", two, "mfa"},
		{"none asked, one factor", "", one, "sfa"},
		{"mfa met", "mfa", two, "mfa"},
		{"PAPE alias met", ACRPAPEMFA, two, ACRPAPEMFA},
		{"first met wins", "urn:unknown " + ACRPAPEMFA + " mfa", two, ACRPAPEMFA},
		{"mfa not met", "mfa", one, "sfa"},
		{"sfa asked", "sfa mfa", two, "sfa"},
		{"unknown only", "urn:gold idp:github", two, "mfa"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := acrOf(tc.acrValues, tc.amr); got != tc.want {
				t.Errorf("acrOf(%q, %v) = %q, want %q", tc.acrValues, tc.amr, got, tc.want)
			}
		})
	}
	if !acrWantsMFA("x "+ACRPAPEMFA) || acrWantsMFA("sfa") || acrWantsMFA("mfa-ish") {
		t.Error("acrWantsMFA")
	}
}

func TestParseFactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		kind factorKind
		code string
	}{
		{"123456", factorTOTP, "123456"},
		{" 123 456 ", factorTOTP, "123456"},
		{"12345", factorRecovery, "12345"},
		{"7k3qd-x9m2p", factorRecovery, "7k3qd-x9m2p"},
		{"１２３４５６", factorRecovery, "１２３４５６"}, // full-width digits are not a TOTP code
		{"", factorNone, ""},
		{strings.Repeat("1", maxFactorInput+1), factorNone, ""},
	} {
		kind, code := parseFactor(tc.in)
		if kind != tc.kind || code != tc.code {
			t.Errorf("parseFactor(%q) = %v %q, want %v %q", tc.in, kind, code, tc.kind, tc.code)
		}
	}
}

// FuzzParseFactor: any input is one kind or none, a TOTP code is exactly
// six ASCII digits, and nothing longer than the bound is read.
func FuzzParseFactor(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "7k3qd-x9m2p", "", " ", "12345６", "\x00", strings.Repeat("9", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		kind, code := parseFactor(in)
		switch kind {
		case factorTOTP:
			if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
				t.Fatalf("TOTP code %q from %q", code, in)
			}
		case factorRecovery:
			if code == "" || len(code) > maxFactorInput {
				t.Fatalf("recovery code %q from %q", code, in)
			}
		case factorNone:
			if code != "" {
				t.Fatalf("no kind but code %q", code)
			}
		}
	})
}

// FuzzLocalReturnURL: an accepted return URL is always a clean local path
// under /account, never another host, scheme or page.
func FuzzLocalReturnURL(f *testing.F) {
	for _, s := range []string{"/account", "/account/x?y=1", "//evil", "/account/../x", `/account\x`, "https://a/account",
		"/account/login", "/account%2F..", "/account/%2e%2e/x", "/account?x=//evil", "/\t/evil", "/account#f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := localReturnURL(in)
		if !ok {
			if got != "" {
				t.Fatalf("refused %q but returned %q", in, got)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("accepted %q as %q: not a local path", in, got)
		}
		if path.Clean(u.Path) != u.Path || (u.Path != AccountPath && !strings.HasPrefix(u.Path, AccountPath+"/")) {
			t.Fatalf("accepted %q as %q: not under /account", in, got)
		}
		if strings.HasPrefix(u.Path, LoginPath) {
			t.Fatalf("accepted %q: the login page", in)
		}
		// A browser resolves it against this server, to this server.
		base, _ := url.Parse("https://signet.example/account/login")
		if r := base.ResolveReference(u); r.Host != "signet.example" {
			t.Fatalf("accepted %q resolves to host %q", in, r.Host)
		}
	})
}

// TestWithSecondFactor: the second step adds its method and mfa to the
// first step's amr, each once (an upstream provider may have said otp).
func TestWithSecondFactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ amr, want []string }{
		{[]string{"pwd"}, []string{"pwd", "otp", "mfa"}},
		{[]string{"hwk", "user"}, []string{"hwk", "user", "otp", "mfa"}},
		{[]string{"otp"}, []string{"otp", "mfa"}},
	} {
		in := append([]string(nil), tc.amr...)
		if got := withSecondFactor(in, AMROTP); !slices.Equal(got, tc.want) || !slices.Equal(in, tc.amr) {
			t.Errorf("withSecondFactor(%v) = %v (input now %v), want %v and the input unchanged", tc.amr, got, in, tc.want)
		}
	}
}

// TestDescribeAMR: the account page's words for a session's methods,
// including the amr of a sign-in at a provider that sent none.
func TestDescribeAMR(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amr  []string
		want string
	}{
		{[]string{"pwd"}, "password"},
		{[]string{"pwd", "otp", "mfa"}, "password and authenticator code"},
		{federatedAMR(nil), "another provider"},
		{[]string{AMRExternal, "otp", "mfa"}, "another provider and authenticator code"},
		{nil, "an unknown method"},
	} {
		if got := describeAMR(tc.amr); got != tc.want {
			t.Errorf("describeAMR(%v) = %q, want %q", tc.amr, got, tc.want)
		}
	}
}
