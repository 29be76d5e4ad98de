package introspect_test

import (
	"testing"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/tokens"
)

// An API gets the same claims from the introspection of a reference token
// as from the JWT it would otherwise be (issue 15: "claims behave the same
// for both kinds of token"): the client's own claims, and amr of a user's
// token, which its record keeps for that reason. A client's claim can
// never make an answer say more than the endpoint decided: active,
// token_type and scope stay the endpoint's.
func TestClientClaimsAnswered(t *testing.T) {
	t.Parallel()
	e := memEnv(t)
	c := &client.Client{ID: "tenant", GrantTypes: []string{"client_credentials"}, Scopes: []string{"orders.read"},
		Claims: []byte(`{"tenant":"acme","roles":["a","b"],"token_type":"refresh_token","active":false}`)}
	e.clients["tenant"] = c
	req := tokens.AccessTokenRequest{Issuer: issuer, Client: c, Scopes: []string{"orders.read"}}
	jwt, err := e.tokens.AccessToken(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := e.tokens.ReferenceToken(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"JWT": jwt.JWT, "reference": ref.Handle} {
		a := answer(t, e.introspect(tok))
		if a["active"] != true || a["tenant"] != "acme" || len(a["roles"].([]any)) != 2 || a["token_type"] != "Bearer" || a["scope"] != "orders.read" {
			t.Errorf("%s token of a client with claims: %v; want active with tenant and roles", name, a)
		}
	}
	user := req
	user.Subject, user.AuthTime, user.AMR = "alice-id", e.clock.Now(), []string{"pwd"}
	ref, err = e.tokens.ReferenceToken(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	if a := answer(t, e.introspect(ref.Handle)); a["active"] != true || a["amr"] == nil {
		t.Errorf("a user's reference token: %v; want active with amr", a)
	}
}
