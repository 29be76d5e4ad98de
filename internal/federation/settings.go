package federation

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/sealed"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
)

// The provider types.
const (
	TypeOIDC   = "oidc"
	TypeEntra  = "entra"
	TypeGoogle = "google"
	TypeGitHub = "github"
)

// Types are the provider types, in the order help text lists them.
var Types = []string{TypeOIDC, TypeEntra, TypeGoogle, TypeGitHub}

// GoogleAuthority is Google's issuer; EntraInstance Microsoft Entra ID's
// public cloud (an entra provider's authority may name a national cloud's).
const (
	GoogleAuthority = "https://accounts.google.com"
	EntraInstance   = "https://login.microsoftonline.com"
)

// Settings are one external identity provider.
type Settings struct {
	// Name is the provider's id: the path of its callback
	// (/signin/<name>/callback) and the idp: hint; Type one of Types.
	Name string `json:"-"`
	Type string `json:"-"`
	// DisplayName is the login page's button text ("Sign in with ...");
	// the name when empty.
	DisplayName string `json:"displayName,omitempty"`
	// Authority is the issuer of an oidc provider; for entra the cloud's
	// instance (default EntraInstance); unused for google and github.
	Authority string `json:"authority,omitempty"`
	// Tenant is entra's: a tenant id (a GUID), organizations or common.
	Tenant string `json:"tenant,omitempty"`
	// ClientID and ClientSecret are Signet's credentials at the upstream.
	// ClientSecret is in the clear in memory only: the database holds
	// SealedClientSecret.
	ClientID           string `json:"clientId"`
	ClientSecret       string `json:"-"`
	SealedClientSecret []byte `json:"clientSecretSealed,omitempty"`
	// ClientKey, instead of a secret, authenticates Signet with a signed
	// assertion (private_key_jwt; types oidc and entra). In the clear in
	// memory only: the database holds SealedClientKey, and beside it what
	// is shown of the key without opening it (its kid, its certificate's
	// SHA-1 thumbprint, its public JWK).
	ClientKey            *upstream.ClientKey `json:"-"`
	SealedClientKey      []byte              `json:"clientKeySealed,omitempty"`
	ClientKeyID          string              `json:"clientKeyId,omitempty"`
	ClientCertThumbprint string              `json:"clientCertThumbprint,omitempty"`
	ClientPublicJWK      json.RawMessage     `json:"clientPublicJwk,omitempty"`
	// Scopes asked of the upstream; empty for the type's default.
	Scopes []string `json:"scopes,omitempty"`
	// ClaimMappings maps a local claim to the upstream claim it is copied
	// from, for users made by AutoProvision (the standard claims map to
	// themselves without one).
	ClaimMappings map[string]string `json:"claimMappings,omitempty"`
	// AutoProvision makes a local user at a person's first sign-in;
	// without it, only people linked already (from the account page) may
	// sign in through the provider.
	AutoProvision bool `json:"autoProvision,omitempty"`
	// SaveTokens keeps the upstream's tokens on the link, sealed.
	SaveTokens bool `json:"saveTokens,omitempty"`
	// Timeout bounds each call to the upstream (default 10 s).
	Timeout time.Duration `json:"timeout,omitempty"`
	// Source says where the provider is defined: "configuration" or
	// "database".
	Source string `json:"-"`
}

// Label is the text of the provider's button.
func (s *Settings) Label() string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return s.Name
}

