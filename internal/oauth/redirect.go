package oauth

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckRedirectURI is the one rule for a redirect URI a client registers
// (redirectUris and postLogoutRedirectUris, in the configuration file and
// through signet client alike): absolute, without fragment (RFC 6749
// §3.1.2) or wildcard (they are compared exactly), and https; http only
// for a loopback address (127.0.0.1, [::1], localhost: native apps, RFC
// 8252 §7.3), or anywhere when allowHTTP (development, or allowHttp); or a
// private-use scheme of a native app, named as a reversed domain name with
// a dot (com.example.app:/callback, RFC 8252 §7.1). nil when it is good,
// else an error saying what is wrong and what to write.
func CheckRedirectURI(raw string, allowHTTP bool) error {
	if strings.TrimSpace(raw) == "" {
		return fmt.Errorf("a redirect URI is empty")
	}
	if raw != strings.TrimSpace(raw) {
		return fmt.Errorf("redirect URI %q has spaces around it", raw)
	}
	if strings.Contains(raw, "#") {
		return fmt.Errorf("redirect URI %q has a fragment (#...), which a redirect URI must not have (RFC 6749 section 3.1.2): remove it", raw)
	}
	if strings.Contains(raw, "*") {
		return fmt.Errorf("redirect URI %q has a wildcard: redirect URIs are compared exactly, so list each one", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return fmt.Errorf("redirect URI %q is not a URI: %v", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "":
		return fmt.Errorf("redirect URI %q is not absolute: write the whole URI, such as https://app.example.com/signin-oidc", raw)
	case scheme == "https" || scheme == "http":
		if u.Host == "" || u.Opaque != "" {
			return fmt.Errorf("redirect URI %q has no host: write it as %s://host/path", raw, scheme)
		}
		if u.User != nil {
			return fmt.Errorf("redirect URI %q must not hold a user name or password", u.Redacted())
		}
		if scheme == "http" && !allowHTTP && !loopback(u.Hostname()) {
			return fmt.Errorf("redirect URI %q uses http: use https (http is allowed only for a loopback address, 127.0.0.1, [::1] or localhost, as native apps use, or in development)", raw)
		}
		return nil
	case !strings.Contains(scheme, "."):
		return fmt.Errorf("redirect URI %q has scheme %s: use https, http on a loopback address, or a native app's private-use scheme named as a reversed domain name the app owns, such as com.example.app:/callback (RFC 8252 section 7.1)", raw, u.Scheme)
	}
	return nil
}

// loopback reports whether host is a loopback address or localhost.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
