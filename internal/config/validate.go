package config

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/observe"
)

// Key types.
const (
	KeyDevelopment = "Development"
	KeyFile        = "File"
	KeyStore       = "Store"
	KeyManaged     = "Managed"
	KeyPkcs11      = "Pkcs11"
)

// Grant types this version implements.
const (
	GrantClientCredentials = "client_credentials"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// ServedGrantTypes are the grant types the configuration accepts for a
// client: those the token endpoint serves (grant.GrantTypes, which this
// package cannot import; a test in cmd/signet holds the two equal).
var ServedGrantTypes = []string{GrantClientCredentials, GrantAuthorizationCode, GrantRefreshToken}

// MaxAccessTokenLifetime is the longest accessTokenLifetime, in seconds (a
// day).
const MaxAccessTokenLifetime = 86400

// algorithms are the JWS algorithms a key may sign with: asymmetric only.
var algorithms = []string{"RS256", "PS256", "ES256", "ES384", "ES512"}

// otherGrantTypes are the grant types of OAuth, OpenID Connect and
// IdentityServer that this version does not implement.
var otherGrantTypes = []string{
	"implicit",
	"hybrid",
	"password",
	"urn:ietf:params:oauth:grant-type:device_code",
	"urn:ietf:params:oauth:grant-type:jwt-bearer",
	"urn:ietf:params:oauth:grant-type:saml2-bearer",
	"urn:ietf:params:oauth:grant-type:token-exchange",
	"urn:openid:params:grant-type:ciba",
}

// Validate checks what can be checked without opening a key or a secret,
// and returns every problem found as an *Errors (nil when there is none).
// It also writes the values it accepts in any case in their canonical
// spelling: key types (Development, File, Store), store locations
// (CurrentUser, LocalMachine), algorithms (RS256, ...) and the log format
// and level (lowercase).
//
// A missing key section is not a problem here: it is fine in development
// mode, and the caller, which knows the mode, reports MissingKeyProblem
// otherwise. Values that Load could not decode are not reported again.
// Validate accepts zero values (meaning their defaults) and may be called
// before or after Defaults.
func (c *Config) Validate() error {
	v := validator{c: c}
	v.server()
	if c.Key != nil {
		v.key("key", c.Key, true)
	}
	v.secretsKEK()
	for i := range c.ValidationKeys {
		v.key(fmt.Sprintf("validationKeys[%d]", i), &c.ValidationKeys[i], false)
	}
	c.validateWarnings = nil
	scopes := v.scopes()
	identity := v.identityResources(scopes)
	v.resources(scopes)
	v.clients(scopes, identity)
	v.users()
	v.externalProviders()
	v.session()
	v.login()
	v.rateLimits()
	v.limits()
	v.shutdown()
	v.metrics()
	v.audit()
	v.keyExpiryWarning()
	v.tracing()
	for _, p := range c.clientRefusals {
		if !c.skippedClientPath(p.Path) {
			v.errs.Add(p)
		}
	}
	c.validateWarnings = v.warnings
	return v.errs.Err()
}

// MissingKeyProblem is the problem to report when the file has no key
// section outside development mode: it names the section and shows what
// to write.
func (c *Config) MissingKeyProblem() Problem {
	return Problem{
		Pos:  Position{File: c.File},
		Path: "key",
		Msg: `there is no key section, so there is no key to sign tokens with. Add one, for example
a certificate in the certificate store:
  key:
    type: Store
    storeLocation: CurrentUser
    thumbprint: ${APP_SigningCertificateThumbprint}
or a PFX file:
  key:
    type: File
    filePath: signing.pfx
    password: ${APP_SigningCertificatePassword}
("signet cert create" makes one; type: Development is for development only.)`,
	}
}

type validator struct {
	c        *Config
	errs     Errors
	warnings []Problem
}

// warnf notes what does not stop the server but is probably a mistake.
func (v *validator) warnf(path, format string, args ...any) {
	v.warnings = append(v.warnings, v.c.Warnf(path, format, args...))
}

func (v *validator) addf(path, format string, args ...any) {
	if v.c.decodeFailed(path) {
		return
	}
	v.errs.Add(v.c.Problemf(path, format, args...))
}

// failed reports whether Load could not decode one of the values at paths:
// a rule that needs one of them would only repeat that problem.
func (v *validator) failed(paths ...string) bool {
	return slices.ContainsFunc(paths, v.c.decodeFailed)
}

// line is the line of path for "also at line N" messages.
func (v *validator) line(path string) int { return v.c.Pos(path).Line }

// developmentKey reports whether the server signs with a development key:
// key.type Development, or no key section (development mode, or else the
// caller reports MissingKeyProblem).
func (c *Config) developmentKey() bool {
	return c.Key == nil || strings.EqualFold(c.Key.Type, KeyDevelopment)
}

func (v *validator) server() {
	c := v.c
	if c.Issuer != "" {
		if u, err := url.Parse(c.Issuer); err == nil && strings.EqualFold(u.Scheme, "urn") {
			v.addf("issuer", "%q is a URN: the issuer must be the https URL clients and APIs reach Signet at (OpenID Connect Discovery and RFC 8414 build every endpoint from it), such as https://auth.example.com; APIs that checked IdentityServer's %q as the issuer must expect the new one", c.Issuer, c.Issuer)
		} else if msg := checkURL(c.Issuer, true); msg != "" {
			v.addf("issuer", "%s", msg)
		} else if u, _ := url.Parse(c.Issuer); strings.EqualFold(u.Scheme, "http") && !c.AllowHTTP && !c.developmentKey() {
			v.addf("issuer", "%q uses http: use https, or set allowHttp: true (IdentityServer's RequireSsl=false); only a Development key allows http without it", c.Issuer)
		}
	}
	if c.Listen != "" {
		if msg := checkListen(c.Listen); msg != "" {
			v.addf("listen", "%s", msg)
		}
	}
	if s, ok := oneOf(c.Log.Format, "text", "json"); ok {
		c.Log.Format = strings.ToLower(s)
	} else {
		v.addf("log.format", "unknown log format %q: use text or json", c.Log.Format)
	}
	if s, ok := oneOf(c.Log.Level, "debug", "info", "warn", "error"); ok {
		c.Log.Level = strings.ToLower(s)
	} else {
		v.addf("log.level", "unknown log level %q: use debug, info, warn or error", c.Log.Level)
	}
	if s, ok := oneOf(c.AccessTokenJwtType, "at+jwt", "JWT"); ok {
		c.AccessTokenJwtType = s
	} else {
		v.addf("accessTokenJwtType", "unknown access token type %q: use at+jwt (RFC 9068, the default) or JWT", c.AccessTokenJwtType)
	}
	v.storage()
	if c.TLS != nil && c.TLS.CertFile == "" {
		v.addf("tls.certFile", "the tls section needs certFile (a PEM certificate with keyFile, or a .pfx with password)")
	}
	v.hsts()
}

// hsts checks the hsts section; preload as hstspreload.org does.
func (v *validator) hsts() {
	h, maxAge := v.c.HSTS, v.c.hstsMaxAge()
	switch {
	case maxAge < 0:
		v.addf("hsts.maxAge", "maxAge %v is negative: use a duration such as 365d (the default), or 0 to turn HSTS off", maxAge)
	case maxAge%time.Second != 0:
		v.addf("hsts.maxAge", "maxAge %v is not a whole number of seconds, which the header counts: use for example 365d or 31536000", maxAge)
	}
	if h.Preload && !v.failed("hsts.maxAge") {
		// hstspreload.org refuses a host that does not meet both.
		if !h.IncludeSubDomains {
			v.addf("hsts.preload", "preload needs includeSubDomains: true (browsers' preload lists, hstspreload.org, refuse a host without it); set it, or leave preload out")
		}
		if maxAge < DefaultHSTSMaxAge {
			v.addf("hsts.preload", "preload needs a maxAge of at least 365d, and it is %s (browsers' preload lists, hstspreload.org, refuse a host otherwise); raise it, or leave preload out", days(maxAge))
		}
	}
}

// days writes a duration in days when it is whole days (365d), as the
// configuration does, else as Go does.
func days(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// oneOf returns the canonical spelling of s among allowed, matched
// case-insensitively; "" is accepted as itself (the default).
func oneOf(s string, allowed ...string) (string, bool) {
	if s == "" {
		return "", true
	}
	for _, a := range allowed {
		if strings.EqualFold(s, a) {
			return a, true
		}
	}
	return s, false
}

// checkURL returns what is wrong with an issuer or jwksUri: it must be an
// absolute https URL (http too when allowHTTP) without user, query or
// fragment.
func checkURL(raw string, allowHTTP bool) string {
	return checkURLSaying(raw, allowHTTP, "use https, or set allowHttp: true")
}

// checkURLSaying is checkURL, with what to do about an http URL said for
// where the URL came from.
func checkURLSaying(raw string, allowHTTP bool, ifHTTP string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%q is not a URL: %v", raw, unwrapURLError(err))
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%q is not an absolute URL such as https://auth.example.com", raw)
	case scheme != "https" && scheme != "http":
		return fmt.Sprintf("%q is not an https URL", raw)
	case scheme == "http" && !allowHTTP:
		return fmt.Sprintf("%q uses http: %s", raw, ifHTTP)
	case u.User != nil:
		return fmt.Sprintf("%q must not hold a user name or password", u.Redacted())
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Sprintf("%q must not have a query (?...)", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Sprintf("%q must not have a fragment (#...)", raw)
	}
	return ""
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func checkListen(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port, such as 127.0.0.1:5000 or :443", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%q: the port must be a number from 0 to 65535", addr)
	}
	return ""
}

func (v *validator) key(path string, k *Key, signing bool) {
	types := []string{KeyDevelopment, KeyFile, KeyStore, KeyManaged, KeyPkcs11}
	t, ok := oneOf(k.Type, types...)
	switch {
	case k.Type == "":
		v.addf(path+".type", "type is required: Development, File, Store, Managed or Pkcs11")
	case !ok:
		if s := suggest(k.Type, types); s != "" {
			v.addf(path+".type", "unknown key type %q; did you mean %s?", k.Type, s)
		} else {
			v.addf(path+".type", "unknown key type %q: use Development, File, Store, Managed or Pkcs11", k.Type)
		}
	default:
		k.Type = t
	}
	if k.Password != "" && k.PasswordFile != "" {
		v.addf(path+".password", "give password or passwordFile, not both")
	}
	switch k.Type {
	case KeyDevelopment:
		if !signing {
			v.addf(path+".type", "a validation key cannot be of type Development: the development key is only for signing in development mode")
		}
	case KeyFile:
		if k.FilePath == "" {
			v.addf(path+".filePath", "a File key needs filePath (a .pfx/.p12 with password, or a PEM file)")
		}
	case KeyStore:
		if k.Thumbprint == "" && k.Name == "" && !v.failed(path+".thumbprint", path+".name") {
			v.addf(path, "a Store key needs thumbprint (the certificate's SHA-1 thumbprint) or name (its subject, such as CN=my-app-auth)")
		}
		if s, ok := oneOf(k.StoreLocation, "CurrentUser", "LocalMachine"); ok {
			k.StoreLocation = s
		} else {
			v.addf(path+".storeLocation", "unknown store location %q: use CurrentUser or LocalMachine", k.StoreLocation)
		}
	case KeyManaged:
		v.managed(path, k, signing)
	case KeyPkcs11:
		v.pkcs11(path, k)
	}
	if k.Algorithm == "" {
		return
	}
	if s, ok := oneOf(k.Algorithm, algorithms...); ok {
		k.Algorithm = s
		return
	}
	list := strings.Join(algorithms, ", ")
	switch a := strings.ToUpper(k.Algorithm); {
	case a == "NONE" || strings.HasPrefix(a, "HS"):
		v.addf(path+".algorithm", "algorithm %q is not allowed: only asymmetric algorithms are (%s)", k.Algorithm, list)
	default:
		v.addf(path+".algorithm", "algorithm %q is not supported: only the asymmetric algorithms %s are", k.Algorithm, list)
	}
}

// MinRetention is the shortest retentionDuration: the longest access token
// lifetime (MaxAccessTokenLifetime, a day) and an hour for clock skew.
const MinRetention = 25 * time.Hour

// secretsKEK checks the top-level key-encryption key: one of the two
// settings at most, and a key that decodes.
func (v *validator) secretsKEK() {
	c := v.c
	switch {
	case c.KeyEncryptionKey != "" && c.KeyEncryptionKeyFile != "":
		v.addf("keyEncryptionKey", "give keyEncryptionKey or keyEncryptionKeyFile, not both")
	case c.KeyEncryptionKey != "":
		if _, err := ParseKeyEncryptionKey(c.KeyEncryptionKey); err != nil {
			v.addf("keyEncryptionKey", "%v", err)
		}
	}
}

// managed checks a Managed key: its key-encryption key and lifecycle.
func (v *validator) managed(path string, k *Key, signing bool) {
	if !signing {
		v.addf(path+".type", "a validation key cannot be of type Managed: managed keys publish their own retired keys (list the Managed key in key)")
		return
	}
	switch {
	case k.KeyEncryptionKey != "" && k.KeyEncryptionKeyFile != "":
		v.addf(path+".keyEncryptionKey", "give keyEncryptionKey or keyEncryptionKeyFile, not both")
	case k.KeyEncryptionKey != "":
		if _, err := ParseKeyEncryptionKey(k.KeyEncryptionKey); err != nil {
			v.addf(path+".keyEncryptionKey", "%v", err)
		}
	case k.KeyEncryptionKeyFile == "" && !v.failed(path+".keyEncryptionKey"):
		v.addf(path, "a Managed key needs keyEncryptionKey (e.g. ${SIGNET_KEK}) or keyEncryptionKeyFile: 32 random bytes in base64, which signet keys kek makes; the keys in storage are encrypted under it")
	}
	seen := map[string]bool{}
	for i, a := range k.SigningAlgorithms {
		p := fmt.Sprintf("%s.signingAlgorithms[%d]", path, i)
		s, ok := oneOf(a, algorithms...)
		if !ok {
			v.addf(p, "algorithm %q is not supported: use %s", a, strings.Join(algorithms, ", "))
			continue
		}
		if seen[s] {
			v.addf(p, "%s is listed twice", s)
		}
		seen[s] = true
		k.SigningAlgorithms[i] = s
	}
	if k.Algorithm != "" {
		v.addf(path+".algorithm", "a Managed key has signingAlgorithms (a list, the first the default), not algorithm")
	}
	prop, rot, ret := k.PropagationTime, k.RotationInterval, k.RetentionDuration
	if prop < 0 || rot < 0 || ret < 0 {
		v.addf(path, "propagationTime, rotationInterval and retentionDuration cannot be negative")
		return
	}
	// Validate runs before Defaults: a value left out is its default, and
	// the others are checked against it.
	prop, rot, ret = cmp.Or(prop, DefaultPropagationTime), cmp.Or(rot, DefaultRotationInterval), cmp.Or(ret, DefaultRetentionDuration)
	if prop < time.Hour {
		v.addf(path+".propagationTime", "propagationTime is %s: give at least 1h (APIs cache the JWKS, often for a day; a key used before they fetch it fails their validation)", prop)
	}
	if rot <= prop {
		v.addf(path+".rotationInterval", "rotationInterval (%s) must be longer than propagationTime (%s): a key must sign longer than its successor is announced", rot, prop)
	}
	if ret < MinRetention {
		v.addf(path+".retentionDuration", "retentionDuration is %s: give at least 25h (the longest access token lifetime, a day, and clock skew), so that the last tokens a key signed keep validating", ret)
	}
}

// pkcs11 checks a Pkcs11 key: module, token, key and PIN.
func (v *validator) pkcs11(path string, k *Key) {
	if k.Module == "" {
		v.addf(path+".module", "a Pkcs11 key needs module: the PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so)")
	}
	if k.TokenLabel == "" && k.Slot == nil {
		v.addf(path, "a Pkcs11 key needs tokenLabel (or slot): the token that holds the key")
	}
	if k.KeyLabel == "" && k.KeyID == "" {
		v.addf(path, "a Pkcs11 key needs keyLabel or keyId (hex): the key in the token")
	}
	if k.KeyID != "" {
		if _, err := hex.DecodeString(strings.TrimPrefix(strings.ReplaceAll(k.KeyID, ":", ""), "0x")); err != nil {
			v.addf(path+".keyId", "keyId %q is not hex: give the CKA_ID in hex (e.g. 01 or a1b2c3)", k.KeyID)
		}
	}
	switch {
	case k.Pin != "" && k.PinFile != "":
		v.addf(path+".pin", "give pin or pinFile, not both")
	case k.Pin == "" && k.PinFile == "" && !v.failed(path+".pin"):
		v.addf(path, "a Pkcs11 key needs pin (e.g. ${HSM_PIN}) or pinFile: the token's user PIN")
	}
}

// ParseKeyEncryptionKey decodes a key-encryption key: 32 bytes in base64
// (standard or URL alphabet, padded or not) or in hex.
func ParseKeyEncryptionKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("the key-encryption key is %d bytes; it must be 32 (AES-256): make one with signet keys kek", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("the key-encryption key is not base64 or hex: give 32 random bytes in base64 (signet keys kek makes one)")
}

// scopes checks apiScopes and returns their names.
func (v *validator) scopes() map[string]bool {
	names := make(map[string]bool)
	first := make(map[string]string)
	for i, s := range v.c.APIScopes {
		path := fmt.Sprintf("apiScopes[%d].name", i)
		if msg := checkScopeName(s.Name); msg != "" {
			v.addf(path, "%s", msg)
			continue
		}
		if p, dup := first[s.Name]; dup {
			v.addf(path, "scope %q is defined twice (also at line %d)", s.Name, v.line(p))
			continue
		}
		first[s.Name] = path
		names[s.Name] = true
		v.userClaims(fmt.Sprintf("apiScopes[%d].userClaims", i), s.UserClaims)
	}
	return names
}

// checkScopeName applies RFC 6749's scope-token syntax (the one rule,
// oauth.CheckScopeToken); "" when the name is good.
func checkScopeName(name string) string {
	if name == "" {
		return "name is required"
	}
	if err := oauth.CheckScopeToken(name); err != nil {
		return err.Error()
	}
	return ""
}

// uniqueName reports, at path, a name that is missing (with missing as the
// message) or that an earlier entry of the same kind already defines;
// first maps each name to where it was first defined.
func (v *validator) uniqueName(first map[string]string, path, name, missing, kind string) {
	switch p, dup := first[name]; {
	case name == "":
		v.addf(path, "%s", missing)
	case dup:
		v.addf(path, "%s %q is defined twice (also at line %d)", kind, name, v.line(p))
	default:
		first[name] = path
	}
}

// scopeRef checks that a scope named in a list is defined.
func (v *validator) scopeRef(path, name string, scopes map[string]bool) {
	if scopes[name] {
		return
	}
	if slices.ContainsFunc(v.c.IdentityResources, func(r IdentityResource) bool { return r.Name == name }) {
		v.addf(path, "scope %q is an identity resource (a scope of user claims): an API resource holds API scopes only", name)
		return
	}
	defined := make([]string, 0, len(scopes))
	for _, s := range v.c.APIScopes {
		if scopes[s.Name] && !slices.Contains(defined, s.Name) {
			defined = append(defined, s.Name)
		}
	}
	switch s := suggest(name, defined); {
	case s != "":
		v.addf(path, "scope %q is not defined in apiScopes; did you mean %q?", name, s)
	case len(defined) == 0:
		v.addf(path, "scope %q is not defined: apiScopes is empty", name)
	case len(defined) > 10:
		v.addf(path, "scope %q is not defined in apiScopes", name)
	default:
		v.addf(path, "scope %q is not defined in apiScopes (%s)", name, strings.Join(defined, ", "))
	}
}

func (v *validator) resources(scopes map[string]bool) {
	first := make(map[string]string)
	for i, r := range v.c.APIResources {
		path := fmt.Sprintf("apiResources[%d]", i)
		v.uniqueName(first, path+".name", r.Name, "name is required (it is the audience of the tokens for this API, such as https://api.example.com)", "API resource")
		for j, s := range r.Scopes {
			v.scopeRef(fmt.Sprintf("%s.scopes[%d]", path, j), s, scopes)
		}
		v.userClaims(path+".userClaims", r.UserClaims)
		v.identityServerSecrets(path+".apiSecrets", r.APISecrets)
		v.secrets(path, r.Secrets)
		switch t := strings.TrimSpace(r.IntrospectionResponse); {
		case t == "" || strings.EqualFold(t, IntrospectionJSON):
			v.c.APIResources[i].IntrospectionResponse = ""
		case strings.EqualFold(t, IntrospectionJWT):
			v.c.APIResources[i].IntrospectionResponse = IntrospectionJWT
		default:
			v.addf(path+".introspectionResponse", "unknown introspection response %q: use json (the default) or jwt (a signed answer, RFC 9701)", r.IntrospectionResponse)
		}
		switch {
		case r.JWKS != nil && r.JWKSURI != "":
			v.addf(path+".jwksUri", "jwks and jwksUri are exclusive: give the keys or where to fetch them, not both")
		case r.JWKS != nil:
			v.jwks(path+".jwks", r.JWKS)
		case r.JWKSURI != "":
			if msg := checkURL(r.JWKSURI, v.c.AllowHTTP); msg != "" {
				v.addf(path+".jwksUri", "%s", msg)
			}
		}
	}
}

// jwks checks the shape of a JSON Web Key Set; the keys themselves are for
// the JWK parser.
func (v *validator) jwks(path string, set map[string]any) {
	keys, ok := set["keys"]
	if !ok {
		if _, single := set["kty"]; single {
			v.addf(path, "this is one key, not a key set: write it as keys: [ {...} ]")
		} else {
			v.addf(path, "a JSON Web Key Set has keys: a list of keys")
		}
		return
	}
	list, ok := keys.([]any)
	if !ok || len(list) == 0 {
		v.addf(path+".keys", "keys must be a list of at least one key")
		return
	}
	for i, k := range list {
		kp := fmt.Sprintf("%s.keys[%d]", path, i)
		m, ok := k.(map[string]any)
		if !ok {
			v.addf(kp, "a key must be a mapping (a JSON Web Key)")
			continue
		}
		if kty, _ := m["kty"].(string); kty == "" {
			v.addf(kp, "a key needs kty (RSA or EC)")
		}
	}
}

// CheckURL checks a URL given outside the file (a client's jwksUri added
// with signet client) by the rule the file's URLs follow: absolute https
// (http too with allowHTTP), without user, query or fragment. "" when it is
// good, else what is wrong.
func CheckURL(raw string, allowHTTP bool) string {
	return checkURLSaying(raw, allowHTTP, "use https (http is allowed only with allowHttp: true in the configuration)")
}

// CheckListen checks an address to listen on (host:port), for a --listen
// flag that overrides the file: "" when it is good, else what is wrong.
func CheckListen(addr string) string { return checkListen(addr) }

func (v *validator) storage() {
	st := &v.c.Storage
	if s, ok := oneOf(st.Driver, DriverSQLite, DriverPostgres, DriverMemory); ok {
		st.Driver = strings.ToLower(s)
	} else {
		v.addf("storage.driver", "unknown storage driver %q: use sqlite (the default, a file in dataDir), postgres (shared by several instances) or memory (lost on exit)", st.Driver)
		return
	}
	if st.Driver == DriverPostgres && strings.TrimSpace(st.DSN) == "" {
		v.addf("storage.dsn", "the postgres driver needs dsn, e.g. postgres://signet@db.example.com:5432/signet?sslmode=verify-full (keep the password out of the file: ${PGPASSWORD})")
	}
	if st.Driver == DriverMemory && st.DSN != "" {
		v.addf("storage.dsn", "the memory driver takes no dsn")
	}
	if st.MaxConns < 0 || st.MaxConns > 1000 {
		v.addf("storage.maxConns", "maxConns %d: use 1 to 1000 (default 10)", st.MaxConns)
	}
	if st.MinConns < 0 || (st.MaxConns > 0 && st.MinConns > st.MaxConns) {
		v.addf("storage.minConns", "minConns %d: use 0 to maxConns", st.MinConns)
	}
	for path, d := range map[string]time.Duration{"storage.connectTimeout": st.ConnectTimeout, "storage.statementTimeout": st.StatementTimeout, "storage.pollInterval": st.PollInterval} {
		// Zero is the default; under 100ms, polling and timeouts would cost
		// more than they save.
		if d < 0 || (d > 0 && d < 100*time.Millisecond) || d > 10*time.Minute {
			v.addf(path, "%v: use a duration from 100ms to 10m", d)
		}
	}
}

// session checks the session section. Whether the SameSite mode suits the
// issuer is the session package's rule (session.CheckSameSite), which
// config check and serve apply.
func (v *validator) session() {
	s := &v.c.Session
	if m, ok := oneOf(s.CookieSameSite, SameSiteLax, SameSiteStrict, SameSiteNone); ok {
		s.CookieSameSite = m
	} else {
		v.addf("session.cookieSameSite", "unknown cookieSameSite %q: use Lax (the default) or None (for relying parties on another site that POST to the authorization endpoint; https only)", s.CookieSameSite)
	}
	if s.IdleLifetime < 0 || (s.IdleLifetime > 0 && s.IdleLifetime < time.Minute) {
		v.addf("session.idleLifetime", "idleLifetime %v: give a duration of at least 1m, such as 10h (the default)", s.IdleLifetime)
	}
	if s.AbsoluteLifetime < 0 || (s.AbsoluteLifetime > 0 && s.AbsoluteLifetime < time.Minute) {
		v.addf("session.absoluteLifetime", "absoluteLifetime %v: give a duration of at least 1m, such as 30d (the default)", s.AbsoluteLifetime)
	}
	idle, abs := cmp.Or(s.IdleLifetime, DefaultSessionIdleLifetime), cmp.Or(s.AbsoluteLifetime, DefaultSessionAbsoluteLifetime)
	if idle > abs && !v.failed("session.idleLifetime", "session.absoluteLifetime") && s.IdleLifetime >= 0 && s.AbsoluteLifetime >= 0 {
		v.addf("session.idleLifetime", "idleLifetime (%s) is longer than absoluteLifetime (%s), which ends every session anyway: shorten it", days(idle), days(abs))
	}
}

// UIProblems reports the files of the ui section that do not exist, each
// at its line. Validate does not look at files; config check and serve,
// which read them, call this.
func (c *Config) UIProblems() error {
	v := validator{c: c}
	u := c.UI
	for _, f := range []struct {
		path, value string
		dir         bool
	}{{"ui.logo", u.Logo, false}, {"ui.stylesheet", u.Stylesheet, false}, {"ui.templatesDir", u.TemplatesDir, true}} {
		if f.value == "" {
			continue
		}
		p := f.value
		if !c.resolved {
			p = c.resolve(p)
		}
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			v.addf(f.path, "%s: %v (a path relative to the configuration file's directory)", f.value, unwrapPathError(err))
		case f.dir && !fi.IsDir():
			v.addf(f.path, "%s is not a directory: give the directory that holds the templates to override", f.value)
		case !f.dir && fi.IsDir():
			v.addf(f.path, "%s is a directory: give a file", f.value)
		}
	}
	return v.errs.Err()
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// login checks the login section's throttling numbers.
func (v *validator) login() {
	l := v.c.Login
	if l.MaxFailures < 0 || l.MaxFailures > 1000 {
		v.addf("login.maxFailures", "maxFailures %d: give 1 to 1000 failed logins before a lockout (default 5)", l.MaxFailures)
	}
	for path, d := range map[string]time.Duration{"login.failureWindow": l.FailureWindow, "login.lockout": l.Lockout} {
		if d < 0 || (d > 0 && d < time.Second) {
			v.addf(path, "%v: give a duration such as 15m (the default)", d)
		}
	}
}

// maxRate bounds a rate limit's rate and burst: beyond, it limits nothing
// a single instance could serve.
const maxRate = 1_000_000

// rateLimits checks the rateLimits section.
func (v *validator) rateLimits() {
	rl := v.c.RateLimits
	for path, r := range map[string]Rate{
		"rateLimits.tokenPerClient": rl.TokenPerClient, "rateLimits.tokenPerIP": rl.TokenPerIP,
		"rateLimits.loginPerIP": rl.LoginPerIP, "rateLimits.loginPerUser": rl.LoginPerUser,
	} {
		if math.IsNaN(r.Rate) || r.Rate < 0 || r.Rate > maxRate {
			v.addf(path+".rate", "rate %v: give requests per second from 0 (off) to %d, such as 10 or 0.5", r.Rate, maxRate)
		}
		if r.Burst < 0 || r.Burst > maxRate {
			v.addf(path+".burst", "burst %d: give 1 to %d requests at once (default twice the rate)", r.Burst, maxRate)
		}
	}
	f := rl.ClientAuthFailures
	if f.MaxFailures < 0 || f.MaxFailures > maxRate {
		v.addf("rateLimits.clientAuthFailures.maxFailures", "maxFailures %d: give 0 (off) to %d failed client authentications per address (default %d)", f.MaxFailures, maxRate, DefaultClientAuthMaxFailures)
	}
	if f.Window < 0 || (f.Window > 0 && f.Window < time.Second) || f.Window > 24*time.Hour {
		v.addf("rateLimits.clientAuthFailures.window", "window %v: give a duration from 1s to 24h, such as 5m (the default)", f.Window)
	}
}

// limits checks the limits section.
func (v *validator) limits() {
	l := v.c.Limits
	for _, n := range []struct {
		path      string
		v, lo, hi int
		def       int
	}{
		{"limits.maxBodyBytes", l.MaxBodyBytes, 1 << 10, 64 << 20, DefaultMaxBodyBytes},
		{"limits.maxHeaderBytes", l.MaxHeaderBytes, 4 << 10, 1 << 20, DefaultMaxHeaderBytes},
		{"limits.maxParams", l.MaxParams, 10, 10000, DefaultMaxParams},
	} {
		if n.v != 0 && (n.v < n.lo || n.v > n.hi) {
			v.addf(n.path, "%d: give %d to %d (default %d)", n.v, n.lo, n.hi, n.def)
		}
	}
	for path, d := range map[string]time.Duration{
		"limits.readHeaderTimeout": l.ReadHeaderTimeout, "limits.readTimeout": l.ReadTimeout,
		"limits.writeTimeout": l.WriteTimeout, "limits.idleTimeout": l.IdleTimeout,
	} {
		if d < 0 || (d > 0 && d < time.Second) || d > time.Hour {
			v.addf(path, "%v: give a duration from 1s to 1h, such as 30s", d)
		}
	}
}

// maxDrainDelay bounds shutdown.drainDelay: a load balancer sees a failing
// probe within seconds, and a platform kills a process that takes longer
// to stop than its grace period (30 s by default on Kubernetes).
const maxDrainDelay = 5 * time.Minute

// shutdown checks the shutdown section.
func (v *validator) shutdown() {
	if d := v.c.Shutdown.DrainDelay; d < 0 || d > maxDrainDelay {
		v.addf("shutdown.drainDelay", "%v: give a duration from 0 (no drain, the default) to %v, such as 5s: how long /readyz answers 503 before the server stops", d, maxDrainDelay)
	}
}

// maxMetricsClients bounds metrics.maxClients: each client is a series
// per grant type, and a scraper's memory is not unbounded.
const maxMetricsClients = 10000

// metrics checks the metrics section.
func (v *validator) metrics() {
	m := v.c.Metrics
	if m.Listen != "" {
		if msg := checkListen(m.Listen); msg != "" {
			v.addf("metrics.listen", "%s", msg)
		} else if listen := cmp.Or(v.c.Listen, DefaultListen); SameListener(m.Listen, listen) {
			v.addf("metrics.listen", "%s", MetricsOnPublic(m.Listen, listen))
		}
	}
	if m.MaxClients < 0 || m.MaxClients > maxMetricsClients {
		v.addf("metrics.maxClients", "maxClients %d: give 1 to %d clients labelled by their id (default %d); the others are counted as other", m.MaxClients, maxMetricsClients, DefaultMetricsMaxClients)
	}
}

// MetricsOnPublic is the problem of a metrics.listen that is the public
// listen address.
func MetricsOnPublic(metrics, listen string) string {
	return fmt.Sprintf("%q is the public listen address (%s): the metrics are served apart from it; give another address, such as 127.0.0.1:9090, or leave metrics.listen out and set metrics.public: true to serve /metrics on the public port", metrics, listen)
}

// SameListener reports whether listening on a and on b would take the same
// port: the same port number (not 0, which picks a free one), on the same
// host or with either on every interface.
func SameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb {
		return false
	}
	if n, err := strconv.Atoi(pa); err != nil || n == 0 {
		return false
	}
	every := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return strings.EqualFold(ha, hb) || every(ha) || every(hb)
}

