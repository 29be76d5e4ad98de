package introspect

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseRequest feeds parseRequest any body, content type and
// Authorization header: it must never panic, and what it accepts must be
// one form with at most one token and hint.
func FuzzParseRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "", "token=abc&token_type_hint=refresh_token")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "Basic aHR0cHMlM0ElMkYlMkZhcGk6c2VjcmV0", "token=a.b.c")
	f.Add("application/x-www-form-urlencoded", "Basic !!!", "token=x")
	f.Add("application/x-www-form-urlencoded", "Bearer x", "token=x&token=y")
	f.Add("application/json", "", `{"token":"x"}`)
	f.Add("application/x-www-form-urlencoded", "", "token=%zz")
	f.Add("application/x-www-form-urlencoded", "", "client_id=a&client_secret=b&client_assertion=c&client_assertion_type=d&token=")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, contentType, authorization, body string) {
		var auth []string
		if authorization != "" {
			auth = []string{authorization}
		}
		req, oerr := parseRequest(contentType, auth, []byte(body))
		if (req == nil) == (oerr == nil) {
			t.Fatalf("parseRequest = %v, %v: want exactly one", req, oerr)
		}
		if oerr != nil {
			if oerr.Code == "" || oerr.Status == 0 {
				t.Fatalf("error without code or status: %+v", oerr)
			}
			return
		}
		form, err := url.ParseQuery(body)
		if err != nil || len(form["token"]) > 1 || len(form["token_type_hint"]) > 1 {
			t.Fatalf("accepted %q (%v)", body, err)
		}
		if req.Token != form.Get("token") || req.Hint != form.Get("token_type_hint") {
			t.Fatalf("token %q hint %q from %q", req.Token, req.Hint, body)
		}
		if req.Credentials.HasBasic && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(authorization)), "basic") {
			t.Fatalf("Basic credentials from %q", authorization)
		}
	})
}
