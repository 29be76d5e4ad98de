package logattr

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 60<<10)
	for name, tc := range map[string]struct {
		in, want string
	}{
		"empty":        {"", ""},
		"short":        {"app", "app"},
		"exactly Max":  {strings.Repeat("x", Max), strings.Repeat("x", Max)},
		"one over Max": {strings.Repeat("x", Max+1), strings.Repeat("x", Max) + "...[cut: 257 bytes]"},
		"60 KB":        {long, long[:Max] + "...[cut: 61440 bytes]"},
		// "é" is 2 bytes: at an odd bound it would be split; the cut
		// backs off to keep whole characters.
		"2-byte characters": {"a" + strings.Repeat("é", 200), "a" + strings.Repeat("é", 127) + "...[cut: 401 bytes]"},
		// A 4-byte character straddling the bound.
		"4-byte character": {strings.Repeat("x", Max-2) + "😀" + "tail", strings.Repeat("x", Max-2) + "...[cut: 262 bytes]"},
	} {
		t.Run(name, func(t *testing.T) {
			got := Cut(tc.in)
			if got != tc.want {
				t.Errorf("Cut = %q (%d bytes), want %q", got, len(got), tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Cut made invalid UTF-8: %q", got)
			}
		})
	}
}

// Invalid UTF-8 in the input stays as it was; the cut never loops or
// panics on it, and keeps at least Max-3 bytes.
func TestCutInvalidUTF8(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("\x80", 1000)
	got := Cut(in)
	if !strings.HasPrefix(got, strings.Repeat("\x80", Max-3)) || !strings.HasSuffix(got, "...[cut: 1000 bytes]") {
		t.Errorf("Cut = %q", got)
	}
}

func TestAttrs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("b", 10_000)
	if a := String("client_id", long); a.Key != "client_id" || len(a.Value.String()) > Max+30 {
		t.Errorf("String: %s=%d bytes", a.Key, len(a.Value.String()))
	}
	if a := Text("error", long); len(a.Value.String()) > MaxText+30 || len(a.Value.String()) <= Max+30 {
		t.Errorf("Text: %d bytes, want about MaxText", len(a.Value.String()))
	}
	if a := String("client_id", "app"); a.Value.String() != "app" {
		t.Errorf("String changed a short value: %q", a.Value.String())
	}
}

func BenchmarkStringShort(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		_ = String("client_id", "a-typical-client-id")
	}
}
