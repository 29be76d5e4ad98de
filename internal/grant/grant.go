package grant

import (
	"context"
	"slices"
	"strings"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
)

// Grant is one grant type of the token endpoint. The endpoint has done the
// shared steps when it calls Handle: the request is parsed, the client
// authenticated and allowed the grant type (and confidential, unless
// PublicClients).
type Grant interface {
	// Type is the grant_type it handles.
	Type() string
	// PublicClients reports whether a public client (authenticated by its
	// client_id alone) may use it.
	PublicClients() bool
	// Handle issues the tokens of req, or returns the OAuth error to
	// answer.
	Handle(ctx context.Context, req *Request) (*oauth.TokenResponse, *oauth.Error)
}

// builtin makes the grants this version implements, issuing through
// o.Tokens; one line per grant type. (Zero Options make them for their
// Type alone.)
func builtin(o Options) []Grant {
	return []Grant{
		&ClientCredentials{Tokens: o.Tokens, IdentityResources: o.IdentityResources},
		&AuthorizationCode{Tokens: o.Tokens, Users: o.Users, IdentityResources: o.IdentityResources},
		&RefreshToken{Tokens: o.Tokens, Users: o.Users, IdentityResources: o.IdentityResources},
	}
}

// GrantTypes are the grant types this version implements, those of its
// grants.
var GrantTypes = types(builtin(Options{}))

func types(grants []Grant) []string {
	out := make([]string, len(grants))
	for i, g := range grants {
		out[i] = g.Type()
	}
	return out
}

// GrantedScopes checks the requested scopes (RFC 6749 §3.3:
// space-delimited, case-sensitive) against the client's, for a token in
// the client's own name (client_credentials); none requested means all of
// them. identity reports whether a scope is an identity scope (openid,
// profile, offline_access, a custom identity resource): those are about a
// signed-in user, so they are never granted here, whatever the client's
// allowed scopes (it may also sign users in), asked for (invalid_scope) or
// not (left out of the default). identity nil means the built-in ones.
func GrantedScopes(c *client.Client, requested string, identity func(string) bool) ([]string, *oauth.Error) {
	if identity == nil {
		identity = builtinIdentity
	}
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		var out []string
		for _, s := range c.Scopes {
			if !identity(s) {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, oauth.Errorf(oauth.InvalidScope, "client %q has no allowed API scopes (identity scopes such as openid are granted only with a user's sign-in, not with client_credentials), so there is nothing to grant", logattr.Cut(c.ID))
		}
		return out, nil
	}
	// Duplicates are dropped in place: fields is ours, and out never
	// overtakes the scope being read.
	out := fields[:0]
	for _, s := range fields {
		if identity(s) {
			return nil, oauth.Errorf(oauth.InvalidScope, "scope %q is an identity scope, granted only when a user signs in (authorization_code), never with client_credentials; ask for API scopes only", logattr.Cut(s))
		}
		if !slices.Contains(c.Scopes, s) {
			return nil, oauth.Errorf(oauth.InvalidScope, "scope %q is unknown or not allowed for client %q", logattr.Cut(s), logattr.Cut(c.ID))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// builtinIdentity reports whether name is a built-in identity scope.
func builtinIdentity(name string) bool {
	_, ok := builtinResources.Lookup(name)
	return ok
}
