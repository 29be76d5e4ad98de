package grant

import (
	"testing"
)

// FuzzParseRequest: any body, content type and Authorization header give a
// request or an OAuth error, never a panic.
func FuzzParseRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "Basic YXBwOnNlY3JldA==", []byte("grant_type=client_credentials&scope=api1"))
	f.Add("application/x-www-form-urlencoded; charset=UTF-8", "", []byte("grant_type=client_credentials&client_id=a%20b&client_secret=%zz"))
	f.Add("application/json", "Bearer x", []byte(`{"grant_type":"client_credentials"}`))
	f.Add("application/x-www-form-urlencoded", "Basic OmZvbw==", []byte("a=1&a=2"))
	f.Fuzz(func(t *testing.T, contentType, authorization string, body []byte) {
		var auth []string
		if authorization != "" {
			auth = []string{authorization}
		}
		req, oerr := parseRequest(contentType, auth, body)
		if (req == nil) == (oerr == nil) {
			t.Fatalf("request %v and error %v", req, oerr)
		}
		if oerr != nil && (oerr.Code == "" || oerr.Description == "") {
			t.Fatalf("error without code or description: %+v", oerr)
		}
	})
}
