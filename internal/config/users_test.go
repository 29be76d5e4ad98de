package config

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestUsersClaimsBothShapes: a user's claims decode from a mapping (any
// JSON value) and from IdentityServer's list of {type, value} (a type
// given twice is an array; valueType json is read as JSON), to the same
// JSON.
func TestUsersClaimsBothShapes(t *testing.T) {
	t.Parallel()
	c, ps := parseYAMLText(t, `
key: {type: Development}
users:
  - subjectId: "1"
    username: alice
    password: alice
    claims:
      name: Alice Smith
      email_verified: true
      role: [admin, dev]
      address: {country: DE}
  - subjectId: "2"
    username: bob
    passwordHash: $argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5
    isActive: false
    claims:
      - type: name
        value: Bob Smith
      - {Type: role, Value: admin}
      - {type: role, value: dev}
      - {type: address, value: '{"country":"FR"}', valueType: json}
      - {type: email_verified, value: "true", issuer: LOCAL AUTHORITY}
`, nil)
	if len(ps) > 0 || c.Validate() != nil {
		t.Fatalf("problems %v %v", ps, c.Validate())
	}
	if len(c.Users) != 2 || !c.Users[0].Active() || c.Users[1].Active() {
		t.Fatalf("users %+v", c.Users)
	}
	for i, want := range []string{
		`{"address":{"country":"DE"},"email_verified":true,"name":"Alice Smith","role":["admin","dev"]}`,
		`{"address":{"country":"FR"},"email_verified":"true","name":"Bob Smith","role":["admin","dev"]}`,
	} {
		got, err := c.Users[i].Claims.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var x, y any
		_ = json.Unmarshal(got, &x)
		_ = json.Unmarshal([]byte(want), &y)
		if !reflect.DeepEqual(x, y) {
			t.Errorf("user %d claims %s, want %s", i, got, want)
		}
	}
	if got := c.Pos("users[1].claims[1]").Line; got != 19 {
		t.Errorf("users[1].claims[1] at line %d, want 19", got)
	}
	if got := c.Pos("users[0].claims.role").Line; got != 10 {
		t.Errorf("users[0].claims.role at line %d, want 10", got)
	}
}

// TestUsersProblems: every problem of the section, each at its line; a
// plain password is a warning outside development.
func TestUsersProblems(t *testing.T) {
	t.Parallel()
	c, ps := parseYAMLText(t, `users:
  - subjectId: "1"
    username: alice
    password: a
    passwordHash: b
  - subjectId: "1"
    username: bob
  - username: carol
    password: c
    claims: 5
  - subjectId: "4"
    password: d
    claims:
      - {type: role, value: a, extra: 1}
      - just-a-string
      - {value: no-type}
  - subjectId: "5"
    username: eve
    password: e
    claims:
      - {type: address, value: 'not json', valueType: json}
`, nil)
	ps = append(ps, problems(t, c.Validate())...)
	expectProblems(t, "t.yaml", ps,
		`10: users[2].claims: expected the user's claims as a mapping (name: value) or a list of {type, value}, got "5"`,
		`14: users[3].claims[0]: unknown key "extra" in a claim`,
		`15: users[3].claims[1]: expected a claim {type: ..., value: ...}, got "just-a-string"`,
		`21: users[4].claims[0]: the value of claim "address" has valueType json but is not JSON`,
		`4: users[0].password: give password or passwordHash, not both`,
		`6: users[1].subjectId: subjectId "1" is also the subjectId of users[0] (line 2)`,
		`6: users[1]: user "bob" has no password`,
		`8: users[2].subjectId: a user needs a subjectId`,
		`11: users[3].username: a user needs a username`,
		`16: users[3].claims[2]: a claim needs a type`,
	)
	// Outside development, a plain password is a warning.
	c, _ = parseYAMLText(t, "key: {type: File, filePath: signing.pfx}\nusers: [{subjectId: '1', username: carol, password: b}]\n", nil)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var w []string
	for _, p := range c.Warnings() {
		w = append(w, p.String())
	}
	if !strings.Contains(strings.Join(w, "\n"), `users[0].password: user "carol" has a password in plain text`) {
		t.Errorf("warnings:\n%s", strings.Join(w, "\n"))
	}

	// With a Development key, a plain password is expected.
	c, _ = parseYAMLText(t, "key: {type: Development}\nusers: [{subjectId: '1', username: a, password: b}]\n", nil)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Warnings() {
		if strings.Contains(p.Msg, "plain text") {
			t.Errorf("warning with a Development key: %v", p)
		}
	}
}

// TestUsersInAppsettings: IdentityServer:Users and Signet:Users are read
// from an ASP.NET Core settings file.
func TestUsersInAppsettings(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, "appsettings.json", `{
  "IdentityServer": {
    "Key": {"Type": "Development"},
    "Users": [
      {"SubjectId": "1", "Username": "alice", "Password": "alice",
       "Claims": [{"Type": "name", "Value": "Alice Smith"}, {"Type": "email", "Value": "alice@example.com"}]}
    ]
  }
}`)
	c, err := Load(filepath.Join(dir, "appsettings.json"), env())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Users) != 1 || c.Users[0].Username != "alice" || len(c.Users[0].Claims) != 2 || c.Users[0].Claims[1].Value != "alice@example.com" {
		t.Errorf("users %+v", c.Users)
	}
}