// maxAuditSize bounds audit.maxSize (in megabytes), maxAuditFiles
// audit.maxFiles.
const (
	maxAuditSize  = 1 << 20
	maxAuditFiles = 1000
)

// audit checks the audit section: a sink known, its file given (for file
// only), PostgreSQL storage for postgres, and the events excluded known.
func (v *validator) audit() {
	a := &v.c.Audit
	switch s, ok := oneOf(a.Sink, "", AuditSinkFile, AuditSinkPostgres); {
	case !ok:
		v.addf("audit.sink", "unknown audit sink %q: use file (JSON lines in audit.file) or postgres (the storage's database), or leave it out for the log alone", a.Sink)
	default:
		a.Sink = strings.ToLower(s)
	}
	switch {
	case a.Sink == AuditSinkFile && a.File == "":
		v.addf("audit.sink", "audit.sink file needs audit.file, the path of the JSON-lines file")
	case a.Sink != AuditSinkFile && a.File != "":
		v.addf("audit.file", "audit.file is written only with audit.sink: file")
	}
	if driver := cmp.Or(v.c.Storage.Driver, DriverSQLite); a.Sink == AuditSinkPostgres && !strings.EqualFold(driver, DriverPostgres) {
		v.addf("audit.sink", "audit.sink postgres writes to the storage's PostgreSQL database, and storage.driver is %s: use audit.sink file, or storage.driver postgres", driver)
	}
	if a.MaxSize < 0 || a.MaxSize > maxAuditSize {
		v.addf("audit.maxSize", "maxSize %d: give the size in megabytes at which the audit file is rotated, 1 to %d (default 100)", a.MaxSize, maxAuditSize)
	}
	if a.MaxFiles != nil && (*a.MaxFiles < 0 || *a.MaxFiles > maxAuditFiles) {
		v.addf("audit.maxFiles", "maxFiles %d: give how many rotated audit files to keep, 0 to %d (default 5)", *a.MaxFiles, maxAuditFiles)
	}
	for i, name := range a.Exclude {
		if !slices.Contains(observe.Names, name) {
			v.addf(fmt.Sprintf("audit.exclude[%d]", i), "unknown event %q; the events are %s", name, strings.Join(observe.Names, ", "))
		}
	}
}

