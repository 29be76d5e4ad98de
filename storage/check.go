package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on stored values beyond MaxKeyLen. Every backend refuses a value
// over them with ErrInvalid, through the checks below.
const (
	// MaxTextLen is the longest free text, in bytes: names shown to people,
	// descriptions, a client's JWKS URI.
	MaxTextLen = 4096
	// MaxDataLen is the largest byte value: a client's JWKS or claims, a
	// grant's Data, a signing key's Data.
	MaxDataLen = 1 << 20
	// MaxSecrets is the most secrets one client holds.
	MaxSecrets = 100
	// MaxListLen is the longest list of names: a client's grant types,
	// scopes, CORS origins and redirect URIs, an API resource's scopes, an
	// identity resource's claims.
	MaxListLen = 1000
	// MaxPageLen is the most records one page of a paged list returns
	// (ListUsers).
	MaxPageLen = 1000
)

// The checks below are called by every backend before it touches the
// database, so that all of them refuse the same values with ErrInvalid and the
// same message. A backend checks a record on create, and again after an update
// function has changed it (with CheckSameKey for its key), before writing it.
//
// Keys and the names in lists follow CheckKey. Free text may be empty but
// follows the rules of CheckKey otherwise, with MaxTextLen for its length.
// Lists hold no duplicates. Times must be set where a record needs them; the
// store keeps them to the millisecond, in UTC.

// CheckClient checks a client to be created or written back by UpdateClient.
// Created and Updated are not checked: the store sets them.
func CheckClient(c Client) error {
	if err := CheckKey("client id", c.ID); err != nil {
		return err
	}
	if err := checkText("client name", c.Name); err != nil {
		return err
	}
	if err := checkText("client description", c.Description); err != nil {
		return err
	}
	if len(c.Secrets) > MaxSecrets {
		return fmt.Errorf("%w: client has %d secrets, over the limit of %d", ErrInvalid, len(c.Secrets), MaxSecrets)
	}
	seen := make(map[string]bool, len(c.Secrets))
	for _, s := range c.Secrets {
		if err := checkSecret(s); err != nil {
			return err
		}
		if seen[s.ID] {
			return fmt.Errorf("%w: client secret id %q is used twice", ErrInvalid, s.ID)
		}
		seen[s.ID] = true
	}
	if err := checkList("client grant type", c.GrantTypes); err != nil {
		return err
	}
	if err := checkList("client scope", c.Scopes); err != nil {
		return err
	}
	for _, l := range []struct {
		name string
		d    time.Duration
	}{
		{"access token", c.AccessTokenLifetime},
		{"identity token", c.IdentityTokenLifetime},
		{"authorization code", c.AuthorizationCodeLifetime},
		{"absolute refresh token", c.AbsoluteRefreshTokenLifetime},
		{"sliding refresh token", c.SlidingRefreshTokenLifetime},
	} {
		switch {
		case l.d < 0:
			return fmt.Errorf("%w: client %s lifetime %v is negative", ErrInvalid, l.name, l.d)
		case l.d%time.Second != 0:
			return fmt.Errorf("%w: client %s lifetime %v is not a whole number of seconds", ErrInvalid, l.name, l.d)
		}
	}
	if err := checkEnum("client access token type", c.AccessTokenType, AccessTokenJwt, AccessTokenReference); err != nil {
		return err
	}
	if err := checkEnum("client refresh token usage", c.RefreshTokenUsage, RefreshTokenOneTimeOnly, RefreshTokenReUse); err != nil {
		return err
	}
	if err := checkEnum("client refresh token expiration", c.RefreshTokenExpiration, RefreshTokenAbsolute, RefreshTokenSliding); err != nil {
		return err
	}
	if err := checkAbsoluteURI("client URI", c.ClientURI); err != nil {
		return err
	}
	if err := checkAbsoluteURI("client logo URI", c.LogoURI); err != nil {
		return err
	}
	if err := checkList("client identity token signing algorithm", c.AllowedIdentityTokenSigningAlgorithms); err != nil {
		return err
	}
	if err := checkJSONObject("client JWKS", c.JWKS); err != nil {
		return err
	}
	if err := checkText("client JWKS URI", c.JWKSURI); err != nil {
		return err
	}
	if err := checkJSONObject("client claims", c.Claims); err != nil {
		return err
	}
	if err := checkList("client CORS origin", c.CORSOrigins); err != nil {
		return err
	}
	if err := checkList("client redirect URI", c.RedirectURIs); err != nil {
		return err
	}
	return checkList("client post-logout redirect URI", c.PostLogoutRedirectURIs)
}

