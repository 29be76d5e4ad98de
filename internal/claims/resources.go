package claims

import (
	"fmt"
	"slices"

	"github.com/signetid/signet/storage"
)

// Names of the built-in identity scopes.
const (
	OpenID        = "openid"
	Profile       = "profile"
	Email         = "email"
	Address       = "address"
	Phone         = "phone"
	OfflineAccess = "offline_access"
)

// Resource is an identity scope: the claims it grants and what the consent
// page says of it.
type Resource struct {
	Name        string
	DisplayName string
	Description string
	Claims      []string
	// Required scopes cannot be unticked on the consent page (openid).
	Required bool
	// Emphasize marks scopes the consent page shows as sensitive, as
	// IdentityServer's Emphasize does.
	Emphasize bool
	// BuiltIn is true for the scopes Signet defines itself.
	BuiltIn bool
}

// builtIn returns the built-in identity resources, fresh for each caller so
// that nobody can change another's: IdentityServer's
// IdentityResources.OpenId(), Profile(), Email(), Address() and Phone(), with
// its texts, and its offline_access scope.
func builtIn() []Resource {
	return []Resource{
		{Name: OpenID, DisplayName: "Your user identifier", Claims: []string{"sub"}, Required: true},
		{Name: Profile, DisplayName: "User profile", Description: "Your user profile information (first name, last name, etc.)",
			Claims: []string{"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
				"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
			Emphasize: true},
		{Name: Email, DisplayName: "Your email address", Claims: []string{"email", "email_verified"}, Emphasize: true},
		{Name: Address, DisplayName: "Your postal address", Claims: []string{"address"}, Emphasize: true},
		{Name: Phone, DisplayName: "Your phone number", Claims: []string{"phone_number", "phone_number_verified"}, Emphasize: true},
		{Name: OfflineAccess, DisplayName: "Offline access",
			Description: "Access to your applications and resources, even when you are offline", Emphasize: true},
	}
}

// StandardClaims are the user claims of the built-in identity resources
// (OpenID Connect Core §5.1, and sub), for discovery's claims_supported.
func StandardClaims() []string {
	var out []string
	for _, r := range builtIn() {
		out = append(out, r.Claims...)
	}
	return out
}

// Resources is the set of identity resources, built-in and custom, by name.
// It is not changed after New, so it may be shared.
type Resources struct {
	list   []Resource
	byName map[string]int
}

// New returns the built-in identity resources merged with custom ones. It
// refuses a custom resource with a built-in name, an empty or repeated name,
// or a claim that a token sets itself.
func New(custom []storage.IdentityResource) (*Resources, error) {
	rs := &Resources{list: builtIn(), byName: map[string]int{}}
	for i := range rs.list {
		rs.list[i].BuiltIn = true
		rs.byName[rs.list[i].Name] = i
	}
	for _, c := range custom {
		if c.Name == "" {
			return nil, fmt.Errorf("an identity resource has no name: give it one")
		}
		if i, ok := rs.byName[c.Name]; ok {
			if rs.list[i].BuiltIn {
				return nil, fmt.Errorf("identity resource %q is built in: remove it from the custom ones, or give it another name", c.Name)
			}
			return nil, fmt.Errorf("identity resource %q is defined twice: keep one", c.Name)
		}
		for _, claim := range c.Claims {
			if Reserved(claim) {
				return nil, fmt.Errorf("identity resource %q lists claim %q, which tokens set themselves: remove it", c.Name, claim)
			}
		}
		rs.byName[c.Name] = len(rs.list)
		rs.list = append(rs.list, Resource{Name: c.Name, DisplayName: c.DisplayName, Description: c.Description,
			Claims: slices.Clone(c.Claims)})
	}
	return rs, nil
}

// Lookup returns the resource named name.
func (rs *Resources) Lookup(name string) (Resource, bool) {
	i, ok := rs.byName[name]
	if !ok {
		return Resource{}, false
	}
	r := rs.list[i]
	r.Claims = slices.Clone(r.Claims)
	return r, true
}

// List returns every resource, the built-in ones first, then the custom
// ones in the order given to New.
func (rs *Resources) List() []Resource {
	out := make([]Resource, len(rs.list))
	for i, r := range rs.list {
		r.Claims = slices.Clone(r.Claims)
		out[i] = r
	}
	return out
}

// allowed returns the claims the scopes grant; names that are no identity
// resource (API scopes, unknown ones) grant none.
func (rs *Resources) allowed(scopes []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range scopes {
		if i, ok := rs.byName[s]; ok {
			for _, c := range rs.list[i].Claims {
				out[c] = true
			}
		}
	}
	return out
}
