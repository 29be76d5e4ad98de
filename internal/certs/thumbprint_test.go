package certs

import (
	"strings"
	"testing"
)

func TestThumbprintMatchesFixture(t *testing.T) {
	t.Parallel()
	cert := fixtureCert(t, "rsa.cer")
	tp := Thumbprint(cert)
	if len(tp) != 40 || strings.ToUpper(tp) != tp {
		t.Fatalf("thumbprint %q is not 40 uppercase hex digits", tp)
	}
	if len(ThumbprintSHA256(cert)) != 64 {
		t.Fatal("SHA-256 thumbprint is not 64 hex digits")
	}
	for _, in := range []string{tp, strings.ToLower(tp), "\u200e" + tp, colons(tp), spaced(tp), "\ufeff " + strings.ToLower(spaced(tp)) + "\u200f\n", ThumbprintSHA256(cert)} {
		q, err := ParseThumbprint(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if !q.Matches(cert) {
			t.Errorf("%q does not match the certificate", in)
		}
	}
}

func colons(s string) string {
	var parts []string
	for i := 0; i < len(s); i += 2 {
		parts = append(parts, s[i:i+2])
	}
	return strings.Join(parts, ":")
}

func spaced(s string) string { return strings.ReplaceAll(colons(s), ":", " ") }

func TestParseThumbprint(t *testing.T) {
	t.Parallel()
	const tp = "F599DEB3A8C31AB419EC2F323DD166E5C1824A02"
	tests := []struct {
		name, in, want, removed, err string
	}{
		{name: "plain", in: tp, want: tp},
		{name: "lowercase", in: strings.ToLower(tp), want: tp},
		{name: "from the Windows dialog", in: "\u200e" + strings.ToLower(spaced(tp)), want: tp, removed: "U+200E LEFT-TO-RIGHT MARK"},
		{name: "bom and rtl mark", in: "\ufeff" + tp + "\u200f", want: tp, removed: "U+FEFF ZERO WIDTH NO-BREAK SPACE (byte order mark), U+200F RIGHT-TO-LEFT MARK"},
		{name: "openssl fingerprint", in: colons(tp), want: tp},
		{name: "no-break spaces", in: strings.ReplaceAll(spaced(tp), " ", "\u00a0"), want: tp},
		{name: "not hex", in: "G599DEB3A8C31AB419EC2F323DD166E5C1824A02", err: `has 'G' (U+0047) at position 1, which is not a hex digit`},
		{name: "short", in: tp[:39], err: "has 39 hex digits, but a SHA-1 thumbprint has 40"},
		{name: "empty", in: " \u200e ", err: "thumbprint is empty"},
		{name: "invalid utf-8", in: "\xff" + tp, err: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := ParseThumbprint(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Hex != tt.want {
				t.Errorf("got %s, want %s", q.Hex, tt.want)
			}
			if got := DescribeRunes(q.Removed); got != tt.removed {
				t.Errorf("removed %q, want %q", got, tt.removed)
			}
		})
	}
}
