package grant

import (
	"context"
	"slices"
	"strings"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// RefreshToken is the refresh_token grant (RFC 6749 §6): a refresh token
// of the client traded for a new access token, an ID token when openid is
// in the scope (OpenID Connect Core §12.2; without nonce, with the
// sign-in's auth_time), and the refresh token to use next (a new one, or
// the same with refreshTokenUsage ReUse).
type RefreshToken signIn

// Type is refresh_token.
func (*RefreshToken) Type() string { return oauth.GrantRefreshToken }

// PublicClients is true: a public client's refresh tokens are bound to it
// by its client_id and rotated at each use (RFC 9700 §4.14.2).
func (*RefreshToken) PublicClients() bool { return true }

// Handle trades the refresh token.
func (g *RefreshToken) Handle(ctx context.Context, req *Request) (*oauth.TokenResponse, *oauth.Error) {
	c := req.Client
	var scopes []string
	for _, s := range strings.Fields(req.Scope) {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if req.Form.Get("refresh_token") == "" {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the refresh_token parameter is missing: send the refresh token the client received")
	}
	if !c.AllowOfflineAccess {
		// As IdentityServer: offline access is what lets a client refresh,
		// and a client that lost it keeps no refresh tokens' use. Checked
		// before the token is touched.
		return nil, oauth.Errorf(oauth.InvalidGrant, "client %q does not allow offline access (allowOfflineAccess: false), so its refresh tokens cannot be used", logattr.Cut(c.ID))
	}
	// A scope taken from the client since the user granted it is not
	// granted again: asked for, it is refused before the token is
	// touched; not asked for, it is left out below. (The refresh token
	// keeps what the user granted: given back, it is granted again.)
	allowed := func(s string) bool {
		if s == claims.OfflineAccess {
			return c.AllowOfflineAccess
		}
		return slices.Contains(c.Scopes, s)
	}
	for _, s := range scopes {
		if !allowed(s) {
			return nil, oauth.Errorf(oauth.InvalidScope, "scope %q is not allowed for client %q (its allowedScopes); refresh without it", logattr.Cut(s), logattr.Cut(c.ID))
		}
	}
	r, err := g.Tokens.Refresh(ctx, tokens.RefreshRequest{Handle: req.Form.Get("refresh_token"), ClientID: c.ID, Scopes: scopes, Policy: refreshPolicy(c)})
	if err != nil {
		return nil, grantError(err)
	}
	r.Scopes = slices.DeleteFunc(slices.Clone(r.Scopes), func(s string) bool { return !allowed(s) })
	if len(r.Scopes) == 0 {
		return nil, oauth.Errorf(oauth.InvalidGrant, "none of the scopes of this refresh token is allowed for client %q any more (its allowedScopes); sign the user in again", logattr.Cut(c.ID))
	}
	var oerr *oauth.Error
	if c.RequireMFA && !slices.Contains(r.AMR, "mfa") {
		// The client requires a second factor since this sign-in, which
		// had one: it ends here, family and all, and the user signs in
		// again with both.
		oerr = oauth.Errorf(oauth.InvalidGrant, "client %q requires two-step sign-in (requireMfa) and this refresh token comes from a sign-in with one factor; sign the user in again", logattr.Cut(c.ID))
	}
	var user storage.User
	if oerr == nil {
		user, oerr = (*signIn)(g).user(ctx, r.Subject)
	}
	if oerr != nil {
		// What the user granted no longer holds: the rest of the family
		// goes too (the handle just rotated into it included).
		if _, err := g.Tokens.Grants.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: r.FamilyID}); err != nil {
			oerr.Cause = err
		}
		return nil, oerr
	}
	resp, oerr := (*signIn)(g).issue(ctx, req, user, r.Authorization, "", r.Source())
	if oerr != nil {
		return nil, oerr
	}
	resp.RefreshToken = r.Handle
	return resp, nil
}

// allowsGrant reports whether client c may use grant type gt. A client
// that may use authorization_code and has allowOfflineAccess may use
// refresh_token without listing it: IdentityServer's clients never list
// refresh_token (its AllowedGrantTypes has no such value; offline access
// is what allows refreshing), and they paste in as they are.
func allowsGrant(grantTypes []string, allowOffline bool, gt string) bool {
	if slices.Contains(grantTypes, gt) {
		return true
	}
	return gt == oauth.GrantRefreshToken && allowOffline && slices.Contains(grantTypes, oauth.GrantAuthorizationCode)
}