var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	tenantRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	claimRE  = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,128}$`)
)

// CheckName checks a provider's name: letters, digits, '.', '_' and '-',
// at most 64, since it is a path segment of the callback URL.
func CheckName(name string) string {
	if !nameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Sprintf("provider name %q: use 1 to 64 letters, digits, '.', '_' and '-' (it is part of the callback URL /signin/<name>/callback)", name)
	}
	return ""
}

// Problems lists what is wrong with s, each saying what to do; the
// configuration file's checks (internal/config) say the same at their
// lines.
func (s *Settings) Problems() []string {
	var out []string
	add := func(f string, a ...any) { out = append(out, fmt.Sprintf(f, a...)) }
	if p := CheckName(s.Name); p != "" {
		out = append(out, p)
	}
	if !slices.Contains(Types, s.Type) {
		add("type %q: use one of %s", s.Type, strings.Join(Types, ", "))
	}
	if s.ClientID == "" {
		add("a clientId is required: the id of Signet's application at the provider")
	}
	switch {
	case s.ClientSecret == "" && s.ClientKey == nil && s.Type == TypeEntra:
		add("a clientSecret or a client key (with its certificate) is required for type entra")
	case s.ClientSecret == "" && s.ClientKey == nil && s.Type != TypeOIDC:
		add("a clientSecret is required for type %s", s.Type)
	}
	out = append(out, s.clientKeyProblems()...)
	switch s.Type {
	case TypeOIDC:
		if s.Authority == "" {
			add("an authority is required for type oidc: the provider's issuer URL, where /.well-known/openid-configuration is")
		}
	case TypeEntra:
		if s.Tenant == "" {
			add("a tenant is required for type entra: the directory (tenant) id of your app registration, organizations (any work or school account) or common (and personal Microsoft accounts)")
		} else if p := CheckTenant(s.Tenant); p != "" {
			out = append(out, p)
		}
	case TypeGoogle, TypeGitHub:
		if s.Authority != "" {
			add("type %s takes no authority: remove it (or use type oidc)", s.Type)
		}
	}
	if s.Tenant != "" && s.Type != TypeEntra {
		add("tenant is for type entra only")
	}
	for _, sc := range s.Scopes {
		if sc == "" || strings.IndexFunc(sc, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) >= 0 {
			add("scope %q is not a scope token (RFC 6749 §3.3)", sc)
		}
	}
	for local, up := range s.ClaimMappings {
		if !claimRE.MatchString(local) || !claimRE.MatchString(up) {
			add("claimMappings %q: %q: claim names are 1 to 128 letters, digits and . _ : / -", local, up)
		}
		if reserved[local] {
			add("claimMappings %q: a protocol claim cannot be mapped", local)
		}
	}
	if s.Timeout < 0 {
		add("timeout must be positive")
	}
	return out
}

// reserved are claims a mapping may not set: they are the token's, not
// the person's.
var reserved = map[string]bool{
	"sub": true, "iss": true, "aud": true, "exp": true, "iat": true, "nbf": true, "auth_time": true,
	"nonce": true, "acr": true, "amr": true, "azp": true, "sid": true, "idp": true, "jti": true,
}

// CheckTenant checks an entra tenant.
func CheckTenant(t string) string {
	switch {
	case t == "organizations", t == "common", tenantRE.MatchString(t):
		return ""
	case t == "consumers":
		return "tenant consumers (personal accounts only) is not supported: use common, which includes them"
	}
	return fmt.Sprintf("tenant %q: give the directory (tenant) id, a GUID from the app registration's Overview, or organizations or common (a domain name is not accepted: its issuer is the GUID's)", t)
}

// sealPurpose binds a sealed client secret to its use.
const sealPurpose = "external provider client secret"

// Record is s as the database keeps it, its client secret and client key
// sealed under kek (which may be nil when s has neither).
func (s *Settings) Record(kek []byte) (storage.ExternalProvider, error) {
	c := *s
	c.SealedClientSecret = nil
	if s.ClientSecret != "" {
		if kek == nil {
			return storage.ExternalProvider{}, fmt.Errorf("provider %q: no key-encryption key to seal its client secret with", s.Name)
		}
		b, err := sealed.Seal(kek, s.Name, sealPurpose, []byte(s.ClientSecret))
		if err != nil {
			return storage.ExternalProvider{}, fmt.Errorf("provider %q: seal the client secret: %w", s.Name, err)
		}
		c.SealedClientSecret = b
	}
	if err := s.sealClientKey(kek, &c); err != nil {
		return storage.ExternalProvider{}, err
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return storage.ExternalProvider{}, err
	}
	return storage.ExternalProvider{Name: s.Name, Type: s.Type, Settings: b}, nil
}

// Describe reads a database provider without opening its client secret
// (SealedClientSecret is set when it has one), for listing.
func Describe(r storage.ExternalProvider) (Settings, error) {
	var s Settings
	if err := json.Unmarshal(r.Settings, &s); err != nil {
		return Settings{}, fmt.Errorf("provider %q: its settings are not what Signet writes: %w", r.Name, err)
	}
	s.Name, s.Type, s.Source = r.Name, r.Type, "database"
	return s, nil
}

// FromRecord reads a database provider, opening its client secret and
// client key with kek (needed only when it has one).
func FromRecord(r storage.ExternalProvider, kek []byte) (Settings, error) {
	s, err := Describe(r)
	if err != nil {
		return Settings{}, err
	}
	if len(s.SealedClientSecret) > 0 {
		if kek == nil {
			return Settings{}, fmt.Errorf("provider %q: its client secret is sealed, and no key-encryption key is configured", r.Name)
		}
		b, err := sealed.Open(kek, r.Name, sealPurpose, s.SealedClientSecret)
		if err != nil {
			return Settings{}, fmt.Errorf("provider %q: open its client secret: %w", r.Name, err)
		}
		s.ClientSecret = string(b)
	}
	if err := s.openClientKey(kek); err != nil {
		return Settings{}, err
	}
	return s, nil
}
