package introspect

import (
	"encoding/json"
	"slices"
	"strings"
)

// tokenClaims are what introspection reads of an access token's claims,
// a JWT's payload or a reference token's stored claims.
type tokenClaims struct {
	Issuer   string     `json:"iss"`
	Subject  string     `json:"sub"`
	ClientID string     `json:"client_id"`
	Scope    scopeClaim `json:"scope"`
	Audience stringList `json:"aud"`
	Expiry   *int64     `json:"exp"`
	IssuedAt int64      `json:"iat"`
	NotBef   *int64     `json:"nbf"`
	ID       string     `json:"jti"`
	AuthTime int64      `json:"auth_time"`

	// raw is the JSON object the claims were read from: the others (the
	// client's own claims, amr) are answered too.
	raw []byte
}

// stringList is a claim that is a string or an array of strings (aud,
// RFC 7519 §4.1.3).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = stringList{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// scopeClaim is scope as RFC 9068 writes it (one space-separated string)
// or as IdentityServer writes it by default (an array).
type scopeClaim []string

func (s *scopeClaim) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = strings.Fields(v)
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// answer is an active token's introspection response (RFC 7662 §2.2).
type answer struct {
	Active    bool     `json:"active"`
	Issuer    string   `json:"iss,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Scope     string   `json:"scope,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	Expiry    int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	ID        string   `json:"jti,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	AuthTime  int64    `json:"auth_time,omitempty"`

	// extra are the token's other claims (the client's own, amr), a JSON
	// object or nil: an API reads them from a reference token's answer as
	// from the JWT it would otherwise get.
	extra []byte
}

// answered are the members the endpoint writes itself: a token's claim of
// the same name is never copied into extra, so that no claim a client was
// given can make an answer say more than the endpoint decided.
var answered = []string{"active", "iss", "sub", "client_id", "scope", "aud", "exp", "iat", "nbf", "jti", "token_type", "auth_time"}

// extraClaims are the members of the JSON object raw that are not
// answered, as a JSON object; nil when there are none (or raw is not an
// object, which the caller has read already).
func extraClaims(raw []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	for _, k := range answered {
		delete(m, k)
	}
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}

// MarshalJSON writes the answer's members, then extra's.
func (a *answer) MarshalJSON() ([]byte, error) {
	type plain answer
	b, err := json.Marshal((*plain)(a))
	if err != nil || len(a.extra) <= 2 {
		return b, err
	}
	b = append(b[:len(b)-1], ',')
	return append(b, a.extra[1:]...), nil
}

// inactive is the one answer to every token that is not active for the
// caller, whatever the reason (RFC 7662 §2.2: "SHOULD NOT include any
// additional information about an inactive token").
var inactive = []byte(`{"active":false}`)

// inactiveAnswer is inactive as a value, for the signed answer.
var inactiveAnswer = &answer{}

// The token_type of answers: the access tokens' as a token response names
// it (RFC 7662 §2.2 refers to RFC 6749 §5.1), and refresh_token for a
// refresh token, which has no such type.
const (
	typeAccess  = "Bearer"
	typeRefresh = "refresh_token"
)

// ownScopes are the scopes of granted that the resource holds, in the
// token's order, space-separated; "" when it holds none.
func ownScopes(granted, own []string) string {
	var b strings.Builder
	for _, s := range granted {
		if slices.Contains(own, s) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// encode is the JSON of an answer; inactive's bytes for an inactive one.
func encode(a *answer) []byte {
	if a == nil || !a.Active {
		return inactive
	}
	b, err := json.Marshal(a)
	if err != nil {
		return inactive // never: the fields are strings and numbers
	}
	return b
}
