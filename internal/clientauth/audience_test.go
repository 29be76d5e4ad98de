package clientauth

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// A client assertion's aud (draft-ietf-oauth-rfc7523bis): by default the
// issuer or the token endpoint's URL, alone or in an array; with
// strictClientAssertionAudience, or whenever the assertion's typ is
// client-authentication+jwt, the issuer alone as one string. A refusal
// says which aud was expected.
func TestAssertionAudience(t *testing.T) {
	t.Parallel()
	const tokenEndpoint = issuer + "/connect/token"
	const typed = AssertionType
	for _, tc := range []struct {
		name   string
		strict bool
		typ    string // "" is JWT
		aud    any    // nil: no aud
		// desc is "" for success, else what the description must say.
		desc string
	}{
		{"default: issuer", false, "", issuer, ""},
		{"default: token endpoint", false, "", tokenEndpoint, ""},
		{"default: array with the issuer", false, "", []string{"https://other.example", issuer}, ""},
		{"default: array with the token endpoint", false, "", []string{tokenEndpoint, "https://other.example"}, ""},
		{"default: another server", false, "", "https://other.example/connect/token",
			`aud 'https://other.example/connect/token' must be the issuer 'https://auth.example.com' (or, for clients made before draft-ietf-oauth-rfc7523bis, the token endpoint 'https://auth.example.com/connect/token')`},
		{"default: another server's array", false, "", []string{"https://a.example", "https://b.example"}, `aud ['https://a.example' 'https://b.example'] must be the issuer 'https://auth.example.com'`},
		{"default: the issuer with a slash", false, "", issuer + "/", `must be the issuer 'https://auth.example.com'`},
		{"default: no aud", false, "", nil, `it has no aud; aud must be the issuer 'https://auth.example.com'`},
		{"strict: issuer", true, "", issuer, ""},
		{"strict: token endpoint", true, "", tokenEndpoint,
			`aud 'https://auth.example.com/connect/token' must be the issuer 'https://auth.example.com' (strictClientAssertionAudience is set; draft-ietf-oauth-rfc7523bis)`},
		{"strict: the issuer in an array", true, "", []string{issuer},
			`aud is an array, ['https://auth.example.com']; it must be the issuer 'https://auth.example.com' as a single string, not an array (strictClientAssertionAudience is set`},
		{"strict: no aud", true, "", nil, `it has no aud; aud must be the issuer 'https://auth.example.com', as a single string (strictClientAssertionAudience is set`},
		{"typed: issuer", false, typed, issuer, ""},
		{"typed as a media type: issuer", false, "application/Client-Authentication+JWT", issuer, ""},
		{"typed: token endpoint", false, typed, tokenEndpoint,
			`aud 'https://auth.example.com/connect/token' must be the issuer 'https://auth.example.com' (its typ is client-authentication+jwt; draft-ietf-oauth-rfc7523bis)`},
		{"typed as a media type: token endpoint", false, "application/client-authentication+jwt", tokenEndpoint, `(its typ is client-authentication+jwt`},
		{"typed: the issuer in an array", false, typed, []string{issuer}, `not an array (its typ is client-authentication+jwt`},
		{"typed and strict: issuer", true, typed, issuer, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.auth.StrictAssertionAudience = tc.strict
			claims := f.goodClaims()
			if tc.aud == nil {
				delete(claims, "aud")
			} else {
				claims["aud"] = tc.aud
			}
			var header []func(*jose.SignerOptions)
			if tc.typ != "" {
				header = append(header, func(o *jose.SignerOptions) { o.WithType(jose.ContentType(tc.typ)) })
			}
			_, _, err := f.check(assertionCreds(f.assertion(claims, header...)))
			if tc.desc == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			// As sent: the JSON error writer turns " into '.
			if err == nil || err.Status != http.StatusUnauthorized || err.Code != "invalid_client" || !strings.Contains(strings.ReplaceAll(err.Description, `"`, "'"), tc.desc) {
				t.Fatalf("%v\nwant 401 invalid_client saying %q", err, tc.desc)
			}
		})
	}
}

func TestExplicitlyTyped(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]bool{
		"client-authentication+jwt":             true,
		"Client-Authentication+JWT":             true,
		"application/client-authentication+jwt": true,
		"APPLICATION/client-authentication+jwt": true,
		"JWT":                                   false,
		"":                                      false,
		"application/":                          false,
		"at+jwt":                                false,
		"application/jwt":                       false,
		"client-authentication+jwt ":            false,
	} {
		h := jose.Header{ExtraHeaders: map[jose.HeaderKey]any{jose.HeaderType: typ}}
		if got := explicitlyTyped(h); got != want {
			t.Errorf("explicitlyTyped(typ %q) = %v, want %v", typ, got, want)
		}
	}
	if explicitlyTyped(jose.Header{}) {
		t.Error("no typ is explicitly typed")
	}
}
