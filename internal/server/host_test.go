package server

import (
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// hostCases are hosts a derived issuer is made of, or not, and why.
var hostCases = []struct {
	host string
	ok   bool
}{
	// DNS names.
	{"localhost", true},
	{"auth.example.com", true},
	{"Auth.Example.COM", true},
	{"auth-1.example.com", true},
	{"xn--bcher-kva.example", true},
	{"signet_1", true}, // Docker Compose names hosts so; browsers and net/http accept it
	{"a", true},
	{strings.Repeat("a", 63) + ".example", true},
	{strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("a", 61), true},  // 253 in all
	{strings.Repeat("a", 64) + ".example", false},                                     // label over 63
	{strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("a", 62), false}, // 254 in all
	{"example.com.", false},  // trailing dot: a second issuer for one name
	{".example.com", false},  // empty label
	{"a..example", false},    // empty label
	{"-auth.example", false}, // a label starts with a hyphen
	{"auth-.example", false}, // or ends with one
	{"auth.example.123", false},
	{"127.1", false},      // browsers read it as 127.0.0.1
	{"0x7f.0.0.1", false}, // and this
	{"host.0x1F", false},
	{"1.2.3", false},
	{"01.2.3.4", false}, // leading zeros: octal to some
	{"256.1.1.1", false},
	{"ex ample.com", false},
	{"a!b.example", false}, // sub-delims that url.Parse keeps
	{"a'b.example", false},
	{"a$b.example", false},
	{"a;b.example", false},
	{"a(b).example", false},
	{"a*b.example", false},
	{"a+b.example", false},
	{"a,b.example", false},
	{"a=b.example", false},
	{"a&b.example", false},
	{"a~b.example", false},
	{"bücher.example", false}, // Unicode: send the A-label
	{"user@auth.example", false},
	{"auth.example/x", false},
	{"auth.example?x", false},
	{"auth.example#x", false},
	{"auth.example\\x", false},
	{"auth%2eexample", false},
	{"", false},
	// IPv4.
	{"127.0.0.1", true},
	{"10.0.0.1:8443", true},
	{"0.0.0.0", true},
	{"255.255.255.255:65535", true},
	// IPv6.
	{"[::1]", true},
	{"[::1]:5000", true},
	{"[2001:db8::1]:443", true},
	{"[::ffff:192.0.2.1]", true},
	{"[fe80::1%25eth0]", false}, // zone ids are local to a machine
	{"[fe80::1%eth0]", false},
	{"[127.0.0.1]", false},
	{"[::1", false},
	{"::1", false},
	{"[::1]x", false},
	{"[::1]:", false},
	{"[::1]:0", false},
	{"[[::1]]", false},
	{"[v1.x]", false}, // an IPvFuture literal
	// Ports.
	{"auth.example:1", true},
	{"auth.example:65535", true},
	{"auth.example:65536", false},
	{"auth.example:0", false},
	{"auth.example:080", false}, // a second spelling of one port
	{"auth.example:", false},
	{"auth.example:+80", false},
	{"auth.example:-1", false},
	{"auth.example:8080:1", false},
	{"auth.example:99999999999999999999", false},
	{"127.0.0.1:0x50", false},
}

func TestValidHost(t *testing.T) {
	t.Parallel()
	for _, tt := range hostCases {
		if got := validHost(tt.host); got != tt.ok {
			t.Errorf("validHost(%q) = %v, want %v", tt.host, got, tt.ok)
		}
		if got := hostOracle(tt.host); got != tt.ok {
			t.Errorf("the test's oracle says %v for %q, want %v", got, tt.host, tt.ok)
		}
	}
}

// FuzzValidHost checks validHost against an oracle written another way
// (regular expressions and net/netip), and that what it accepts makes an
// issuer URL whose host is the host and nothing else.
func FuzzValidHost(f *testing.F) {
	for _, tt := range hostCases {
		f.Add(tt.host)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := validHost(h)
		if want := hostOracle(h); got != want {
			t.Fatalf("validHost(%q) = %v, the oracle says %v", h, got, want)
		}
		if !got {
			return
		}
		u, err := url.Parse("http://" + strings.ToLower(h) + "/")
		if err != nil || u.Host != strings.ToLower(h) || u.User != nil || u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.Hostname() == "" {
			t.Fatalf("validHost accepted %q, whose issuer parses as %#v (%v)", h, u, err)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("validHost accepted %q with port %q", h, p)
			}
		}
	})
}

var (
	oracleLabel = `[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?`
	oracleName  = regexp.MustCompile(`^(?:` + oracleLabel + `\.)*` + oracleLabel + `$`)
	oracleNum   = regexp.MustCompile(`(?:^|\.)(?:[0-9]+|0[xX][0-9A-Fa-f]*)$`)
	oracleV6    = regexp.MustCompile(`^\[([^\]]*)\]$`)
	oraclePort  = regexp.MustCompile(`^[1-9][0-9]{0,4}$`)
)

// hostOracle is validHost's rule said another way.
func hostOracle(h string) bool {
	host, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		host, port = h[:i], h[i+1:]
		if n, err := strconv.Atoi(port); !oraclePort.MatchString(port) || err != nil || n > 65535 {
			return false
		}
	}
	if m := oracleV6.FindStringSubmatch(host); m != nil {
		a, err := netip.ParseAddr(m[1])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4()
	}
	return len(host) <= 253 && oracleName.MatchString(host) && !oracleNum.MatchString(host)
}
