// Package tokens issues the tokens the endpoints hand out: JWT access
// tokens today (RFC 9068), and next reference tokens, ID tokens and
// refresh handles. It builds their claims (the audience from the API
// resources that hold the granted scopes, the client's own claims, a
// fresh jti) and signs them with the algorithm each kind of token uses.
// ClaimsSupported is the list discovery publishes, kept here beside the
// claims it names.
//
// It imports internal/signing (through the Signer interface, which
// signing.Ring satisfies) and internal/client, and knows nothing of HTTP
// or of how a client authenticated.
package tokens