// checkEnum checks that v is empty (the default) or one of values, which
// are compared exactly, as IdentityServer's enumerations are written.
func checkEnum(what, v string, values ...string) error {
	if v == "" || slices.Contains(values, v) {
		return nil
	}
	return fmt.Errorf("%w: %s %q is not one of %s", ErrInvalid, what, v, strings.Join(values, ", "))
}

// checkAbsoluteURI checks that v is empty or an absolute URI with a host
// (https://app.example.com/), which a page may link to.
func checkAbsoluteURI(what, v string) error {
	if v == "" {
		return nil
	}
	if err := checkText(what, v); err != nil {
		return err
	}
	u, err := url.Parse(v)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%w: %s %q is not an absolute URI (scheme://host/path)", ErrInvalid, what, v)
	}
	return nil
}

// checkSecret checks one secret of a client. Its Created is set by the caller
// (the store keeps it as given); Expires is zero for never, or after Created.
func checkSecret(s ClientSecret) error {
	if err := CheckKey("client secret id", s.ID); err != nil {
		return err
	}
	if err := CheckKey("client secret hash", s.Hash); err != nil {
		return err
	}
	if err := checkText("client secret description", s.Description); err != nil {
		return err
	}
	switch {
	case s.Created.IsZero():
		return fmt.Errorf("%w: client secret %q has no created time", ErrInvalid, s.ID)
	case !s.Expires.IsZero() && !after(s.Expires, s.Created):
		return fmt.Errorf("%w: client secret %q expires at or before it was created", ErrInvalid, s.ID)
	}
	return nil
}

// checkJSONObject checks a JSON object kept as bytes (a client's JWKS or
// claims; field names it): empty (none), or a JSON object in UTF-8 of at most
// MaxDataLen bytes. Its bytes are stored exactly as given (not re-encoded: no
// jsonb).
func checkJSONObject(field string, b []byte) error {
	switch {
	case len(b) == 0:
		return nil
	case len(b) > MaxDataLen:
		return fmt.Errorf("%w: %s is %d bytes, over the limit of %d", ErrInvalid, field, len(b), MaxDataLen)
	case !utf8.Valid(b):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	case !json.Valid(b):
		return fmt.Errorf("%w: %s is not valid JSON", ErrInvalid, field)
	case !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")):
		return fmt.Errorf("%w: %s is not a JSON object", ErrInvalid, field)
	}
	return nil
}

// CheckAPIScope checks an API scope to be created or written back.
func CheckAPIScope(s APIScope) error {
	if err := CheckKey("scope name", s.Name); err != nil {
		return err
	}
	if err := checkText("scope display name", s.DisplayName); err != nil {
		return err
	}
	return checkText("scope description", s.Description)
}

// CheckAPIResource checks an API resource to be created or written back. Its
// scopes are names, not references: they need not be stored APIScopes.
func CheckAPIResource(r APIResource) error {
	if err := CheckKey("resource name", r.Name); err != nil {
		return err
	}
	if err := checkText("resource display name", r.DisplayName); err != nil {
		return err
	}
	if err := checkList("resource scope", r.Scopes); err != nil {
		return err
	}
	if len(r.Secrets) > MaxSecrets {
		return fmt.Errorf("%w: resource has %d secrets, over the limit of %d", ErrInvalid, len(r.Secrets), MaxSecrets)
	}
	seen := make(map[string]bool, len(r.Secrets))
	for _, s := range r.Secrets {
		if err := checkSecret(s); err != nil {
			return fmt.Errorf("resource %q: %w", r.Name, err)
		}
		if seen[s.ID] {
			return fmt.Errorf("%w: resource secret id %q is used twice", ErrInvalid, s.ID)
		}
		seen[s.ID] = true
	}
	if r.IntrospectionResponse != IntrospectionJSON && r.IntrospectionResponse != IntrospectionJWT {
		return fmt.Errorf("%w: resource introspection response %q is not %q (or empty, for JSON)", ErrInvalid, r.IntrospectionResponse, IntrospectionJWT)
	}
	if err := checkJSONObject("resource JWKS", r.JWKS); err != nil {
		return err
	}
	return checkText("resource JWKS URI", r.JWKSURI)
}

