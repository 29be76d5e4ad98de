package clientauth

import (
	"testing"

	"github.com/signetid/signet/internal/client"
)

// FuzzParseBasic: any Authorization header gives credentials or an OAuth
// error, never a panic; a refused header is invalid_client with the Basic
// challenge.
func FuzzParseBasic(f *testing.F) {
	f.Add("Basic YXBwOnNlY3JldA==")
	f.Add("Basic OmZvbw==")
	f.Add("basic JXp6OnNlY3JldA==")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, authorization string) {
		cr, oerr := Parse(nil, []string{authorization})
		if oerr == nil && (!cr.HasBasic || cr.BasicID == "") {
			t.Fatalf("accepted without a client_id: %+v", cr)
		}
		if oerr != nil && (oerr.Code != "invalid_client" || oerr.Challenge != challenge || oerr.Description == "") {
			t.Fatalf("refused without invalid_client, its challenge and a description: %+v", oerr)
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
			(&Authenticator{}).verifyDummy(tok, tok.Headers[0], s)
			for _, strict := range []bool{false, true} {
				_ = (&Authenticator{StrictAssertionAudience: strict}).checkAudience(claims.Aud, explicitlyTyped(tok.Headers[0]), "https://auth.example.com")
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
