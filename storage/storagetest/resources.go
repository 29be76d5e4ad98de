package storagetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/signetid/signet/storage"
)

var resourceTests = []test{
	{"ScopesAreNames", testResourceScopesAreNames},
	{"Invalid", testResourcesInvalid},
}

// testResourceScopesAreNames checks that resources do not refer to stored
// scopes: a resource may name a scope that is not stored, and deleting a
// scope leaves the resources that name it.
func testResourceScopesAreNames(t *testing.T, s storage.Store) {
	apiScopeKind.mustCreate(t, s, apiScopeKind.sample("orders.read"))
	r := apiResourceKind.sample("orders")
	apiResourceKind.mustCreate(t, s, r) // orders.write is not stored
	if err := s.DeleteAPIScope(t.Context(), "orders.read"); err != nil {
		t.Fatal(err)
	}
	apiResourceKind.check(t, s, "orders", r)
}

func testResourcesInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	long := strings.Repeat("x", storage.MaxTextLen+1)
	var many []string
	for i := range storage.MaxListLen + 1 {
		many = append(many, fmt.Sprintf("scope-%d", i))
	}
	tests := []struct {
		name string
		err  error
		msg  string
	}{
		{"scope without name", s.CreateAPIScope(ctx, storage.APIScope{DisplayName: "x"}), "scope name is empty"},
		{"scope long display name", s.CreateAPIScope(ctx, storage.APIScope{Name: "s", DisplayName: long}), "scope display name is 4097 bytes"},
		{"scope invalid description", s.CreateAPIScope(ctx, storage.APIScope{Name: "s", Description: "\xff"}), "scope description is not valid UTF-8"},
		{"resource without name", s.CreateAPIResource(ctx, storage.APIResource{}), "resource name is empty"},
		{"resource nul in display name", s.CreateAPIResource(ctx, storage.APIResource{Name: "r", DisplayName: "\x00"}), "resource display name contains a NUL byte"},
		{"resource duplicate scope", s.CreateAPIResource(ctx, storage.APIResource{Name: "r", Scopes: []string{"a", "b", "a"}}), `resource scope "a" is listed twice`},
		{"resource too many scopes", s.CreateAPIResource(ctx, storage.APIResource{Name: "r", Scopes: many}), "1001 entries of resource scope, over the limit of 1000"},
		{"identity resource without name", s.CreateIdentityResource(ctx, storage.IdentityResource{}), "identity resource name is empty"},
		{"identity resource long description", s.CreateIdentityResource(ctx, storage.IdentityResource{Name: "i", Description: long}), "identity resource description is 4097 bytes"},
		{"identity resource empty claim", s.CreateIdentityResource(ctx, storage.IdentityResource{Name: "i", Claims: []string{"email", ""}}), "identity resource claim is empty"},
		{"identity resource long claim", s.CreateIdentityResource(ctx, storage.IdentityResource{Name: "i", Claims: []string{long}}), "identity resource claim is 4097 bytes"},
	}
	for _, tt := range tests {
		wantInvalid(t, tt.name, tt.err, tt.msg)
	}
	scopes, err1 := s.ListAPIScopes(ctx)
	resources, err2 := s.ListAPIResources(ctx)
	identities, err3 := s.ListIdentityResources(ctx)
	if len(scopes)+len(resources)+len(identities) != 0 || err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("after refused creates: %d scopes, %d resources, %d identity resources (%v, %v, %v); want none",
			len(scopes), len(resources), len(identities), err1, err2, err3)
	}
	// The longest lists and texts are accepted.
	r := storage.APIResource{Name: "r", DisplayName: long[:storage.MaxTextLen], Scopes: many[:storage.MaxListLen]}
	apiResourceKind.mustCreate(t, s, r)
	apiResourceKind.check(t, s, "r", r)
}
