package grant

import (
	"testing"

	"github.com/signetid/signet/internal/client"
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

// FuzzParseAssertion: any client_assertion is parsed or refused, never a
// panic, and nothing without a signature in an allowed algorithm passes.
func FuzzParseAssertion(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJhcHAifQ.c2ln")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhcHAifQ.")
	f.Add("a.b.c.d.e")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, claims, err := parseAssertion(s)
		if err == nil && (tok == nil || len(tok.Headers) != 1) {
			t.Fatal("parsed without exactly one signature")
		}
		if err == nil {
			alg := tok.Headers[0].Algorithm
			allowed := false
			for _, a := range AssertionAlgorithms {
				if string(a) == alg {
					allowed = true
				}
			}
			if !allowed {
				t.Fatalf("algorithm %q passed the parser", alg)
			}
			// What is done with a parsed assertion before its client is
			// known never panics.
			verifyDummy(tok, tok.Headers[0], s)
			for _, strict := range []bool{false, true} {
				_ = (&Endpoint{StrictAssertionAudience: strict}).checkAudience(claims.Aud, explicitlyTyped(tok.Headers[0]), "https://auth.example.com")
			}
		}
	})
}

// FuzzParseClientKeys: a client's key set (from a --jwks-file, the
// configuration or the database) is accepted only when every key is a
// valid public asymmetric key, and never panics.
func FuzzParseClientKeys(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := client.ParseKeys(data)
		if (set == nil) == (err == nil) {
			t.Fatalf("set %v and error %v", set, err)
		}
		if err != nil {
			return
		}
		for _, k := range set.Keys {
			if !k.Valid() || !k.IsPublic() {
				t.Fatalf("accepted key %q: valid %v, public %v", k.KeyID, k.Valid(), k.IsPublic())
			}
			if _, symmetric := k.Key.([]byte); symmetric {
				t.Fatalf("accepted a symmetric key %q", k.KeyID)
			}
		}
	})
}
