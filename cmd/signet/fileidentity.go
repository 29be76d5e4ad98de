package main

import (
	"fmt"
	"slices"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/storage"
)

// fileIdentityScopes are the identity scopes a file client may be granted:
// the built-in ones and the file's enabled identity resources.
func fileIdentityScopes(cfg *config.Config) map[string]bool {
	out := make(map[string]bool)
	for _, name := range config.BuiltInIdentityResources {
		out[name] = true
	}
	for _, r := range cfg.IdentityResources {
		if r.Enabled == nil || *r.Enabled {
			out[r.Name] = true
		}
	}
	return out
}

// fileIdentityResources turns the file's identity resources into the
// catalog's custom ones, by the rules of claims.New, each problem at its
// line. One with a built-in name (IdentityServer's files list openid and
// profile, which IdentityServer needs listed) is Signet's built-in one:
// it is left out, with a warning when it lists claims the built-in one
// does not grant. Those skip names (already reported) are left out.
func fileIdentityResources(cfg *config.Config, skip func(path string) bool) (custom []catalog.IdentityResource, problems []config.Problem, warnings []string) {
	builtIn, err := claims.New(nil)
	if err != nil {
		panic(err) // the built-in set is a constant
	}
	for i, r := range cfg.IdentityResources {
		path := fmt.Sprintf("identityResources[%d]", i)
		if skip(path) {
			continue
		}
		if b, ok := builtIn.Lookup(r.Name); ok {
			var extra []string
			for _, c := range r.UserClaims {
				if !slices.Contains(b.Claims, c) {
					extra = append(extra, c)
				}
			}
			if len(extra) > 0 {
				warnings = append(warnings, cfg.Warnf(path+".userClaims", "%s is built in, with the claims of OpenID Connect (%v): %v are not granted by it; put them in an identity resource of another name", r.Name, b.Claims, extra).String())
			}
			if r.Enabled != nil && !*r.Enabled {
				warnings = append(warnings, cfg.Warnf(path+".enabled", "%s is built in and cannot be disabled: not allowing it to a client keeps it from that client", r.Name).String())
			}
			continue
		}
		if r.Enabled != nil && !*r.Enabled {
			continue
		}
		rec := storage.IdentityResource{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description, Claims: r.UserClaims}
		if _, err := claims.New([]storage.IdentityResource{rec}); err != nil {
			problems = append(problems, cfg.Problemf(path, "%v", err))
			continue
		}
		custom = append(custom, catalog.IdentityResource{IdentityResource: rec, Required: r.Required, Emphasize: r.Emphasize})
	}
	return custom, problems, warnings
}