// maxKeyExpiryWarning bounds keyExpiryWarning: a warning for more than a
// year ahead would be noise for every certificate made for a year.
const maxKeyExpiryWarning = 366 * 24 * time.Hour

// keyExpiryWarning checks keyExpiryWarning.
func (v *validator) keyExpiryWarning() {
	if d := v.c.KeyExpiryWarning; d < 0 || d > maxKeyExpiryWarning {
		v.addf("keyExpiryWarning", "%v: give a duration up to 366d, such as 30d (the default): how long before a certificate or client secret expires it is warned about", d)
	}
}

// tracing checks the tracing section: an OTLP/HTTP URL, a ratio, headers
// that can be sent.
func (v *validator) tracing() {
	t := v.c.Tracing
	if t.Endpoint == "" {
		// Off: the rest may be written ahead of a collector.
		return
	}
	u, err := url.Parse(t.Endpoint)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.addf("tracing.endpoint", "%s: give the collector's OTLP/HTTP address, such as http://localhost:4318 (/v1/traces is added) or https://collector.example.com/v1/traces", quoteShort(t.Endpoint))
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		// Not echoed: a user part may hold a password.
		v.addf("tracing.endpoint", "give the address without user, query or fragment (put credentials in tracing.headers)")
	}
	if r := t.SampleRatio; r != nil && (*r < 0 || *r > 1) {
		v.addf("tracing.sampleRatio", "%v: give a number from 0 to 1, the share of the traces that start here that are recorded (default 1)", *r)
	}
	if len(t.ServiceName) > 255 {
		v.addf("tracing.serviceName", "give a name of at most 255 characters (default signet)")
	}
	for i, h := range t.Headers {
		path := fmt.Sprintf("tracing.headers[%d]", i)
		if !headerName(h.Name) {
			v.addf(path+".name", "%s: give a header name, such as Authorization", quoteShort(h.Name))
		}
		if strings.ContainsFunc(h.Value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			v.addf(path+".value", "the value holds a line break or a control character, which a header cannot")
		}
	}
}

// headerName reports whether name is an HTTP field name (RFC 9110 §5.1: a
// token).
func headerName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > '~' || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}
