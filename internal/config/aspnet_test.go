package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// appsettingsFile is an IdentityServer host's appsettings.json, written
// for this test the way IdentityServer's documentation writes one: clients
// bound from configuration (AddInMemoryClients(Configuration.GetSection(
// "IdentityServer:Clients"))), the Key section of the ASP.NET templates,
// ASP.NET Core's own sections around it, and Signet's settings in a Signet
// section.
const appsettingsFile = "testdata/appsettings.json"

// writeFiles writes name/content pairs in a new directory.
func writeFiles(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(files); i += 2 {
		if err := os.WriteFile(filepath.Join(dir, files[i]), []byte(files[i+1]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func lines(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestAppSettings(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(appsettingsFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, "appsettings.json", string(data))
	file := filepath.Join(dir, "appsettings.json")
	c, err := Load(file, env())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://auth.example.com" || c.Listen != "127.0.0.1:5001" || c.Storage.Driver != "memory" ||
		c.Key.Type != KeyStore || c.Key.Name != "CN=my-app-auth" || len(c.Clients) != 3 || len(c.IdentityResources) != 2 {
		t.Fatalf("config: %+v", c)
	}
	if got := c.Clients[0].ClientSecrets[0].Value; got != "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=" {
		t.Errorf("ClientSecrets value %q", got)
	}
	// An API resource's ApiSecrets, for the introspection endpoint.
	if r := c.APIResources[0]; len(r.APISecrets) != 1 || r.APISecrets[0].Value != "I/tufp9vDXCCYyyW7hD8eQ3rR76mPBa7Fym2qzWmLLg=" || r.IntrospectionResponse != "" {
		t.Errorf("ApiSecrets: %+v", r)
	}
	if c.Clients[1].Skipped() != "" || c.Clients[0].Skipped() != "" || c.Clients[2].IsEnabled() {
		t.Errorf("skipped %q / %q, enabled %v", c.Clients[1].Skipped(), c.Clients[0].Skipped(), c.Clients[2].IsEnabled())
	}
	// An IdentityServer interactive client reads as it is, with
	// IdentityServer's numbers for its enums (ReUse 0, Sliding 0).
	web := c.Clients[1]
	if web.RedirectURIs[0] != "https://localhost:44300/signin-oidc" || web.PostLogoutRedirectURIs[0] != "https://localhost:44300/signout-callback-oidc" ||
		!web.RequiresPKCE() || web.AllowPlainTextPKCE || !web.RequireConsent || web.AllowsRememberConsent() || !web.AllowOfflineAccess ||
		!web.AlwaysIncludeUserClaimsInIdToken || web.IdentityTokenLifetime != 600 || web.AuthorizationCodeLifetime != 120 ||
		web.RefreshTokenUsage != RefreshTokenReUse || web.RefreshTokenExpiration != RefreshTokenSliding ||
		web.AbsoluteRefreshTokenLifetime != 86400 || web.SlidingRefreshTokenLifetime != 3600 ||
		web.ClientURI != "https://localhost:44300" || web.LogoURI != "https://localhost:44300/logo.png" ||
		len(web.AllowedIdentityTokenSigningAlgorithms) != 1 || web.AllowedCorsOrigins[0] != "https://localhost:44300" {
		t.Errorf("interactive client: %+v", web)
	}
	if exp := c.Clients[2].ClientSecrets[0].Expiration; exp == nil || !exp.Equal(time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a .NET date without a zone is UTC: %v", exp)
	}
	// Positions and paths: where the file says it, as ASP.NET names it.
	if pos := c.Pos("issuer"); pos.Line != 10 {
		t.Errorf("IssuerUri at %v", pos)
	}
	p := c.Problemf("clients[0].clientSecrets[0].value", "wrong")
	if p.String() != file+":27: IdentityServer:Clients:0:ClientSecrets:0:Value: wrong" {
		t.Errorf("problem: %s", p)
	}
	if p := c.Problemf("listen", "taken"); p.String() != file+":62: Signet:listen: taken" {
		t.Errorf("problem: %s", p)
	}
	// A path the file does not hold is spelt from its nearest part.
	if p := c.Problemf("clients[0].jwksUri", "x"); !strings.Contains(p.String(), "IdentityServer:Clients:0:JwksUri: x") {
		t.Errorf("problem: %s", p)
	}

	notes := strings.Join(c.Notes(), "\n")
	if !strings.Contains(notes, "ignored the other top-level sections, which belong to ASP.NET Core or the application: Logging, AllowedHosts, ConnectionStrings") {
		t.Errorf("notes: %s", notes)
	}
	// One line per thing Signet does differently.
	warnings := lines(c.Warnings())
	want := []string{
		file + ":27: IdentityServer:Clients:0:ClientSecrets:0:Value: this is the hash of \"secret\", a secret from IdentityServer's samples that anyone can guess",
		file + ":34: IdentityServer:Clients:1:ClientSecrets:0:Value: this is the hash of \"secret\", a secret from IdentityServer's samples that anyone can guess",
	}
	if len(warnings) != len(want) {
		t.Fatalf("warnings:\n%s", strings.Join(warnings, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(warnings[i], want[i]) {
			t.Errorf("warning %d:\n%s\nwant\n%s", i, warnings[i], want[i])
		}
	}
}

// The environment's file is layered as ASP.NET Core layers it: keys merged
// without regard to case, lists by index, and each value's position in the
// file it came from.
func TestAppSettingsEnvironment(t *testing.T) {
	t.Parallel()
	const base = `{
  "IdentityServer": {
    "Key": { "Type": "Development" },
    "ApiScopes": [ { "Name": "api1" }, { "Name": "api2" } ],
    "Clients": [
      { "ClientId": "a", "ClientSecrets": [ { "Value": "x3Xnt1ft5jDNCqERO9ECZhqziCnKUqZCKreChi8mhkY=" } ],
        "AllowedGrantTypes": [ "client_credentials" ], "AllowedScopes": [ "api1", "api2" ], "AccessTokenLifetime": 3600 }
    ]
  },
  "Signet": { "log": { "level": "info" } }
}`
	const staging = `{
  "identityserver": {
    "clients": [
      { "accessTokenLifetime": 60, "AllowedScopes": [ "api2" ] },
      { "ClientId": "b", "ClientSecrets": [ { "Value": "not a hash" } ], "AllowedGrantTypes": [ "client_credentials" ] }
    ]
  },
  "Signet": { "Log": { "Level": "debug" } }
}`
	dir := writeFiles(t, "appsettings.json", base, "appsettings.Staging.json", staging, "appsettings.Production.json", `{"Signet": {"listen": "0.0.0.0:1"}}`)
	file := filepath.Join(dir, "appsettings.json")
	overlay := filepath.Join(dir, "appsettings.Staging.json")

	for _, tc := range []struct {
		name string
		env  func(string) (string, bool)
	}{
		{"ASPNETCORE_ENVIRONMENT", env("ASPNETCORE_ENVIRONMENT", "Staging", "DOTNET_ENVIRONMENT", "Production")},
		{"DOTNET_ENVIRONMENT", env("DOTNET_ENVIRONMENT", "Staging")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(file, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Clients[0]; got.AccessTokenLifetime != 60 || got.ClientID != "a" {
				t.Errorf("client a: %+v", got)
			}
			// Lists merge by index: AllowedScopes:0 becomes api2, :1 stays.
			if strings.Join(c.Clients[0].AllowedScopes, " ") != "api2 api2" {
				t.Errorf("AllowedScopes merged by index: %v, want [api2 api2]", c.Clients[0].AllowedScopes)
			}
			if len(c.Clients) != 2 || c.Clients[1].ClientID != "b" || c.Log.Level != "debug" || c.Listen != "" {
				t.Errorf("merged: %+v", c)
			}
			if pos := c.Pos("clients[0].accessTokenLifetime"); pos.File != overlay || pos.Line != 4 {
				t.Errorf("overridden value at %v, want %s:4", pos, overlay)
			}
			if pos := c.Pos("clients[0].clientId"); pos.File != file || pos.Line != 6 {
				t.Errorf("base value at %v, want %s:6", pos, file)
			}
			if !strings.Contains(strings.Join(c.Notes(), "\n"), "with "+overlay+" layered on it ("+tc.name+"=Staging)") {
				t.Errorf("notes: %v", c.Notes())
			}
			err = c.Validate()
			expectProblems(t, overlay, problems(t, err),
				`5: IdentityServer:Clients:1:ClientSecrets:0:Value: this value is not a hash`)
		})
	}

	t.Run("Production by default", func(t *testing.T) {
		t.Parallel()
		c, err := Load(file, env())
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != "0.0.0.0:1" {
			t.Errorf("appsettings.Production.json not layered: listen %q", c.Listen)
		}
	})
	t.Run("named environment without a file", func(t *testing.T) {
		t.Parallel()
		c, err := Load(file, env("ASPNETCORE_ENVIRONMENT", "Development"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != "" || !strings.Contains(strings.Join(c.Notes(), "\n"), "ASPNETCORE_ENVIRONMENT is Development and there is no appsettings.Development.json") {
			t.Errorf("listen %q, notes %v", c.Listen, c.Notes())
		}
	})
	t.Run("environment that is a path", func(t *testing.T) {
		t.Parallel()
		_, err := Load(file, env("ASPNETCORE_ENVIRONMENT", "../x"))
		if err == nil || !strings.Contains(err.Error(), `ASPNETCORE_ENVIRONMENT="../x" cannot name a settings file`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("key twice in the environment file", func(t *testing.T) {
		t.Parallel()
		dir := writeFiles(t, "appsettings.json", base, "appsettings.Production.json", "{\"Signet\": {\"log\": {\"level\": \"debug\",\n \"Level\": \"warn\"}}}")
		_, err := Load(filepath.Join(dir, "appsettings.json"), env())
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "appsettings.Production.json")+`:2: "Level" is set twice (also at line 1)`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("broken environment file", func(t *testing.T) {
		t.Parallel()
		dir := writeFiles(t, "appsettings.json", base, "appsettings.Production.json", "{\n  \"Signet\": { ,\n}")
		_, err := Load(filepath.Join(dir, "appsettings.json"), env())
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "appsettings.Production.json")+":3: invalid JSON") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestAppSettingsProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string // the start of each problem, after "f.json:"
	}{
		{"Signet's setting in IdentityServer's section", `{"IdentityServer": {"listen": ":1", "Issuer": "https://a"}}`,
			[]string{`1: "listen" is Signet's own setting, not IdentityServer's: put it in the Signet section`,
				`1: IdentityServer's option for the issuer is IssuerUri (or give issuer in the Signet section)`}},
		{"given in both sections", "{\"IdentityServer\": {\"IssuerUri\": \"https://a\"},\n\"Signet\": {\"issuer\": \"https://b\"}}",
			[]string{`2: issuer is given in both the IdentityServer section (IssuerUri, line 1) and the Signet section (issuer): keep one`}},
		{"misspelt IdentityServer option", `{"IdentityServer": {"Clinets": []}}`,
			[]string{`1: unknown key "Clinets"; did you mean "Clients"?`}},
		{"unknown IdentityServer option", `{"IdentityServer": {"Frobnicate": 1}}`,
			[]string{`1: unknown key "Frobnicate"; Signet reads these of IdentityServer's section: IssuerUri, AccessTokenJwtType, Key, Clients, ApiScopes, ApiResources, IdentityResources (its own settings go in the Signet section)`}},
		{"ApiAuthorization's client profiles", `{"IdentityServer": {"Clients": {"MyApp": {"Profile": "IdentityServerSPA"}}}}`,
			[]string{`1: IdentityServer:Clients: expected a list of clients, got a mapping: client profiles keyed by name`}},
		{"section twice", "{\"Signet\": {},\n\"signet\": {}}",
			[]string{`2: section Signet is given twice (also at line 1)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse("f.json", []byte(tc.src), env())
			expectProblems(t, "f.json", problems(t, err), tc.want...)
		})
	}
}

// A property Signet cannot ignore is refused for a client it loads, and not
// for one it leaves out (a device flow client, whose RequireDPoP matters
// to no one here).
func TestIdentityServerRefusals(t *testing.T) {
	t.Parallel()
	c, err := parse("f.json", []byte(`{"IdentityServer": {"ApiScopes": [{"Name": "api1"}], "Clients": [
{"ClientId": "a", "AllowedGrantTypes": ["client_credentials"], "AllowedScopes": ["api1"], "ClientSecrets": [{"Value": "x3Xnt1ft5jDNCqERO9ECZhqziCnKUqZCKreChi8mhkY="}],
 "RequireDPoP": true, "ProtocolType": "wsfed"},
{"ClientId": "tv", "AllowedGrantTypes": ["urn:ietf:params:oauth:grant-type:device_code"], "RequireDPoP": true},
{"ClientId": "b", "AllowedGrantTypes": ["client_credentials"], "AllowedScopes": ["api1"], "Secrets": [{"Value": "a-secret-of-24-characters", "Type": "SharedSecret"}]}
]}}`), env())
	if err != nil {
		t.Fatal(err)
	}
	expectProblems(t, "f.json", problems(t, c.Validate()),
		`3: IdentityServer:Clients:0:RequireDPoP: DPoP (proof-of-possession tokens) is not supported: Signet would issue bearer tokens to a client that must get bound ones`,
		`3: IdentityServer:Clients:0:ProtocolType: Signet speaks OpenID Connect and OAuth 2.0 (oidc) only`,
		`5: IdentityServer:Clients:2:Secrets:0:Type: Signet's secrets have no type: each value is the plain secret (hash: for a hash); IdentityServer's secrets, whose Value is a hash and which have a Type, go in clientSecrets`,
	)
}

// IdentityServer's properties that Signet lacks: nothing at their defaults,
// a warning otherwise.
func TestIdentityServerProperties(t *testing.T) {
	t.Parallel()
	c, err := parse("f.json", []byte(`{"IdentityServer": {
  "EmitStaticAudienceClaim": false,
  "LowerCaseIssuerUri": true,
  "EmitScopesAsSpaceDelimitedStringInJwt": false,
  "KeyManagement": { "Enabled": true },
  "ApiScopes": [ { "Name": "api1", "ShowInDiscoveryDocument": true, "Required": true } ],
  "Clients": [ { "ClientId": "a", "IdentityTokenLifetime": 300, "RefreshTokenUsage": "OneTimeOnly",
                 "RedirectUris": [], "Properties": {}, "IncludeJwtId": false } ]
}}`), env())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`f.json:4: IdentityServer:EmitScopesAsSpaceDelimitedStringInJwt: EmitScopesAsSpaceDelimitedStringInJwt Signet writes scope as one space-delimited string`,
		`f.json:5: IdentityServer:KeyManagement: KeyManagement Signet's automatic key management is key.type: Managed`,
		`f.json:8: IdentityServer:Clients:0:IncludeJwtId: IncludeJwtId Signet always puts a jti in access tokens (RFC 9068); ignored`,
	}
	got := lines(c.Warnings())
	if len(got) != len(want) {
		t.Fatalf("warnings:\n%s", strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning:\n%s\nwant\n%s", got[i], want[i])
		}
	}
}

func TestIdentityServerValidation(t *testing.T) {
	t.Parallel()
	const scope = "apiScopes: [{name: api1}]\n"
	tests := []struct {
		name     string
		src      string
		problems []string
		warnings []string
	}{
		{name: "secret types", src: scope + `clients:
  - clientId: a
    allowedGrantTypes: [client_credentials]
    clientSecrets:
      - {value: x3Xnt1ft5jDNCqERO9ECZhqziCnKUqZCKreChi8mhkY=, type: sharedsecret}
      - {value: "{}", type: JWK}
      - {value: AAAA, type: X509Thumbprint}
      - {value: AAAA, type: Magic}
      - {value: my-plain-secret-0123456789}
      - {type: SharedSecret}
`, problems: []string{
			`7: clients[0].clientSecrets[1].type: secret type JWK (a public key for private_key_jwt) is not read from secrets: give the key in the client's jwks`,
			`8: clients[0].clientSecrets[2].type: secret type X509Thumbprint is for mutual TLS client authentication, which Signet does not support`,
			`9: clients[0].clientSecrets[3].type: unknown secret type "Magic"`,
			`10: clients[0].clientSecrets[4].value: this value is not a hash`,
			`11: clients[0].clientSecrets[5].value: value is required`,
		}},
		{name: "plain secrets", src: scope + `clients:
  - clientId: a
    allowedGrantTypes: [client_credentials]
    secrets:
      - value: x3Xnt1ft5jDNCqERO9ECZhqziCnKUqZCKreChi8mhkY=
      - value: fifteen-chars-x
      - {value: short, allowWeakSecret: true}
      - value: sixteen-chars-xx
      - value: a-secret-of-24-characters
      - hash: K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=
`, problems: []string{
			`7: clients[0].secrets[1].value: this secret is 15 characters: client secrets are hashed fast`,
		}, warnings: []string{
			`6: clients[0].secrets[0].value: this value has the shape of an IdentityServer hash (standard base64 of 32 or 64 bytes), and value is the plain secret. If it is the hash of a secret`,
			`8: clients[0].secrets[2].value: this secret is 5 characters`,
			`9: clients[0].secrets[3].value: this secret is 16 characters`,
			`11: clients[0].secrets[5].hash: this is the hash of "secret"`,
		}},
		{name: "client properties", src: scope + `clients:
  - clientId: a
    allowedGrantTypes: [client_credentials]
    secrets: [{value: a-secret-of-24-characters}]
    accessTokenType: Reference
    requireClientSecret: false
    claims:
      - {type: id, value: x}
      - {type: tier, value: three, valueType: "http://www.w3.org/2001/XMLSchema#integer"}
      - {type: ok, value: "true", valueType: "http://www.w3.org/2001/XMLSchema#boolean"}
      - {type: "", value: x}
      - {type: j, value: "{", valueType: json}
    allowedCorsOrigins: ["*", "https://app.example.com/", "https://app.example.com/path", "ftp://x", "https://App.example.com", "https://ok.example.com:8443", "https://app.example.com:443", "http://app.example.com:80", "https://bücher.example"]
  - clientId: b
    enabled: false
    allowedGrantTypes: [client_credentials]
    accessTokenType: "0"
    clientClaimsPrefix: ""
    claims: [{type: scope, value: x}]
    clientSecrets: [{value: x3Xnt1ft5jDNCqERO9ECZhqziCnKUqZCKreChi8mhkY=}]
`, problems: []string{
			`7: clients[0].requireClientSecret: client "a" uses client_credentials, which needs a client that authenticates`,
			`9: clients[0].claims[0].type: claim "client_id" would replace the token's own client_id claim`,
			`10: clients[0].claims[1].value: value "three" is not a whole number`,
			`12: clients[0].claims[3].type: a client claim needs type`,
			`13: clients[0].claims[4].value: value "{" is not JSON`,
			`14: clients[0].allowedCorsOrigins[0]: "*" is not an origin`,
			`14: clients[0].allowedCorsOrigins[1]: "https://app.example.com/" ends with /: an origin has no path; write https://app.example.com`,
			`14: clients[0].allowedCorsOrigins[2]: "https://app.example.com/path" is not an origin`,
			`14: clients[0].allowedCorsOrigins[3]: "ftp://x" is not an origin`,
			`14: clients[0].allowedCorsOrigins[4]: "https://App.example.com": write the origin in lowercase`,
			`14: clients[0].allowedCorsOrigins[6]: "https://app.example.com:443": browsers send an origin without its scheme's default port; write https://app.example.com`,
			`14: clients[0].allowedCorsOrigins[7]: "http://app.example.com:80": browsers send an origin without its scheme's default port; write http://app.example.com`,
			`14: clients[0].allowedCorsOrigins[8]: "https://bücher.example": browsers send a host that is not ASCII in its xn-- form`,
			`20: clients[1].claims[0].type: claim "scope" would replace the token's own scope claim`,
		}},
		{name: "identity resources", src: scope + `identityResources:
  - {name: openid, userClaims: [name]}
  - {name: profile, userClaims: [name, name, ""]}
  - {name: profile}
  - {name: api1}
  - {name: "has space"}
clients:
  - {clientId: a, allowedGrantTypes: [client_credentials], secrets: [{value: a-secret-of-24-characters}], allowedScopes: [api1, openid, profile]}
apiResources:
  - {name: r, scopes: [openid]}
`, problems: []string{
			`3: identityResources[0].userClaims: the openid identity resource must include the sub claim`,
			`4: identityResources[1].userClaims[1]: claim type "name" is listed twice`,
			`4: identityResources[1].userClaims[2]: a claim type is required`,
			`5: identityResources[2].name: identity resource "profile" is defined twice (also at line 4)`,
			`6: identityResources[3].name: "api1" is both an identity resource and an API scope`,
			`7: identityResources[4].name: scope "has space" has a space`,
			`11: apiResources[0].scopes[0]: scope "openid" is an identity resource (a scope of user claims): an API resource holds API scopes only`,
		}},
		{name: "URN issuer", src: "issuer: urn:sso.company.com\n",
			problems: []string{`1: issuer: "urn:sso.company.com" is a URN: the issuer must be the https URL clients and APIs reach Signet at`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, ps := parseYAMLText(t, tc.src, nil)
			expectProblems(t, "t.yaml", ps)
			expectProblems(t, "t.yaml", problems(t, c.Validate()), tc.problems...)
			expectProblems(t, "t.yaml", c.Warnings(), tc.warnings...)
		})
	}
}

func TestClientClaimValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		claim ClientClaim
		want  string
	}{
		{ClientClaim{Value: "contoso"}, `"contoso"`},
		{ClientClaim{Value: "3", ValueType: "http://www.w3.org/2001/XMLSchema#integer"}, `3`},
		{ClientClaim{Value: "2.5", ValueType: "http://www.w3.org/2001/XMLSchema#double"}, `2.5`},
		{ClientClaim{Value: "TRUE", ValueType: "http://www.w3.org/2001/XMLSchema#boolean"}, `true`},
		{ClientClaim{Value: `{ "a": [1, 2] }`, ValueType: "json"}, `{"a":[1,2]}`},
		{ClientClaim{Value: "3", ValueType: "http://www.w3.org/2001/XMLSchema#string"}, `"3"`},
	} {
		got, err := tc.claim.ClaimValue()
		if err != nil || string(got) != tc.want {
			t.Errorf("%+v: %s, %v; want %s", tc.claim, got, err, tc.want)
		}
	}
}

// Pointers tell a value written as false, 0 or "" from one left out.
func TestZeroValuesGiven(t *testing.T) {
	t.Parallel()
	c, ps := parseYAMLText(t, "key: {type: Pkcs11, slot: 0}\nclients:\n  - {clientId: a, enabled: false, clientClaimsPrefix: ''}\n  - {clientId: b, enabled: '', clientClaimsPrefix: ~}", nil)
	expectProblems(t, "t.yaml", ps)
	if c.Key.Slot == nil || *c.Key.Slot != 0 {
		t.Errorf("slot: 0 lost")
	}
	if c.Clients[0].IsEnabled() || c.Clients[0].ClaimsPrefix() != "" {
		t.Errorf("client a: %+v", c.Clients[0])
	}
	if !c.Clients[1].IsEnabled() || c.Clients[1].ClaimsPrefix() != "client_" {
		t.Errorf("client b: %+v", c.Clients[1])
	}
}

// FuzzAppSettings checks that no pair of files, an appsettings.json and
// the environment's file layered on it, makes the loader panic, and that
// every problem has a position in one of the two.
func FuzzAppSettings(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input it finds, which
	// takes long with kilobytes of settings.
	base := []byte(`{"Logging": {}, "IdentityServer": {"IssuerUri": "https://a", "Key": {"Type": "Development"},
"ApiScopes": [{"Name": "api1"}], "Clients": [{"ClientId": "a", "ClientSecrets": [{"Value": "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="}],
"AllowedGrantTypes": ["client_credentials"], "AllowedScopes": ["api1"], "Claims": [{"Type": "t", "Value": "1", "ValueType": "json"}], "RequirePkce": false}]},
"Signet": {"listen": ":1"}}`)
	f.Add(base, []byte(`{"IdentityServer": {"Clients": [{"AccessTokenLifetime": 60}, {"ClientId": "b"}]}, "Signet": {"log": {"level": "debug"}}}`))
	f.Add(base, []byte(`{"identityserver": [1, 2], "SIGNET": null}`))
	f.Add([]byte(`{"Signet": {"clients": [{"clientId": "a"}]}}`), []byte(`{"Signet": {"clients": "x"}}`))
	f.Add([]byte(`{"IdentityServer": {"KeyManagement": {}, "Clients": {"a": {}}}}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, baseData, overlayData []byte) {
		root, _, msg := parseYAML(baseData)
		if msg != "" {
			return
		}
		d := decoder{file: "appsettings.json", lookup: env(), pos: map[string]Position{}, failed: map[string]bool{},
			env: map[string][]string{}, files: map[*yaml.Node]string{}, display: map[string]string{}}
		root, p := layerData(root, "appsettings.Production.json", overlayData, &d)
		if p != nil {
			if p.Pos.File != "appsettings.Production.json" || p.Msg == "" {
				t.Fatalf("problem %#v", p)
			}
			return
		}
		c := &Config{File: "appsettings.json"}
		if settingsFile(root) {
			d.settings(root, c)
		} else if root != nil {
			d.value(root, reflect.ValueOf(c).Elem(), "")
		}
		c.positions, c.failed, c.display, c.loadWarnings = d.pos, d.failed, d.display, d.warnings
		for _, p := range append(d.errs.Problems, d.warnings...) {
			if (p.Pos.File != "appsettings.json" && p.Pos.File != "appsettings.Production.json") || p.Msg == "" {
				t.Fatalf("problem %#v", p)
			}
			_ = c.displayPath(p.Path)
		}
		_ = c.Validate()
		c.Defaults()
		_ = c.Warnings()
	})
}

// The README's appsettings.json loads and validates without a warning, its
// interactive client included.
func TestAppSettingsExample(t *testing.T) {
	t.Parallel()
	c, err := Load("../../examples/appsettings.json", env())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if w := lines(c.Warnings()); len(w) != 0 {
		t.Errorf("warnings %q; want none", w)
	}
	if c.Issuer != "https://auth.example.com" || !c.TrustProxy || c.Clients[0].Claims[0].Value != "contoso" {
		t.Errorf("config %+v", c)
	}
}
