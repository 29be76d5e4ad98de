package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestKeysMatchCaseInsensitively(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want func(c *Config) bool
	}{
		{"camel", "key: {type: Store, storeName: My, filePath: a.pfx}", func(c *Config) bool {
			return c.Key.Type == "Store" && c.Key.StoreName == "My" && c.Key.FilePath == "a.pfx"
		}},
		{"pascal", "Key: {Type: Store, StoreName: Root, StoreLocation: LocalMachine, Name: CN=x, FilePath: a.pfx, Password: p}", func(c *Config) bool {
			return c.Key.StoreName == "Root" && c.Key.StoreLocation == "LocalMachine" && c.Key.Name == "CN=x" && c.Key.Password == "p"
		}},
		{"lower", "clients: [{clientid: a, allowedgranttypes: [client_credentials], ACCESSTOKENLIFETIME: 5}]", func(c *Config) bool {
			return c.Clients[0].ClientID == "a" && c.Clients[0].AllowedGrantTypes[0] == "client_credentials" && c.Clients[0].AccessTokenLifetime == 5
		}},
		{"mixed", "ApiScopes: [{NAME: api1, DisplayName: A}]\nJwksUri: x\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, ps := parseYAMLText(t, tt.src, nil)
			if tt.want == nil {
				// JwksUri is a client and resource key, not a top-level one.
				expectProblems(t, "t.yaml", ps, `2: unknown key "JwksUri" here: it belongs in apiResources[] or in clients[]`)
				if c.APIScopes[0].Name != "api1" || c.APIScopes[0].DisplayName != "A" {
					t.Errorf("apiScopes = %+v", c.APIScopes)
				}
				return
			}
			expectProblems(t, "t.yaml", ps)
			if !tt.want(c) {
				t.Errorf("config %+v %+v %+v", c, c.Key, c.Clients)
			}
		})
	}
}

