package revocation

import (
	"testing"
)

// FuzzParseRequest: any body, content type and Authorization header give a
// request or an OAuth error, never a panic; a request's token is what the
// body's single token parameter said.
func FuzzParseRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "Basic YXBwOnNlY3JldA==", []byte("token=abc&token_type_hint=refresh_token"))
	f.Add("application/x-www-form-urlencoded; charset=UTF-8", "", []byte("token=a.b.c&client_id=spa"))
	f.Add("application/x-www-form-urlencoded", "", []byte("token=a&token=b"))
	f.Add("application/json", "Bearer x", []byte(`{"token":"abc"}`))
	f.Add("application/x-www-form-urlencoded", "Basic OmZvbw==", []byte("token=%zz"))
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
		if req != nil {
			_ = LooksLikeJWT(req.Token)
		}
	})
}

// FuzzLooksLikeJWT: any token is classified without a panic, and a token
// without two dots is never taken for a JWT.
func FuzzLooksLikeJWT(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")
	f.Add("a.b.c")
	f.Add("abc")
	f.Fuzz(func(t *testing.T, token string) {
		if LooksLikeJWT(token) && len(token) < 5 {
			t.Fatalf("%q taken for a JWT", token)
		}
	})
}
