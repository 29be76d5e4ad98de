package main

import (
	"slices"
	"testing"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/grant"
)

// The configuration accepts for a client exactly the grant types the token
// endpoint serves: internal/config may not import internal/grant, so this
// test holds its list to the endpoint's.
func TestConfigServesTheEndpointsGrantTypes(t *testing.T) {
	t.Parallel()
	if !slices.Equal(config.ServedGrantTypes, grant.GrantTypes) {
		t.Errorf("config.ServedGrantTypes = %v, the token endpoint serves %v: change the configuration's rules with the grants", config.ServedGrantTypes, grant.GrantTypes)
	}
}
