package config

import (
	"cmp"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/signetid/signet/internal/oauth"
)

// MinSecretLength is the shortest plain client secret accepted without
// allowWeakSecret. Client secrets are hashed fast, so that the token
// endpoint is fast: only their randomness protects them.
const MinSecretLength = 16

// ShortSecretLength is the length under which a plain secret that is
// accepted still gets a warning.
const ShortSecretLength = 24

// DefaultClientClaimsPrefix is what a client claim's type is prefixed with
// in tokens, as IdentityServer's ClientClaimsPrefix.
const DefaultClientClaimsPrefix = "client_"

// Access token types (IdentityServer's AccessTokenType).
const (
	AccessTokenJwt       = "Jwt"
	AccessTokenReference = "Reference"
)

// SharedSecret is the one IdentityServer secret type Signet reads.
const SharedSecret = "SharedSecret"

// ReservedClaims are the claims of an access token that a client claim
// may not replace.
var ReservedClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope",
	"cnf", "act", "may_act", "azp", "auth_time", "acr", "amr", "sid", "idp", "nonce", "at_hash", "c_hash", "typ"}

// Claim value types, as .NET's System.Security.Claims.ClaimValueTypes and
// IdentityServer's "json" name them.
const (
	claimTypeInteger = "http://www.w3.org/2001/XMLSchema#integer"
	claimTypeBoolean = "http://www.w3.org/2001/XMLSchema#boolean"
	claimTypeDouble  = "http://www.w3.org/2001/XMLSchema#double"
	claimTypeString  = "http://www.w3.org/2001/XMLSchema#string"
	claimTypeJSON    = "json"
)

// IsEnabled reports whether the client is enabled (Enabled, default true).
func (cl *Client) IsEnabled() bool { return cl.Enabled == nil || *cl.Enabled }

// ClaimsPrefix is the prefix of its claims' types in tokens.
func (cl *Client) ClaimsPrefix() string {
	if cl.ClientClaimsPrefix == nil {
		return DefaultClientClaimsPrefix
	}
	return *cl.ClientClaimsPrefix
}

// RequiresPKCE reports whether the client must send a code_challenge
// (requirePkce, default true).
func (cl *Client) RequiresPKCE() bool { return cl.RequirePKCE == nil || *cl.RequirePKCE }

// AllowsRememberConsent reports whether the consent page offers to
// remember the decision (allowRememberConsent, default true).
func (cl *Client) AllowsRememberConsent() bool {
	return cl.AllowRememberConsent == nil || *cl.AllowRememberConsent
}

// IsPublic reports whether the client has no secret (requireClientSecret:
// false).
func (cl *Client) IsPublic() bool { return cl.RequireClientSecret != nil && !*cl.RequireClientSecret }

// Skipped returns why the client is not loaded ("" when it is): a client
// of an IdentityServer section whose grant types this version does not
// implement.
func (cl *Client) Skipped() string { return cl.skip }

// IsEnabled reports whether the scope is enabled (default true).
func (s *APIScope) IsEnabled() bool { return s.Enabled == nil || *s.Enabled }

