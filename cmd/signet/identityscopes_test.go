package main

import (
	"slices"
	"testing"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/config"
)

// The configuration lets a client be allowed the built-in identity scopes
// without defining them: internal/config may not import internal/claims,
// so this test holds its list to the one claims defines.
func TestConfigKnowsTheBuiltInIdentityScopes(t *testing.T) {
	t.Parallel()
	rs, err := claims.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs.List() {
		names = append(names, r.Name)
	}
	if !slices.Equal(config.BuiltInIdentityResources, names) {
		t.Errorf("config.BuiltInIdentityResources = %v, internal/claims builds in %v", config.BuiltInIdentityResources, names)
	}
}
