package sqlrow

import (
	"strconv"
	"strings"
	"time"

	"github.com/signetid/signet/storage"
)

// Row is one row to scan: a *sql.Row or *sql.Rows, a pgx.Row or pgx.Rows.
// A nullable column scans into a pointer, which NULL leaves nil.
type Row interface {
	Scan(dest ...any) error
}

// Time is the time of a column of Unix milliseconds: zero for NULL.
func Time(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return time.UnixMilli(*ms).UTC()
}

// Bytes is the value of a byte column: nil for NULL and for empty, as the
// other backends return none.
func Bytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// UserColumns are the columns of users that User reads, in its order: those
// of migration 0005 to 0008, then the second factor of 0010.
const UserColumns = `id, username, password_hash, email, email_verified, name, claims, disabled,
	failed_logins, locked_until, failed_since, created_at, updated_at, last_login,
	totp_secret, totp_last_step, recovery_codes`

// User reads a row of UserColumns; newList makes the adapter's List of the
// recovery codes.
func User(row Row, newList func() List) (storage.User, error) {
	var u storage.User
	var locked, failedSince, lastLogin *int64
	var created, updated int64
	codes := newList()
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Email, &u.EmailVerified, &u.Name, &u.Claims, &u.Disabled,
		&u.FailedLogins, &locked, &failedSince, &created, &updated, &lastLogin,
		&u.TOTPSecret, &u.TOTPLastStep, codes.Dest()); err != nil {
		return storage.User{}, err
	}
	var err error
	if u.RecoveryCodes, err = codes.Read(); err != nil {
		return storage.User{}, err
	}
	u.Claims = Bytes(u.Claims)
	u.TOTPSecret = Bytes(u.TOTPSecret)
	u.LockedUntil = Time(locked)
	u.FailedSince = Time(failedSince)
	u.LastLogin = Time(lastLogin)
	u.Created = Time(&created)
	u.Updated = Time(&updated)
	return u, nil
}

// GrantColumns are the columns of grants that Grant reads, in its order.
const GrantColumns = `key, type, subject, client_id, session_id, family_id, created_at, expires_at, consumed_at, data`

// SubjectDisabled is a column of a statement on grants: the disabled flag
// of the user the grant's subject names, NULL if there is none. Scanned
// into a *bool, UserState makes it a storage.UserState.
const SubjectDisabled = `(SELECT disabled FROM users WHERE id = grants.subject)`

// UserState is the state of a user whose disabled flag, scanned from
// SubjectDisabled, is disabled: nil for no user.
func UserState(disabled *bool) storage.UserState {
	switch {
	case disabled == nil:
		return storage.UserMissing
	case *disabled:
		return storage.UserDisabled
	}
	return storage.UserActive
}

// Grant reads a row of GrantColumns.
func Grant(row Row) (storage.PersistedGrant, error) {
	return GrantAnd(row)
}

// GrantAnd reads a row of GrantColumns followed by columns of more, which
// it scans into more's destinations.
func GrantAnd(row Row, more ...any) (storage.PersistedGrant, error) {
	var g storage.PersistedGrant
	var created int64
	var expires, consumed *int64
	if err := row.Scan(append([]any{&g.Key, &g.Type, &g.Subject, &g.ClientID, &g.SessionID, &g.FamilyID, &created, &expires, &consumed, &g.Data}, more...)...); err != nil {
		return storage.PersistedGrant{}, err
	}
	g.Created = Time(&created)
	g.Expires = Time(expires)
	g.Consumed = Time(consumed)
	g.Data = Bytes(g.Data)
	return g, nil
}

// KeyColumns are the columns of signing_keys that SigningKey reads, in its
// order.
const KeyColumns = `id, algorithm, data, created_at, activates_at, retires_at, expires_at`

// SigningKey reads a row of KeyColumns.
func SigningKey(row Row) (storage.SigningKey, error) {
	var k storage.SigningKey
	var created int64
	var activates, retires, expires *int64
	if err := row.Scan(&k.ID, &k.Algorithm, &k.Data, &created, &activates, &retires, &expires); err != nil {
		return storage.SigningKey{}, err
	}
	k.Data = Bytes(k.Data)
	k.Created = Time(&created)
	k.Activates = Time(activates)
	k.Retires = Time(retires)
	k.Expires = Time(expires)
	return k, nil
}