// IsEnabled reports whether the resource is enabled (default true).
func (r *APIResource) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// ClaimValue returns the claim's value as JSON, by its ValueType: an
// integer or double as a number, a boolean as true or false, json as the
// JSON value itself, anything else as a string.
func (c ClientClaim) ClaimValue() (json.RawMessage, error) {
	switch strings.ToLower(strings.TrimSpace(c.ValueType)) {
	case strings.ToLower(claimTypeInteger), "http://www.w3.org/2001/xmlschema#integer32", "http://www.w3.org/2001/xmlschema#integer64",
		"http://www.w3.org/2001/xmlschema#int", "http://www.w3.org/2001/xmlschema#long":
		n, err := strconv.ParseInt(strings.TrimSpace(c.Value), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("value %s is not a whole number, as its valueType %s says", quoteShort(c.Value), c.ValueType)
		}
		return json.RawMessage(strconv.FormatInt(n, 10)), nil
	case strings.ToLower(claimTypeDouble), "http://www.w3.org/2001/xmlschema#decimal", "http://www.w3.org/2001/xmlschema#float":
		f, err := strconv.ParseFloat(strings.TrimSpace(c.Value), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("value %s is not a number, as its valueType %s says", quoteShort(c.Value), c.ValueType)
		}
		return json.Marshal(f)
	case strings.ToLower(claimTypeBoolean):
		switch strings.ToLower(strings.TrimSpace(c.Value)) {
		case "true":
			return json.RawMessage("true"), nil
		case "false":
			return json.RawMessage("false"), nil
		}
		return nil, fmt.Errorf("value %s is not true or false, as its valueType %s says", quoteShort(c.Value), c.ValueType)
	case claimTypeJSON:
		if !json.Valid([]byte(c.Value)) {
			return nil, fmt.Errorf("value %s is not JSON, as its valueType json says", quoteShort(c.Value))
		}
		var v any
		_ = json.Unmarshal([]byte(c.Value), &v)
		return json.Marshal(v) // compact
	}
	return json.Marshal(c.Value)
}

// BuiltInIdentityResources are the identity scopes Signet defines itself
// (OpenID Connect Core §5.4 and offline_access): a client may be allowed
// them without an identityResources entry. internal/claims defines them,
// which this package cannot import; a test in cmd/signet holds the two
// equal.
var BuiltInIdentityResources = []string{"openid", "profile", "email", "address", "phone", "offline_access"}

// identityResources checks identityResources and returns their names.
func (v *validator) identityResources(apiScopes map[string]bool) map[string]bool {
	names := make(map[string]bool)
	first := make(map[string]string)
	for i, r := range v.c.IdentityResources {
		path := fmt.Sprintf("identityResources[%d]", i)
		if msg := checkScopeName(r.Name); msg != "" {
			v.addf(path+".name", "%s", msg)
			continue
		}
		switch p, dup := first[r.Name]; {
		case dup:
			v.addf(path+".name", "identity resource %q is defined twice (also at line %d)", r.Name, v.line(p))
			continue
		case apiScopes[r.Name]:
			v.addf(path+".name", "%q is both an identity resource and an API scope: a scope name means one of them (IdentityServer refuses this too)", r.Name)
			continue
		}
		first[r.Name] = path + ".name"
		names[r.Name] = true
		if r.Name == "openid" && len(r.UserClaims) > 0 && !slices.Contains(r.UserClaims, "sub") {
			v.addf(path+".userClaims", "the openid identity resource must include the sub claim")
		}
		v.userClaims(path+".userClaims", r.UserClaims)
	}
	return names
}

// userClaims checks a list of claim types.
func (v *validator) userClaims(path string, claims []string) {
	seen := make(map[string]bool)
	for i, c := range claims {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case strings.TrimSpace(c) == "":
			v.addf(p, "a claim type is required")
		case c != strings.TrimSpace(c):
			v.addf(p, "claim type %q has spaces around it", c)
		case seen[c]:
			v.addf(p, "claim type %q is listed twice", c)
		}
		seen[c] = true
	}
}

