package catalog

// The rules a change to the database's clients, scopes and resources
// keeps, whichever interface makes it: signet client|scope|resource now,
// an admin API later. They live here, not in internal/client, because the
// grant types a client may have are the token endpoint's (grant.GrantTypes),
// and internal/grant imports internal/client.
//
// Each error says what is wrong and what to do; where a signet command
// does it, the error names the command. The caller adds its own words: the
// flag that gave the value (--scope: ...), and how to override a refusal
// (--force).

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/storage"
)

// CheckClientID checks a new client's id: something a store keeps
// (storage.CheckKey) and a person can type, without spaces or control
// characters.
func CheckClientID(id string) error { return checkIdentifier("client id", id) }

// CheckResourceName checks a new API resource's name (its audience), as
// CheckClientID checks an id.
func CheckResourceName(name string) error { return checkIdentifier("resource name", name) }

func checkIdentifier(what, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("the %s is empty", what)
	case len(v) > storage.MaxKeyLen:
		return fmt.Errorf("the %s is %d bytes long; at most %d are allowed", what, len(v), storage.MaxKeyLen)
	case strings.ContainsFunc(v, unicode.IsSpace):
		return fmt.Errorf("the %s %q has a space: use letters, digits and punctuation such as - _ . : /", what, v)
	case strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }):
		return fmt.Errorf("the %s %q has a control character or invalid UTF-8", what, v)
	}
	return storage.CheckKey(what, v)
}

// CheckScopeName applies RFC 6749's scope-token syntax (section 3.3), as
// the configuration does: printable ASCII except space, " and \.
func CheckScopeName(name string) error {
	if len(name) > storage.MaxKeyLen {
		return fmt.Errorf("scope name is %d bytes long; at most %d are allowed", len(name), storage.MaxKeyLen)
	}
	return oauth.CheckScopeToken(name)
}

// CheckScopeNames checks a list of scope names, and refuses duplicates.
func CheckScopeNames(scopes []string) error {
	seen := map[string]bool{}
	for _, s := range scopes {
		if err := CheckScopeName(s); err != nil {
			return err
		}
		if seen[s] {
			return fmt.Errorf("scope %q is given twice", s)
		}
		seen[s] = true
	}
	return nil
}

// CheckGrantTypes checks a client's grant types: at least one, each one the
// token endpoint implements (grant.GrantTypes), none twice.
func CheckGrantTypes(types []string) error {
	supported := strings.Join(grant.GrantTypes, ", ")
	if len(types) == 0 {
		return fmt.Errorf("a client needs at least one grant type (this version supports %s)", supported)
	}
	seen := map[string]bool{}
	for _, t := range types {
		if strings.EqualFold(t, "implicit") || strings.EqualFold(t, "hybrid") || strings.Contains(t, " ") {
			return fmt.Errorf("grant type %q (the implicit or hybrid flow) is not offered: Signet signs people in with the authorization code flow and PKCE, which RFC 9700 recommends in their place; use authorization_code", t)
		}
		if !slices.Contains(grant.GrantTypes, t) {
			return fmt.Errorf("grant type %q is not supported: this version supports %s", t, supported)
		}
		if seen[t] {
			return fmt.Errorf("grant type %q is given twice", t)
		}
		seen[t] = true
	}
	return nil
}

// CheckText checks free text (a display name, a description) that what
// names: what a store keeps.
func CheckText(what, v string) error {
	switch {
	case len(v) > storage.MaxTextLen:
		return fmt.Errorf("%s is %d bytes; at most %d are allowed", what, len(v), storage.MaxTextLen)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%s has a NUL byte", what)
	}
	return nil
}

