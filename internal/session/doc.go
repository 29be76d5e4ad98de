// Package session keeps the server-side sessions of people signed in to
// Signet with a browser (issue 14), and the cookie that refers to one.
//
// A session is a storage.Session record; the browser holds only a random
// handle of 256 bits in the cookie signet.session. The record's ID is the
// SHA-256 of the handle (base64url), so the store, its backups and its
// logs never see a handle, and a handle cannot be rebuilt from a record.
// Every sign-in makes a new handle (Manager.Start): a handle an attacker
// planted or learned before the sign-in is worth nothing after it.
//
// Lifetimes. A session ends when it has been idle for IdleLifetime
// (default 10 hours, sliding, like IdentityServer's cookie) or, however
// active, AbsoluteLifetime after it began (default 30 days). Sliding is
// done in the store, not in the cookie: Current moves the record's expiry
// forward only when more than a quarter of IdleLifetime has passed since
// the last move, so that most requests write nothing; a session used at
// least every three quarters of IdleLifetime never ends by idleness, and
// one left for IdleLifetime always does. The cookie itself is given the
// session's absolute end as its Max-Age, once, at Start: the store decides
// whether it is still alive, so no response needs a new Set-Cookie to keep
// it.
//
// The cookie is HttpOnly, host-only, Path=/, SameSite=Lax by default, and
// Secure unless the request's issuer is plain http (a browser refuses a
// Secure cookie from an http origin). SameSite=None, for relying parties
// on another site that POST to the authorization endpoint, is allowed only
// with Secure. Reading the cookie is strict: exactly one cookie of that
// name whose value is a handle in its one canonical form; anything else is
// no session, never an error.
//
// Forms. Signet's own forms carry a token against cross-site request
// forgery, besides the server's http.CrossOriginProtection. For a form
// shown within a session (consent, logout) it is Session.Token: an
// HMAC-SHA256 keyed with the session's handle over a purpose, so it
// differs per session and per form, needs no server key shared between
// instances, and cannot be made by anyone without the cookie (a reader of
// the store included). The login form is shown before any session exists;
// it uses the same token keyed with a pre-session handle in the cookie
// signet.csrf (Manager.FormToken, Manager.CheckFormToken), which the
// browser keeps for an hour after the form was last shown. It keeps
// nothing in the store, so anonymous page views write nothing. The
// authorization request's id could not serve instead: it is in the login
// page's URL, and anyone can make one, so it is no secret of the browser.
// A new sign-in makes a new handle, and so new tokens.
//
// The second step of a sign-in (a TOTP code after the password) keeps
// its handle in a third cookie, signet.step (SetStepCookie, StepHandle),
// for a few minutes; the record it names is the caller's.
//
// A Session's ID (the hash) may serve as the sid claim: it names the
// session without revealing its handle.
//
// It imports only the storage records and sentinels; the store it uses
// (Store) is declared here, where it is used. It never imports an endpoint
// package, internal/server or an adapter.
package session