// CheckIdentityResource checks an identity resource to be created or written
// back.
func CheckIdentityResource(r IdentityResource) error {
	if err := CheckKey("identity resource name", r.Name); err != nil {
		return err
	}
	if err := checkText("identity resource display name", r.DisplayName); err != nil {
		return err
	}
	if err := checkText("identity resource description", r.Description); err != nil {
		return err
	}
	return checkList("identity resource claim", r.Claims)
}

// CheckGrantType checks that typ is one of the PersistedGrant... constants.
func CheckGrantType(typ string) error {
	switch typ {
	case GrantAuthorizationCode, GrantRefreshToken, GrantReferenceToken, GrantUserConsent, GrantDeviceCode, GrantAuthorizationRequest,
		GrantUpstreamLogin, GrantWebAuthnCeremony, GrantLoginStep:
		return nil
	}
	return fmt.Errorf("%w: grant type %q is not one of %s", ErrInvalid, typ, strings.Join([]string{
		GrantAuthorizationCode, GrantRefreshToken, GrantReferenceToken, GrantUserConsent, GrantDeviceCode, GrantAuthorizationRequest,
		GrantUpstreamLogin, GrantWebAuthnCeremony, GrantLoginStep}, ", "))
}

// CheckGrant checks a grant to be created: a key, a known type, a client,
// Created and Expires set with Expires after Created (to the millisecond, as
// every time comparison here), Consumed zero (only
// ConsumeGrant sets it), and Data of at most MaxDataLen bytes. Subject (none
// for a client's own tokens), SessionID and FamilyID may be empty.
func CheckGrant(g PersistedGrant) error {
	if err := CheckKey("grant key", g.Key); err != nil {
		return err
	}
	if err := CheckGrantType(g.Type); err != nil {
		return err
	}
	if err := checkOptionalKey("grant subject", g.Subject); err != nil {
		return err
	}
	if err := CheckKey("grant client id", g.ClientID); err != nil {
		return err
	}
	if err := checkOptionalKey("grant session id", g.SessionID); err != nil {
		return err
	}
	if err := checkOptionalKey("grant family id", g.FamilyID); err != nil {
		return err
	}
	switch {
	case g.Created.IsZero():
		return fmt.Errorf("%w: grant has no created time", ErrInvalid)
	case g.Expires.IsZero():
		return fmt.Errorf("%w: grant has no expiry", ErrInvalid)
	case !after(g.Expires, g.Created):
		return fmt.Errorf("%w: grant expires at or before it was created", ErrInvalid)
	case !g.Consumed.IsZero():
		return fmt.Errorf("%w: a new grant cannot be consumed already", ErrInvalid)
	case len(g.Data) > MaxDataLen:
		return fmt.Errorf("%w: grant data is %d bytes, over the limit of %d", ErrInvalid, len(g.Data), MaxDataLen)
	}
	return nil
}

// CheckGrantInSession checks the arguments of CreateGrantInSession: the
// grant as CheckGrant does, a session id, and now.
func CheckGrantInSession(g PersistedGrant, now time.Time) error {
	if err := CheckGrant(g); err != nil {
		return err
	}
	if g.SessionID == "" {
		return fmt.Errorf("%w: the grant has no session id: a grant created in a session names it", ErrInvalid)
	}
	return checkNow(now)
}

// CheckGetGrant checks the arguments of GetGrant and ConsumeGrant.
func CheckGetGrant(key string, now time.Time) error {
	if err := CheckKey("grant key", key); err != nil {
		return err
	}
	return checkNow(now)
}

// CheckExtendGrant checks the arguments of ExtendGrant: those of
// ConsumeGrant, and an expiry after now.
func CheckExtendGrant(key string, expires, now time.Time) error {
	if err := CheckGetGrant(key, now); err != nil {
		return err
	}
	if !expires.After(now) {
		return fmt.Errorf("%w: a grant must be extended to a time after now", ErrInvalid)
	}
	return nil
}

