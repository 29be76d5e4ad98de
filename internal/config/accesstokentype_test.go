package config

import (
	"fmt"
	"strings"
	"testing"
)

// accessTokenType reads as IdentityServer's JSON enum binding does: the
// names in any case and the numbers 0 and 1, in the appsettings.json shape
// too; Validate leaves "" for Jwt and Reference for Reference, and names
// both choices for anything else.
func TestAccessTokenType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string // as written in the JSON file
		want  string
		bad   bool
	}{
		{`"Jwt"`, "", false},
		{`"jwt"`, "", false},
		{`0`, "", false},
		{`"0"`, "", false},
		{`"Reference"`, AccessTokenReference, false},
		{`"REFERENCE"`, AccessTokenReference, false},
		{`" reference "`, AccessTokenReference, false},
		{`1`, AccessTokenReference, false},
		{`"1"`, AccessTokenReference, false},
		{`"Opaque"`, "", true},
		{`2`, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			src := fmt.Sprintf(`{"IdentityServer": {"ApiScopes": [{"Name": "api1"}], "Clients": [
{"ClientId": "a", "AllowedGrantTypes": ["client_credentials"], "AllowedScopes": ["api1"],
 "ClientSecrets": [{"Value": "x3Xnt1ft5jDNCqERO9ECZhqziCnKUqZCKreChi8mhkY="}], "AccessTokenType": %s}]}}`, tc.value)
			c, err := parse("f.json", []byte(src), env())
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), "f.json:3: IdentityServer:Clients:0:AccessTokenType: unknown access token type") ||
					!strings.Contains(err.Error(), "use Jwt (self-contained JWTs, the default) or Reference") {
					t.Fatalf("Validate = %v, want the unknown access token type refused at its line, naming Jwt and Reference", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Clients[0].AccessTokenType; got != tc.want {
				t.Errorf("AccessTokenType %s = %q, want %q", tc.value, got, tc.want)
			}
		})
	}
}
