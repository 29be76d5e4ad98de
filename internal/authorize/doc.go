// Package authorize reads and checks an authorization request of
// /connect/authorize (RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1,
// RFC 7636 for PKCE), and builds the responses that go back to the client.
//
// It owns four things:
//
//   - Parse: the GET query or POST form, size-bounded, each known
//     parameter at most once, unknown parameters ignored, into a Request
//     whose values are typed (prompt, max_age, display, claims). Problems
//     that do not depend on the client (a repeated parameter, a response
//     type other than code, request or request_uri, an unknown prompt) are
//     kept in the Request, because whether they may be sent to the client
//     is known only once the client and its redirect URI are.
//   - Validator.Validate: the client (known, enabled, allowed
//     authorization_code), the redirect URI (registered, exact, a loopback
//     one on any port as RFC 8252 §7.3 says), the scopes, PKCE. Its errors
//     are of two types: a PageError is shown on Signet's error page and
//     never redirects (the client or the redirect URI cannot be trusted:
//     RFC 6749 §4.1.2.1, no open redirect); a RedirectError carries the
//     Response that tells the client at its redirect URI.
//   - Response: an authorization response (an error, later a code) with
//     state and iss (RFC 9207), as a redirect URL (response_mode query)
//     or as the auto-submitting HTML form of form_post, with the
//     Content-Security-Policy that lets that form's one constant script run
//     (by its hash: no nonce, no unsafe-inline).
//   - Pending: the interaction contract with the login and consent pages.
//     A validated request is saved as a short-lived
//     storage.GrantAuthorizationRequest grant under the hash of a random
//     256-bit id (internal/opaque); the pages Load it by that id, and the
//     endpoint Completes it once when it resumes.
//
// It writes no HTTP response. The endpoint that mounts it (to come) adds
// the rest: the route and its discovery metadata, rendering a PageError on
// the error page and a Response as a 302 or a form_post page (with
// FormPostCSP instead of the pages' usual policy), no CORS headers, the
// session and max_age, prompt=none's login_required and consent_required,
// id_token_hint, and issuing the code.
//
// It imports internal/client, internal/oauth, internal/logattr,
// internal/opaque and storage (a narrow PendingStore); never
// internal/server, a storage adapter or another endpoint package.
package authorize
