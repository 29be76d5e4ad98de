package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// User is a person of the users section, shaped as IdentityServer's
// TestUser so that a list written for it pastes in: for development and
// tests (signet user manages the users of a real deployment). signet serve
// writes them to the database at every start.
type User struct {
	// SubjectID is the sub of the user's tokens: required, unique.
	SubjectID string `yaml:"subjectId"`
	// Username is what the user types to sign in: required, unique
	// case-insensitively (cmd/signet checks it as storage compares them).
	Username string `yaml:"username"`
	// Password is the password in plain text, as TestUser has it: allowed,
	// with a warning unless the key is a Development key. PasswordHash
	// (what `signet user hash` prints) is for everything else. One of the
	// two is required.
	Password     string `yaml:"password"`
	PasswordHash string `yaml:"passwordHash"`
	// Claims are the user's claims: a mapping {name: value} or
	// IdentityServer's list [{type, value}].
	Claims UserClaims `yaml:"claims"`
	// IsActive false keeps the user from signing in (TestUser's IsActive);
	// default true.
	IsActive *bool `yaml:"isActive"`
}

// Active reports whether the user may sign in (isActive, default true).
func (u *User) Active() bool { return u.IsActive == nil || *u.IsActive }

// UserClaim is one claim of a user: a string from IdentityServer's list,
// or any JSON value from the mapping form (address: {street_address: ...}).
type UserClaim struct {
	// The fields are decoded by userClaims, not by key: yaml:"-".
	Type  string `yaml:"-"`
	Value any    `yaml:"-"`
	// Path is where the claim is in the file, for Problemf.
	Path string `yaml:"-"`
}

// UserClaims are a user's claims in the order the file gives them. A type
// given more than once in IdentityServer's list form (two role claims)
// is one claim whose value is the array of them (JSON).
type UserClaims []UserClaim

// JSON is the claims as one JSON object, as storage.User.Claims keeps
// them; nil for none.
func (cs UserClaims) JSON() ([]byte, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(cs))
	for _, c := range cs {
		prev, dup := m[c.Type]
		switch {
		case !dup:
			m[c.Type] = c.Value
		case isList(prev):
			m[c.Type] = append(prev.([]any), c.Value)
		default:
			m[c.Type] = []any{prev, c.Value}
		}
	}
	return json.Marshal(m)
}

func isList(v any) bool { _, ok := v.([]any); return ok }

var userClaimsType = reflect.TypeFor[UserClaims]()

// userClaims decodes a user's claims: a mapping of name to value, or a
// list of {type, value[, valueType]} (IdentityServer's Claim; a valueType
// of json reads the value as JSON, as IdentityServer's address claim is
// written).
func (d *decoder) userClaims(n *yaml.Node, v reflect.Value, path string) {
	var out UserClaims
	switch n.Kind {
	case yaml.MappingNode:
		m, ok := d.jsonValue(n, path, 0).(map[string]any)
		if !ok {
			return
		}
		// In the file's order, for stable output and messages.
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			if val, ok := m[name]; ok {
				out = append(out, UserClaim{Type: name, Value: val, Path: join(path, name)})
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			d.record(p, nil, item)
			if !d.plain(item, p) {
				continue
			}
			if item.Kind != yaml.MappingNode {
				d.problemf(item, p, "expected a claim {type: ..., value: ...}, got %s", describe(item))
				continue
			}
			var c UserClaim
			var valueType string
			c.Path = p
			for j := 0; j+1 < len(item.Content); j += 2 {
				k, val := item.Content[j], item.Content[j+1]
				kp := join(p, strings.ToLower(k.Value[:min(1, len(k.Value))])+k.Value[min(1, len(k.Value)):])
				d.record(kp, k, val)
				switch strings.ToLower(k.Value) {
				case "type":
					c.Type, _ = d.scalar(val, kp, "a claim type")
				case "value":
					c.Value, _ = d.scalar(val, kp, "a string")
				case "valuetype":
					valueType, _ = d.scalar(val, kp, "a value type")
				case "issuer", "originalissuer":
					// Parts of .NET's Claim that tokens do not carry.
				default:
					d.keyProblemf(k, p, "unknown key %s in a claim: write {type: ..., value: ...}, or write the claims as a mapping (name: value)", quoteShort(k.Value))
				}
			}
			if s, ok := c.Value.(string); ok && strings.EqualFold(valueType, "json") {
				var x any
				if err := json.Unmarshal([]byte(s), &x); err != nil {
					d.problemf(item, p, "the value of claim %q has valueType json but is not JSON: %v", c.Type, err)
					continue
				}
				c.Value = x
			}
			if c.Value == nil {
				c.Value = ""
			}
			out = append(out, c)
		}
	default:
		d.problemf(n, path, "expected the user's claims as a mapping (name: value) or a list of {type, value}, got %s", describe(n))
		return
	}
	if len(out) > 0 {
		d.sets++
		v.Set(reflect.ValueOf(out))
	}
}

// users checks the users section: subjectId and username required, the
// subject ids unique, one of password and passwordHash, claims with a
// type. The password hash's syntax and the usernames' case-insensitive
// uniqueness are checked by cmd/signet, which may import internal/users
// and storage.
func (v *validator) users() {
	seen := map[string]string{}
	for i := range v.c.Users {
		u := &v.c.Users[i]
		path := fmt.Sprintf("users[%d]", i)
		switch {
		case u.SubjectID == "":
			v.addf(path+".subjectId", "a user needs a subjectId: the sub of their tokens, stable and never reused (such as \"1\" or a random id)")
		case seen[u.SubjectID] != "":
			v.addf(path+".subjectId", "subjectId %q is also the subjectId of %s (line %d): each user needs their own", u.SubjectID, seen[u.SubjectID], v.line(seen[u.SubjectID]+".subjectId"))
		default:
			seen[u.SubjectID] = path
		}
		if strings.TrimSpace(u.Username) == "" {
			v.addf(path+".username", "a user needs a username: what they type to sign in")
		}
		switch {
		case u.Password != "" && u.PasswordHash != "":
			v.addf(path+".password", "give password or passwordHash, not both")
		case u.Password == "" && u.PasswordHash == "" && !v.failed(path+".password", path+".passwordHash"):
			v.addf(path, "user %q has no password: give passwordHash (what `signet user hash` prints), or password in plain text for development", u.Username)
		case u.Password != "" && !v.c.developmentKey():
			v.warnf(path+".password", "user %q has a password in plain text in the configuration: whoever reads the file can sign in as them; use passwordHash (signet user hash prints it) or manage users with signet user add", u.Username)
		}
		for _, c := range u.Claims {
			if strings.TrimSpace(c.Type) == "" {
				v.addf(c.Path, "a claim needs a type, such as given_name")
			}
		}
	}
}