// Rows are the rows of a query: *sql.Rows or pgx.Rows. The caller closes
// them.
type Rows interface {
	Row
	Next() bool
	Err() error
}

// List is one column of a list of names, as an adapter stores it (text[],
// JSON): Dest is what Scan fills, and Read returns the list scanned, nil for
// none.
type List interface {
	Dest() any
	Read() ([]string, error)
}

// SessionColumns are the columns of sessions that Session reads, in its
// order.
const SessionColumns = `id, subject, auth_time, amr, idp, clients, created_at, expires_at`

// Session reads a row of SessionColumns; newList makes the adapter's List of
// each list column.
func Session(row Row, newList func() List) (storage.Session, error) {
	var v storage.Session
	amr, clients := newList(), newList()
	var auth, created, expires int64
	if err := row.Scan(&v.ID, &v.Subject, &auth, amr.Dest(), &v.IdP, clients.Dest(), &created, &expires); err != nil {
		return storage.Session{}, err
	}
	var err error
	if v.AMR, err = amr.Read(); err != nil {
		return storage.Session{}, err
	}
	if v.Clients, err = clients.Read(); err != nil {
		return storage.Session{}, err
	}
	v.AuthTime = Time(&auth)
	v.Created = Time(&created)
	v.Expires = Time(&expires)
	return v, nil
}

// SelectClients reads clients with their secrets, one row per secret (or
// one row with NULL secret columns for a client without any), in one
// statement, so that a client and its secrets are one snapshot.
const SelectClients = `
	SELECT c.id, c.name, c.grant_types, c.scopes, c.access_token_lifetime_ms, c.jwks, c.jwks_uri,
		c.created_at, c.updated_at,
		c.description, c.disabled, c.public, c.claims, c.cors_origins, c.redirect_uris, c.post_logout_redirect_uris,
		c.require_pkce, c.allow_plain_text_pkce, c.require_consent, c.allow_remember_consent, c.allow_offline_access,
		c.always_include_user_claims_in_id_token, c.identity_token_lifetime_ms, c.authorization_code_lifetime_ms,
		c.absolute_refresh_token_lifetime_ms, c.sliding_refresh_token_lifetime_ms, c.refresh_token_usage,
		c.refresh_token_expiration, c.client_uri, c.logo_uri, c.allowed_identity_token_signing_algorithms,
		c.access_token_type, c.require_mfa,
		s.id, s.hash, s.description, s.expires_at, s.created_at
	FROM clients c LEFT JOIN client_secrets s ON s.client_id = c.id`