func TestIdentityServerKeySection(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/identityserver.json", env("MYAPP_SECRET", "s3cret-that-is-long-enough"))
	if err != nil {
		t.Fatal(err)
	}
	want := Key{Type: "Store", StoreLocation: "LocalMachine", StoreName: "My", Name: "CN=my-app-auth"}
	if !reflect.DeepEqual(*c.Key, want) {
		t.Errorf("key = %+v, want %+v", *c.Key, want)
	}
	if c.Clients[0].Secrets[0].Value != "s3cret-that-is-long-enough" {
		t.Errorf("client = %+v", c.Clients[0])
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	if got := c.Pos("key.storeLocation"); got.Line != 6 {
		t.Errorf("key.storeLocation at %v, want line 6", got)
	}

	// IdentityServer's client secrets are ClientSecrets, read with
	// IdentityServer's meaning (a hash).
	c, err = parse("is.json", []byte(`{"Clients": [{"ClientId": "a", "ClientSecrets": [{"Value": "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="}]}]}`), env())
	if err != nil || c.Clients[0].ClientSecrets[0].Value != "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=" {
		t.Errorf("ClientSecrets: %v, %+v", err, c.Clients)
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	lookup := env("THUMB", "AB CD", "EMPTY", "", "PW", "p$w${X}")
	tests := []struct {
		name  string
		value string
		want  string
		err   string
	}{
		{"whole", "${THUMB}", "AB CD", ""},
		{"inside", "x-${THUMB}-y", "x-AB CD-y", ""},
		{"empty is a value", "${EMPTY}", "", ""},
		{"not expanded again", "${PW}", "p$w${X}", ""},
		{"dollar dollar", "a$$b$${THUMB}", "a$b${THUMB}", ""},
		{"lone dollar", "$a $ b$", "$a $ b$", ""},
		{"hash", "sha256$abc$def", "sha256$abc$def", ""},
		{"missing", "${APP_SigningCertificateThumbprint}", "", "2: key.thumbprint: environment variable APP_SigningCertificateThumbprint is not set"},
		{"two missing", "${A}${B}${A}", "", "2: key.thumbprint: environment variables A, B are not set"},
		{"unterminated", "ab${THUMB", "", "2: key.thumbprint: ${ at character 3 has no closing }"},
		{"empty name", "${}", "", "2: key.thumbprint: ${} names no environment variable"},
		{"bad name", "${A B}", "", `2: key.thumbprint: "A B" is not an environment variable name`},
		{"default", "${A:-x}", "", "2: key.thumbprint: ${NAME:-default} is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := fmt.Sprintf("key:\n  thumbprint: '%s'\n", tt.value)
			c, ps := parseYAMLText(t, src, lookup)
			if tt.err != "" {
				expectProblems(t, "t.yaml", ps, tt.err)
				if strings.Contains(ps[0].Msg, "ab$") {
					t.Errorf("the message quotes the value, which may be a secret: %s", ps[0].Msg)
				}
				return
			}
			expectProblems(t, "t.yaml", ps)
			if c.Key.Thumbprint != tt.want {
				t.Errorf("thumbprint = %q, want %q", c.Key.Thumbprint, tt.want)
			}
		})
	}

	t.Run("every kind of value", func(t *testing.T) {
		t.Parallel()
		src := "allowHttp: ${T}\nclients:\n  - accessTokenLifetime: ${N}\n    secrets: [{expiration: '${D}'}]\n    jwks: {keys: ['${K}']}\n"
		c, ps := parseYAMLText(t, src, env("T", "true", "N", "60", "D", "2030-01-02", "K", "k"))
		expectProblems(t, "t.yaml", ps)
		cl := c.Clients[0]
		if !c.AllowHTTP || cl.AccessTokenLifetime != 60 || !cl.Secrets[0].Expiration.Equal(time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)) ||
			cl.JWKS["keys"].([]any)[0] != "k" {
			t.Errorf("config %+v %+v", c, cl)
		}
	})
	t.Run("empty variable for a number", func(t *testing.T) {
		t.Parallel()
		c, ps := parseYAMLText(t, "clients: [{accessTokenLifetime: '${E}'}]", env("E", ""))
		expectProblems(t, "t.yaml", ps)
		if c.Clients[0].AccessTokenLifetime != 0 {
			t.Errorf("lifetime = %d", c.Clients[0].AccessTokenLifetime)
		}
	})
	t.Run("keys are not expanded", func(t *testing.T) {
		t.Parallel()
		_, ps := parseYAMLText(t, "${K}: x", env("K", "issuer"))
		expectProblems(t, "t.yaml", ps, `1: unknown key "${K}"`)
	})
}

func TestUnknownKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"typo", "isuer: x", `1: unknown key "isuer"; did you mean "issuer"?`},
		{"snake case", "clients:\n  - client_id: a", `2: clients[0]: unknown key "client_id"; did you mean "clientId"?`},
		{"part of a name", "clients:\n  - clientId: a\n    scopes: [x]", `3: clients[0]: unknown key "scopes"; did you mean "allowedScopes"?`},
		{"jwks_uri", "clients:\n  - jwks_uri: x", `2: clients[0]: unknown key "jwks_uri"; did you mean "jwksUri"?`},
		{"lifetime", "clients:\n  - lifetime: 5", `2: clients[0]: unknown key "lifetime"; did you mean "accessTokenLifetime"?`},
		{"indentation", "key:\n  type: Store\nthumbprint: x", `3: unknown key "thumbprint" here: it belongs in key or in validationKeys[] (check the indentation)`},
		{"into a section", "key:\n  type: Store\n  clients: []", `3: key: unknown key "clients" here: it belongs at the top level`},
		{"nothing close", "frobnicate: 1", `1: unknown key "frobnicate"; the keys allowed at the top level are issuer, listen, dataDir, trustProxy, allowHttp, accessTokenJwtType, strictClientAssertionAudience, tls, hsts, storage, log, key, validationKeys, apiScopes, apiResources, identityResources, clients`},
		{"section keys", "log:\n  colour: red", `2: log: unknown key "colour"; the keys allowed here are format, level`},
		{"IdentityServer section, misspelt", "IdentitySever:\n  Key: {}\nSignet: {}", `1: unknown section "IdentitySever"; did you mean IdentityServer?`},
		{"not a name", "? [a]\n: b", `1: a key must be a name, not a list`},
		{"secret key", "clients:\n  - secrets:\n    - value: a\n      Hashh: b", `4: clients[0].secrets[0]: unknown key "Hashh"; did you mean "hash"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ps := parseYAMLText(t, tt.src, nil)
			expectProblems(t, "t.yaml", ps, tt.want)
		})
	}
}

func TestDuplicateKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"case", "key:\n  type: File\n  Type: Store", `3: key.type: "Type" and "type" (line 2) are the same key: keys match case-insensitively`},
		{"same", "listen: a\nlisten: b", `2: listen: "listen" is set twice (also at line 1)`},
		{"json", `{"Key": {"Type": "File",` + "\n" + `"type": "Store"}}`, `2: key.type: "type" and "Type" (line 1) are the same key`},
		{"jwks", "clients: [{jwks: {keys: [], keys: []}}]", `1: clients[0].jwks.keys: "keys" is set twice (also at line 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := "t.yaml"
			if strings.HasPrefix(tt.src, "{") {
				name = "t.json"
			}
			c, err := parse(name, []byte(tt.src), env())
			expectProblems(t, name, problems(t, err), tt.want)
			if c.Key != nil && c.Key.Type != "File" {
				t.Errorf("the first value should stay: type = %q", c.Key.Type)
			}
		})
	}
}

func TestTypeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"list for a string", "issuer: [a, b]", `1: issuer: expected a string, got a list`},
		{"mapping for a string", "clients:\n  - clientId:\n      a: b", `3: clients[0].clientId: expected a string, got a mapping`},
		{"string for an int", "clients:\n  - accessTokenLifetime: abc", `2: clients[0].accessTokenLifetime: expected a whole number, got "abc"`},
		{"float for an int", "clients: [{accessTokenLifetime: 1.5}]", `1: clients[0].accessTokenLifetime: expected a whole number, got "1.5"`},
		{"huge int", "clients: [{accessTokenLifetime: 99999999999999999999}]", `1: clients[0].accessTokenLifetime: number "99999999999999999999" is out of range`},
		{"yes for a bool", "trustProxy: yes", `1: trustProxy: expected true or false, got "yes"`},
		{"list for a bool", "allowHttp: []", `1: allowHttp: expected true or false, got a list`},
		{"scalar for a list", "clients:\n  - allowedGrantTypes: client_credentials", `2: clients[0].allowedGrantTypes: expected a list, got "client_credentials" (write [client_credentials])`},
		{"mapping for a list", "apiScopes: {name: a}", `1: apiScopes: expected a list, got a mapping`},
		{"scalar for a section", "key: Store", `1: key: expected a mapping (key: value lines), got "Store"`},
		{"list for a section", "log: [a]", `1: log: expected a mapping (key: value lines), got a list`},
		// A DSN where the storage section belongs is not repeated: it may
		// hold a password.
		{"dsn for the storage section", "storage: postgres://bob:hunter2@db/signet", `1: storage: expected a mapping (key: value lines), got a plain value`},
		{"root", "- a\n- b", `1: expected a mapping (key: value lines), got a list`},
		{"bad date", "clients: [{secrets: [{expiration: 2027-13-01}]}]", `1: clients[0].secrets[0].expiration: expected a date (2027-01-01), a date and time (2027-01-01T12:00:00, read as UTC) or an RFC 3339 time`},
		{"list for a date", "clients: [{secrets: [{expiration: []}]}]", `1: clients[0].secrets[0].expiration: expected a date, got a list`},
		{"list for jwks", "clients: [{jwks: [a]}]", `1: clients[0].jwks: expected a JSON Web Key Set (a mapping with keys: [...]), got a list`},
		{"bad jwks string", "clients: [{jwks: 'not json'}]", `1: clients[0].jwks: expected a JSON Web Key Set, as a mapping or a string holding its JSON`},
		{"infinite number in jwks", "clients: [{jwks: {keys: [.inf]}}]", `1: clients[0].jwks.keys[0]: ".inf" is not a number JSON can hold`},
		{"custom tag", "issuer: !env X", `1: issuer: YAML tag !env is not supported`},
		{"binary", "issuer: !!binary aGk=", `1: issuer: YAML tag !!binary is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, ps := parseYAMLText(t, tt.src, nil)
			expectProblems(t, "t.yaml", ps, tt.want)
		})
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	t.Run("scalars of any type are strings", func(t *testing.T) {
		t.Parallel()
		c, ps := parseYAMLText(t, "clients: [{clientId: 0123, clientName: true, secrets: [{value: 1e3}]}]", nil)
		expectProblems(t, "t.yaml", ps)
		if cl := c.Clients[0]; cl.ClientID != "0123" || cl.ClientName != "true" || cl.Secrets[0].Value != "1e3" {
			t.Errorf("client = %+v", cl)
		}
	})
	t.Run("quoted numbers and booleans", func(t *testing.T) {
		t.Parallel()
		c, ps := parseYAMLText(t, `{"allowHttp": "TRUE", "clients": [{"accessTokenLifetime": "+60"}]}`, nil)
		expectProblems(t, "t.yaml", ps)
		if !c.AllowHTTP || c.Clients[0].AccessTokenLifetime != 60 {
			t.Errorf("config %+v", c)
		}
	})
	t.Run("null and empty leave zero values", func(t *testing.T) {
		t.Parallel()
		src := "issuer:\nlisten: ~\ntls: null\nkey:\nlog: {}\nvalidationKeys: []\nclients:\n  - clientId:\n    secrets:\n    jwks:\n    accessTokenLifetime: null\n"
		c, ps := parseYAMLText(t, src, nil)
		expectProblems(t, "t.yaml", ps)
		want := Config{Clients: []Client{{}}}
		c.File, c.positions, c.failed = "", nil, nil
		if !reflect.DeepEqual(*c, want) {
			t.Errorf("config = %+v, want %+v", *c, want)
		}
	})
	t.Run("expiration", func(t *testing.T) {
		t.Parallel()
		src := "clients: [{secrets: [{expiration: 2027-01-01}, {expiration: '2027-01-01T10:00:00+02:00'}, {expiration: 2027-01-01T08:00:00.5Z}]}]"
		c, ps := parseYAMLText(t, src, nil)
		expectProblems(t, "t.yaml", ps)
		want := []time.Time{
			time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC),
			time.Date(2027, 1, 1, 8, 0, 0, 5e8, time.UTC),
		}
		for i, s := range c.Clients[0].Secrets {
			if !s.Expiration.Equal(want[i]) {
				t.Errorf("expiration %d = %v, want %v", i, s.Expiration, want[i])
			}
		}
		if c.Clients[0].Secrets[0].Expiration.Location() != time.UTC {
			t.Error("a date is not in UTC")
		}

		c, ps = parseYAMLText(t, "clients: [{secrets: [{expiration: ''}, {expiration: '${E}'}, {expiration: soon}]}]", env("E", " "))
		expectProblems(t, "t.yaml", ps, `1: clients[0].secrets[2].expiration: expected a date (2027-01-01), a date and time (2027-01-01T12:00:00, read as UTC) or an RFC 3339 time (2027-01-01T12:00:00Z, 2027-01-01T12:00:00+02:00), got "soon"`)
		for i, s := range c.Clients[0].Secrets {
			if s.Expiration != nil {
				t.Errorf("secret %d expires %v", i, s.Expiration)
			}
		}
	})
	t.Run("jwks", func(t *testing.T) {
		t.Parallel()
		const doc = `{"keys":[{"e":"AQAB","kid":"k1","kty":"RSA","n":"abc","x5c":["MII"],"ext":true,"n2":2,"z":null}]}`
		var want map[string]any
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatal(err)
		}
		for name, src := range map[string]string{
			"yaml":        "clients:\n  - jwks:\n      keys:\n        - {e: AQAB, kid: k1, kty: RSA, n: abc, x5c: [MII], ext: true, n2: 2, z: null}\n",
			"json string": "clients:\n  - jwks: '" + doc + "'\n",
			"variable":    "clients:\n  - jwks: ${JWKS}\n",
			"hex number":  "clients:\n  - jwks:\n      keys:\n        - {e: AQAB, kid: k1, kty: RSA, n: abc, x5c: [MII], ext: true, n2: 0x2, z: ~}\n",
		} {
			c, ps := parseYAMLText(t, src, env("JWKS", doc))
			expectProblems(t, "t.yaml", ps)
			if !reflect.DeepEqual(c.Clients[0].JWKS, want) {
				t.Errorf("%s: jwks = %#v, want %#v", name, c.Clients[0].JWKS, want)
			}
			if _, err := json.Marshal(c.Clients[0].JWKS); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestYAMLAndJSONGiveTheSameConfig(t *testing.T) {
	t.Parallel()
	lookup := env("TLS_PASSWORD", "tp", "SIGNING_PASSWORD", "sp", "MYAPP_SECRET", "ms-0123456789abcdef")
	y, err := Load("testdata/same.yaml", lookup)
	if err != nil {
		t.Fatal(err)
	}
	j, err := Load("testdata/same.json", lookup)
	if err != nil {
		t.Fatal(err)
	}
	if j.Pos("clients[1].jwks.keys[0].n").Line != 49 || y.Pos("clients[1].jwks.keys[0].n").Line != 52 {
		t.Errorf("jwks n at %v and %v", j.Pos("clients[1].jwks.keys[0].n"), y.Pos("clients[1].jwks.keys[0].n"))
	}
	for _, c := range []*Config{y, j} {
		c.File, c.positions = "", nil
	}
	if !reflect.DeepEqual(y, j) {
		t.Errorf("YAML and JSON differ:\n%+v\n%+v", y, j)
	}
	if y.APIScopes[0].Description != "price: $5, literally" || y.TLS.Password != "tp" || y.Clients[1].JWKS["keys"].([]any)[0].(map[string]any)["num"] != 12.0 {
		t.Errorf("config %+v", y)
	}
	if err := y.Validate(); err != nil {
		t.Error(err)
	}
}

func TestJSONDialect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string // issuer
		prob string
	}{
		{"plain", `{"issuer":"https://a"}`, "https://a", ""},
		{"comments", "{ // c\n/* \"issuer\": 1, */ \"issuer\": \"https://a\" /* x\n y */ }", "https://a", ""},
		{"comment markers in strings", `{"issuer": "https://a/*b*/c//d"}`, "https://a/*b*/c//d", ""},
		{"trailing commas", "{\"issuer\": \"a\", \"apiScopes\": [{\"name\": \"x\",},],\n}", "a", ""},
		{"escaped slash", `{"issuer": "https:\/\/a"}`, "https://a", ""},
		{"surrogate pair", `{"issuer": "\ud83d\ude00 \u00e9"}`, "😀 é", ""},
		{"lone surrogate", `{"issuer": "\ud83d x"}`, "\uFFFD x", ""},
		{"raw characters YAML reads otherwise", "{\"issuer\": \"a\u0085b\u2028c\x7fd\ufeffe\"}", "a\u0085b\u2028c\x7fd\ufeffe", ""},
		{"invalid UTF-8", "{\"issuer\": \"a\xffb\"}", "a\uFFFDb", ""},
		{"key on its own line", "{\"issuer\"\n\t:\n\t\"a\", \"clientsX\"\n: 1}", "", `3: unknown key "clientsX"`},
		{"tabs", "{\n\t\"issuer\":\t\"a\"\n}", "a", ""},
		{"empty", " \n", "", ""},
		{"syntax error", "{\n  \"issuer\": \"a\"\n  \"listen\": \"b\"\n}", "", `3: invalid JSON: invalid character '"' after object key:value pair`},
		{"truncated", "{\n  \"issuer\": \"a\",\n", "", `2: invalid JSON: unexpected end of JSON input`},
		{"not an object", "\n[1]", "", `2: a JSON configuration is an object: it starts with {`},
		{"YAML in a .json file", "issuer: a", "", `1: a JSON configuration is an object`},
		{"open comment", "{\n/* x\n}", "", `2: a /* comment is not closed with */`},
		{"long key", `{"` + strings.Repeat("k", 1001) + `": 1}`, "", `1: a key is longer than 1000 characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parse("t.json", []byte(tt.src), env())
			if tt.prob != "" {
				expectProblems(t, "t.json", problems(t, err), tt.prob)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Issuer != tt.want {
				t.Errorf("issuer = %q, want %q", c.Issuer, tt.want)
			}
		})
	}
}

func TestFileProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		src  string
		want string
	}{
		{"YAML syntax", "t.yaml", "issuer: a\nkey:\n  type: [\n", "3: syntax error: did not find expected node content"},
		{"YAML tab", "t.yaml", "key:\n\ttype: File\n", "2: syntax error: found character that cannot start any token"},
		{"two documents", "t.yaml", "issuer: a\n---\nlisten: b\n", "2: a second YAML document (after ---) is not allowed"},
		{"UTF-16", "t.yaml", "\xff\xfei\x00", " the file is UTF-16 or UTF-32 encoded: save it as UTF-8"},
		{"too large", "t.yaml", strings.Repeat("#", MaxSize+1), " the file is larger than 1048576 bytes (1 MiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parse(tt.file, []byte(tt.src), env())
			if c != nil {
				t.Errorf("config %+v for a file that cannot be read", c)
			}
			expectProblems(t, tt.file, problems(t, err), tt.want)
		})
	}

	t.Run("byte order mark", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"t.yaml", "t.json"} {
			c, err := parse(name, []byte("\xef\xbb\xbf{\"issuer\": \"a\"}"), env())
			if err != nil || c.Issuer != "a" {
				t.Errorf("%s: %v %+v", name, err, c)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		for _, src := range []string{"", "# nothing\n", "---\n"} {
			c, err := parse("t.yaml", []byte(src), env())
			if err != nil || c == nil || c.Issuer != "" {
				t.Errorf("%q: %v %+v", src, err, c)
			}
		}
	})
	t.Run("extension", func(t *testing.T) {
		t.Parallel()
		for name, want := range map[string]string{
			"signet.toml": `configuration file "signet.toml": ".toml" is not a configuration format: use .yaml, .yml or .json`,
			"signet":      `configuration file "signet" has no extension: name it .yaml, .yml or .json`,
		} {
			if _, err := Load(name, env()); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Load(%q) = %v, want %s", name, err, want)
			}
		}
		for _, name := range []string{"a.YAML", "a.Yml", "a.JSON"} {
			if _, err := parse(name, []byte("{}"), env()); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), env())
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("large file on disk", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "big.yaml")
		if err := os.WriteFile(name, []byte("issuer: a\n"+strings.Repeat("# padding\n", MaxSize/10+1)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(name, env())
		expectProblems(t, name, problems(t, err), " the file is larger than")
	})
}