// CheckRotateGrant checks the arguments of RotateGrant: those of ConsumeGrant,
// a next grant as CreateGrant takes it, and a next key other than key.
func CheckRotateGrant(key string, next PersistedGrant, now time.Time) error {
	if err := CheckGetGrant(key, now); err != nil {
		return err
	}
	if err := CheckGrant(next); err != nil {
		return err
	}
	if next.Key == key {
		return fmt.Errorf("%w: a grant cannot be rotated to its own key", ErrInvalid)
	}
	return nil
}

// CheckGrantFilter checks the values of a filter (empty fields are allowed).
func CheckGrantFilter(f PersistedGrantFilter) error {
	if err := checkOptionalKey("grant filter subject", f.Subject); err != nil {
		return err
	}
	if err := checkOptionalKey("grant filter client id", f.ClientID); err != nil {
		return err
	}
	if err := checkOptionalKey("grant filter session id", f.SessionID); err != nil {
		return err
	}
	if err := checkOptionalKey("grant filter family id", f.FamilyID); err != nil {
		return err
	}
	if f.Type != "" {
		return CheckGrantType(f.Type)
	}
	return nil
}

// CheckListGrants checks the arguments of ListGrants.
func CheckListGrants(f PersistedGrantFilter, now time.Time) error {
	if err := CheckGrantFilter(f); err != nil {
		return err
	}
	return checkNow(now)
}

// CheckDeleteGrants checks the filter of DeleteGrants, which must select
// something: an empty filter would delete every grant.
func CheckDeleteGrants(f PersistedGrantFilter) error {
	if f.Empty() {
		return fmt.Errorf("%w: grant filter is empty; a delete needs at least one field", ErrInvalid)
	}
	return CheckGrantFilter(f)
}

// CheckSigningKey checks a signing key to be created or written back: an id
// (the kid), an algorithm, Data (1 to MaxDataLen bytes) and Created. The other
// times are zero (not set) or in order: Created <= Activates <= Retires <=
// Expires.
func CheckSigningKey(k SigningKey) error {
	if err := CheckKey("signing key id", k.ID); err != nil {
		return err
	}
	if err := CheckKey("signing key algorithm", k.Algorithm); err != nil {
		return err
	}
	switch {
	case len(k.Data) == 0:
		return fmt.Errorf("%w: signing key %q has no data", ErrInvalid, k.ID)
	case len(k.Data) > MaxDataLen:
		return fmt.Errorf("%w: signing key data is %d bytes, over the limit of %d", ErrInvalid, len(k.Data), MaxDataLen)
	case k.Created.IsZero():
		return fmt.Errorf("%w: signing key %q has no created time", ErrInvalid, k.ID)
	}
	last, lastName := k.Created, "creation"
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"activation", k.Activates}, {"retirement", k.Retires}, {"expiry", k.Expires}} {
		if t.at.IsZero() {
			continue
		}
		if after(last, t.at) {
			return fmt.Errorf("%w: signing key %q: %s is before %s", ErrInvalid, k.ID, t.name, lastName)
		}
		last, lastName = t.at, t.name
	}
	return nil
}

// CheckUser checks a user to be created or written back by UpdateUser: an
// id, a username (its NormalizeUsername form a key too), free text for the
// password hash, email and name, claims that are empty or a JSON object, and
// FailedLogins not negative. Created and Updated are not checked: the store
// sets them.
func CheckUser(u User) error {
	if err := CheckKey("user id", u.ID); err != nil {
		return err
	}
	if err := CheckKey("username", u.Username); err != nil {
		return err
	}
	if err := CheckKey("normalized username", NormalizeUsername(u.Username)); err != nil {
		return err
	}
	if err := checkText("user password hash", u.PasswordHash); err != nil {
		return err
	}
	if err := checkText("user email", u.Email); err != nil {
		return err
	}
	if err := checkText("user name", u.Name); err != nil {
		return err
	}
	if err := checkJSONObject("user claims", u.Claims); err != nil {
		return err
	}
	if u.FailedLogins < 0 {
		return fmt.Errorf("%w: user failed login count %d is negative", ErrInvalid, u.FailedLogins)
	}
	if len(u.TOTPSecret) > maxSealedLen {
		return fmt.Errorf("%w: user TOTP secret is %d bytes, over the limit of %d", ErrInvalid, len(u.TOTPSecret), maxSealedLen)
	}
	if u.TOTPLastStep < 0 {
		return fmt.Errorf("%w: user TOTP last step %d is negative", ErrInvalid, u.TOTPLastStep)
	}
	if len(u.RecoveryCodes) > MaxRecoveryCodes {
		return fmt.Errorf("%w: user has %d recovery codes, over the limit of %d", ErrInvalid, len(u.RecoveryCodes), MaxRecoveryCodes)
	}
	return checkList("user recovery code", u.RecoveryCodes)
}

