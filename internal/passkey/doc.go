// Package passkey is Signet's relying party for WebAuthn (passkeys),
// wrapping github.com/go-webauthn/webauthn with Signet's rules: the relying
// party id is the issuer's host and the origin the issuer's origin, per
// request (an issuer whose host is an IP address has no passkeys, since
// WebAuthn needs a domain name); the user handle is the SHA-256 of the
// user's id (never the username or email); a ceremony's challenge is kept
// server-side in a webauthn_ceremony persisted grant keyed by the hash of a
// 256-bit handle that the browser holds in a cookie, used once and
// short-lived; and the signature counter rule of WebAuthn §6.1.1 / §7.2
// step 17 refuses a sign-in whose counter did not move forward, flagging
// the passkey (CloneWarning).
//
// It knows nothing of HTTP: internal/signin serves the ceremonies' pages
// and keeps the handle's cookie. It imports storage (through the narrow
// Store declared here) and internal/opaque only.
package passkey