func TestAliasesAreRefused(t *testing.T) {
	t.Parallel()
	// A billion laughs: each level ten aliases of the one before.
	var b strings.Builder
	b.WriteString("clients:\n  - jwks:\n      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "      l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	start := time.Now()
	_, err := parse("bomb.yaml", []byte(b.String()), env())
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("parse took %v", d)
	}
	ps := problems(t, err)
	if len(ps) == 0 || len(ps) > maxProblems+1 {
		t.Fatalf("%d problems", len(ps))
	}
	expectProblems(t, "bomb.yaml", ps[:2],
		"3: clients[0].jwks.l0: YAML anchors (&l0) are not supported",
		"4: clients[0].jwks.l1: YAML anchors (&l1) are not supported",
	)
	if !strings.Contains(ps[2].Msg, "YAML aliases (*l0) are not supported") {
		t.Errorf("problem 3: %v", ps[2])
	}

	t.Run("in a field", func(t *testing.T) {
		t.Parallel()
		_, ps := parseYAMLText(t, "issuer: &i https://a\nlisten: *i\n", nil)
		expectProblems(t, "t.yaml", ps,
			"1: issuer: YAML anchors (&i) are not supported: write each value out",
			"2: listen: YAML aliases (*i) are not supported: write the value out")
	})
	t.Run("merge key", func(t *testing.T) {
		t.Parallel()
		_, ps := parseYAMLText(t, "log: &l {format: text}\nkey:\n  <<: *l\n", nil)
		expectProblems(t, "t.yaml", ps,
			"1: log: YAML anchors (&l) are not supported",
			`3: key: YAML merge keys (<<) are not supported`)
	})
}

