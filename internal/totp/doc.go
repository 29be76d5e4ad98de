// Package totp is the core of Signet's second factor: time-based one-time
// passwords (RFC 6238 over the HOTP of RFC 4226), the otpauth:// Key URI
// that authenticator apps scan, that URI as a QR code drawn here as a small
// SVG (no external service sees the secret), and one-time recovery codes.
//
// The parameters are the ones every authenticator app supports and most
// support only: HMAC-SHA1, 6 digits, 30-second steps, a 160-bit secret in
// base32 without padding. They are constants, not options, because an app
// that silently ignores a non-default parameter (several do) shows codes
// that never verify.
//
// A code is accepted once. Verify returns the time step it matched and
// refuses any step at or before the last one used, so the caller stores the
// returned step with the user and passes it back next time; a code seen by
// a shoulder-surfer or a phishing proxy cannot be replayed, even inside its
// 90-second window.
//
// Recovery codes are stored as salted SHA-256 hashes, not with a slow
// password hash: each code carries 50 random bits chosen by the machine, not
// a person, so there is no dictionary to try first, and a per-code salt
// means every guess costs a hash per stored code. Guessing one code offline
// from a stolen database is about 2^49 hashes on average, and all it yields
// is a second factor for an account whose password the attacker must also
// hold, taken from the same database that holds the TOTP secret. Online,
// the sign-in throttle bounds guesses to a handful.
//
// It imports nothing of Signet's: pages, storage and the CLI build on it.
package totp
