package catalog

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
)

var builtInScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access"}

// The identity resources of a snapshot: the built-in ones, the file's and
// the database's, on every backend; a database one that collides with the
// file's is a conflict, one that breaks claims.New's rules is left out and
// logged, and the consent page's texts come from where each is defined.
func TestIdentityResources(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db := b.OpenOne(t, nil)
			ctx := t.Context()
			for _, r := range []storage.IdentityResource{
				{Name: "employee", DisplayName: "Your employee number", Claims: []string{"employee_id"}},
				{Name: "badge", DisplayName: "Badge", Claims: []string{"badge"}},
				{Name: "forged", Claims: []string{"iss"}},
			} {
				if err := db.CreateIdentityResource(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.CreateAPIScope(ctx, storage.APIScope{Name: "orders", DisplayName: "Orders", Description: "Your orders"}); err != nil {
				t.Fatal(err)
			}
			static := fileStatic()
			static.ScopeTexts = map[string]ScopeInfo{"api1": {DisplayName: "API 1", Required: true}}
			static.IdentityResources = []IdentityResource{{
				IdentityResource: storage.IdentityResource{Name: "badge", DisplayName: "Your badge", Claims: []string{"badge_no"}},
				Emphasize:        true,
			}}
			var logs testsupport.LogBuffer
			c := New(static, db, slog.New(slog.NewTextHandler(&logs, nil)))
			if _, ok := c.IdentityResources().Lookup("openid"); !ok {
				t.Error("before Load: no built-in openid")
			}
			err := c.Load(ctx)
			if err == nil || !strings.Contains(err.Error(), `identity resource "badge"`) {
				t.Errorf("Load = %v, want a conflict on badge", err)
			}
			scopes, _ := c.Scopes()
			want := append([]string{"api1", "orders"}, builtInScopes...)
			want = append(want, "badge", "employee")
			if !slices.Equal(scopes, want) {
				t.Errorf("Scopes = %v, want %v", scopes, want)
			}
			if !strings.Contains(logs.String(), `msg="an identity resource in the database cannot be used" name=forged`) || c.KnownScope("forged") {
				t.Errorf("a resource claiming iss is served; log:\n%s", logs.String())
			}
			rs := c.IdentityResources()
			if r, ok := rs.Lookup("employee"); !ok || r.DisplayName != "Your employee number" || r.BuiltIn {
				t.Errorf("employee = %+v, %v", r, ok)
			}
			if r, _ := rs.Lookup("badge"); !slices.Equal(r.Claims, []string{"badge_no"}) {
				t.Errorf("badge = %+v: the file's definition wins a conflict", r)
			}
			if c.IdentityResources() != rs {
				t.Error("IdentityResources is built per call, not once per snapshot")
			}
			for name, want := range map[string]ScopeInfo{
				"api1":    {Name: "api1", DisplayName: "API 1", Required: true},
				"orders":  {Name: "orders", DisplayName: "Orders", Description: "Your orders"},
				"openid":  {Name: "openid", DisplayName: "Your user identifier", Required: true, Identity: true},
				"badge":   {Name: "badge", DisplayName: "Your badge", Emphasize: true, Identity: true},
				"profile": {Name: "profile", DisplayName: "User profile", Description: "Your user profile information (first name, last name, etc.)", Emphasize: true, Identity: true},
			} {
				if got, ok := c.ScopeInfo(name); !ok || got != want {
					t.Errorf("ScopeInfo(%s) = %+v, %v; want %+v", name, got, ok, want)
				}
			}
			for name, known := range map[string]bool{"api1": true, "orders": true, "email": true, "employee": true, "nope": false} {
				if c.KnownScope(name) != known {
					t.Errorf("KnownScope(%s) = %v", name, !known)
				}
			}
		})
	}
}