// maxSealedLen bounds a small secret sealed under the key-encryption key
// (a TOTP key): far more than any needs.
const maxSealedLen = 1 << 10

// MaxRecoveryCodes bounds a user's recovery codes.
const MaxRecoveryCodes = 32

// CheckUserLink checks a link to be created or written back by
// UpdateUserLink: an issuer, a subject, a provider name and a user id that
// are keys, and Tokens of at most MaxDataLen bytes.
func CheckUserLink(l UserLink) error {
	for _, f := range []struct{ name, value string }{
		{"link issuer", l.Issuer}, {"link subject", l.Subject}, {"link provider", l.Provider}, {"link user id", l.UserID},
	} {
		if err := CheckKey(f.name, f.value); err != nil {
			return err
		}
	}
	if len(l.Tokens) > MaxDataLen {
		return fmt.Errorf("%w: link tokens are %d bytes, over the limit of %d", ErrInvalid, len(l.Tokens), MaxDataLen)
	}
	return nil
}

// CheckUserLinkKey checks the (issuer, subject) key of a link.
func CheckUserLinkKey(issuer, subject string) error {
	if err := CheckKey("link issuer", issuer); err != nil {
		return err
	}
	return CheckKey("link subject", subject)
}

// CheckExternalProvider checks a provider to be created or written back: a
// name that is a key and may stand in a URL path (letters, digits, '-',
// '_' and '.'), a type that is a key, and Settings that are a JSON object
// of at most MaxDataLen bytes.
func CheckExternalProvider(p ExternalProvider) error {
	if err := CheckKey("provider name", p.Name); err != nil {
		return err
	}
	for _, r := range p.Name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: provider name %q has %q: use letters, digits, '-', '_' and '.' only (it is part of the callback URL)", ErrInvalid, p.Name, r)
		}
	}
	if err := CheckKey("provider type", p.Type); err != nil {
		return err
	}
	if len(p.Settings) == 0 {
		return fmt.Errorf("%w: provider %q has no settings", ErrInvalid, p.Name)
	}
	if len(p.Settings) > MaxDataLen {
		return fmt.Errorf("%w: provider settings are %d bytes, over the limit of %d", ErrInvalid, len(p.Settings), MaxDataLen)
	}
	return checkJSONObject("provider settings", p.Settings)
}

// CheckPasskey checks a passkey to be created or written back by
// UpdatePasskey: an id and a user id that are keys, a public key, free text
// for the name, attestation type and attachment, an AAGUID of 0 or 16
// bytes, and transports that are keys without duplicates.
func CheckPasskey(p Passkey) error {
	if err := CheckKey("passkey id", p.ID); err != nil {
		return err
	}
	if err := CheckKey("passkey user id", p.UserID); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{
		{"passkey name", p.Name}, {"passkey attestation type", p.AttestationType}, {"passkey attachment", p.Attachment},
	} {
		if err := checkText(f.name, f.value); err != nil {
			return err
		}
	}
	switch {
	case len(p.PublicKey) == 0:
		return fmt.Errorf("%w: passkey has no public key", ErrInvalid)
	case len(p.PublicKey) > maxPublicKeyLen:
		return fmt.Errorf("%w: passkey public key is %d bytes, over the limit of %d", ErrInvalid, len(p.PublicKey), maxPublicKeyLen)
	case len(p.AAGUID) != 0 && len(p.AAGUID) != 16:
		return fmt.Errorf("%w: passkey AAGUID is %d bytes, not 16", ErrInvalid, len(p.AAGUID))
	}
	return checkList("passkey transport", p.Transports)
}

