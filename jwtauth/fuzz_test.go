package jwtauth_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/jwtauth"
)

// checkResult holds for any input: claims xor a *ValidationError with one
// of the sentinels as Reason and a message.
func checkResult(t *testing.T, c *jwtauth.Claims, err error) {
	if (c == nil) == (err == nil) {
		t.Fatalf("claims %v and error %v", c, err)
	}
	if err == nil {
		return
	}
	var ve *jwtauth.ValidationError
	if !errors.As(err, &ve) || !slices.Contains(sentinels, ve.Reason) || ve.Error() == "" {
		t.Fatalf("error %#v", err)
	}
}

// FuzzValidate feeds arbitrary strings as tokens to a Validator with
// static keys: an error or valid claims, never a panic. No change to a
// signed token can keep it valid (strict base64url, a signature over the
// exact text), so whatever is accepted must be one of the seeds.
func FuzzValidate(f *testing.F) {
	iss := "https://issuer"
	keys := []*testKey{key("rsa"), key("p256"), key("ed")}
	v := staticValidator(f, iss, func(o *jwtauth.Options) { o.TokenTypes = []string{"at+jwt", ""} }, keys...)
	claims := claimsFor(iss)
	var valid []string
	for _, k := range keys {
		valid = append(valid, sign(f, k, nil, claims), sign(f, k, map[string]any{"kid": nil, "typ": nil}, claims))
	}
	for _, s := range valid {
		f.Add(s)
	}
	seeds := []string{
		"", ".", "..", "...", "a.b.c", "a.b.c.d.e", "{}", "e30.e30.", "eyJhbGciOiJub25lIn0.e30.",
		sign(f, keys[0], map[string]any{"alg": "HS256"}, claims),
		sign(f, keys[0], map[string]any{"kid": keys[1].kid}, claims),
		sign(f, keys[0], map[string]any{"crit": []string{"x"}}, claims),
		sign(f, keys[1], nil, `{"iss":"https://issuer","aud":["x","`+audience+`"],"exp":1e10,"scope":["a"]}`),
		sign(f, keys[2], nil, `{"a":{"b":[1,"\"}",{"c":null}]},"exp":"x"}`),
		valid[0][:len(valid[0])-1], valid[1] + "=", strings.Replace(valid[2], ".", "..", 1),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	signed := append(valid, seeds...)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Validate(t.Context(), token)
		checkResult(t, c, err)
		if err == nil && !slices.Contains(signed, token) {
			t.Fatalf("accepted a token that was never signed: %q", token)
		}
	})
}

// FuzzClaims signs arbitrary headers and payloads, so that the claims
// reader (which runs only after the signature verifies) is fuzzed too.
// What it accepts, encoding/json must read the same way.
func FuzzClaims(f *testing.F) {
	k := key("ed")
	v := staticValidator(f, "", func(o *jwtauth.Options) {
		o.Audience, o.UnsafeSkipAudienceCheck = "", true
		o.TokenTypes = []string{"at+jwt", ""}
	}, k)
	f.Add(`{"alg":"EdDSA","kid":"ED-KID"}`, `{"iss":"x","aud":"y","exp":4102444800,"scope":"a b"}`)
	f.Add(`{"alg":"EdDSA"}`, `{"exp":4102444800,"aud":["a","b"],"scp":["c"],"nbf":1.5,"iat":0}`)
	f.Add(`{"alg":"EdDSA","typ":"at+jwt","kid":"ED-KID"}`, `{"exp":4102444800,"\u0061ud":"a","x":{"y":[1,2,{"z":"\"}"}]}}`)
	f.Add(`{"alg":"EdDSA","alg":"EdDSA"}`, `{"exp":4102444800,"exp":4102444800}`)
	f.Add(`{"alg":"EdDSA"}`, ` { "exp" : 4102444800 , "sub" : "\ud83d\ude00" } `)
	f.Add(`{"alg":"EdDSA"}`, `{"exp":-1}`)
	f.Fuzz(func(t *testing.T, header, payload string) {
		token := signRaw(t, k, header, payload)
		c, err := v.Validate(t.Context(), token)
		checkResult(t, c, err)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			t.Fatalf("accepted a payload encoding/json refuses: %v", err)
		}
		if len(m) != len(c.Raw) {
			t.Fatalf("encoding/json reads %d claims, Raw has %d", len(m), len(c.Raw))
		}
		for name, got := range map[string]string{"iss": c.Issuer, "sub": c.Subject, "jti": c.ID} {
			var want string
			if raw, ok := m[name]; ok && string(raw) != "null" {
				if err := json.Unmarshal(raw, &want); err != nil || want != got {
					t.Fatalf("%s is %q, encoding/json reads %s as %q (%v)", name, got, raw, want, err)
				}
			}
		}
		for name, raw := range m {
			if string(c.Raw[name]) != strings.TrimSpace(string(raw)) {
				t.Fatalf("Raw[%q] = %s, encoding/json %s", name, c.Raw[name], raw)
			}
		}
	})
}