func TestLimits(t *testing.T) {
	t.Parallel()
	t.Run("deep jwks", func(t *testing.T) {
		t.Parallel()
		src := "clients: [{jwks: {keys: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "}}]"
		_, ps := parseYAMLText(t, src, nil)
		if len(ps) != 1 || !strings.Contains(ps[0].Msg, "nested more than 32 levels deep") {
			t.Errorf("problems %v", ps)
		}
	})
	t.Run("deep YAML", func(t *testing.T) {
		t.Parallel()
		_, err := parse("t.yaml", []byte(strings.Repeat("[", 20000)), env())
		expectProblems(t, "t.yaml", problems(t, err), " syntax error: exceeded max depth of 10000")
	})
	t.Run("too many problems", func(t *testing.T) {
		t.Parallel()
		var b strings.Builder
		for i := range 500 {
			fmt.Fprintf(&b, "unknown%d: x\n", i)
		}
		_, ps := parseYAMLText(t, b.String(), nil)
		if len(ps) != maxProblems+1 || ps[maxProblems].Msg != "too many problems; stopped here" {
			t.Errorf("%d problems, last %v", len(ps), ps[len(ps)-1])
		}
	})
}

func TestAllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/mistakes.yaml", env())
	if c == nil {
		t.Fatal(err)
	}
	err = Join(err, c.Validate())
	want := `testdata/mistakes.yaml:2: issuer: "http://auth.example.com" uses http: use https, or set allowHttp: true (IdentityServer's RequireSsl=false); only a Development key allows http without it
testdata/mistakes.yaml:5: key.thumbprint: environment variable SIGNING_THUMBPRINT is not set
testdata/mistakes.yaml:10: clients[0]: unknown key "secret"; did you mean "secrets"?
testdata/mistakes.yaml:12: clients[0].allowedGrantTypes[0]: grant type "password" is not supported by this version: client_credentials, authorization_code, refresh_token are
testdata/mistakes.yaml:14: clients[0].accessTokenLifetime: expected a whole number, got "one hour"`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "signet.yaml")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		name   string
		flag   string
		lookup func(string) (string, bool)
		want   string
		err    string
	}{
		{"none", "", env(), "", ""},
		{"empty variable", "", env(EnvConfig, ""), "", ""},
		{"flag", file, env(EnvConfig, missing), file, ""},
		{"variable", "", env(EnvConfig, file), file, ""},
		{"flag missing", missing, env(), "", "(from --config)"},
		{"variable missing", "", env(EnvConfig, missing), "", "(from SIGNET_CONFIG)"},
		{"directory", dir, env(), "", "(from --config) is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Find(tt.flag, tt.lookup)
			if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Find = %q, %v; want %q, %q", got, err, tt.want, tt.err)
			}
			if tt.name == "variable missing" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("err = %v, want fs.ErrNotExist", err)
			}
		})
	}
}
