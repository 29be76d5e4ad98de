package jwtauth

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Claims are a validated token's claims. The registered ones are decoded
// into fields; all of them, registered or not, are in Raw as sent.
type Claims struct {
	// Issuer is iss.
	Issuer string
	// Subject is sub: for a client_credentials token, the client itself.
	Subject string
	// ClientID is client_id (RFC 9068 §2.2), or azp when there is no
	// client_id (Azure AD v2, Keycloak).
	ClientID string
	// ID is jti.
	ID string
	// Audience is aud, a string or an array in the token, always a slice
	// here.
	Audience []string
	// Scopes are the token's scopes: the scope claim (a space-delimited
	// string, RFC 9068 §2.2.3, or an array), then scp (Azure AD), without
	// repeats.
	Scopes []string
	// Expiry is exp. Validate requires it (RFC 9068 §2.2).
	Expiry time.Time
	// NotBefore is nbf; zero when absent.
	NotBefore time.Time
	// IssuedAt is iat; zero when absent.
	IssuedAt time.Time
	// Raw holds every claim as sent, by name. Read other claims with
	// Decode.
	Raw map[string]json.RawMessage
}

// HasScope reports whether the token carries scope (compared exactly, as
// scopes are case-sensitive: RFC 6749 §3.3).
func (c *Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// Decode unmarshals the claim name into v, with encoding/json. It returns
// an error if the token has no such claim.
func (c *Claims) Decode(name string, v any) error {
	raw, ok := c.Raw[name]
	if !ok {
		return fmt.Errorf("jwtauth: the token has no %q claim", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("jwtauth: claim %q: %w", name, err)
	}
	return nil
}

// MarshalJSON writes the claims as the token carried them (Raw), so that a
// tool can print them as a JWT debugger would. Claims without Raw (built by
// hand) are written from the fields, with their registered names.
func (c *Claims) MarshalJSON() ([]byte, error) {
	if c.Raw != nil {
		return json.Marshal(c.Raw)
	}
	m := map[string]any{}
	put := func(name, v string) {
		if v != "" {
			m[name] = v
		}
	}
	put("iss", c.Issuer)
	put("sub", c.Subject)
	put("client_id", c.ClientID)
	put("jti", c.ID)
	if len(c.Audience) > 0 {
		m["aud"] = c.Audience
	}
	put("scope", strings.Join(c.Scopes, " "))
	for name, t := range map[string]time.Time{"exp": c.Expiry, "nbf": c.NotBefore, "iat": c.IssuedAt} {
		if !t.IsZero() {
			m[name] = t.Unix()
		}
	}
	return json.Marshal(m)
}

type claimsKey struct{}

// ClaimsFromContext returns the claims of the request's token, which
// Middleware (or RequireScopes) put into its context after validating it.
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	d, ok := ctx.Value(claimsKey{}).(validated)
	return d.c, ok && d.c != nil
}

func withValidated(ctx context.Context, d validated) context.Context {
	return context.WithValue(ctx, claimsKey{}, d)
}

// maxNumericDate is 9999-12-31T23:59:59Z: later dates are not dates.
const maxNumericDate = 253402300799

// parseClaims reads the payload of a token whose signature has verified.
// Registered claims must have their registered types (RFC 7519 §4.1); a
// claim named twice is refused rather than resolved.
func parseClaims(payload []byte) (*Claims, *ValidationError) {
	r, ok := newObjectReader(payload)
	if !ok {
		return nil, newError(ErrMalformed, "token's payload is not a JSON object")
	}
	src := string(payload) // string claims are substrings of this one copy
	c := &Claims{Raw: make(map[string]json.RawMessage, 12)}
	var scope, scp []string
	var azp string
	for {
		rawName, escaped, vs, ve, ok := r.next()
		if !ok {
			break
		}
		name := claimName(rawName, escaped)
		n := len(c.Raw)
		c.Raw[name] = json.RawMessage(payload[vs:ve:ve])
		if len(c.Raw) == n {
			return nil, newError(ErrMalformed, fmt.Sprintf("token has the claim %s twice", quote(name)))
		}
		if isNull(payload, vs, ve) {
			continue
		}
		var err *ValidationError
		switch name {
		case "iss":
			err = claimString(src, payload, vs, ve, name, &c.Issuer)
		case "sub":
			err = claimString(src, payload, vs, ve, name, &c.Subject)
		case "client_id":
			err = claimString(src, payload, vs, ve, name, &c.ClientID)
		case "azp":
			err = claimString(src, payload, vs, ve, name, &azp)
		case "jti":
			err = claimString(src, payload, vs, ve, name, &c.ID)
		case "aud":
			c.Audience, err = claimStrings(src, payload, vs, ve, name, false)
		case "scope":
			scope, err = claimStrings(src, payload, vs, ve, name, true)
		case "scp":
			scp, err = claimStrings(src, payload, vs, ve, name, true)
		case "exp":
			err = claimTime(src, payload, vs, ve, name, &c.Expiry)
		case "nbf":
			err = claimTime(src, payload, vs, ve, name, &c.NotBefore)
		case "iat":
			err = claimTime(src, payload, vs, ve, name, &c.IssuedAt)
		}
		if err != nil {
			return nil, err
		}
	}
	if !r.valid() {
		return nil, newError(ErrMalformed, "token's payload is not JSON")
	}
	if c.ClientID == "" {
		c.ClientID = azp
	}
	c.Scopes = scope
	for _, s := range scp {
		if !slices.Contains(c.Scopes, s) {
			c.Scopes = append(c.Scopes, s)
		}
	}
	return c, nil
}

// claimName returns a member name, without allocating for the registered
// ones.
func claimName(b []byte, escaped bool) string {
	if escaped {
		return memberName(b, true)
	}
	switch string(b) {
	case "iss":
		return "iss"
	case "sub":
		return "sub"
	case "aud":
		return "aud"
	case "exp":
		return "exp"
	case "nbf":
		return "nbf"
	case "iat":
		return "iat"
	case "jti":
		return "jti"
	case "client_id":
		return "client_id"
	case "scope":
		return "scope"
	case "scp":
		return "scp"
	case "azp":
		return "azp"
	}
	return string(b)
}

func claimString(src string, b []byte, vs, ve int, name string, dst *string) *ValidationError {
	s, ok := stringValue(src, b, vs, ve)
	if !ok {
		return newError(ErrMalformed, fmt.Sprintf("token's %s claim is not a string", name))
	}
	*dst = s
	return nil
}

// claimStrings reads a string or an array of strings; with split, a string
// is space-delimited (RFC 6749 §3.3).
func claimStrings(src string, b []byte, vs, ve int, name string, split bool) ([]string, *ValidationError) {
	if s, ok := stringValue(src, b, vs, ve); ok {
		if split {
			return strings.Fields(s), nil
		}
		return []string{s}, nil
	}
	ar, ok := newArrayReader(b[vs:ve])
	if !ok {
		return nil, newError(ErrMalformed, fmt.Sprintf("token's %s claim is neither a string nor an array of strings", name))
	}
	var out []string
	for {
		es, ee, ok := ar.next()
		if !ok {
			return out, nil
		}
		s, ok := stringValue(src, b, vs+es, vs+ee)
		if !ok {
			return nil, newError(ErrMalformed, fmt.Sprintf("token's %s claim is an array with an element that is not a string", name))
		}
		out = append(out, s)
	}
}

// claimTime reads a NumericDate (RFC 7519 §2): seconds since 1970, maybe
// with a fraction.
func claimTime(src string, b []byte, vs, ve int, name string, dst *time.Time) *ValidationError {
	if c := b[vs]; c != '-' && (c < '0' || c > '9') {
		return newError(ErrMalformed, fmt.Sprintf("token's %s claim is not a number (NumericDate)", name))
	}
	if n, ok := smallInt(b[vs:ve]); ok && n <= maxNumericDate {
		*dst = time.Unix(n, 0).UTC() // the common case: whole seconds
		return nil
	}
	f, err := strconv.ParseFloat(src[vs:ve], 64)
	if err != nil || f < 0 || f > maxNumericDate || math.IsNaN(f) {
		return newError(ErrMalformed, fmt.Sprintf("token's %s claim is %s, not a time between 1970 and 9999", name, truncate(src[vs:ve])))
	}
	sec, frac := math.Modf(f)
	*dst = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

// smallInt parses up to 15 decimal digits.
func smallInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
