// Package signin signs people in: the authorization endpoint
// (/connect/authorize), its callback, RP-Initiated Logout
// (/connect/endsession), and the pages between them (login, the second
// step, consent, logout confirmation, signed out, errors), with their
// stylesheet; and the account page (/account) of a signed-in user.
//
// # The flow
//
// /connect/authorize (GET or POST) parses and validates the request
// (internal/authorize). A request whose client or redirect URI cannot be
// trusted gets the error page (400), never a redirect; any other error goes
// to the client's redirect URI with error, error_description, state and iss
// (RFC 9207), as a 302 (response_mode query) or the form_post page. Then:
//
//   - Login is needed with no session (internal/session), when the client
//     requires a second factor (requireMfa) or acr_values asks for one
//     ("mfa", or the PAPE multi-factor URI) and the session's login had
//     none ("mfa" not in its amr: a step up), with prompt=login
//     or select_account (one account per session), with max_age=0 or a
//     session older than max_age, and when a valid id_token_hint names
//     another user than the one signed in (an invalid hint counts as
//     another user).
//   - Consent is needed with prompt=consent, or for a client with
//     requireConsent whose user has no remembered consent
//     (internal/consent) covering the requested scopes.
//   - prompt=none answers login_required or consent_required when either
//     is needed, else issues the code at once. So does any request that
//     needs neither.
//   - Otherwise the request is saved (authorize.Pending, 10 minutes) and
//     the browser goes to /account/login?id=ID (or /consent?id=ID when only
//     consent is needed). A successful login starts a new session (ending
//     the browser's previous one) and goes on, with a 303, to
//     /connect/authorize/callback?id=ID&login=PROOF. The callback sends
//     the browser to the consent page when consent is needed, else
//     completes the request (once) and answers the client with the code.
//     PROOF is an HMAC keyed with the new session's handle over the
//     request's id: it shows that the session was started by a login for
//     this request, so that prompt=login and max_age cannot be skipped by
//     opening the callback or the consent page with an older session.
//   - The consent form's Allow grants the required scopes (openid, and those
//     ScopeInfo.Required) and the optional ones left ticked, remembers them
//     when "remember my decision" is ticked (and the client has
//     allowRememberConsent), and answers the client; Deny (and the login
//     page's Cancel) answers access_denied.
//
// # The second step
//
// After a right password, a user with TOTP on gets no session yet: a
// storage.GrantLoginStep grant (5 minutes, used once) keeps the pending
// request id (or the local return URL), the user and the amr so far,
// under the SHA-256 of a 256-bit handle that the browser holds in the
// cookie signet.step; the browser goes to /account/login/mfa, which asks
// for the code of the authenticator app or a recovery code (six digits
// are a code, anything else is read as a recovery code). A code is
// checked and its time step written as the user's last, in one
// UpdateUser (users.Authenticator.SecondFactor) that refuses a step at or
// before the last one: each code is accepted once, even by two instances
// at once; a recovery code is removed in the same way. Wrong codes count
// toward the user's lockout of internal/users (a right password does not
// reset that count while the second factor is to come) and the address
// throttle, as wrong passwords do. Success finishes the sign-in with amr
// ["pwd", "otp", "mfa"], auth_time being then. A user without a second
// factor at a client that requires one (or asked for one by acr_values)
// sets up an app within the step, sees the recovery codes, and goes on.
// The same rule follows every first factor (afterFirstFactor: a password,
// a passkey, an external provider); a user disabled or removed meanwhile
// gets no session at the end of the step. Every sign-in, by any means,
// ends in signedIn.
//
// The ID token's acr is the first of acr_values the login satisfies
// ("mfa" and the PAPE URI need "mfa" in the amr; "sfa" any login), else
// "mfa" for a multi-factor login and "sfa" for the others; discovery's
// acr_values_supported lists the three.
//
// # The account page
//
// /account needs a session; without one the browser goes to the login
// page with returnUrl=/account and no pending request (a local login:
// only a clean path under /account, not the login or logout pages, is
// accepted as returnUrl, and the browser goes there after the sign-in).
// It shows the user's name, username and email; the second factor (set up
// an app: a QR code drawn here as inline SVG, the key as text and as the
// otpauth:// URI, a confirmation code, then ten recovery codes shown once
// and stored hashed; new recovery codes and turning it off each need a
// current code or a recovery code); passkeys and linked providers
// (passkeys_view.go, links_view.go); remembered consents, each revocable,
// which also deletes the client's refresh tokens, reference tokens and
// codes for the user (IdentityServer's grants page does the same: the
// application must ask again); and the user's active sessions (when, how,
// which clients), each of which can be signed out, or all but this one.
// Adding a way in — setting up an app (its start and its confirmation),
// registering a passkey (its options and its finish), starting to link a
// provider — needs a recent sign-in: the session's auth_time within
// RecentSignIn (10 minutes), so that a session left open, or stolen,
// cannot add the attacker's own way in that outlives it. Otherwise those
// sections show why and a "Sign in again" link to
// /account/login?returnUrl=/account (ReauthView: the login page, with
// the signed-in user's username filled in), whose sign-in, by any means
// and with its second step, starts a new session as every sign-in does; a form posted anyway gets the account page again (403) saying
// so. Removing (a passkey, a link, TOTP with a code), renaming and the
// rest of the page need only the session; the second step's setup within
// a sign-in is fresh by construction.
// TOTP keys are sealed (internal/sealed) under Options.SecretsKEK, bound
// to the user's id; without a key-encryption key the section says that
// the administrator must set keyEncryptionKey. The key being set up
// travels in the setup form, sealed under the same key for 15 minutes,
// so that nothing is stored before it is confirmed.
//
// # Issuing
//
// The code is issued by Options.Tokens with the client's
// authorizationCodeLifetime, for the session's subject, auth_time, amr and
// id (sid); the client is recorded in the session (for logout). The
// authorization endpoint sends no CORS headers.
//
// /connect/endsession (GET or POST, OpenID Connect RP-Initiated Logout 1.0)
// takes id_token_hint, client_id, post_logout_redirect_uri, state and
// ui_locales. The hint is verified by Options.VerifyIDTokenHint, whose
// contract is: check the signature (a key of the ring, published or
// retired recently) and the issuer, and NOT the expiry, which logout must
// accept; return the token's sub, aud (its one client id) and sid. This
// package then checks that aud is the client_id sent, if one was.
// post_logout_redirect_uri must be one of the client's
// postLogoutRedirectUris exactly, and is accepted only when a hint or
// client_id names the client; anything else is refused on the error page,
// never redirected. With a valid hint of the signed-in user (or nobody
// signed in), the session ends at once; otherwise the user confirms on the
// logout page (so that a link on any site cannot sign anyone out). The
// session is ended in storage, the cookie cleared, and the browser sent to
// post_logout_redirect_uri (with state) or /account/loggedout.
//
// # Forms and headers
//
// Every form of the pages (login, consent, logout) is a plain HTML form
// that works without JavaScript, POSTed to its own origin and protected
// twice against cross-site request forgery: net/http's
// CrossOriginProtection (Sec-Fetch-Site, Origin) and a token in a hidden
// field named token: the session's (Session.Token) for consent, logout and
// the account page, the pre-session cookie's (session.Manager.FormToken)
// for login and the second step.
// /connect/authorize and /connect/endsession are not protected so, since
// relying parties POST to them from their own origin. After a POST the
// browser is sent on with 303, never 307. Every page is sent with
// Content-Security-Policy "default-src 'none'; style-src 'self'; img-src
// 'self' https:; base-uri 'none'; frame-ancestors 'none'" (no script, no
// inline style; the form_post page has its own policy running its one
// script by hash), X-Content-Type-Options nosniff, Referrer-Policy
// no-referrer and Cache-Control no-store. The policy has no form-action,
// because browsers apply it to the redirect that follows the login and
// consent forms, which goes to the client.
//
// # Passkeys
//
// With Options.Passkeys (internal/passkey's Service) and an issuer whose
// host is a domain name (https, or http on localhost), the login page
// offers "Sign in with a passkey" and autofill (the username field's
// autocomplete="username webauthn", a conditional request started when
// the page loads), and the account page's Passkeys section lists, adds,
// renames and removes the user's passkeys. The ceremonies need
// navigator.credentials, so these two pages, and only they, load one
// script, /ui/passkey.js (embedded, versioned like the stylesheet), under
// "script-src 'self'; connect-src 'self'" added to the policy above;
// nothing inline. Without JavaScript or WebAuthn the passkey parts stay
// hidden and the forms work as before. The script posts forms with the
// pages' tokens (the login form's, or the session's for purpose
// "passkeys") to POST /account/login/passkey/options and
// /account/passkeys/register/options (JSON answers: the options, or
// {"error": message}; registering from a sign-in older than RecentSignIn
// answers 403 {"error": "reauthentication_required", "message", "signIn":
// the login page}, which the script shows with a "Sign in again" link), which keep the ceremony's challenge server-side and its
// 256-bit handle in the signet.webauthn cookie (Path /account, HttpOnly,
// SameSite Strict, 5 minutes, used once); the sign-in's answer is the
// login form sent to /account/login/passkey (the browser follows
// signedIn's redirect, or gets the login page with the refusal beside the
// passkey button), the registration's goes to
// /account/passkeys/register/finish. Rename and remove are plain forms
// (/account/passkeys/rename, /account/passkeys/remove). A passkey sign-in
// whose authenticator verified the user is amr [hwk|swk user mfa];
// without user verification it is one factor, and a user with TOTP (or an
// application requiring two factors) takes the second step as after a
// password. On an IP-address issuer the login page shows nothing of
// passkeys and the account page's section says why they are off.
// # External identity providers
//
// With Options.Federation, the login page shows a button per provider
// (login_providers.html), a link to /signin/<name>?id=ID (or
// ?returnUrl=... for a sign-in to the account pages). That route starts
// the upstream's sign-in (internal/upstream: PKCE, state, nonce) and keeps
// what the callback needs in a GrantUpstreamLogin grant (10 minutes, used
// once), keyed by the hash of the state and bound to the browser by a form
// token of its pre-session cookie (purpose "upstream"): a callback brought
// to another browser, or replayed, finds nothing and gets the "cannot be
// finished here" page. prompt=login and select_account, login_hint,
// max_age (and, for max_age=0, prompt=login) and, for Entra ID,
// Microsoft's domain_hint pass through; an upstream auth_time older than
// max_age is refused, since the session's auth_time is the callback's;
// acr_values idp:<name> sends the authorization request straight to the
// provider.
//
// /signin/<name>/callback finishes it (the upstream's checks, bounded by
// the provider's timeout, 10 s by default, so that a provider that is
// down shows "not answering" and holds up nothing else), then finds the
// local user by the (issuer, subject) link, never by email. Without one,
// a provider with autoProvision makes a user (no password; the standard
// claims and the provider's claimMappings; the email only when verified;
// for GitHub a verified primary email is required) and links it; else
// the "not known here" page. The session's amr is the upstream's values
// that RFC 8176 registers, else "external", and its idp the provider's
// name; a user with a second factor takes the second step unless the
// upstream's amr has mfa, as after a password. With saveTokens, the
// upstream's tokens are kept on the link, sealed by Federation.Seal.
//
// The account page's Linked providers section (account_links.html,
// LinksView) lists the user's links and posts to /account/links with the
// session's token (purpose "link"): action=link starts the same upstream
// sign-in for the signed-in user (from a recent sign-in only), whose
// callback links the account (one linked to another user is refused); action=unlink removes a link, but
// not the last one of a user without a password.
//
// # Login throttling
//
// Besides the per-user lockout of internal/users (stored: 5 failures in 15
// minutes lock the user out for 15 minutes), failed logins are counted per
// client address in memory: DefaultIPFailures (20) failures from one IPv4
// address or IPv6 /64 within DefaultIPWindow (15 minutes) refuse every login
// from it until the window ends, whatever the username. At most
// DefaultIPAddresses (10,000) addresses are remembered (about 1 MiB); when
// full, ended windows are dropped, then the oldest. The count is per
// instance. The address is the connection's unless Options.ClientIP says
// otherwise (behind a proxy).
//
// Options.RateLimits add token buckets (internal/ratelimit, per instance)
// on every login POST, failed or not: PerIP on the password, second-step
// and passkey POSTs per address, PerUser on the password POSTs per
// username (as the users store compares them: storage.NormalizeUsername)
// and the second step's per user. A POST over one gets its page again
// with 429, Retry-After and "Too many sign-in attempts", before the
// password is checked; one refused for its address does not spend the
// user's token.
//
// # Branding and templates
//
// Options.UI: ProductName (default "Signet"); Logo, an https URL used as
// it is or the path of an image file served at /ui/logo; Stylesheet, a CSS
// file served at /ui/custom.css after Signet's /ui/signet.css (whose
// colours are custom properties on :root, --accent, --bg, --card, ...,
// so a few lines rebrand it); TemplatesDir, a directory whose files
// replace the embedded templates of the same name. Stylesheets and the logo
// are linked with ?v=<hash of the content> and cached for a year, else
// revalidated by ETag.
//
// Templates are html/template. layout.html is the document; it executes
// {{template "main" .}}, which each page's file defines. The templates and
// their data:
//
//   - layout.html: every page's data; its Layout fields are ProductName,
//     Title, LogoURL and Stylesheets (URLs, Signet's first).
//   - login_providers.html: defines "login-providers", called by
//     login.html with the LoginView; its Providers ([]ProviderButton: Name,
//     Label, URL) are the buttons, none without providers.
//   - account_links.html: defines "account-links", called by account.html
//     with its Links (LinksView: Token, Action, Linked []LinkView with
//     Provider, Issuer, Subject, Created, LastUsed; Available []LinkOption
//     with Name, Label, Again; Reauth).
//   - account_reauth.html: defines "sign-in-again", called by the
//     sections that add a way in with their Reauth (ReauthView: URL and
//     Message; URL "" when the sign-in is recent and the form is shown).
//   - login.html: LoginView: ID and Token (hidden fields id and token),
//     ClientName, Username (login_hint or what was typed), Error,
//     LockedUntil (time.Time; zero unless locked out). Posts username,
//     password and decision (login or cancel) to /account/login. The func
//     clock formats a time as 15:04 UTC.
//   - consent.html: ConsentView: ID, Login, Token (hidden fields id, login,
//     token), ClientName, ClientURI and ClientLogo (https only, else ""),
//     IdentityScopes and APIScopes ([]ScopeView: Name, DisplayName,
//     Description, Required, Emphasize, Checked), AllowRemember, Error.
//     Posts scope (one per ticked optional scope), remember=on and
//     decision (allow or deny) to /consent.
//   - logout.html: LogoutView: Token, ClientID, PostLogoutRedirectURI,
//     State (hidden fields token, client_id, post_logout_redirect_uri,
//     state), ClientName. Posts to /account/logout.
//   - loggedout.html: LoggedOutView (the Layout only).
//   - error.html: ErrorView: Heading, Message, Detail (the technical
//     reason, for the application's developers; "" for none), RequestID.
//   - account.html: AccountView (Layout.Wide set): Token, Name, Username,
//     Email, Notice, Error, Consents ([]ConsentItem), Sessions
//     ([]SessionItem), OtherSessions, MFA (MFAView: Available,
//     Unavailable, On, RecoveryLeft, Reauth), Passkeys and Links,
//     which it hands to the templates account-passkeys and account-links
//     (account_passkeys.html, account_links.html). Its forms post token
//     and action (revoke-consent with client, end-session with session,
//     end-other-sessions, totp-begin, totp-disable and
//     recovery-regenerate with code) to /account. The func date formats
//     a time as "2 Jan 2006, 15:04 UTC".
//   - mfa.html: MFAStepView: Token, ClientName, Error, LockedUntil. Posts
//     token, code and action (verify or cancel) to /account/login/mfa.
//   - totp.html: TOTPSetupView: Action, Token, Pending (hidden fields
//     token and pending), QRCode (inline SVG), Secret, URI, Account,
//     Required (within a sign-in), Error. Posts code and
//     action=totp-confirm (or cancel) to Action.
//   - recovery.html: RecoveryView: Codes (nil once shown), Action and
//     Token (a form posting action=continue, within a sign-in; else a
//     link back to /account).
//   - login_passkey.html defines "login-passkey", which login.html calls
//     with its LoginView: Passkey.Enabled, Passkey.Error.
//   - account_passkeys.html defines "account-passkeys", which
//     account.html calls with its Passkeys (PasskeysView: Enabled, Off,
//     Token, MaxNameLen, Reauth, Items: ID, Name, Created, LastUsed,
//     CreatedText, LastUsedText, Synced, CloneWarning).
//
// It imports internal/authorize, session, users, consent, client, tokens
// (the Authorization a code carries), totp, sealed, opaque, endpoint,
// oauth, logattr and storage (its records; the narrow AccountStore is
// declared here); never internal/server, an adapter or another endpoint
// package.
// (the Authorization a code carries), endpoint, oauth, logattr, opaque,
// federation and upstream (the external providers), and observe (it
// reports logins, consents and logouts to an Observer); never
// internal/server, an adapter or another endpoint package.
package signin
