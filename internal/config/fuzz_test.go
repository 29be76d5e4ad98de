package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func addTestdata(f *testing.F, add func(name string, data []byte)) {
	f.Helper()
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(name, data)
	}
}

// FuzzLoad checks that no input makes the loader, Validate or Defaults
// panic, and that what they return holds together.
func FuzzLoad(f *testing.F) {
	addTestdata(f, func(name string, data []byte) { f.Add(data, strings.HasSuffix(name, ".json")) })
	for _, s := range []string{
		"key: &a {type: *a}", "a: !!binary x", "clients: [{jwks: '{\"keys\": [1e999]}'}]",
		"{\"a\"\n:1, /* */ \"b\": [1,],}", "issuer: ${X", "${S}: $${S}", "? [a]\n: b", "--- 1\n--- 2",
		"clients: [{jwks: {keys: [{kty: RSA, n: .nan}]}}]", "\xef\xbb\xbf", "\xff\xfe",
		// The sign-in sections: users (claims as a map and as
		// IdentityServer's list), sessions, the login policy, the pages.
		"users: [{subjectId: '1', username: alice, password: x, claims: {name: A, email_verified: 'true', address: '{\"a\":1}'}}]",
		"users: [{subjectId: '2', username: Ｂob, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', isActive: false, claims: [{type: role, value: x}, {type: role}]}]",
		"session: {idleLifetime: 1h, cookieSameSite: None}\nlogin: {maxFailures: -1}\nui: {logo: 'javascript:x', templatesDir: /nonexistent}",
		"clients: [{clientId: w, allowedGrantTypes: [authorization_code, hybrid], redirectUris: ['http://127.0.0.1:0/cb#x'], requireClientSecret: false, requirePkce: false, refreshTokenUsage: 0}]",
		// External identity providers.
		"externalProviders: [{name: entra, type: ENTRA, tenant: organizations, clientId: a, clientSecret: b, claimMappings: {dept: department, x: [1]}, timeout: 3s}, {name: '../x', type: oidc, authority: 'http://[::1', scopes: ['a b']}]",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	lookup := func(name string) (string, bool) {
		if strings.HasPrefix(name, "S") {
			return "${" + name + "}$$", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		name := "fuzz.yaml"
		if isJSON {
			name = "fuzz.json"
		}
		c, err := parse(name, data, lookup)
		if err != nil {
			_ = err.Error()
			e, ok := err.(*Errors)
			if !ok || len(e.Problems) == 0 || len(e.Problems) > maxProblems+1 {
				t.Fatalf("error %T with %v", err, err)
			}
			for _, p := range e.Problems {
				if p.Pos.File != name || p.Msg == "" {
					t.Fatalf("problem %#v", p)
				}
			}
		}
		if c == nil {
			return
		}
		if c.File != name {
			t.Fatalf("File = %q", c.File)
		}
		for path, pos := range c.positions {
			if got := c.Pos(path); got != pos || pos.Line < 1 {
				t.Fatalf("Pos(%q) = %v, recorded %v", path, got, pos)
			}
			_ = c.Pos(path + ".x[3]")
		}
		for _, cl := range c.Clients {
			if _, err := json.Marshal(cl.JWKS); err != nil {
				t.Fatalf("jwks cannot be marshalled: %v", err)
			}
		}
		err1 := c.Validate()
		c.Defaults()
		err2 := c.Validate()
		if err1 != nil && err2 == nil || err1 == nil && err2 != nil && !strings.Contains(err2.Error(), "accessTokenLifetime") {
			// Defaults fills in values that Validate accepts as they are,
			// except a lifetime, which it could only make valid.
			t.Fatalf("Validate before Defaults: %v; after: %v", err1, err2)
		}
		_ = c.MissingKeyProblem().String()
		_ = Join(err, err2)
	})
}

// FuzzJSONIsYAML checks the claim that JSON, as jsonToYAML hands it to the
// YAML parser, gives the values encoding/json gives.
func FuzzJSONIsYAML(f *testing.F) {
	addTestdata(f, func(name string, data []byte) {
		if strings.HasSuffix(name, ".json") {
			f.Add(data)
		}
	})
	for _, s := range []string{
		`{"a":"\/\ud83d\ude00\ud83d\u00e9\\\"","b":[1,-0,1E5,0.5e-3,12345678901234567890,true,false,null,{}]}`,
		"{\"a\u2028\"\n:\t\"x\u0085\x7f\xff\ufeff\"}",
		`{"":{"a b":{"c":[[],[{}]]}}}`, `{"yes":"no","on":"~","null":"null","1":"0x1F"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want map[string]any
		if json.Unmarshal(data, &want) != nil {
			return
		}
		yml, line, msg := jsonToYAML(data)
		if msg != "" {
			if strings.Contains(msg, "key is longer") {
				return
			}
			t.Fatalf("line %d: %s", line, msg)
		}
		root, line, msg := parseYAML(yml)
		if msg != "" {
			t.Fatalf("YAML %q: line %d: %s", yml, line, msg)
		}
		if root == nil {
			t.Fatalf("YAML %q: empty", yml)
		}
		d := decoder{file: "f.json", pos: map[string]Position{}, failed: map[string]bool{}}
		got := d.jsonValue(root, "", 0)
		for _, p := range d.errs.Problems {
			if strings.Contains(p.Msg, "set twice") || strings.Contains(p.Msg, "nested more than") {
				return // encoding/json keeps the last; and the depth bound
			}
			t.Fatalf("problem %v", p)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("YAML %q\ngives %#v\nJSON  %#v", yml, got, want)
		}
	})
}
