// Package welcome serves the welcome page at /: what this server is (its
// issuer, version, the endpoints mounted, the keys it publishes, never
// private material) and, in development, how to get a token and how to sign
// in as the development user.
//
// In development mode with a sign-in (Development.SignIn), it also serves
// CallbackPath (/dev/callback), the development client's redirect URI: a
// page that shows the authorization code (or error) it received and the
// curl that exchanges it, with the PKCE code_verifier of the sign-in URL
// serve printed; and its stylesheet, a file so that the page's
// Content-Security-Policy allows no inline style. Neither exists otherwise.
//
// It imports internal/endpoint and internal/signing (for the key type of
// its Keys interface), never the server or another endpoint: the endpoints
// it lists are those the mounted packages described.
package welcome
