package users

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/signetid/signet/storage"
)

// Users is what an Authenticator needs of storage; storage.Store has it.
type Users interface {
	// FindUserByUsername finds the user whose username matches as
	// storage.NormalizeUsername compares them.
	FindUserByUsername(ctx context.Context, username string) (storage.User, error)
	// UpdateUser changes a user in one transaction, so that failures
	// counted by several instances at once all count.
	UpdateUser(ctx context.Context, id string, update func(*storage.User) error) error
}

// The default lockout policy, as issue 14 documents it: at most
// DefaultMaxFailures failed sign-ins within DefaultFailureWindow, then
// DefaultLockout during which every password is refused.
const (
	DefaultMaxFailures   = 5
	DefaultFailureWindow = 15 * time.Minute
	DefaultLockout       = 15 * time.Minute
)

// Options are an Authenticator's lockout policy and log; the zero value is
// the default policy.
type Options struct {
	// MaxFailures failed sign-ins within FailureWindow lock the user out;
	// DefaultMaxFailures (5) if zero. The window starts at the first
	// failure counted, and a failure after it starts a new one.
	MaxFailures int
	// FailureWindow is DefaultFailureWindow (15 minutes) if zero.
	FailureWindow time.Duration
	// Lockout is how long a locked-out user is refused whatever the
	// password; DefaultLockout (15 minutes) if zero. It is not extended by
	// attempts during it.
	Lockout time.Duration
	// Logger gets why a sign-in failed (no such user, wrong password,
	// disabled, locked out), which the caller's error never says; none if
	// nil. It never gets a password, nor a username that matched no user
	// (people type passwords into the username field).
	Logger *slog.Logger
}

// ErrInvalidCredentials is the one error for a sign-in with a username no
// user has, a wrong password, a disabled user, or a user without a
// password, so that the caller cannot tell them apart. Its message is fit
// to show.
var ErrInvalidCredentials = errors.New("the username or the password is not right")

// ErrLockedOut is matched (errors.Is) by a LockedOutError.
var ErrLockedOut = errors.New("too many failed sign-ins")

// LockedOutError refuses a sign-in, whatever the password, until Until.
type LockedOutError struct {
	Until time.Time
}

