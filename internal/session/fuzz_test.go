package session

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzHandleFrom: whatever the Cookie header holds, reading a handle
// neither panics nor returns anything but a canonical handle that the
// header carries.
func FuzzHandleFrom(f *testing.F) {
	good := strings.Repeat("A", 42) + "Q"
	for _, s := range []string{
		"",
		CookieName + "=" + good,
		CookieName + "=" + good + "; " + CookieName + "=" + good,
		"a=b; " + CookieName + "=\"" + good + "\"",
		CookieName + "=" + good[:42] + "R",
		CookieName + "=" + good + "=",
		CookieName,
		";;;=;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := &http.Request{Header: http.Header{"Cookie": {header}}}
		h := handleFrom(r, CookieName)
		if h == "" {
			return
		}
		if !validHandle(h) || len(h) != handleLen || !strings.Contains(header, h) {
			t.Fatalf("handleFrom(%q) = %q, not a canonical handle from the header", header, h)
		}
		if strings.Count(header, CookieName) < 1 {
			t.Fatalf("handleFrom(%q) = %q without a cookie of that name", header, h)
		}
	})
}

// FuzzCheckFormToken: no token but the right one passes, and none panics.
func FuzzCheckFormToken(f *testing.F) {
	handle := strings.Repeat("A", 42) + "Q"
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(encodeToken(formToken(handle, "other")))
	f.Fuzz(func(t *testing.T, token string) {
		right := encodeToken(formToken(handle, "login"))
		if checkFormToken(handle, "login", token) != (token == right) {
			t.Fatalf("checkFormToken(%q) passes a wrong token or fails the right one", token)
		}
	})
}
