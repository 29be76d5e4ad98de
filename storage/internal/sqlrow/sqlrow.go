package sqlrow

import (
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

// UserColumns are the columns of users that User reads, in its order.
const UserColumns = `id, username, password_hash, email, email_verified, name, claims, disabled,
	failed_logins, locked_until, created_at, updated_at`

// User reads a row of UserColumns.
func User(row Row) (storage.User, error) {
	var u storage.User
	var locked *int64
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Email, &u.EmailVerified, &u.Name, &u.Claims, &u.Disabled,
		&u.FailedLogins, &locked, &created, &updated); err != nil {
		return storage.User{}, err
	}
	u.Claims = Bytes(u.Claims)
	u.LockedUntil = Time(locked)
	u.Created = Time(&created)
	u.Updated = Time(&updated)
	return u, nil
}

// GrantColumns are the columns of grants that Grant reads, in its order.
const GrantColumns = `key, type, subject, client_id, session_id, family_id, created_at, expires_at, consumed_at, data`

// Grant reads a row of GrantColumns.
func Grant(row Row) (storage.PersistedGrant, error) {
	var g storage.PersistedGrant
	var created int64
	var expires, consumed *int64
	if err := row.Scan(&g.Key, &g.Type, &g.Subject, &g.ClientID, &g.SessionID, &g.FamilyID, &created, &expires, &consumed, &g.Data); err != nil {
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
