package authorize

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/pkce"
)

// grantAuthorizationCode is the grant type a client must be allowed to use
// this endpoint.
const grantAuthorizationCode = "authorization_code"

// scopeOfflineAccess asks for refresh tokens; a client is allowed it by
// AllowOfflineAccess rather than by its scopes, as in IdentityServer.
const scopeOfflineAccess = "offline_access"

// Clients finds clients; client.Static and the catalog satisfy it.
type Clients interface {
	// Client returns the enabled client id, or an error wrapping
	// client.ErrUnknown.
	Client(ctx context.Context, id string) (*client.Client, error)
}

// Validator checks authorization requests against the clients.
type Validator struct {
	Clients Clients
	// KnownScope reports whether a scope exists (an API scope or an
	// identity resource). nil takes every scope a client is allowed as
	// known.
	KnownScope func(name string) bool
}

// RedirectError is an error for the client, sent to its redirect URI as
// Response says.
type RedirectError struct {
	Err      *oauth.Error
	Response *Response
}

func (e *RedirectError) Error() string { return e.Err.Error() }
func (e *RedirectError) Unwrap() error { return e.Err }

// Validate checks req, parsed by Parse, for the issuer issuer. On success
// it fills in req's Client, RedirectURI, RedirectURISent, Scopes and
// OpenID, and returns nil. Otherwise it returns a *PageError when the
// client or the redirect URI is wrong (missing, unknown, not registered),
// and a *RedirectError for anything else.
func (v *Validator) Validate(ctx context.Context, issuer string, req *Request) error {
	if slices.Contains(req.repeated, "client_id") {
		return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "parameter \"client_id\" is repeated; each parameter may be sent once (RFC 6749 section 3.1)")
	}
	if req.ClientID == "" {
		return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "the request has no client_id: the application that sent you here is misconfigured")
	}
	c, err := v.Clients.Client(ctx, req.ClientID)
	if err != nil {
		if errors.Is(err, client.ErrUnknown) {
			return &PageError{Err: &oauth.Error{Code: oauth.InvalidClient, Status: http.StatusBadRequest, Cause: err,
				Description: "client_id " + quote(req.ClientID) + " is not a client of this server: the application that sent you here is misconfigured"}}
		}
		return &PageError{Err: oauth.AsError(err)}
	}
	if perr := checkRedirectURI(c, req); perr != nil {
		return perr
	}
	req.Client = c

	fail := func(e *oauth.Error) error {
		return &RedirectError{Err: e, Response: req.ErrorResponse(issuer, e)}
	}
	if req.Problem != nil {
		return fail(req.Problem)
	}
	if !c.AllowsGrant(grantAuthorizationCode) {
		return fail(&oauth.Error{Code: oauth.UnauthorizedClient, Status: http.StatusBadRequest,
			Description: "client " + quote(c.ID) + " is not allowed the authorization_code grant type"})
	}
	scopes, oerr := v.scopes(c, req.Scope)
	if oerr != nil {
		return fail(oerr)
	}
	if oerr := checkPKCE(c, req); oerr != nil {
		return fail(oerr)
	}
	req.Scopes = scopes
	req.OpenID = slices.Contains(scopes, "openid")
	return nil
}

// checkRedirectURI finds the redirect URI to answer at, or says why there
// is none: a URI that is not the client's is never answered at.
func checkRedirectURI(c *client.Client, req *Request) *PageError {
	if slices.Contains(req.repeated, "redirect_uri") {
		return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "parameter \"redirect_uri\" is repeated; each parameter may be sent once (RFC 6749 section 3.1)")
	}
	if len(c.RedirectURIs) == 0 {
		return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "client %s has no redirect URI registered, so it cannot sign users in: its administrator must add its redirectUris", quote(c.ID))
	}
	if req.RedirectURI == "" {
		// OAuth 2.0 lets a client with one redirect URI leave it out (RFC
		// 6749 §3.1.2.3); OpenID Connect does not (Core §3.1.2.1:
		// REQUIRED), and a certified provider refuses such a request.
		if slices.Contains(strings.Fields(req.Scope), "openid") {
			return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "the request has no redirect_uri, which an OpenID Connect request (scope openid) must send (OpenID Connect Core section 3.1.2.1): the application that sent you here must add it")
		}
		if len(c.RedirectURIs) > 1 {
			return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "the request has no redirect_uri, and client %s has more than one: the application that sent you here must say which", quote(c.ID))
		}
		req.RedirectURI = c.RedirectURIs[0]
		return nil
	}
	if strings.Contains(req.RedirectURI, "#") {
		return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "redirect_uri %s has a fragment, which a redirect URI must not have (RFC 6749 section 3.1.2)", quote(req.RedirectURI))
	}
	if !matchRedirectURI(c.RedirectURIs, req.RedirectURI) {
		return pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "redirect_uri %s is not registered for client %s: the application that sent you here is misconfigured (redirect URIs are compared exactly)", quote(req.RedirectURI), quote(c.ID))
	}
	req.RedirectURISent = true
	return nil
}

