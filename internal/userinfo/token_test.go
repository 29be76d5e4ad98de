package userinfo

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const form = "application/x-www-form-urlencoded"

// extractToken takes the token from exactly one place (RFC 6750 §2), and
// says what is wrong otherwise.
func TestExtractToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		method, ct  string
		auth        []string
		query, body string
		want, code  string
		says        string
	}{
		{name: "header", method: "GET", auth: []string{"Bearer abc.DEF-_~+/=="}, want: "abc.DEF-_~+/=="},
		{name: "scheme any case, spaces", method: "GET", auth: []string{"bearer   abc"}, want: "abc"},
		{name: "body", method: "POST", ct: form, body: "access_token=abc&x=1", want: "abc"},
		{name: "body with charset", method: "POST", ct: form + "; charset=utf-8", body: "access_token=abc", want: "abc"},
		{name: "nothing", method: "GET", code: "", says: "Authorization: Bearer"},
		{name: "body of a GET ignored", method: "GET", ct: form, body: "access_token=abc", code: "", says: "Authorization: Bearer"},
		{name: "JSON body ignored", method: "POST", ct: "application/json", body: `{"access_token":"abc"}`, code: "", says: "Bearer"},
		{name: "both", method: "POST", auth: []string{"Bearer abc"}, ct: form, body: "access_token=abc", code: InvalidRequest, says: "one way only"},
		{name: "query", method: "GET", query: "access_token=abc", code: InvalidRequest, says: "URL"},
		{name: "Basic", method: "GET", auth: []string{"Basic YTpi"}, code: InvalidRequest, says: "not 'Basic'"},
		{name: "Bearer alone", method: "GET", auth: []string{"Bearer"}, code: InvalidRequest, says: "missing"},
		{name: "Bearer space", method: "GET", auth: []string{"Bearer "}, code: InvalidRequest, says: "missing"},
		{name: "two headers", method: "GET", auth: []string{"Bearer a", "Bearer b"}, code: InvalidRequest, says: "repeated"},
		{name: "not a b64token", method: "GET", auth: []string{"Bearer a b"}, code: InvalidRequest, says: "not a token"},
		{name: "= inside", method: "GET", auth: []string{"Bearer a=b"}, code: InvalidRequest, says: "not a token"},
		{name: "body repeated", method: "POST", ct: form, body: "access_token=a&access_token=b", code: InvalidRequest, says: "repeated"},
		{name: "body empty token", method: "POST", ct: form, body: "access_token=", code: InvalidRequest, says: "empty"},
		{name: "body malformed", method: "POST", ct: form, body: "access_token=%zz", code: InvalidRequest, says: "malformed"},
	} {
		got, err := extractToken(tc.method, tc.ct, tc.auth, tc.query, []byte(tc.body))
		switch {
		case tc.want != "":
			if err != nil || got != tc.want {
				t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
			}
		case err == nil || err.Code != tc.code || !strings.Contains(err.Description, tc.says):
			t.Errorf("%s: %q, %+v; want %q saying %q", tc.name, got, err, tc.code, tc.says)
		case err.status() != map[string]int{"": 401, InvalidRequest: 400}[tc.code]:
			t.Errorf("%s: status %d", tc.name, err.status())
		}
	}
}

// FuzzExtractToken: no input panics; a token found is a b64token, found
// in exactly one place.
func FuzzExtractToken(f *testing.F) {
	f.Add("GET", "", "Bearer abc", "", "")
	f.Add("POST", form, "", "", "access_token=abc")
	f.Add("POST", form, "Bearer a", "x=1", "access_token=b")
	f.Add("GET", "", "", "access_token=a;b", "")
	f.Fuzz(func(t *testing.T, method, ct, auth, query, body string) {
		var authz []string
		if auth != "" {
			authz = strings.Split(auth, "\n")
		}
		tok, err := extractToken(method, ct, authz, query, []byte(body))
		if err != nil {
			if tok != "" || err.status() != http.StatusBadRequest && err.status() != http.StatusUnauthorized {
				t.Fatalf("token %q with error %+v", tok, err)
			}
			return
		}
		if !isB64Token(tok) {
			t.Fatalf("token %q is no b64token", tok)
		}
		q, _ := url.ParseQuery(body)
		mt, _, _ := mime.ParseMediaType(ct)
		if len(authz) == 1 && method == http.MethodPost && q.Has("access_token") && mt == form {
			t.Fatalf("token %q taken from a request with the token twice? auth %q body %q", tok, auth, body)
		}
	})
}
