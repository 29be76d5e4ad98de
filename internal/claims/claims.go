package claims

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/signetid/signet/storage"
)

// reserved are the claims a token sets itself (OpenID Connect Core §2, RFC
// 7519 §4.1, RFC 9068 §2.2): no user claim may replace them. sub is among
// them; it comes from the user's ID only.
var reserved = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "jti": true,
	"nonce": true, "auth_time": true, "at_hash": true, "c_hash": true, "sid": true,
	"amr": true, "azp": true, "acr": true, "client_id": true, "scope": true, "cnf": true,
}

// Reserved reports whether a token sets claim itself, so that no user claim
// may carry it.
func Reserved(claim string) bool { return reserved[claim] }

// Decode reads a user's Claims (storage.User.Claims: one JSON object; empty
// for none) and gives the standard claims the JSON types OpenID Connect Core
// §5.1 gives them: email_verified and phone_number_verified booleans ("true"
// and "false" strings, as IdentityServer stores them, converted),
// updated_at a number of seconds (a string of digits converted), address
// an object (a string holding a JSON object, as IdentityServer's "json"
// value type stores it, is read; any other string becomes its "formatted"
// member). Numbers are kept as json.Number, so none loses precision. A value
// that cannot be converted is an error naming the claim.
func Decode(raw []byte) (map[string]any, error) {
	out := map[string]any{}
	if len(bytes.TrimSpace(raw)) == 0 {
		return out, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("user claims are not a JSON object: %w", err)
	}
	if out == nil {
		return nil, fmt.Errorf("user claims are null: give a JSON object, {} for none")
	}
	if d.More() {
		return nil, fmt.Errorf("user claims hold more than one JSON value: give one object")
	}
	for name, v := range out {
		c, err := convert(name, v)
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	return out, nil
}

// convert gives the value of one standard claim its §5.1 type; other claims
// are kept as they are.
func convert(name string, v any) (any, error) {
	switch name {
	case "email_verified", "phone_number_verified":
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(b)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, fmt.Errorf("user claim %s is %s: give true or false", name, show(v))
	case "updated_at":
		switch n := v.(type) {
		case json.Number:
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		case string:
			if i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64); err == nil {
				return i, nil
			}
		}
		return nil, fmt.Errorf("user claim updated_at is %s: give the time as whole seconds since 1970 (a Unix time)", show(v))
	case "address":
		switch a := v.(type) {
		case map[string]any:
			return a, nil
		case string:
			if s := strings.TrimSpace(a); strings.HasPrefix(s, "{") {
				d := json.NewDecoder(strings.NewReader(s))
				d.UseNumber()
				var obj map[string]any
				if err := d.Decode(&obj); err != nil || d.More() {
					return nil, fmt.Errorf("user claim address is a string that starts as a JSON object but is not one: fix the JSON, or give the address as text")
				}
				return obj, nil
			}
			return map[string]any{"formatted": a}, nil
		}
		return nil, fmt.Errorf("user claim address is %s: give an object (street_address, locality, region, postal_code, country, formatted) or text", show(v))
	}
	return v, nil
}

// show describes a claim's value in an error: its JSON, cut short.
func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// UserInfo returns the claims of user that the granted scopes allow, as the
// userinfo endpoint returns them: sub always (the user's ID), then the
// claims of each identity scope among scopes. Scopes that are no identity
// resource (API scopes, unknown names) add nothing. The record's Name, Email
// and EmailVerified win over the same claims in its Claims object when they
// are set; preferred_username is the Username unless the Claims object
// gives one; updated_at is the record's Updated unless the Claims object
// gives one. Claims a token sets itself (Reserved) are never taken from the
// Claims object. An error means the user's Claims cannot be read (Decode).
func (rs *Resources) UserInfo(user storage.User, scopes []string) (map[string]any, error) {
	stored, err := Decode(user.Claims)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w (fix them with signet user update)", user.ID, err)
	}
	allowed := rs.allowed(scopes)
	out := map[string]any{"sub": user.ID}
	for name := range allowed {
		if reserved[name] {
			continue
		}
		if v, ok := stored[name]; ok {
			out[name] = v
		}
	}
	set := func(name string, v any, ok bool) {
		if ok && allowed[name] {
			out[name] = v
		}
	}
	set("name", user.Name, user.Name != "")
	set("email", user.Email, user.Email != "")
	// The record's flag speaks for the record's email only.
	set("email_verified", user.EmailVerified, user.Email != "")
	if _, ok := stored["preferred_username"]; !ok {
		set("preferred_username", user.Username, user.Username != "")
	}
	if _, ok := stored["updated_at"]; !ok {
		set("updated_at", user.Updated.Unix(), !user.Updated.IsZero())
	}
	return out, nil
}

// IDToken returns the user claims for an ID token: UserInfo's without sub,
// which the ID token sets itself (internal/tokens), as it does every other
// Reserved claim.
func (rs *Resources) IDToken(user storage.User, scopes []string) (map[string]any, error) {
	out, err := rs.UserInfo(user, scopes)
	if err != nil {
		return nil, err
	}
	delete(out, "sub")
	return out, nil
}
