package server

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The issuer of a request is the configured one, else the scheme and host
// the request came to (from X-Forwarded-* only with TrustProxy). The chain
// derives it once per request, refuses the request when it cannot be
// derived (but for Health routes), and carries it in the request's context
// (endpoint.Issuer).

// maxCachedIssuers bounds the issuers remembered per scheme and host.
const maxCachedIssuers = 32

// HSTS is a Strict-Transport-Security policy (RFC 6797). As ASP.NET
// Core's UseHsts, it is not sent to localhost, 127.0.0.1 and [::1]: a
// browser would apply it to every local development server.
type HSTS struct {
	// MaxAge is sent in whole seconds; 0 tells browsers to forget the
	// policy.
	MaxAge            time.Duration
	IncludeSubDomains bool
	Preload           bool
}

// Header is the header's value.
func (h HSTS) Header() string {
	v := "max-age=" + strconv.FormatInt(int64(h.MaxAge/time.Second), 10)
	if h.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

func (s *Server) issuer(r *http.Request) (string, error) {
	if s.opts.Issuer != "" {
		return s.opts.Issuer, nil
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if s.opts.TrustProxy {
		if p := lastValue(r.Header.Values("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := lastValue(r.Header.Values("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	cache := &s.issuersHTTP
	if scheme == "https" {
		cache = &s.issuersHTTPS
	}
	if iss, ok := cache.Load(host); ok {
		return iss.(string), nil
	}
	if !validHost(host) {
		return "", errHost
	}
	iss := scheme + "://" + strings.ToLower(host)
	// Each request asks for it once or twice (the token endpoint too):
	// keep the first hosts seen, not every made-up one.
	if s.reserveIssuer() {
		cache.Store(host, iss)
	}
	return iss, nil
}

// reserveIssuer takes one of the maxCachedIssuers places of the issuer
// caches, if one is left. The count stops at the bound (a counter added to
// at every miss would wrap after 2^31 of them, and the caches grow again),
// and once the caches are full a miss only reads it.
func (s *Server) reserveIssuer() bool {
	for {
		n := s.issuersCached.Load()
		if n >= maxCachedIssuers {
			return false
		}
		if s.issuersCached.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// errHost refuses a request whose issuer cannot be derived. It does not
// echo the host, which may hold anything (an OAuth error_description may
// not).
var errHost = errors.New("the request's host is not a DNS name or an IP address with an optional port (or there is no Host header, or with trustProxy an X-Forwarded-Host that is not one): send the server's name, or configure issuer")

// lastValue is the value a proxy in front of us set: the last of a
// comma-separated header, since each hop appends (as ASP.NET reads it).
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// overHTTPS reports whether r came over https, to a host that takes HSTS:
// with TLS, or with TrustProxy an X-Forwarded-Proto of https (as ASP.NET's
// UseHsts after its forwarded headers middleware), to a host other than
// localhost, 127.0.0.1 and [::1].
func (s *Server) overHTTPS(r *http.Request) bool {
	if !s.opts.TrustProxy {
		return r.TLS != nil && !loopbackHost(r.Host)
	}
	secure, host := r.TLS != nil, r.Host
	switch lastValue(r.Header.Values("X-Forwarded-Proto")) {
	case "https":
		secure = true
	case "http":
		secure = false
	}
	if h := lastValue(r.Header.Values("X-Forwarded-Host")); h != "" {
		host = h
	}
	return secure && !loopbackHost(host)
}

// loopbackHost reports whether host (with or without a port) is one of
// those HSTS is not sent to.
func loopbackHost(host string) bool {
	name := host
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			name = host[:i+1]
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		name = host[:i]
	}
	return strings.EqualFold(name, "localhost") || name == "127.0.0.1" || name == "[::1]"
}

// validHost accepts what a derived issuer may be made of: a DNS name, an
// IPv4 literal or a bracketed IPv6 literal without a zone, each with an
// optional port from 1 to 65535 (without leading zeros, so that one port
// makes one issuer). A name is made of labels of letters, digits, hyphens
// and underscores (underscores as browsers and Go's HTTP server take them:
// Docker and Compose name hosts with them), 1 to 63 long, not starting or
// ending with a hyphen, 253 at most in all, with no trailing dot (an alias
// of the name that would make a second issuer). A name whose last label is
// a number is not one: browsers read it as an IPv4 address ("127.1",
// "0x7f.1"), and only the dotted-quad form is accepted as that. Everything
// else, which a URL built from it could mean differently, is refused.
func validHost(h string) bool {
	if h == "" || len(h) > maxHostLen {
		return false
	}
	name, port := h, ""
	if h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		a, err := netip.ParseAddr(h[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		switch rest := h[end+1:]; {
		case rest == "":
			return true
		case rest[0] != ':':
			return false
		default:
			return validPort(rest[1:])
		}
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
		if !validPort(port) {
			return false
		}
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return a.Is4()
	}
	return validDNSName(name)
}

// maxHostLen bounds a host: the longest DNS name and a port.
const maxHostLen = maxNameLen + len(":65535")

const maxNameLen = 253

// validPort accepts 1 to 65535, written without a sign or leading zeros.
func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// validDNSName accepts a name of labels as validHost describes them.
func validDNSName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '.' {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
			continue
		}
		label := name[start:i]
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		if i == len(name) && numeric(label) {
			return false
		}
		start = i + 1
	}
	return true
}

// numeric reports whether a last label makes browsers (the WHATWG URL
// standard) read the host as an IPv4 address: all decimal digits, or 0x
// and hexadecimal digits.
func numeric(label string) bool {
	digits := label
	if len(label) >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') {
		digits = label[2:]
		for i := 0; i < len(digits); i++ {
			c := digits[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}
