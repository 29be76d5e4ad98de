package grant

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/storage"
)

// A client that signs users in (authorization_code) and also has
// client_credentials gets no identity scope in its own name: an access
// token for no user with openid, profile or offline_access would tell an
// API that a user signed in. Asked for explicitly, they are invalid_scope;
// asked for nothing, they are left out of the default (its API scopes).
func TestClientCredentialsNoIdentityScopes(t *testing.T) {
	t.Parallel()
	custom, err := claims.New([]storage.IdentityResource{{Name: "employee", Claims: []string{"employee_id"}}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(f *fixture, o *Options) {
		f.clients["both"] = &client.Client{ID: "both", GrantTypes: []string{"client_credentials", "authorization_code"},
			Scopes:  []string{"openid", "profile", "email", "employee", "api1", "api2"},
			Secrets: f.clients["app"].Secrets, AllowOfflineAccess: true}
		f.clients["users-only"] = &client.Client{ID: "users-only", GrantTypes: []string{"client_credentials", "authorization_code"},
			Scopes: []string{"openid", "profile"}, Secrets: f.clients["app"].Secrets}
		o.IdentityResources = func() *claims.Resources { return custom }
	})
	for _, tc := range []struct {
		client, scope   string
		status          int
		wantScope, code string
	}{
		{"both", "", http.StatusOK, "api1 api2", ""},
		{"both", "api1", http.StatusOK, "api1", ""},
		{"both", "openid", http.StatusBadRequest, "", "invalid_scope"},
		{"both", "api1 profile", http.StatusBadRequest, "", "invalid_scope"},
		{"both", "offline_access", http.StatusBadRequest, "", "invalid_scope"},
		{"both", "employee", http.StatusBadRequest, "", "invalid_scope"},
		{"users-only", "", http.StatusBadRequest, "", "invalid_scope"},
	} {
		form := url.Values{"grant_type": {"client_credentials"}}
		if tc.scope != "" {
			form.Set("scope", tc.scope)
		}
		res := f.post(form, basic(tc.client, f.secret))
		if res.status != tc.status || tc.status == http.StatusOK && res.body["scope"] != tc.wantScope ||
			tc.code != "" && res.body["error"] != tc.code {
			t.Errorf("%s asking for %q: %d %v; want %d, scope %q, error %q", tc.client, tc.scope, res.status, res.body, tc.status, tc.wantScope, tc.code)
			continue
		}
		if tc.code != "" {
			desc, _ := res.body["error_description"].(string)
			if !strings.Contains(desc, "client_credentials") {
				t.Errorf("%s asking for %q: error_description %q does not say why (client_credentials)", tc.client, tc.scope, desc)
			}
		}
	}
}
