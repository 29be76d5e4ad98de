package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ExternalProvider is an identity provider people sign in with (issue
// 16): generic OpenID Connect, or a preset that needs only clientId and
// clientSecret (entra, google, github). Its redirect URI at the provider
// is <issuer>/signin/<name>/callback. internal/federation applies the
// same rules to the database's providers (signet provider).
type ExternalProvider struct {
	// Name is the provider's id in Signet: the callback's path segment and
	// the idp:<name> hint of acr_values. Unique, also across the
	// database's providers.
	Name string `yaml:"name"`
	// Type is oidc, entra, google or github.
	Type string `yaml:"type"`
	// DisplayName is the login page's button text; the name by default.
	DisplayName string `yaml:"displayName"`
	// Authority is an oidc provider's issuer URL (required), an entra
	// provider's cloud instance (default https://login.microsoftonline.com).
	Authority string `yaml:"authority"`
	// Tenant is entra's: a tenant id, organizations or common.
	Tenant   string `yaml:"tenant"`
	ClientID string `yaml:"clientId"`
	// ClientSecret (e.g. ${GOOGLE_SECRET}) or ClientSecretFile; an oidc
	// provider may have neither (a public client, PKCE only).
	ClientSecret     string `yaml:"clientSecret"`
	ClientSecretFile string `yaml:"clientSecretFile"`
	// ClientKeyFile, instead of a secret, makes Signet authenticate with
	// a signed assertion (private_key_jwt; types oidc and entra): a PEM
	// private key (PKCS#8, PKCS#1 or SEC1), a PEM with the key and its
	// certificate chain, or a .pfx/.p12 opened with ClientKeyPassword
	// (e.g. ${CLIENT_KEY_PASSWORD}). RSA 2048+ (RS256) or EC P-256/P-384
	// (ES256/ES384); entra needs the certificate too.
	ClientKeyFile     string `yaml:"clientKeyFile"`
	ClientKeyPassword string `yaml:"clientKeyPassword"`
	// Scopes asked of the provider; default openid profile email (github:
	// read:user user:email).
	Scopes []string `yaml:"scopes"`
	// ClaimMappings maps a local claim to the provider's claim it is copied
	// from when a user is made ({department: extension_department}); the
	// standard claims map to themselves.
	ClaimMappings map[string]any `yaml:"claimMappings"`
	// AutoProvision makes a local user at a person's first sign-in.
	AutoProvision bool `yaml:"autoProvision"`
	// SaveTokens keeps the provider's tokens, sealed under the
	// key-encryption key.
	SaveTokens bool `yaml:"saveTokens"`
	// Timeout bounds each call to the provider (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

var (
	providerNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	entraTenantRE  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	claimNameRE    = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,128}$`)
)

// providerTypes are the external providers' types.
var providerTypes = []string{"oidc", "entra", "google", "github"}

// ClaimMappingStrings returns the claim mappings whose values are strings
// (Validate reports the others).
func (p *ExternalProvider) ClaimMappingStrings() map[string]string {
	if len(p.ClaimMappings) == 0 {
		return nil
	}
	out := make(map[string]string, len(p.ClaimMappings))
	for k, v := range p.ClaimMappings {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func (v *validator) externalProviders() {
	seen := map[string]string{}
	for i := range v.c.ExternalProviders {
		p := &v.c.ExternalProviders[i]
		path := fmt.Sprintf("externalProviders[%d]", i)
		switch {
		case p.Name == "":
			v.addf(path+".name", "a provider needs a name: its id in the callback URL <issuer>/signin/<name>/callback, such as entra or google")
		case !providerNameRE.MatchString(p.Name) || p.Name == "." || p.Name == "..":
			v.addf(path+".name", "provider name %q: use 1 to 64 letters, digits, '.', '_' and '-' (it is part of the callback URL)", p.Name)
		default:
			v.uniqueName(seen, path+".name", p.Name, "", "provider")
		}
		t, ok := oneOf(p.Type, providerTypes...)
		switch {
		case p.Type == "":
			v.addf(path+".type", "a provider needs a type: oidc, entra, google or github")
			continue
		case !ok:
			v.addf(path+".type", "type %q: use oidc, entra, google or github", p.Type)
			continue
		}
		p.Type = t
		if p.ClientID == "" {
			v.addf(path+".clientId", "provider %q needs a clientId: the application (client) id of Signet's registration at the provider", p.Name)
		}
		switch {
		case p.ClientSecret != "" && p.ClientSecretFile != "":
			v.addf(path+".clientSecret", "give clientSecret or clientSecretFile, not both")
		case p.ClientKeyFile != "" && (p.ClientSecret != "" || p.ClientSecretFile != ""):
			v.addf(path+".clientKeyFile", "clientKeyFile (private_key_jwt) replaces the client secret: give clientKeyFile or clientSecret/clientSecretFile, not both")
		case p.ClientKeyFile != "" && (t == "google" || t == "github"):
			v.addf(path+".clientKeyFile", "type %s takes no clientKeyFile (private_key_jwt is for types oidc and entra): give its clientSecret", t)
		case p.ClientKeyPassword != "" && p.ClientKeyFile == "":
			v.addf(path+".clientKeyPassword", "clientKeyPassword opens clientKeyFile, which is missing")
		case p.ClientKeyFile != "":
		case p.ClientSecret == "" && p.ClientSecretFile == "" && t == "entra" && !v.failed(path+".clientSecret", path+".clientSecretFile"):
			v.addf(path, "provider %q (type entra) needs a clientSecret (e.g. ${%s_CLIENT_SECRET}), clientSecretFile, or clientKeyFile (a certificate and its key, for private_key_jwt)", p.Name, strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(p.Name)))
		case p.ClientSecret == "" && p.ClientSecretFile == "" && t != "oidc" && !v.failed(path+".clientSecret", path+".clientSecretFile"):
			v.addf(path, "provider %q (type %s) needs a clientSecret (e.g. ${%s_CLIENT_SECRET}) or clientSecretFile", p.Name, t, strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(p.Name)))
		}
		switch t {
		case "oidc":
			if p.Authority == "" {
				v.addf(path+".authority", "provider %q (type oidc) needs an authority: the provider's issuer URL, where /.well-known/openid-configuration is", p.Name)
			} else if msg := checkURL(p.Authority, true); msg != "" {
				v.addf(path+".authority", "authority: %s", msg)
			}
		case "entra":
			switch {
			case p.Tenant == "":
				v.addf(path+".tenant", "provider %q (type entra) needs a tenant: the directory (tenant) id from the app registration's Overview, organizations (any work or school account) or common (and personal Microsoft accounts)", p.Name)
			case p.Tenant == "organizations", p.Tenant == "common", entraTenantRE.MatchString(p.Tenant):
			default:
				v.addf(path+".tenant", "tenant %q: give the directory (tenant) id (a GUID), organizations or common", p.Tenant)
			}
			if p.Authority != "" {
				if msg := checkURL(p.Authority, true); msg != "" {
					v.addf(path+".authority", "authority (the cloud instance, such as https://login.microsoftonline.us): %s", msg)
				}
			}
		default:
			if p.Authority != "" {
				v.addf(path+".authority", "type %s takes no authority: remove it (or use type oidc)", t)
			}
		}
		if p.Tenant != "" && t != "entra" {
			v.addf(path+".tenant", "tenant is for type entra only")
		}
		for j, s := range p.Scopes {
			if s == "" || strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) >= 0 {
				v.addf(fmt.Sprintf("%s.scopes[%d]", path, j), "scope %q is not a scope token (RFC 6749 section 3.3)", s)
			}
		}
		keys := make([]string, 0, len(p.ClaimMappings))
		for k := range p.ClaimMappings {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			up, ok := p.ClaimMappings[k].(string)
			switch {
			case !ok:
				v.addf(join(path+".claimMappings", k), "claim mapping %q: give the provider's claim name as a string ({local: upstream})", k)
			case !claimNameRE.MatchString(k) || !claimNameRE.MatchString(up):
				v.addf(join(path+".claimMappings", k), "claim mapping %q: %q: claim names are 1 to 128 letters, digits and . _ : / -", k, up)
			case slices.Contains([]string{"sub", "iss", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "acr", "amr", "azp", "sid", "idp", "jti"}, k):
				v.addf(join(path+".claimMappings", k), "claim %q is the token's, not the person's: it cannot be mapped", k)
			}
		}
		if p.Timeout < 0 {
			v.addf(path+".timeout", "timeout must be positive, such as 10s")
		}
	}
}