// loopbacks are the prefixes of the loopback redirect URIs that match on
// any port: RFC 8252 §7.3's IP literals, and localhost, which it does not
// recommend but IdentityServer accepts.
var loopbacks = []string{"http://127.0.0.1", "http://[::1]", "http://localhost"}

// matchRedirectURI reports whether uri is one of registered, byte for byte
// (no case folding, no normalization, no wildcards), except that a
// registered loopback one matches with any port or none (RFC 8252 §7.3).
func matchRedirectURI(registered []string, uri string) bool {
	if slices.Contains(registered, uri) {
		return true
	}
	for _, prefix := range loopbacks {
		rest, ok := strings.CutPrefix(uri, prefix)
		if !ok {
			continue
		}
		rest, ok = cutPort(rest)
		if !ok {
			return false
		}
		for _, r := range registered {
			if rr, ok := strings.CutPrefix(r, prefix); ok {
				if rr, ok = cutPort(rr); ok && rr == rest {
					return true
				}
			}
		}
		return false
	}
	return false
}

// cutPort removes an optional ":port" from the start of what follows a
// loopback host, and reports whether the rest is a path, a query or
// nothing: so that the host ends there (127.0.0.1.example.com, or
// 127.0.0.1:80@example.com, is another host).
func cutPort(s string) (string, bool) {
	if p, ok := strings.CutPrefix(s, ":"); ok {
		n := 0
		port := 0
		for n < len(p) && n < 5 && '0' <= p[n] && p[n] <= '9' {
			port = port*10 + int(p[n]-'0')
			n++
		}
		if n == 0 || port > 65535 {
			return "", false
		}
		s = p[n:]
	}
	if s != "" && s[0] != '/' && s[0] != '?' {
		return "", false
	}
	return s, true
}

// scopes checks the requested scopes: at least one, each allowed to the
// client and known. openid is not required: without it the request is
// plain OAuth 2.0.
func (v *Validator) scopes(c *client.Client, requested string) ([]string, *oauth.Error) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		// RFC 6749 §3.3 lets a server fail a request without scope; a
		// default would put every scope of the client on the consent page.
		return nil, oauth.Errorf(oauth.InvalidScope, "the request has no scope; ask for openid (and profile, email, ...) to sign a user in, and for the API scopes the application needs")
	}
	out := fields[:0]
	for _, s := range fields {
		if err := oauth.CheckScopeToken(s); err != nil {
			return nil, oauth.Errorf(oauth.InvalidScope, "%s", logattr.Cut(err.Error()))
		}
		switch {
		case s == scopeOfflineAccess:
			if !c.AllowOfflineAccess {
				return nil, oauth.Errorf(oauth.InvalidScope, "client %s may not ask for offline_access (refresh tokens): its allowOfflineAccess is false", quote(c.ID))
			}
		case !slices.Contains(c.Scopes, s) || v.KnownScope != nil && !v.KnownScope(s):
			return nil, oauth.Errorf(oauth.InvalidScope, "scope %s is unknown or not allowed for client %s", quote(s), quote(c.ID))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// checkPKCE applies the client's PKCE settings (RFC 7636 §4.4.1); Parse
// has checked the challenge's syntax and method name.
func checkPKCE(c *client.Client, req *Request) *oauth.Error {
	if req.CodeChallenge == "" {
		if c.RequirePKCE || c.Public {
			return oauth.Errorf(oauth.InvalidRequest, "client %s must use PKCE: send code_challenge and code_challenge_method=S256 (RFC 7636)", quote(c.ID))
		}
		return nil
	}
	// A challenge without a method is plain (RFC 7636 §4.3).
	if req.CodeChallengeMethod != MethodS256 && !c.AllowPlainTextPKCE {
		return oauth.Errorf(oauth.InvalidRequest, "client %s must use code_challenge_method S256; plain is not allowed for it (RFC 7636 section 4.2)", quote(c.ID))
	}
	// The token endpoint verifies with the same rules (pkce.Verify): an
	// S256 challenge is the 43-character base64url of a SHA-256.
	if err := pkce.CheckChallenge(req.CodeChallenge, req.CodeChallengeMethod, c.AllowPlainTextPKCE); err != nil {
		return oauth.Errorf(oauth.InvalidRequest, "%v", err)
	}
	return nil
}

// quote quotes a value from the request for a description, Go-style (so
// that control characters show as escapes), cut to 200 bytes.
func quote(s string) string {
	const max = 200
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
