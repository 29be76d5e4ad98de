package oauth

import (
	"strings"
	"testing"
)

func TestCheckRedirectURI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri       string
		allowHTTP bool
		want      string // "" for good, else part of the error
	}{
		{"https://app.example.com/signin-oidc", false, ""},
		{"https://app.example.com/cb?x=1", false, ""},
		{"http://127.0.0.1:7890/cb", false, ""},
		{"http://[::1]/cb", false, ""},
		{"http://localhost:5002/signin-oidc", false, ""},
		{"com.example.app:/callback", false, ""},
		{"com.example.app://callback", false, ""},
		{"http://app.example.com/cb", true, ""},
		{"http://app.example.com/cb", false, "uses http"},
		{"https://app.example.com/cb#x", false, "fragment"},
		{"https://*.example.com/cb", false, "wildcard"},
		{"/cb", false, "not absolute"},
		{"myapp://cb", false, "private-use scheme"},
		{"javascript:alert(1)", false, "private-use scheme"},
		{"https:///cb", false, "no host"},
		{"https://user:pw@app.example.com/cb", false, "user name"},
		{"", false, "empty"},
		{" https://app.example.com/cb", false, "spaces"},
		{"https://app example.com/cb", false, "not a URI"},
	} {
		err := CheckRedirectURI(tc.uri, tc.allowHTTP)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckRedirectURI(%q) = %v, want nil", tc.uri, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckRedirectURI(%q) = %v, want an error saying %q", tc.uri, err, tc.want)
		}
	}
}
