package config

import "testing"

// TestExternalProvidersProblems: every problem of externalProviders is
// reported at its line, all at once.
func TestExternalProvidersProblems(t *testing.T) {
	t.Parallel()
	c, ps := parseYAMLText(t, `key: {type: Development}
externalProviders:
  - name: entra
    type: Entra
    clientId: app
    clientSecret: s
    tenant: contoso.com
  - name: entra
    type: google
    clientId: g
    authority: https://accounts.google.com
  - name: "bad name"
    type: saml
  - name: corp
    type: oidc
    clientSecret: a
    clientSecretFile: b
    scopes: ["two words"]
    claimMappings:
      sub: oid
      dept: 5
    timeout: -1s
  - name: gh
    type: github
    clientId: x
    tenant: common
`, nil)
	ps = append(ps, problems(t, c.Validate())...)
	expectProblems(t, "t.yaml", ps,
		`7: externalProviders[0].tenant: tenant "contoso.com": give the directory (tenant) id (a GUID), organizations or common`,
		`8: externalProviders[1].name: provider "entra" is defined twice (also at line 3)`,
		`8: externalProviders[1]: provider "entra" (type google) needs a clientSecret`,
		`11: externalProviders[1].authority: type google takes no authority`,
		`12: externalProviders[2].name: provider name "bad name": use 1 to 64 letters`,
		`13: externalProviders[2].type: type "saml": use oidc, entra, google or github`,
		`14: externalProviders[3].clientId: provider "corp" needs a clientId`,
		`14: externalProviders[3].authority: provider "corp" (type oidc) needs an authority`,
		`16: externalProviders[3].clientSecret: give clientSecret or clientSecretFile, not both`,
		`18: externalProviders[3].scopes[0]: scope "two words" is not a scope token`,
		`20: externalProviders[3].claimMappings.sub: claim "sub" is the token's, not the person's`,
		`21: externalProviders[3].claimMappings.dept: claim mapping "dept": give the provider's claim name as a string`,
		`22: externalProviders[3].timeout: timeout must be positive`,
		`23: externalProviders[4]: provider "gh" (type github) needs a clientSecret (e.g. ${GH_CLIENT_SECRET})`,
		`26: externalProviders[4].tenant: tenant is for type entra only`,
	)
	if c.ExternalProviders[0].Type != "entra" {
		t.Errorf("type %q, want entra (canonical spelling)", c.ExternalProviders[0].Type)
	}
}

// TestExternalProviderClientKey: clientKeyFile (private_key_jwt) replaces
// the secret, for oidc and entra only; its password comes from the
// environment and is nothing without the file.
func TestExternalProviderClientKey(t *testing.T) {
	t.Parallel()
	c, ps := parseYAMLText(t, `key: {type: Development}
externalProviders:
  - name: corp
    type: oidc
    authority: https://op.example
    clientId: app
    clientKeyFile: keys/corp.pfx
    clientKeyPassword: ${CORP_KEY_PASSWORD}
  - name: entra
    type: entra
    tenant: organizations
    clientId: app
    clientKeyFile: entra.pem
  - name: both
    type: oidc
    authority: https://op.example
    clientId: app
    clientSecret: s
    clientKeyFile: k.pem
  - name: gh
    type: github
    clientId: x
    clientKeyFile: k.pem
  - name: nofile
    type: oidc
    authority: https://op.example
    clientId: app
    clientKeyPassword: p
  - name: entra2
    type: entra
    tenant: common
    clientId: app
`, func(k string) (string, bool) {
		if k == "CORP_KEY_PASSWORD" {
			return "pfx-pw", true
		}
		return "", false
	})
	ps = append(ps, problems(t, c.Validate())...)
	expectProblems(t, "t.yaml", ps,
		`19: externalProviders[2].clientKeyFile: clientKeyFile (private_key_jwt) replaces the client secret: give clientKeyFile or clientSecret/clientSecretFile, not both`,
		`23: externalProviders[3].clientKeyFile: type github takes no clientKeyFile (private_key_jwt is for types oidc and entra): give its clientSecret`,
		`28: externalProviders[4].clientKeyPassword: clientKeyPassword opens clientKeyFile, which is missing`,
		`29: externalProviders[5]: provider "entra2" (type entra) needs a clientSecret (e.g. ${ENTRA2_CLIENT_SECRET}), clientSecretFile, or clientKeyFile`,
	)
	p := c.ExternalProviders[0]
	if p.ClientKeyPassword != "pfx-pw" || p.ClientKeyFile == "" {
		t.Errorf("clientKeyFile %q, clientKeyPassword %q", p.ClientKeyFile, p.ClientKeyPassword)
	}
}