// identityServerSecrets checks secrets written as IdentityServer writes
// them: Value the hash of the secret, Type SharedSecret.
func (v *validator) identityServerSecrets(path string, secrets []IdentityServerSecret) {
	for j, s := range secrets {
		sp := fmt.Sprintf("%s[%d]", path, j)
		switch t := strings.TrimSpace(s.Type); {
		case t == "" || strings.EqualFold(t, SharedSecret):
		case strings.EqualFold(t, "JWK") || strings.EqualFold(t, "JsonWebKey"):
			v.addf(sp+".type", "secret type %s (a public key for private_key_jwt) is not read from secrets: give the key in the client's jwks, as a key set: jwks: {\"keys\": [ <this Value> ]}", t)
			continue
		case strings.EqualFold(t, "X509CertificateBase64"):
			v.addf(sp+".type", "secret type %s (a certificate for private_key_jwt) is not read from secrets: give its public key in the client's jwks (a JWK with x5c: signet cert inspect shows the certificate)", t)
			continue
		case strings.EqualFold(t, "X509Thumbprint") || strings.EqualFold(t, "X509Name"):
			v.addf(sp+".type", "secret type %s is for mutual TLS client authentication, which Signet does not support: use a shared secret or private_key_jwt (jwks)", t)
			continue
		default:
			v.addf(sp+".type", "unknown secret type %q: IdentityServer's shared secrets are SharedSecret (the default)", t)
			continue
		}
		switch {
		case strings.TrimSpace(s.Value) == "":
			if !v.failed(sp + ".value") {
				v.addf(sp+".value", "value is required: the hash of the secret, as IdentityServer's \"secret\".Sha256() makes it (signet secret hash makes Signet's own)")
			}
		case !IsSecretHash(s.Value):
			v.addf(sp+".value", "this value is not a hash: in clientSecrets (IdentityServer's form) the value is the hash of the secret, base64 of its SHA-256 as \"secret\".Sha256() makes it. Put a plain secret in secrets[].value (Signet's form), or hash it with signet secret hash")
		default:
			if sample := sampleSecret(s.Value); sample != "" {
				v.warnf(sp+".value", "this is the hash of %q, a secret from IdentityServer's samples that anyone can guess: give the client a new secret (signet secret generate)", sample)
			}
		}
	}
}

// IsSecretHash reports whether s has the shape of a secret hash Signet
// reads: Signet's own (sha256$salt$digest) or IdentityServer's (standard
// base64 of a SHA-256 or SHA-512 digest).
func IsSecretHash(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "sha256$") {
		return strings.Count(s, "$") == 2
	}
	return isIdentityServerHash(s)
}

