// Package users owns what is true of people who sign in, whatever the page
// or command that asks: their passwords (argon2id hashes in the PHC string
// format), the bound on how many of those costly hashes run at once, and
// authentication with its lockout.
//
// Passwords are hashed with argon2id at OWASP's minimum or more (19 MiB, 2
// passes, 1 lane by default), the parameters stored in each hash so that
// they can be raised: a hash made with weaker ones is upgraded at the next
// successful login. A hash read from storage is parsed strictly and its
// parameters bounded, so that a tampered row cannot make one login use
// gigabytes or minutes. A Hasher computes at most a fixed number of hashes
// at once (GOMAXPROCS by default): memory stays at that number times the
// memory of a hash, and a storm of logins waits in line, each as long as
// its context allows.
//
// Authentication never tells an unknown username from a wrong password, in
// its error or its time (an unknown user is verified against a dummy
// hash), and refuses disabled and locked-out users the same way to the
// caller, the reason going only to the log. Failed logins and lockouts are
// stored with the user, in one transaction per attempt (storage.Users'
// UpdateUser), so that they hold across instances and concurrent failures
// all count; a success is one such write too, which records the time of
// the sign-in (LastLogin) with the reset of the count and any rehash.
//
// A second factor (SecondFactor) is checked in one UpdateUser too, by a
// check the caller gives (a TOTP step written as the last used, a recovery
// code removed): wrong ones count toward the same lockout, and a right
// password does not reset the count of a user whose second factor is
// still to come, so that knowing the password does not buy endless
// guesses at the code.
//
// It has no HTTP, no CLI and no configuration: the login page and `signet
// user` use it. It imports storage (its records; the narrow interface it
// uses is its own Users, which storage.Store satisfies) and nothing else of
// Signet's; it must not import an adapter or an endpoint.
package users