// CheckScopesKnown refuses scopes that are not among known (the scopes the
// configuration file and the database define).
func CheckScopesKnown(scopes, known []string) error {
	var unknown []string
	for _, s := range scopes {
		if !slices.Contains(known, s) {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	what := fmt.Sprintf("scope %q is", unknown[0])
	if len(unknown) > 1 {
		q := make([]string, len(unknown))
		for i, n := range unknown {
			q[i] = strconv.Quote(n)
		}
		what = "scopes " + strings.Join(q, ", ") + " are"
	}
	list := "none is defined yet"
	switch {
	case len(known) > 0 && len(known) <= 20:
		list = "defined: " + strings.Join(known, ", ")
	case len(known) > 20:
		list = "signet scope list shows them"
	}
	return fmt.Errorf("%s not defined (%s): define it first with signet scope add %s, or in the configuration file's apiScopes", what, list, unknown[0])
}

// EditScopes removes and adds scopes to the list of owner (`client "app"`,
// `resource "orders"`). A removed scope that is not there is an error: it
// was mistyped, or someone else removed it.
func EditScopes(owner string, list, add, remove []string) ([]string, error) {
	out := slices.Clone(list)
	for _, r := range remove {
		i := slices.Index(out, r)
		if i < 0 {
			return nil, fmt.Errorf("%s has no scope %q to remove (it has %s)", owner, r, orNone(out))
		}
		out = slices.Delete(out, i, i+1)
	}
	for _, s := range add {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// CheckScopeChange checks the scopes a change gives a client or resource:
// those it did not have before must be known. Scopes it had already may
// have been removed since; Dangling lists them, for a warning.
func CheckScopeChange(before, after, known []string) (dangling []string, err error) {
	var added []string
	for _, s := range after {
		switch {
		case !slices.Contains(before, s):
			added = append(added, s)
		case !slices.Contains(known, s):
			dangling = append(dangling, s)
		}
	}
	return dangling, CheckScopesKnown(added, known)
}

// CheckResourceScopes refuses a resource without scopes: a token gets a
// resource's name in its aud through one of its scopes.
func CheckResourceScopes(name string, scopes []string) error {
	if len(scopes) == 0 {
		return fmt.Errorf("the change leaves resource %q no scope: a resource keeps at least one (signet resource remove %s removes it)", name, name)
	}
	return nil
}

// ActiveSecret reports whether a secret works at now: it has not expired.
func ActiveSecret(s storage.ClientSecret, now time.Time) bool {
	return s.Expires.IsZero() || s.Expires.After(now)
}

// CanAuthenticate reports whether a client can authenticate at now: it has
// an unexpired secret, or keys (private_key_jwt).
func CanAuthenticate(c storage.Client, now time.Time) bool {
	return len(c.JWKS) > 0 || c.JWKSURI != "" ||
		slices.ContainsFunc(c.Secrets, func(s storage.ClientSecret) bool { return ActiveSecret(s, now) })
}

// LockoutError refuses a change that leaves a client that could
// authenticate no way to: it would get no more tokens. The caller may
// offer to make the change anyway.
type LockoutError struct {
	ClientID string
	// SecretID is the secret whose removal is refused; "" for another
	// change (its keys removed).
	SecretID string
}

func (e *LockoutError) Error() string {
	if e.SecretID != "" {
		return fmt.Sprintf("secret %s is the last way client %q authenticates (no other unexpired secret, no keys): without it the client gets no more tokens. Add a new secret first (signet client secret add %s)", e.SecretID, e.ClientID, e.ClientID)
	}
	return fmt.Sprintf("the change leaves client %q no way to authenticate (no unexpired secret, no keys), so it could get no more tokens: add a secret first (signet client secret add %s)", e.ClientID, e.ClientID)
}

// CheckAuthenticates refuses, with a *LockoutError, a change from before to
// after that leaves a client that could authenticate at now no way to.
func CheckAuthenticates(before, after storage.Client, now time.Time) error {
	if CanAuthenticate(before, now) && !CanAuthenticate(after, now) {
		return &LockoutError{ClientID: before.ID}
	}
	return nil
}

// RemoveSecret removes the secret id from c. It refuses an id c does not
// have, and, with a *LockoutError and c unchanged, the client's last way
// to authenticate unless force is set.
func RemoveSecret(c *storage.Client, id string, now time.Time, force bool) error {
	i := slices.IndexFunc(c.Secrets, func(s storage.ClientSecret) bool { return s.ID == id })
	if i < 0 {
		var ids []string
		for _, s := range c.Secrets {
			ids = append(ids, s.ID)
		}
		return fmt.Errorf("client %q has no secret %q (its secrets: %s; signet client show %s lists them)", c.ID, id, orNone(ids), c.ID)
	}
	after := *c
	after.Secrets = slices.Delete(slices.Clone(c.Secrets), i, i+1)
	if !force && CanAuthenticate(*c, now) && !CanAuthenticate(after, now) {
		return &LockoutError{ClientID: c.ID, SecretID: id}
	}
	*c = after
	return nil
}

// AddSecret adds a secret to c, kept as its hash, with a new id (8 hex
// digits, unique within the client). It refuses a client that holds
// storage.MaxSecrets already.
func AddSecret(c *storage.Client, hash, description string, created, expires time.Time) (storage.ClientSecret, error) {
	if len(c.Secrets) >= storage.MaxSecrets {
		return storage.ClientSecret{}, fmt.Errorf("client %q has %d secrets, the most one client holds: remove old ones first (signet client show %s lists them; signet client secret remove %s SECRET_ID)", c.ID, len(c.Secrets), c.ID, c.ID)
	}
	s := storage.ClientSecret{ID: newSecretID(c.Secrets), Hash: hash, Description: description, Created: created, Expires: expires}
	c.Secrets = append(slices.Clone(c.Secrets), s)
	return s, nil
}

// AddResourceSecret adds a secret to the API resource r, as AddSecret does
// to a client: kept as its hash, with a new id.
func AddResourceSecret(r *storage.APIResource, hash, description string, created, expires time.Time) (storage.ClientSecret, error) {
	if len(r.Secrets) >= storage.MaxSecrets {
		return storage.ClientSecret{}, fmt.Errorf("API resource %q has %d secrets, the most one resource holds: remove old ones first (signet resource show %s lists them; signet resource secret remove %s SECRET_ID)", r.Name, len(r.Secrets), r.Name, r.Name)
	}
	s := storage.ClientSecret{ID: newSecretID(r.Secrets), Hash: hash, Description: description, Created: created, Expires: expires}
	r.Secrets = append(slices.Clone(r.Secrets), s)
	return s, nil
}

// RemoveResourceSecret removes the secret id of the API resource r. A
// resource needs no secret (it may never introspect, or use keys): the
// last one may go.
func RemoveResourceSecret(r *storage.APIResource, id string) error {
	i := slices.IndexFunc(r.Secrets, func(s storage.ClientSecret) bool { return s.ID == id })
	if i < 0 {
		var ids []string
		for _, s := range r.Secrets {
			ids = append(ids, s.ID)
		}
		return fmt.Errorf("API resource %q has no secret %q (its secrets: %s; signet resource show %s lists them)", r.Name, id, orNone(ids), r.Name)
	}
	r.Secrets = slices.Delete(slices.Clone(r.Secrets), i, i+1)
	return nil
}

// newSecretID names a secret: 8 hex digits, unique among taken.
func newSecretID(taken []storage.ClientSecret) string {
	for {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		if !slices.ContainsFunc(taken, func(s storage.ClientSecret) bool { return s.ID == id }) {
			return id
		}
	}
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// idTokenAlgorithms are the algorithms an ID token may be signed with: the
// asymmetric ones a signing key offers.
var idTokenAlgorithms = []string{"RS256", "PS256", "ES256", "ES384", "ES512"}

// CheckSignIn checks a client's sign-in settings by the rules the
// configuration file's clients keep: each redirect URI and post-logout
// redirect URI by the one rule (oauth.CheckRedirectURI; allowHTTP lets any
// http one through, for development or allowHttp), none twice; a client
// with authorization_code has a redirect URI; a public client requires PKCE,
// rotates its refresh tokens and does not use client_credentials; lifetimes not negative; the refresh
// token usage and expiration, the ID token algorithms and the client and
// logo URIs known or well formed. The error names the setting by
// IdentityServer's name; the caller adds its flag.
func CheckSignIn(c storage.Client, allowHTTP bool) error {
	for _, list := range []struct {
		name string
		uris []string
	}{{"redirect URI", c.RedirectURIs}, {"post-logout redirect URI", c.PostLogoutRedirectURIs}} {
		seen := map[string]bool{}
		for _, u := range list.uris {
			if err := oauth.CheckRedirectURI(u, allowHTTP); err != nil {
				return err
			}
			if seen[u] {
				return fmt.Errorf("%s %q is given twice", list.name, u)
			}
			seen[u] = true
		}
	}
	code := slices.Contains(c.GrantTypes, storage.GrantAuthorizationCode)
	switch {
	case code && len(c.RedirectURIs) == 0:
		return fmt.Errorf("client %q uses authorization_code, which needs at least one redirect URI (where the application receives the code, such as https://app.example.com/signin-oidc)", c.ID)
	case c.Public && !c.RequirePKCE:
		return fmt.Errorf("client %q is public (no secret): PKCE is what keeps a stolen code from being used, so it must require it", c.ID)
	case c.Public && c.AllowOfflineAccess && c.RefreshTokenUsage == storage.RefreshTokenReUse:
		return fmt.Errorf("client %q is public (no secret): its refresh tokens must be rotated (RFC 9700 section 4.14.2), since nothing else tells a stolen one from the client's: use refresh token usage OneTimeOnly", c.ID)
	case c.Public && slices.Contains(c.GrantTypes, oauth.GrantClientCredentials):
		return fmt.Errorf("client %q is public (no secret), and client_credentials needs a client that authenticates: remove that grant type, or make the client confidential", c.ID)
	}
	for _, l := range []struct {
		name string
		d    time.Duration
	}{{"identity token lifetime", c.IdentityTokenLifetime}, {"authorization code lifetime", c.AuthorizationCodeLifetime},
		{"absolute refresh token lifetime", c.AbsoluteRefreshTokenLifetime}, {"sliding refresh token lifetime", c.SlidingRefreshTokenLifetime}} {
		if l.d < 0 {
			return fmt.Errorf("the %s is negative: give a positive duration, or default", l.name)
		}
	}
	if c.AuthorizationCodeLifetime > 10*time.Minute {
		return fmt.Errorf("the authorization code lifetime is %s: a code is used at once, and RFC 6749 recommends at most 10 minutes", c.AuthorizationCodeLifetime)
	}
	if c.IdentityTokenLifetime > 24*time.Hour {
		return fmt.Errorf("the identity token lifetime is %s: give at most a day", c.IdentityTokenLifetime)
	}
	if u := c.RefreshTokenUsage; u != "" && u != storage.RefreshTokenOneTimeOnly && u != storage.RefreshTokenReUse {
		return fmt.Errorf("unknown refresh token usage %q: use OneTimeOnly (a new refresh token at each use, the default) or ReUse", u)
	}
	if e := c.RefreshTokenExpiration; e != "" && e != storage.RefreshTokenAbsolute && e != storage.RefreshTokenSliding {
		return fmt.Errorf("unknown refresh token expiration %q: use Absolute (the default) or Sliding", e)
	}
	seen := map[string]bool{}
	for _, a := range c.AllowedIdentityTokenSigningAlgorithms {
		if !slices.Contains(idTokenAlgorithms, a) {
			return fmt.Errorf("ID token signing algorithm %q is not supported: use %s", a, strings.Join(idTokenAlgorithms, ", "))
		}
		if seen[a] {
			return fmt.Errorf("ID token signing algorithm %s is given twice", a)
		}
		seen[a] = true
	}
	for _, u := range []struct{ name, v string }{{"client URI", c.ClientURI}, {"logo URI", c.LogoURI}} {
		if err := checkPageURL(u.name, u.v, allowHTTP); err != nil {
			return err
		}
	}
	return nil
}

// checkPageURL checks a URL the consent page shows or loads: empty, or an
// absolute https URL (http with allowHTTP) without user or fragment.
func checkPageURL(what, raw string, allowHTTP bool) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("the %s %q is not an absolute URL such as https://app.example.com", what, raw)
	case !strings.EqualFold(u.Scheme, "https") && !(allowHTTP && strings.EqualFold(u.Scheme, "http")):
		return fmt.Errorf("the %s %q: use an https URL", what, raw)
	case u.User != nil || u.Fragment != "":
		return fmt.Errorf("the %s %q must have no user name or fragment", what, raw)
	}
	return nil
}

// CanonicalAccessTokenType returns typ as a record keeps it: "" for Jwt
// (the default, also for an empty typ) and storage.AccessTokenReference,
// matched without regard to case (IdentityServer's numbers 0 and 1 too),
// or an error.
func CanonicalAccessTokenType(typ string) (string, error) {
	switch t := strings.TrimSpace(typ); {
	case t == "" || strings.EqualFold(t, storage.AccessTokenJwt) || t == "0":
		return "", nil
	case strings.EqualFold(t, storage.AccessTokenReference) || t == "1":
		return storage.AccessTokenReference, nil
	}
	return "", fmt.Errorf("unknown access token type %q: use jwt (self-contained JWTs, the default) or reference (opaque handles that can be revoked; APIs introspect them)", typ)
}

// CanonicalRefreshTokenUsage returns usage in its canonical spelling
// (OneTimeOnly, ReUse; IdentityServer's numbers 1 and 0 too), or an error.
func CanonicalRefreshTokenUsage(usage string) (string, error) {
	switch {
	case strings.EqualFold(usage, storage.RefreshTokenOneTimeOnly) || usage == "1":
		return storage.RefreshTokenOneTimeOnly, nil
	case strings.EqualFold(usage, storage.RefreshTokenReUse) || usage == "0":
		return storage.RefreshTokenReUse, nil
	}
	return "", fmt.Errorf("unknown refresh token usage %q: use OneTimeOnly (a new refresh token at each use, the default) or ReUse", usage)
}

// CanonicalRefreshTokenExpiration returns expiration in its canonical
// spelling (Absolute, Sliding; IdentityServer's numbers 1 and 0 too), or an
// error.
func CanonicalRefreshTokenExpiration(expiration string) (string, error) {
	switch {
	case strings.EqualFold(expiration, storage.RefreshTokenAbsolute) || expiration == "1":
		return storage.RefreshTokenAbsolute, nil
	case strings.EqualFold(expiration, storage.RefreshTokenSliding) || expiration == "0":
		return storage.RefreshTokenSliding, nil
	}
	return "", fmt.Errorf("unknown refresh token expiration %q: use Absolute (the default) or Sliding", expiration)
}

// CanonicalAlgorithm returns an ID token signing algorithm in its canonical
// spelling (RS256, ...), matched without regard to case.
func CanonicalAlgorithm(alg string) (string, error) {
	for _, a := range idTokenAlgorithms {
		if strings.EqualFold(a, alg) {
			return a, nil
		}
	}
	return "", fmt.Errorf("ID token signing algorithm %q is not supported: use %s", alg, strings.Join(idTokenAlgorithms, ", "))
}

// CheckIdentityResource checks a custom identity resource by claims.New's
// rules (a name that is not built in, claims that tokens do not set
// themselves) and the scope-name syntax; apiScopes are the API scopes
// known, whose names an identity resource may not take.
func CheckIdentityResource(r storage.IdentityResource, apiScopes []string) error {
	if err := CheckScopeName(r.Name); err != nil {
		return err
	}
	if slices.Contains(apiScopes, r.Name) {
		return fmt.Errorf("%q is an API scope: a scope name means an API scope or an identity resource, not both; pick another name", r.Name)
	}
	if err := storage.CheckIdentityResource(r); err != nil {
		return err
	}
	if _, err := claims.New([]storage.IdentityResource{r}); err != nil {
		return err
	}
	return nil
}