// isIdentityServerHash reports whether s is exactly what IdentityServer's
// Sha256() or Sha512() make: standard base64, padded, of 32 or 64 bytes.
func isIdentityServerHash(s string) bool {
	if len(s) != 44 && len(s) != 88 {
		return false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && (len(b) == sha256.Size || len(b) == sha512.Size)
}

// HashShapeWarning is said of a plain secret that has exactly the shape of
// an IdentityServer hash: pasted from an IdentityServer configuration, it
// would never match what clients send.
const hashShapeWarning = "this value has the shape of an IdentityServer hash (standard base64 of 32 or 64 bytes), and value is the plain secret. If it is the hash of a secret (\"...\".Sha256()), clients that send that secret are refused: write it as hash: instead (or in clientSecrets, IdentityServer's form). If it is the secret itself (openssl rand -base64 32 makes values of this shape), give one that cannot be mistaken for a hash, from signet secret generate, and this warning goes away"

// HashShaped reports whether a plain secret has exactly the shape of an
// IdentityServer hash, and if so returns what to say about it.
func HashShaped(value string) (string, bool) {
	if isIdentityServerHash(value) {
		return hashShapeWarning, true
	}
	return "", false
}

// sampleSecrets are secrets from IdentityServer's documentation, samples
// and templates, which are in many configurations that reached production.
var sampleSecrets = []string{"secret", "password", "511536EF-F270-4058-80CA-1C89C192F69A", "49C1A7E1-0C79-4A89-A3D6-A37998FB86B0"}

// sampleSecret returns the sample secret whose IdentityServer hash hash
// is, or "".
func sampleSecret(hash string) string {
	for _, s := range sampleSecrets {
		a, b := sha256.Sum256([]byte(s)), sha512.Sum512([]byte(s))
		if hash == base64.StdEncoding.EncodeToString(a[:]) || hash == base64.StdEncoding.EncodeToString(b[:]) {
			return s
		}
	}
	return ""
}

// inIdentityServerSection reports whether the value at path came from the
// IdentityServer section of an ASP.NET Core settings file.
func (c *Config) inIdentityServerSection(path string) bool {
	return strings.HasPrefix(c.displayPath(path), SectionIdentityServer+":")
}

func (v *validator) clients(scopes, identity map[string]bool) {
	allowHTTP := v.c.AllowHTTP
	first := make(map[string]string)
	for i := range v.c.Clients {
		cl := &v.c.Clients[i]
		path := fmt.Sprintf("clients[%d]", i)
		cl.skip = ""
		v.uniqueName(first, path+".clientId", cl.ClientID, "clientId is required", "client")
		if v.skipUnsupported(path, cl) {
			continue
		}
		v.grantTypes(path, cl)
		v.signIn(path, cl)
		for j, s := range cl.AllowedScopes {
			if identity[s] || slices.Contains(BuiltInIdentityResources, s) {
				continue // granted to users, once they sign in
			}
			v.scopeRef(fmt.Sprintf("%s.allowedScopes[%d]", path, j), s, scopes)
		}
		if cl.AccessTokenLifetime < 0 || cl.AccessTokenLifetime > MaxAccessTokenLifetime {
			v.addf(path+".accessTokenLifetime", "accessTokenLifetime is %d: give seconds from 1 to %d (a day), or leave it out for 3600", cl.AccessTokenLifetime, MaxAccessTokenLifetime)
		}
		switch t := strings.TrimSpace(cl.AccessTokenType); {
		case t == "" || strings.EqualFold(t, AccessTokenJwt) || t == "0":
			cl.AccessTokenType = ""
		case strings.EqualFold(t, AccessTokenReference) || t == "1":
			cl.AccessTokenType = AccessTokenReference
		default:
			v.addf(path+".accessTokenType", "unknown access token type %q: use Jwt (self-contained JWTs, the default) or Reference (opaque handles that can be revoked; APIs introspect them)", t)
		}
		v.secrets(path, cl.Secrets)
		v.identityServerSecrets(path+".clientSecrets", cl.ClientSecrets)
		v.clientClaims(path, cl)
		for j, o := range cl.AllowedCorsOrigins {
			if msg := checkOrigin(o); msg != "" {
				v.addf(fmt.Sprintf("%s.allowedCorsOrigins[%d]", path, j), "%s", msg)
			}
		}

		switch {
		case cl.JWKS != nil && cl.JWKSURI != "":
			v.addf(path+".jwksUri", "jwks and jwksUri are exclusive: give the keys or where to fetch them, not both")
		case cl.JWKS != nil:
			v.jwks(path+".jwks", cl.JWKS)
		case cl.JWKSURI != "":
			if msg := checkURL(cl.JWKSURI, allowHTTP); msg != "" {
				v.addf(path+".jwksUri", "%s", msg)
			}
		}

		credentials := slices.Contains(cl.AllowedGrantTypes, GrantClientCredentials)
		switch {
		case credentials && cl.RequireClientSecret != nil && !*cl.RequireClientSecret:
			v.addf(path+".requireClientSecret", "client %q uses client_credentials, which needs a client that authenticates: remove requireClientSecret: false", cl.ClientID)
		case credentials && len(cl.Secrets) == 0 && len(cl.ClientSecrets) == 0 && cl.JWKS == nil && cl.JWKSURI == "" &&
			!v.failed(path+".secrets", path+".clientSecrets", path+".jwks", path+".jwksUri"):
			v.addf(path, "client %q has no way to authenticate: a client_credentials client needs secrets (or IdentityServer's clientSecrets), or jwks or jwksUri (public keys for private_key_jwt)", cl.ClientID)
		}
	}
}

// skipUnsupported leaves out, with a warning, a client of an IdentityServer
// section whose grant types this version does not implement (an
// interactive client beside the machine clients): the file is read as it
// is, and the machine clients work. In Signet's own configuration the same
// is an error, reported by grantTypes.
func (v *validator) skipUnsupported(path string, cl *Client) bool {
	if !v.c.inIdentityServerSection(path) || len(cl.AllowedGrantTypes) == 0 {
		return false
	}
	var other []string
	for _, g := range cl.AllowedGrantTypes {
		if !slices.Contains(ServedGrantTypes, g) {
			if browserFlow(g) != "" {
				return false // refused by grantTypes
			}
			other = append(other, g)
		}
	}
	switch {
	case len(other) == 0:
		return false
	case len(other) == len(cl.AllowedGrantTypes):
		cl.skip = fmt.Sprintf("its grant types (%s) are not implemented by this version, which serves %s", strings.Join(other, ", "), strings.Join(ServedGrantTypes, ", "))
		v.warnf(path, "client %q is not loaded: %s", cl.ClientID, cl.skip)
		return true
	}
	v.warnf(path+".allowedGrantTypes", "client %q is loaded without its grant types %s, which this version does not implement", cl.ClientID, strings.Join(other, ", "))
	return false
}

// secrets checks Signet's own secrets: each a plain value or a hash.
func (v *validator) secrets(path string, secrets []Secret) {
	for j, s := range secrets {
		sp := fmt.Sprintf("%s.secrets[%d]", path, j)
		switch {
		case s.ValueFile != "" && (s.Value != "" || s.Hash != ""):
			v.addf(sp, "a secret has one of value, valueFile or hash, not several")
		case s.Value != "" && s.Hash != "":
			v.addf(sp, "a secret has value or hash, not both")
		case s.Value == "" && s.ValueFile == "" && s.Hash == "" && !v.failed(sp+".value", sp+".valueFile", sp+".hash"):
			if _, ok := v.c.positions[sp+".value"]; ok {
				v.addf(sp+".value", "value is empty")
			} else if _, ok := v.c.positions[sp+".valueFile"]; ok {
				v.addf(sp+".valueFile", "valueFile is empty: name the file that holds the secret")
			} else if _, ok := v.c.positions[sp+".hash"]; ok {
				v.addf(sp+".hash", "hash is empty")
			} else {
				v.addf(sp, "a secret needs value (the secret itself), valueFile (a file that holds it) or hash (what signet secret hash prints)")
			}
		case s.Value != "" && isIdentityServerHash(s.Value):
			v.warnf(sp+".value", "%s", hashShapeWarning)
		case s.Value != "" && len(s.Value) < MinSecretLength && !s.AllowWeakSecret:
			v.addf(sp+".value", "this secret is %d characters: client secrets are hashed fast (so that tokens are fast) and must be too random to guess; give one of at least %d (signet secret generate makes one of 43), or set allowWeakSecret: true on this secret for a test setup", len(s.Value), MinSecretLength)
		case s.Value != "" && len(s.Value) < ShortSecretLength:
			v.warnf(sp+".value", "this secret is %d characters: client secrets are hashed fast and must be random; signet secret generate makes one", len(s.Value))
		case s.Hash != "":
			if sample := sampleSecret(strings.TrimSpace(s.Hash)); sample != "" {
				v.warnf(sp+".hash", "this is the hash of %q, a secret from IdentityServer's samples that anyone can guess: give the client a new secret (signet secret generate)", sample)
			}
		}
	}
}

// clientClaims checks a client's claims: each with a type and a value of
// its value type, none replacing a claim the token has of its own.
func (v *validator) clientClaims(path string, cl *Client) {
	prefix := cl.ClaimsPrefix()
	for j, c := range cl.Claims {
		cp := fmt.Sprintf("%s.claims[%d]", path, j)
		if strings.TrimSpace(c.Type) == "" {
			v.addf(cp+".type", "a client claim needs type")
			continue
		}
		if name := prefix + c.Type; slices.Contains(ReservedClaims, name) {
			v.addf(cp+".type", "claim %q would replace the token's own %s claim: give it another type, or a clientClaimsPrefix", name, name)
			continue
		}
		if _, err := c.ClaimValue(); err != nil {
			v.addf(cp+".value", "%v", err)
		}
	}
}

// checkOrigin checks a browser origin: scheme://host[:port], nothing more.
func checkOrigin(o string) string {
	if o == "*" {
		return `"*" is not an origin: list each origin that may call the token endpoint from a browser (https://app.example.com)`
	}
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not an origin (scheme://host[:port]): %v", o, unwrapURLError(err))
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%q is not an origin: write scheme://host[:port], such as https://app.example.com", o)
	case u.Path == "/" && u.RawQuery == "" && u.Fragment == "":
		return fmt.Sprintf("%q ends with /: an origin has no path; write %s", o, strings.TrimSuffix(o, "/"))
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.ForceQuery:
		return fmt.Sprintf("%q is not an origin: an origin is scheme://host[:port], without path, query or user", o)
	case u.Scheme != strings.ToLower(u.Scheme) || u.Host != strings.ToLower(u.Host):
		return fmt.Sprintf("%q: write the origin in lowercase, as browsers send it (%s)", o, strings.ToLower(o))
	case (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80"):
		return fmt.Sprintf("%q: browsers send an origin without its scheme's default port; write %s://%s", o, u.Scheme, u.Hostname())
	case strings.ContainsFunc(u.Host, func(r rune) bool { return r > 0x7E }):
		return fmt.Sprintf("%q: browsers send a host that is not ASCII in its xn-- form (IDNA); write the origin that way", o)
	}
	return ""
}

func (v *validator) grantTypes(path string, cl *Client) {
	if len(cl.AllowedGrantTypes) == 0 {
		v.addf(path+".allowedGrantTypes", "allowedGrantTypes is required: [client_credentials] for a machine client, [authorization_code] for one that signs people in")
		return
	}
	seen := make(map[string]bool)
	known := append(slices.Clone(ServedGrantTypes), otherGrantTypes...)
	fromIS := v.c.inIdentityServerSection(path)
	for j, g := range cl.AllowedGrantTypes {
		gp := fmt.Sprintf("%s.allowedGrantTypes[%d]", path, j)
		switch {
		case seen[g]:
			v.addf(gp, "grant type %q is listed twice", g)
		case slices.Contains(ServedGrantTypes, g):
		case browserFlow(g) != "":
			v.addf(gp, "%s", browserFlow(g))
		case fromIS:
			// skipUnsupported warned about it.
		case slices.Contains(otherGrantTypes, g):
			v.addf(gp, "grant type %q is not supported by this version: %s are", g, strings.Join(ServedGrantTypes, ", "))
		default:
			if s := suggest(g, known); s != "" {
				v.addf(gp, "unknown grant type %q; did you mean %q?", g, s)
			} else {
				v.addf(gp, "unknown grant type %q: this version supports %s", g, strings.Join(ServedGrantTypes, ", "))
			}
		}
		seen[g] = true
	}
}

// browserFlow says why a grant type of the implicit or hybrid flows
// (IdentityServer's implicit and hybrid, or a response type written as a
// grant type, such as "code id_token") is refused; "" for any other.
func browserFlow(g string) string {
	const howto = "Signet signs people in with the authorization code flow and PKCE (response_type=code), which OAuth 2.0 Security Best Current Practice (RFC 9700) recommends in its place: use allowedGrantTypes: [authorization_code] and set the application's response type to code (ASP.NET Core: ResponseType = \"code\", UsePkce = true)"
	fields := strings.Fields(strings.ToLower(g))
	switch {
	case strings.EqualFold(g, "implicit"):
		return "grant type implicit (tokens sent in the browser's URL) is not offered: " + howto
	case strings.EqualFold(g, "hybrid"):
		return "grant type hybrid (IdentityServer's response_type \"code id_token\") is not offered: " + howto
	case len(fields) > 1 || slices.Contains(fields, "id_token") || slices.Contains(fields, "token"):
		return fmt.Sprintf("%q is a response type of the implicit or hybrid flow, not a grant type, and those flows are not offered: %s", g, howto)
	}
	return ""
}

// Refresh token usage and expiration, as IdentityServer names them (its
// enums' numbers are read too: TokenUsage ReUse 0, OneTimeOnly 1;
// TokenExpiration Sliding 0, Absolute 1).
const (
	RefreshTokenOneTimeOnly = "OneTimeOnly"
	RefreshTokenReUse       = "ReUse"
	RefreshTokenAbsolute    = "Absolute"
	RefreshTokenSliding     = "Sliding"
)

// Default sign-in lifetimes of a client, in seconds: IdentityServer's.
const (
	DefaultIdentityTokenLifetime        = 300
	DefaultAuthorizationCodeLifetime    = 300
	DefaultAbsoluteRefreshTokenLifetime = 30 * 24 * 3600
	DefaultSlidingRefreshTokenLifetime  = 15 * 24 * 3600
)

// MaxAuthorizationCodeLifetime is the longest authorizationCodeLifetime, in
// seconds: RFC 6749 §4.1.2 recommends at most ten minutes.
const MaxAuthorizationCodeLifetime = 600

// signIn checks a client's sign-in settings.
func (v *validator) signIn(path string, cl *Client) {
	allowHTTP := v.c.AllowHTTP || v.c.developmentKey()
	v.redirectURIs(path+".redirectUris", cl.RedirectURIs, allowHTTP)
	v.redirectURIs(path+".postLogoutRedirectUris", cl.PostLogoutRedirectURIs, allowHTTP)
	code := slices.Contains(cl.AllowedGrantTypes, GrantAuthorizationCode)
	if code && len(cl.RedirectURIs) == 0 && !v.failed(path+".redirectUris") {
		v.addf(path+".allowedGrantTypes", "client %q uses authorization_code, which needs at least one redirect URI: add redirectUris: [https://app.example.com/signin-oidc] (where the application receives the code)", cl.ClientID)
	}
	if cl.IsPublic() && !cl.RequiresPKCE() {
		v.addf(path+".requirePkce", "client %q is public (requireClientSecret: false): with no secret, PKCE is what keeps a stolen code from being used, so it must require it: remove requirePkce: false", cl.ClientID)
	}
	for _, l := range []struct {
		name  string
		value int
	}{
		{"identityTokenLifetime", cl.IdentityTokenLifetime},
		{"authorizationCodeLifetime", cl.AuthorizationCodeLifetime},
		{"absoluteRefreshTokenLifetime", cl.AbsoluteRefreshTokenLifetime},
		{"slidingRefreshTokenLifetime", cl.SlidingRefreshTokenLifetime},
	} {
		if l.value < 0 {
			v.addf(path+"."+l.name, "%s is %d: give a positive number of seconds, or leave it out for the default", l.name, l.value)
		}
	}
	if cl.IdentityTokenLifetime > MaxAccessTokenLifetime {
		v.addf(path+".identityTokenLifetime", "identityTokenLifetime is %d: give seconds from 1 to %d (a day), or leave it out for 300", cl.IdentityTokenLifetime, MaxAccessTokenLifetime)
	}
	if cl.AuthorizationCodeLifetime > MaxAuthorizationCodeLifetime {
		v.addf(path+".authorizationCodeLifetime", "authorizationCodeLifetime is %d: a code is used at once, and RFC 6749 recommends at most 600 seconds; give 1 to 600, or leave it out for 300", cl.AuthorizationCodeLifetime)
	}
	switch t := strings.TrimSpace(cl.RefreshTokenUsage); {
	case t == "":
	case strings.EqualFold(t, RefreshTokenOneTimeOnly) || t == "1":
		cl.RefreshTokenUsage = RefreshTokenOneTimeOnly
	case strings.EqualFold(t, RefreshTokenReUse) || t == "0":
		cl.RefreshTokenUsage = RefreshTokenReUse
		if cl.IsPublic() && cl.AllowOfflineAccess {
			v.addf(path+".refreshTokenUsage", "client %q is public (requireClientSecret: false): its refresh tokens must be rotated (RFC 9700 section 4.14.2), since nothing else tells a stolen one from the client's: remove refreshTokenUsage: ReUse (OneTimeOnly is the default)", cl.ClientID)
		}
	default:
		v.addf(path+".refreshTokenUsage", "unknown refreshTokenUsage %q: use OneTimeOnly (the default: a new refresh token at each use) or ReUse", t)
	}
	switch t := strings.TrimSpace(cl.RefreshTokenExpiration); {
	case t == "":
	case strings.EqualFold(t, RefreshTokenAbsolute) || t == "1":
		cl.RefreshTokenExpiration = RefreshTokenAbsolute
	case strings.EqualFold(t, RefreshTokenSliding) || t == "0":
		cl.RefreshTokenExpiration = RefreshTokenSliding
	default:
		v.addf(path+".refreshTokenExpiration", "unknown refreshTokenExpiration %q: use Absolute (the default) or Sliding", t)
	}
	abs := cmp.Or(cl.AbsoluteRefreshTokenLifetime, DefaultAbsoluteRefreshTokenLifetime)
	if sl := cmp.Or(cl.SlidingRefreshTokenLifetime, DefaultSlidingRefreshTokenLifetime); cl.RefreshTokenExpiration == RefreshTokenSliding && sl > abs && cl.SlidingRefreshTokenLifetime >= 0 && cl.AbsoluteRefreshTokenLifetime >= 0 {
		v.addf(path+".slidingRefreshTokenLifetime", "slidingRefreshTokenLifetime (%d) is longer than absoluteRefreshTokenLifetime (%d), which a sliding refresh token never outlives: shorten it, or lengthen the absolute one", sl, abs)
	}
	for _, u := range []struct{ name, value string }{{"clientUri", cl.ClientURI}, {"logoUri", cl.LogoURI}} {
		if msg := checkPageURL(u.value, allowHTTP); msg != "" {
			v.addf(path+"."+u.name, "%s %s", u.name, msg)
		}
	}
	seen := map[string]bool{}
	for j, a := range cl.AllowedIdentityTokenSigningAlgorithms {
		p := fmt.Sprintf("%s.allowedIdentityTokenSigningAlgorithms[%d]", path, j)
		s, ok := oneOf(a, algorithms...)
		switch {
		case a == "" || !ok:
			v.addf(p, "identity token signing algorithm %q is not supported: use %s (one the signing keys offer)", a, strings.Join(algorithms, ", "))
			continue
		case seen[s]:
			v.addf(p, "%s is listed twice", s)
		}
		seen[s] = true
		cl.AllowedIdentityTokenSigningAlgorithms[j] = s
	}
}

// redirectURIs checks a list of redirect URIs by the one rule
// (oauth.CheckRedirectURI), and refuses repeats.
func (v *validator) redirectURIs(path string, uris []string, allowHTTP bool) {
	seen := map[string]bool{}
	for j, u := range uris {
		p := fmt.Sprintf("%s[%d]", path, j)
		if err := oauth.CheckRedirectURI(u, allowHTTP); err != nil {
			v.addf(p, "%v", err)
			continue
		}
		if seen[u] {
			v.addf(p, "redirect URI %q is listed twice", u)
		}
		seen[u] = true
	}
}

// checkPageURL checks a URL shown on a page (clientUri, logoUri): empty, or
// absolute https (http too with allowHTTP) without a user or fragment.
func checkPageURL(raw string, allowHTTP bool) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL: %v", raw, unwrapURLError(err))
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%q is not an absolute URL such as https://app.example.com", raw)
	case !strings.EqualFold(u.Scheme, "https") && !(allowHTTP && strings.EqualFold(u.Scheme, "http")):
		return fmt.Sprintf("%q: use an https URL (the consent page would otherwise load or link to it without TLS)", raw)
	case u.User != nil:
		return fmt.Sprintf("%q must not hold a user name or password", u.Redacted())
	case u.Fragment != "":
		return fmt.Sprintf("%q must not have a fragment (#...)", raw)
	}
	return ""
}

// CheckOrigin checks a browser origin given outside the file (signet
// client --cors-origin) by the rule allowedCorsOrigins follows: "" when it
// is good, else what is wrong.
func CheckOrigin(o string) string { return checkOrigin(o) }
