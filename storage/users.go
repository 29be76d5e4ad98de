package storage

import (
	"context"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// User is a person who signs in with a username and password (issue 14).
// Unlike clients and resources, users change at run time (a failed login, a
// lockout, a new password): their writes do not change the ConfigVersion.
//
// Claims come back byte for byte as written.
type User struct {
	// ID is the subject (sub) of the user's tokens: made by the caller,
	// stable, never reused for another person.
	ID string
	// Username is what the user types to sign in, kept as given. It is
	// unique and matched case-insensitively: the store keeps its
	// NormalizeUsername form beside it, and two usernames with the same form
	// cannot both exist.
	Username string
	// PasswordHash is an argon2id PHC string ($argon2id$v=19$...) made by
	// the caller, never a password; "" for a user without a password (one
	// who signs in with another identity provider only).
	PasswordHash string
	Email        string
	// EmailVerified is the email_verified claim.
	EmailVerified bool
	// Name is the name claim: the user's full name, shown to people.
	Name string
	// Claims are the user's other claims: one JSON object, kept byte for
	// byte; empty for none.
	Claims []byte
	// Disabled users cannot sign in; their sessions and grants stay until
	// the caller removes them.
	Disabled bool
	// FailedLogins counts failed sign-ins, FailedSince (zero for none) is
	// when the first of them happened, so that the caller counts failures
	// within a window of time, and LockedUntil, zero for never, is when a
	// lockout ends: the caller decides all three, in UpdateUser
	// (internal/users does).
	FailedLogins int
	FailedSince  time.Time
	LockedUntil  time.Time
	// LastLogin is when the user last signed in successfully, zero for
	// never: the caller sets it (internal/users does, in the UpdateUser
	// that records a sign-in), and the store keeps it to the millisecond
	// like the other times; an update that does not set it keeps it.
	LastLogin time.Time
	// TOTPSecret is the user's authenticator-app key (internal/totp),
	// sealed by the caller under the key-encryption key: the store keeps
	// it as given. Empty for a user without TOTP.
	TOTPSecret []byte
	// TOTPLastStep is the last TOTP time step accepted, 0 for none: a code
	// is accepted once, so a sign-in that accepts step n writes it here in
	// the UpdateUser that checked it was below n.
	TOTPLastStep int64
	// RecoveryCodes are the hashes of the user's unused one-time recovery
	// codes (internal/totp), in the order issued; a used one is removed.
	RecoveryCodes []string
	// Created and Updated are set by the store.
	Created, Updated time.Time
}

// NormalizeUsername is the form in which usernames are compared: Unicode
// compatibility caseless matching (Unicode 3.13, D146: NFD, case folding,
// NFKD, case folding, NFKD), recomposed in NFKC, so that usernames are
// "compared case-insensitively after Unicode NFKC" (issue 14). "Alice",
// "ALICE", "alice" and the full-width "ＡＬＩＣＥ" are one username, as are
// "Straße" and "STRASSE", "ﬁnn" (a ligature) and "FINN", and an "é" typed
// precomposed or as "e" and a combining accent. Compatibility also makes
// "alice²" and "alice2" one username: a person cannot tell them apart at a
// glance, so they must not name two people. Spaces and other characters are
// kept as they are: the caller decides which usernames it accepts.
//
// Stored rows keep this form beside the username (the memory store computes
// it); a change of this function would need a migration that recomputes it.
func NormalizeUsername(username string) string {
	folded := cases.Fold().String(norm.NFD.String(username))
	folded = cases.Fold().String(norm.NFKD.String(folded))
	return norm.NFKC.String(folded)
}

// Users keeps users, by id.
//
// Every method checks its arguments first (CheckKey, CheckUser, ...) and
// refuses bad ones with ErrInvalid. Writes do not change the ConfigVersion.
type Users interface {
	// CreateUser adds a user (checked by CheckUser); ErrAlreadyExists if
	// its id is taken, or its username is (as NormalizeUsername compares
	// them). The store sets Created and Updated to the time of the write,
	// ignoring the values given.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns a user; ErrNotFound if there is none.
	GetUser(ctx context.Context, id string) (User, error)
	// FindUserByUsername returns the user whose username is username as
	// NormalizeUsername compares them; ErrNotFound if there is none.
	FindUserByUsername(ctx context.Context, username string) (User, error)
	// ListUsers returns at most limit users (1 to MaxPageLen) whose id is
	// after after ("" for the first page), by id in byte order. The next
	// page starts after the last id returned; a page shorter than limit is
	// the last.
	ListUsers(ctx context.Context, after string, limit int) ([]User, error)
	// UpdateUser reads the user, lets update change it, and writes it back,
	// all in one transaction, as UpdateClient does: concurrent updates (two
	// failed logins at once) do not lose each other's changes; when update
	// returns an error nothing is written and that error is returned;
	// update may be called more than once and must not have other effects.
	// The id cannot change (ErrInvalid, CheckSameKey); the username can, to
	// one no other user has (ErrAlreadyExists otherwise). The result is
	// checked as on create. The store keeps Created and sets Updated.
	// ErrNotFound if there is no such user.
	UpdateUser(ctx context.Context, id string, update func(*User) error) error
	// DeleteUser removes a user, with its links (UserLinks) and passkeys
	// (Passkeys), which mean nothing without it; ErrNotFound if there is
	// none. The user's sessions and grants are the caller's to remove
	// (DeleteSessions, DeleteGrants by subject).
	DeleteUser(ctx context.Context, id string) error
}

// Session is a signed-in browser: what the session cookie stands for
// (issue 14). Unlike grants, sessions change (a sliding expiry, a client
// signing in through it); like them, they expire and DeleteExpired removes
// them, and their writes do not change the ConfigVersion.
//
// Every time is the caller's, to the millisecond as everywhere; lists come
// back in the order written.
type Session struct {
	// ID is a hash of the cookie's handle, made by the caller, as a grant's
	// Key is: the store never sees the handle.
	ID string
	// Subject is the signed-in user's ID.
	Subject string
	// AuthTime is when the user last authenticated (the auth_time claim,
	// what max_age and prompt=login compare with).
	AuthTime time.Time
	// AMR are the authentication methods used (the amr claim: "pwd", "otp",
	// ...), in order.
	AMR []string
	// IdP is the identity provider the user signed in with; "" for this
	// server's own users.
	IdP string
	// Clients are the ids of the clients signed in through the session, in
	// the order they did: those to notify at logout (front- and
	// back-channel).
	Clients []string
	// Created is when the session began; kept by UpdateSession.
	Created time.Time
	// Expires is when the session ends (sliding: UpdateSession moves it).
	Expires time.Time
}

// Sessions keeps sessions, by the hash of their cookie's handle. A session
// expired at now (Expires at or before now) does not exist for GetSession,
// UpdateSession and ListSessions; a zero now is refused with ErrInvalid.
//
// Every method checks its arguments first (CheckKey, CheckSession, ...) and
// refuses bad ones with ErrInvalid. Writes do not change the ConfigVersion.
type Sessions interface {
	// CreateSession stores a session (checked by CheckSession);
	// ErrAlreadyExists if its id is taken, even by an expired session not
	// yet removed.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns a session that has not expired at now;
	// ErrNotFound otherwise.
	GetSession(ctx context.Context, id string, now time.Time) (Session, error)
	// UpdateSession reads a session that has not expired at now, lets
	// update change it, and writes it back, all in one transaction, as
	// UpdateClient does: a sliding expiry, a client added, a new AuthTime
	// after prompt=login. The id and the Subject cannot change (ErrInvalid:
	// another user signing in gets a new session, so that a session id
	// known before sign-in is worth nothing after it); Created is kept
	// whatever update sets. The result is checked as on create.
	// ErrNotFound if there is no such session or it has expired.
	UpdateSession(ctx context.Context, id string, now time.Time, update func(*Session) error) error
	// DeleteSession removes a session (logout); ErrNotFound if there is
	// none.
	DeleteSession(ctx context.Context, id string) error
	// ListSessions returns the subject's sessions that have not expired at
	// now, oldest first (by Created, then by id in byte order).
	ListSessions(ctx context.Context, subject string, now time.Time) ([]Session, error)
	// DeleteSessions removes every session of subject, expired ones not yet
	// removed included (a user signed out everywhere, disabled or
	// deleted), and returns how many.
	DeleteSessions(ctx context.Context, subject string) (int, error)
}
