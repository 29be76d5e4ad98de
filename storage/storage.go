package storage

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxKeyLen is the longest key, in bytes, that a store accepts (client ids,
// jtis, and later handles and names). Longer values are refused with
// ErrInvalid, by every backend alike, so that a hostile client cannot fill the
// database with huge keys.
const MaxKeyLen = 512

// ReplayCache remembers which client-assertion ids (RFC 7523 jti) have been
// used, so that a private_key_jwt assertion is never accepted twice while it is
// valid, across restarts and across instances sharing one database.
//
// The private_key_jwt client authentication consumes it.
type ReplayCache interface {
	// UseOnce records that the assertion jti of clientID was used and must be
	// refused until expires (the assertion's exp). It returns an error wrapping
	// ErrAlreadyExists if the pair was recorded before with an expiry still in
	// the future. The check and the write are one atomic step: of several
	// concurrent calls with the same pair, across instances too, exactly one
	// succeeds.
	//
	// An expired record that cleanup has not removed yet does not block: UseOnce
	// succeeds and replaces its expiry. The same jti from another client is a
	// different pair. Values are compared exactly (case and spaces matter).
	//
	// An empty, over-long (MaxKeyLen), non-UTF-8 or NUL-containing clientID or
	// jti, or a zero expires, is refused with ErrInvalid.
	UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error
}

// Cleaner removes expired records. The Janitor runs it in the background.
type Cleaner interface {
	// DeleteExpired removes at most limit records, of any kind (replay
	// cache entries, grants, sessions, signing keys), whose expiry is at or
	// before now, and returns how many it removed. Callers repeat it until
	// it returns fewer than limit. It is safe to run from several instances
	// sharing one database at once: each record is removed once, and
	// records that are not expired are never removed. A limit below 1 is
	// refused with ErrInvalid.
	DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
}

// Pinger reports whether the store can serve requests (/readyz).
type Pinger interface {
	// Ping returns nil if the database is reachable and usable.
	Ping(ctx context.Context) error
}

// Store is what every backend implements: every role interface above, and
// Close. Close releases the store's resources; it is safe to call more than
// once, and every other method returns ErrClosed after it.
//
// Handlers and grants must not depend on Store: they declare the narrow
// interface they consume (ReplayCache, Pinger, ...), which Store satisfies.
// Store grows with each new record kind.
type Store interface {
	ReplayCache
	Clients
	Resources
	PersistedGrants
	Users
	UserLinks
	Passkeys
	ExternalProviders
	Sessions
	SigningKeys
	ConfigVersioner
	Cleaner
	Pinger
	io.Closer
}

// CheckKey returns an error wrapping ErrInvalid if value cannot be stored as a
// key: empty, longer than MaxKeyLen bytes, not valid UTF-8, or containing a NUL
// byte (PostgreSQL text refuses the last two, so every backend does). field
// names the value in the message. Adapters call it before touching the
// database.
func CheckKey(field, value string) error {
	if value == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalid, field)
	}
	return checkString(field, value, MaxKeyLen)
}

// checkString checks a key or free text: at most limit bytes, valid UTF-8
// without NUL bytes.
func checkString(field, value string, limit int) error {
	switch {
	case len(value) > limit:
		return fmt.Errorf("%w: %s is %d bytes, over the limit of %d", ErrInvalid, field, len(value), limit)
	case !utf8.ValidString(value):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	case strings.IndexByte(value, 0) >= 0:
		return fmt.Errorf("%w: %s contains a NUL byte", ErrInvalid, field)
	}
	return nil
}

// CheckUseOnce checks the arguments of ReplayCache.UseOnce, so that every
// backend refuses the same values with the same message.
func CheckUseOnce(clientID, jti string, expires time.Time) error {
	if err := CheckKey("client id", clientID); err != nil {
		return err
	}
	if err := CheckKey("jti", jti); err != nil {
		return err
	}
	if expires.IsZero() {
		return fmt.Errorf("%w: jti expiry is the zero time", ErrInvalid)
	}
	return nil
}

// CheckLimit checks the limit of Cleaner.DeleteExpired.
func CheckLimit(limit int) error {
	if limit < 1 {
		return fmt.Errorf("%w: delete limit %d is not positive", ErrInvalid, limit)
	}
	return nil
}