// maxPublicKeyLen bounds a passkey's COSE public key (an RSA-4096 key is
// about 550 bytes).
const maxPublicKeyLen = 4 << 10

// CheckListUsers checks the arguments of ListUsers: after is "" or a key,
// and limit is 1 to MaxPageLen.
func CheckListUsers(after string, limit int) error {
	if err := checkOptionalKey("user id to list after", after); err != nil {
		return err
	}
	if limit < 1 || limit > MaxPageLen {
		return fmt.Errorf("%w: user page limit %d is not between 1 and %d", ErrInvalid, limit, MaxPageLen)
	}
	return nil
}

// CheckSession checks a session to be created or written back by
// UpdateSession: an id, a subject, AuthTime, Created and Expires set with
// Expires after Created (to the millisecond), lists of keys without
// duplicates for AMR and Clients, and IdP empty or a key.
func CheckSession(s Session) error {
	if err := CheckKey("session id", s.ID); err != nil {
		return err
	}
	if err := CheckKey("session subject", s.Subject); err != nil {
		return err
	}
	if err := checkList("session authentication method", s.AMR); err != nil {
		return err
	}
	if err := checkOptionalKey("session identity provider", s.IdP); err != nil {
		return err
	}
	if err := checkList("session client", s.Clients); err != nil {
		return err
	}
	switch {
	case s.AuthTime.IsZero():
		return fmt.Errorf("%w: session has no authentication time", ErrInvalid)
	case s.Created.IsZero():
		return fmt.Errorf("%w: session has no created time", ErrInvalid)
	case s.Expires.IsZero():
		return fmt.Errorf("%w: session has no expiry", ErrInvalid)
	case !after(s.Expires, s.Created):
		return fmt.Errorf("%w: session expires at or before it was created", ErrInvalid)
	}
	return nil
}

// CheckGetSession checks the arguments of GetSession and UpdateSession.
func CheckGetSession(id string, now time.Time) error {
	if err := CheckKey("session id", id); err != nil {
		return err
	}
	return checkNow(now)
}

// CheckListSessions checks the arguments of ListSessions.
func CheckListSessions(subject string, now time.Time) error {
	if err := CheckKey("session subject", subject); err != nil {
		return err
	}
	return checkNow(now)
}

// CheckSameKey refuses an update function that changed a record's key
// (field names it, e.g. "client id"): a key cannot change through an update,
// and the update writes nothing. Create the record anew and delete the old one
// instead.
func CheckSameKey(field, before, after string) error {
	if before != after {
		return fmt.Errorf("%w: %s cannot change from %q to %q", ErrInvalid, field, before, after)
	}
	return nil
}

// after reports whether a is after b at the precision of the store, the
// millisecond.
func after(a, b time.Time) bool { return a.UnixMilli() > b.UnixMilli() }

// checkNow refuses a zero "now", which would make every record look unexpired.
func checkNow(now time.Time) error {
	if now.IsZero() {
		return fmt.Errorf("%w: now is the zero time", ErrInvalid)
	}
	return nil
}

func checkOptionalKey(field, value string) error {
	if value == "" {
		return nil
	}
	return CheckKey(field, value)
}

// checkText checks free text: possibly empty, at most MaxTextLen bytes, valid
// UTF-8 without NUL bytes.
func checkText(field, value string) error { return checkString(field, value, MaxTextLen) }

// checkList checks a list of names: at most MaxListLen, each a key, no
// duplicates. field names one entry ("client scope").
func checkList(field string, values []string) error {
	if len(values) > MaxListLen {
		return fmt.Errorf("%w: %d entries of %s, over the limit of %d", ErrInvalid, len(values), field, MaxListLen)
	}
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if err := CheckKey(field, v); err != nil {
			return err
		}
		if seen[v] {
			return fmt.Errorf("%w: %s %q is listed twice", ErrInvalid, field, v)
		}
		seen[v] = true
	}
	return nil
}
