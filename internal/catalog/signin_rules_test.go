package catalog

import (
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

func TestCheckSignIn(t *testing.T) {
	t.Parallel()
	web := func(edit func(*storage.Client)) storage.Client {
		c := storage.Client{ID: "web", GrantTypes: []string{"authorization_code"}, RedirectURIs: []string{"https://web.example.com/cb"},
			RequirePKCE: true, AllowRememberConsent: true}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	for name, tc := range map[string]struct {
		c         storage.Client
		allowHTTP bool
		want      string
	}{
		"good": {c: web(func(c *storage.Client) {
			c.PostLogoutRedirectURIs = []string{"https://web.example.com/out"}
			c.RefreshTokenUsage, c.RefreshTokenExpiration = storage.RefreshTokenReUse, storage.RefreshTokenSliding
			c.AllowedIdentityTokenSigningAlgorithms = []string{"ES256", "RS256"}
			c.ClientURI, c.LogoURI = "https://web.example.com", "https://web.example.com/logo.png"
			c.AuthorizationCodeLifetime = 10 * time.Minute
		})},
		"machine client": {c: storage.Client{ID: "m", GrantTypes: []string{"client_credentials"}}},
		"public native": {c: web(func(c *storage.Client) {
			c.Public, c.RedirectURIs = true, []string{"http://127.0.0.1/cb", "com.example.app:/cb"}
		})},
		"http in dev":         {c: web(func(c *storage.Client) { c.RedirectURIs = []string{"http://web.test/cb"} }), allowHTTP: true},
		"http":                {c: web(func(c *storage.Client) { c.RedirectURIs = []string{"http://web.test/cb"} }), want: "uses http"},
		"fragment":            {c: web(func(c *storage.Client) { c.PostLogoutRedirectURIs = []string{"https://web.test/#x"} }), want: "fragment"},
		"twice":               {c: web(func(c *storage.Client) { c.RedirectURIs = []string{"https://a.test/cb", "https://a.test/cb"} }), want: "given twice"},
		"no redirect":         {c: web(func(c *storage.Client) { c.RedirectURIs = nil }), want: "needs at least one redirect URI"},
		"public without PKCE": {c: web(func(c *storage.Client) { c.Public, c.RequirePKCE = true, false }), want: "must require it"},
		"public reuse": {c: web(func(c *storage.Client) {
			c.Public, c.AllowOfflineAccess, c.RefreshTokenUsage = true, true, storage.RefreshTokenReUse
		}), want: "must be rotated"},
		"public reuse, no refresh": {c: web(func(c *storage.Client) { c.Public, c.RefreshTokenUsage = true, storage.RefreshTokenReUse })},
		"public machine":           {c: web(func(c *storage.Client) { c.Public, c.GrantTypes = true, []string{"client_credentials"} }), want: "client_credentials needs a client that authenticates"},
		"negative":                 {c: web(func(c *storage.Client) { c.SlidingRefreshTokenLifetime = -time.Second }), want: "sliding refresh token lifetime is negative"},
		"long code":                {c: web(func(c *storage.Client) { c.AuthorizationCodeLifetime = time.Hour }), want: "at most 10 minutes"},
		"usage":                    {c: web(func(c *storage.Client) { c.RefreshTokenUsage = "Twice" }), want: "unknown refresh token usage"},
		"expiration":               {c: web(func(c *storage.Client) { c.RefreshTokenExpiration = "Never" }), want: "unknown refresh token expiration"},
		"algorithm":                {c: web(func(c *storage.Client) { c.AllowedIdentityTokenSigningAlgorithms = []string{"HS256"} }), want: `"HS256" is not supported`},
		"logo":                     {c: web(func(c *storage.Client) { c.LogoURI = "http://web.test/logo.png" }), want: "use an https URL"},
	} {
		err := CheckSignIn(tc.c, tc.allowHTTP)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
}

func TestCheckIdentityResource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    storage.IdentityResource
		want string
	}{
		{storage.IdentityResource{Name: "employee", Claims: []string{"employee_id"}}, ""},
		{storage.IdentityResource{Name: "profile", Claims: []string{"x"}}, "is built in"},
		{storage.IdentityResource{Name: "api1", Claims: []string{"x"}}, "is an API scope"},
		{storage.IdentityResource{Name: "bad", Claims: []string{"aud"}}, "tokens set themselves"},
		{storage.IdentityResource{Name: "a b", Claims: []string{"x"}}, "space"},
	} {
		err := CheckIdentityResource(tc.r, []string{"api1"})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.r.Name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", tc.r.Name, err, tc.want)
		}
	}
}

func TestCanonicalSignInValues(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"reuse": "ReUse", "0": "ReUse", "1": "OneTimeOnly", "ONETIMEONLY": "OneTimeOnly"} {
		if got, err := CanonicalRefreshTokenUsage(in); got != want || err != nil {
			t.Errorf("usage %q = %q, %v", in, got, err)
		}
	}
	for in, want := range map[string]string{"sliding": "Sliding", "0": "Sliding", "1": "Absolute"} {
		if got, err := CanonicalRefreshTokenExpiration(in); got != want || err != nil {
			t.Errorf("expiration %q = %q, %v", in, got, err)
		}
	}
	if _, err := CanonicalRefreshTokenUsage("2"); err == nil {
		t.Error("usage 2 accepted")
	}
	if got, err := CanonicalAlgorithm("es384"); got != "ES384" || err != nil {
		t.Errorf("es384 = %q, %v", got, err)
	}
}