func (e *LockedOutError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again after %s", e.Until.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLockedOut) true.
func (e *LockedOutError) Is(target error) bool { return target == ErrLockedOut }

// Authenticator signs users in with a username and a password, counting
// failures and locking users out in storage.
type Authenticator struct {
	users  Users
	hasher *Hasher
	opts   Options
	log    *slog.Logger
	// dummy is verified for a username that matched no user, so that the
	// answer takes as long as for a wrong password.
	dummy Hashed
	// phantoms lock out the usernames that have no stored count, so that
	// they answer as a real user's do.
	phantoms *phantoms
}

// NewAuthenticator returns an Authenticator over users that verifies
// passwords with hasher; an error for a negative option.
func NewAuthenticator(users Users, hasher *Hasher, opts Options) (*Authenticator, error) {
	if opts.MaxFailures < 0 || opts.FailureWindow < 0 || opts.Lockout < 0 {
		return nil, fmt.Errorf("lockout policy: max failures %d, window %v and lockout %v must not be negative",
			opts.MaxFailures, opts.FailureWindow, opts.Lockout)
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = DefaultMaxFailures
	}
	if opts.FailureWindow == 0 {
		opts.FailureWindow = DefaultFailureWindow
	}
	if opts.Lockout == 0 {
		opts.Lockout = DefaultLockout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The dummy's salt and key are random bytes, not the hash of anything:
	// verifying a password against it costs one hash as a real user's
	// does, and matches nothing, without computing a hash here (19 MiB and
	// tens of milliseconds at every start, kept in the RSS of a server that
	// may never sign anyone in).
	salt, key := make([]byte, saltLen), make([]byte, keyLen)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(key)
	return &Authenticator{
		users: users, hasher: hasher, opts: opts, log: log,
		dummy:    Hashed{Params: hasher.params, Salt: salt, Key: key},
		phantoms: newPhantoms(opts, defaultPhantoms),
	}, nil
}

// Authenticate returns the user whose username and password these are, at
// now. It fails with ErrInvalidCredentials for a username no user has, a
// wrong password, a disabled user and a user without a password alike, in
// about the time of one password verification each (the log says which);
// with a *LockedOutError (ErrLockedOut) during a lockout, the right
// password included, and on the failure that starts one; and with another
// error when storage fails or ctx is done.
//
// A username no user has, a disabled user and a user without a password
// are locked out alike after the same failures, counted in memory per
// instance (nothing is stored for them), so that the lockout does not
// tell which usernames exist.
//
// A failure counts toward the lockout; a success records now as the
// user's LastLogin, resets the count, and, with a hash made with weaker
// parameters than the Hasher's, stores a new hash. Each is one UpdateUser
// (one write per sign-in, whatever it changes), so that instances sharing
// a database share the count. The user returned on success is as stored
// by that write.
func (a *Authenticator) Authenticate(ctx context.Context, username, password string, now time.Time) (storage.User, error) {
	u, err := a.users.FindUserByUsername(ctx, username)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalid) {
		// Locked out and counted like a real user (phantoms), or the
		// lockout message would tell which usernames exist.
		if until := a.phantoms.locked(username, now); !until.IsZero() {
			a.log.InfoContext(ctx, "sign-in refused: no such user, locked out like one")
			return storage.User{}, &LockedOutError{Until: until}
		}
		if _, _, err := a.hasher.verify(ctx, a.dummy, password); err != nil {
			return storage.User{}, err
		}
		a.log.InfoContext(ctx, "sign-in failed: no such user")
		return storage.User{}, a.phantomFail(username, now)
	}
	if err != nil {
		return storage.User{}, fmt.Errorf("find the user: %w", err)
	}
	if u.LockedUntil.After(now) {
		a.log.InfoContext(ctx, "sign-in refused: locked out", slog.String("user", u.ID), slog.Time("until", u.LockedUntil))
		return storage.User{}, &LockedOutError{Until: u.LockedUntil}
	}
	countless := u.PasswordHash == "" || u.Disabled
	if until := a.phantoms.locked(username, now); countless && !until.IsZero() {
		a.log.InfoContext(ctx, "sign-in refused: locked out (uncounted user)", slog.String("user", u.ID))
		return storage.User{}, &LockedOutError{Until: until}
	}

	hashed, parseErr := Parse(u.PasswordHash)
	if parseErr != nil {
		hashed = a.dummy
	}
	ok, rehash, err := a.hasher.verify(ctx, hashed, password)
	if err != nil {
		return storage.User{}, err
	}
	switch {
	case u.PasswordHash == "":
		a.log.InfoContext(ctx, "sign-in failed: the user has no password", slog.String("user", u.ID))
		return storage.User{}, a.phantomFail(username, now)
	case parseErr != nil:
		a.log.ErrorContext(ctx, "sign-in failed: the stored password hash is not valid; set a new password",
			slog.String("user", u.ID), slog.String("error", parseErr.Error()))
		return storage.User{}, a.fail(ctx, u.ID, now)
	case u.Disabled:
		a.log.InfoContext(ctx, "sign-in failed: the user is disabled", slog.String("user", u.ID))
		return storage.User{}, a.phantomFail(username, now)
	case !ok:
		return storage.User{}, a.fail(ctx, u.ID, now)
	}
	return a.succeed(ctx, u, password, rehash, now)
}

// fail counts a wrong password, and locks the user out at the limit.
func (a *Authenticator) fail(ctx context.Context, id string, now time.Time) error {
	var lockedUntil time.Time
	var count int
	err := a.users.UpdateUser(ctx, id, func(u *storage.User) error {
		lockedUntil, count = time.Time{}, 0
		if u.LockedUntil.After(now) {
			// Locked by a concurrent failure since we read the user.
			lockedUntil = u.LockedUntil
			return errUnchanged
		}
		if !u.LockedUntil.IsZero() || u.FailedSince.IsZero() || !now.Before(u.FailedSince.Add(a.opts.FailureWindow)) {
			// A lockout that has ended, no failures, or a window that
			// has: a new window starts.
			u.FailedLogins, u.FailedSince, u.LockedUntil = 0, now, time.Time{}
		}
		u.FailedLogins++
		count = u.FailedLogins
		if u.FailedLogins >= a.opts.MaxFailures {
			u.LockedUntil = now.Add(a.opts.Lockout)
			lockedUntil = u.LockedUntil
		}
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
	case errors.Is(err, storage.ErrNotFound):
		// Removed since we read it: as if it had never been.
		a.log.InfoContext(ctx, "sign-in failed: no such user")
		return ErrInvalidCredentials
	case err != nil:
		return fmt.Errorf("count a failed sign-in: %w", err)
	}
	if !lockedUntil.IsZero() {
		a.log.InfoContext(ctx, "sign-in failed: wrong password; locked out", slog.String("user", id), slog.Time("until", lockedUntil))
		return &LockedOutError{Until: lockedUntil}
	}
	a.log.InfoContext(ctx, "sign-in failed: wrong password", slog.String("user", id), slog.Int("failures", count))
	return ErrInvalidCredentials
}

// phantomFail counts a failure of a username without a stored count
// (phantoms): ErrInvalidCredentials, or the lockout it starts.
func (a *Authenticator) phantomFail(username string, now time.Time) error {
	if until := a.phantoms.fail(username, now); !until.IsZero() {
		return &LockedOutError{Until: until}
	}
	return ErrInvalidCredentials
}

// errUnchanged ends an update that has nothing to write.
var errUnchanged = errors.New("unchanged")

// succeed records the sign-in (LastLogin), resets the failure count and
// upgrades a weak hash, in one UpdateUser, unless a concurrent failure
// locked the user out, or the user was disabled or given a new password,
// since the user was read. Recording LastLogin makes every success write
// once; everything else a success changes goes into that same write, so
// that it never costs two.
func (a *Authenticator) succeed(ctx context.Context, u storage.User, password string, rehash bool, now time.Time) (storage.User, error) {
	var upgraded string
	if rehash {
		h, err := a.hasher.Hash(ctx, password)
		if err != nil {
			return storage.User{}, err
		}
		upgraded = h
	}
	verified := u.PasswordHash
	var refusal error
	err := a.users.UpdateUser(ctx, u.ID, func(v *storage.User) error {
		refusal = nil
		switch {
		case v.LockedUntil.After(now):
			refusal = &LockedOutError{Until: v.LockedUntil}
			return errUnchanged
		case v.PasswordHash != verified || v.Disabled:
			refusal = ErrInvalidCredentials
			return errUnchanged
		}
		if len(v.TOTPSecret) == 0 {
			// A user with a second factor has not signed in yet: the
			// count goes on until SecondFactor succeeds, or a right
			// password would let wrong codes be tried without end.
			v.FailedLogins, v.FailedSince, v.LockedUntil = 0, time.Time{}, time.Time{}
		}
		// To the millisecond, as the store keeps it, so that the user
		// returned is the user stored.
		v.LastLogin = now.Truncate(time.Millisecond).UTC()
		if upgraded != "" {
			v.PasswordHash = upgraded
		}
		u = *v
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		a.log.InfoContext(ctx, "sign-in failed: the user changed during it (locked out, disabled or a new password)",
			slog.String("user", u.ID))
		return storage.User{}, refusal
	case errors.Is(err, storage.ErrNotFound):
		a.log.InfoContext(ctx, "sign-in failed: the user was removed during it", slog.String("user", u.ID))
		return storage.User{}, ErrInvalidCredentials
	case err != nil:
		return storage.User{}, fmt.Errorf("record a sign-in: %w", err)
	}
	a.log.InfoContext(ctx, "signed in", slog.String("user", u.ID), slog.Bool("rehashed", upgraded != ""))
	return u, nil
}

// ErrWrongFactor is what a SecondFactor check returns for a wrong second
// factor (a code that is not the user's): counted as a failed sign-in.
var ErrWrongFactor = errors.New("the code is not right")

// SecondFactor checks the second factor of user id at now, after a right
// password, in one UpdateUser: check gets the stored user and returns nil
// for a right factor, having changed the user as it needs (the TOTP step
// used, a recovery code removed); a success resets the failure count as a
// password does for a user without a second factor. A check that returns
// ErrWrongFactor (wrapped or not) writes nothing; the failure is counted
// as a wrong password is, toward the same lockout, and SecondFactor
// returns the check's error or a *LockedOutError. Any other error of check
// (a malformed code, a code used already) is returned as it is, uncounted.
// A locked-out user gets a *LockedOutError without check being called, a
// disabled or removed one ErrInvalidCredentials.
func (a *Authenticator) SecondFactor(ctx context.Context, id string, now time.Time, check func(*storage.User) error) (storage.User, error) {
	var out storage.User
	var refusal error
	err := a.users.UpdateUser(ctx, id, func(u *storage.User) error {
		refusal = nil
		switch {
		case u.LockedUntil.After(now):
			refusal = &LockedOutError{Until: u.LockedUntil}
			return errUnchanged
		case u.Disabled:
			refusal = ErrInvalidCredentials
			return errUnchanged
		}
		if err := check(u); err != nil {
			refusal = err
			return errUnchanged
		}
		u.FailedLogins, u.FailedSince, u.LockedUntil = 0, time.Time{}, time.Time{}
		u.LastLogin = now.Truncate(time.Millisecond).UTC()
		out = *u
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
	case errors.Is(err, storage.ErrNotFound):
		return storage.User{}, ErrInvalidCredentials
	case err != nil:
		return storage.User{}, fmt.Errorf("check the second factor: %w", err)
	default:
		a.log.InfoContext(ctx, "second factor accepted", slog.String("user", id))
		return out, nil
	}
	if !errors.Is(refusal, ErrWrongFactor) {
		a.log.InfoContext(ctx, "second factor refused", slog.String("user", id), slog.String("reason", refusal.Error()))
		return storage.User{}, refusal
	}
	switch err := a.fail(ctx, id, now); {
	case errors.Is(err, ErrLockedOut):
		return storage.User{}, err
	case errors.Is(err, ErrInvalidCredentials):
		return storage.User{}, refusal
	default:
		return storage.User{}, err
	}
}