// Clients reads the rows of SelectClients, ordered by client id, then secret
// position; newList makes the adapter's List of each list column.
func Clients(rows Rows, newList func() List) ([]storage.Client, error) {
	var out []storage.Client
	for rows.Next() {
		var (
			c                                                  storage.Client
			grantTypes, scopes, origins, redirects, logoutURIs = newList(), newList(), newList(), newList(), newList()
			idTokenAlgs                                        = newList()
			lifetime, created, updated                         int64
			idToken, code, absolute, sliding                   int64
			sid, hash, desc                                    *string
			secExpires, secCreated                             *int64
		)
		if err := rows.Scan(&c.ID, &c.Name, grantTypes.Dest(), scopes.Dest(), &lifetime, &c.JWKS, &c.JWKSURI,
			&created, &updated,
			&c.Description, &c.Disabled, &c.Public, &c.Claims, origins.Dest(), redirects.Dest(), logoutURIs.Dest(),
			&c.RequirePKCE, &c.AllowPlainTextPKCE, &c.RequireConsent, &c.AllowRememberConsent, &c.AllowOfflineAccess,
			&c.AlwaysIncludeUserClaimsInIdToken, &idToken, &code, &absolute, &sliding, &c.RefreshTokenUsage,
			&c.RefreshTokenExpiration, &c.ClientURI, &c.LogoURI, idTokenAlgs.Dest(),
			&c.AccessTokenType, &c.RequireMfa,
			&sid, &hash, &desc, &secExpires, &secCreated); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != c.ID {
			for _, l := range []struct {
				to   *[]string
				list List
			}{
				{&c.GrantTypes, grantTypes}, {&c.Scopes, scopes}, {&c.CORSOrigins, origins},
				{&c.RedirectURIs, redirects}, {&c.PostLogoutRedirectURIs, logoutURIs},
				{&c.AllowedIdentityTokenSigningAlgorithms, idTokenAlgs},
			} {
				var err error
				if *l.to, err = l.list.Read(); err != nil {
					return nil, err
				}
			}
			c.AccessTokenLifetime = time.Duration(lifetime) * time.Millisecond
			c.IdentityTokenLifetime = time.Duration(idToken) * time.Millisecond
			c.AuthorizationCodeLifetime = time.Duration(code) * time.Millisecond
			c.AbsoluteRefreshTokenLifetime = time.Duration(absolute) * time.Millisecond
			c.SlidingRefreshTokenLifetime = time.Duration(sliding) * time.Millisecond
			c.JWKS = Bytes(c.JWKS)
			c.Claims = Bytes(c.Claims)
			c.Created = Time(&created)
			c.Updated = Time(&updated)
			out = append(out, c)
		}
		if sid != nil {
			last := &out[len(out)-1]
			last.Secrets = append(last.Secrets, storage.ClientSecret{
				ID:          *sid,
				Hash:        *hash,
				Description: *desc,
				Expires:     Time(secExpires),
				Created:     Time(secCreated),
			})
		}
	}
	return out, rows.Err()
}

// ClientSignInColumns are the columns of clients that ClientSignInArgs
// gives values for, in its order: the sign-in settings of migration 0007,
// then the access token type of 0009, then require_mfa of 0010.
var ClientSignInColumns = []string{
	"require_pkce", "allow_plain_text_pkce", "require_consent", "allow_remember_consent", "allow_offline_access",
	"always_include_user_claims_in_id_token", "identity_token_lifetime_ms", "authorization_code_lifetime_ms",
	"absolute_refresh_token_lifetime_ms", "sliding_refresh_token_lifetime_ms", "refresh_token_usage",
	"refresh_token_expiration", "client_uri", "logo_uri", "allowed_identity_token_signing_algorithms",
	"access_token_type", "require_mfa",
}

// ClientSignInArgs are the values of ClientSignInColumns for c; list makes
// the adapter's value of a list column.
func ClientSignInArgs(c storage.Client, list func([]string) any) []any {
	return []any{
		c.RequirePKCE, c.AllowPlainTextPKCE, c.RequireConsent, c.AllowRememberConsent, c.AllowOfflineAccess,
		c.AlwaysIncludeUserClaimsInIdToken, c.IdentityTokenLifetime.Milliseconds(), c.AuthorizationCodeLifetime.Milliseconds(),
		c.AbsoluteRefreshTokenLifetime.Milliseconds(), c.SlidingRefreshTokenLifetime.Milliseconds(), c.RefreshTokenUsage,
		c.RefreshTokenExpiration, c.ClientURI, c.LogoURI, list(c.AllowedIdentityTokenSigningAlgorithms),
		c.AccessTokenType, c.RequireMfa,
	}
}

// Placeholders are the parameters from the first to the first+n-1th in the
// dialect's form: "?3, ?4" (mark "?") or "$3, $4" (mark "$").
func Placeholders(mark string, first, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = mark + strconv.Itoa(first+i)
	}
	return strings.Join(ps, ", ")
}

// Assignments are "column = parameter" for each of columns, the parameters
// numbered from first as Placeholders does, for an UPDATE.
func Assignments(columns []string, mark string, first int) string {
	as := make([]string, len(columns))
	for i, col := range columns {
		as[i] = col + " = " + mark + strconv.Itoa(first+i)
	}
	return strings.Join(as, ", ")
}
