package grant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// Users finds the users tokens are issued to (storage.Users satisfies it).
type Users interface {
	// GetUser returns a user; storage.ErrNotFound if there is none.
	GetUser(ctx context.Context, id string) (storage.User, error)
}

var _ Users = (storage.Users)(nil)

// algorithms is what a signer tells of the algorithms it signs with
// (signing.Ring), so that an ID token is signed with the first of the
// client's algorithms it can; a signer without it signs ID tokens with
// tokens.DefaultIDTokenAlg unless the client chose one.
type algorithms interface {
	SigningAlgorithms() []string
}

// signIn is what the two sign-in grants share: the services that issue a
// user's tokens.
type signIn struct {
	Tokens *tokens.Service
	Users  Users
	// IdentityResources returns the identity resources now; nil (or a nil
	// result) means the built-in ones.
	IdentityResources func() *claims.Resources
}

// AuthorizationCode is the authorization_code grant (RFC 6749 §4.1.3,
// OpenID Connect Core §3.1.3): the code the authorization endpoint issued
// (tokens.Service.IssueCode), redeemed once for an access token, an ID
// token when openid was granted, and a refresh token when offline_access
// was and the client allows offline access.
type AuthorizationCode signIn

// Type is authorization_code.
func (*AuthorizationCode) Type() string { return oauth.GrantAuthorizationCode }

// PublicClients is true: apps in browsers and on devices use this grant
// with PKCE instead of a secret (RFC 7636, RFC 8252).
func (*AuthorizationCode) PublicClients() bool { return true }

// Handle redeems the code and issues the tokens.
func (g *AuthorizationCode) Handle(ctx context.Context, req *Request) (*oauth.TokenResponse, *oauth.Error) {
	c := req.Client
	if req.Form.Get("code") == "" {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the code parameter is missing: send the authorization code the client received at its redirect URI")
	}
	code, err := g.Tokens.RedeemCode(ctx, tokens.CodeRedemption{
		Code: req.Form.Get("code"), ClientID: c.ID, RedirectURI: req.Form.Get("redirect_uri"),
		Verifier: req.Form.Get("code_verifier"), AllowPlainPKCE: c.AllowPlainTextPKCE,
	})
	if err != nil {
		return nil, grantError(err)
	}
	if c.Public && code.CodeChallenge == "" {
		// The authorization endpoint holds public clients to PKCE; a code
		// without it (issued before the client became public) is refused
		// here too, since nothing else proves who redeems it.
		return nil, oauth.Errorf(oauth.InvalidGrant, "client %q is a public client and the authorization code was issued without PKCE (code_challenge); sign in again with PKCE", logattr.Cut(c.ID))
	}
	user, oerr := (*signIn)(g).codeUser(ctx, c, code)
	if oerr != nil {
		return nil, oerr
	}
	resp, oerr := (*signIn)(g).issue(ctx, req, user, code.Authorization, code.Nonce, code.Source())
	if oerr != nil {
		return nil, oerr
	}
	if slices.Contains(code.Scopes, claims.OfflineAccess) && c.AllowOfflineAccess {
		resp.RefreshToken, err = g.Tokens.IssueCodeRefresh(ctx, code, refreshPolicy(c))
		if err != nil {
			return nil, grantError(err)
		}
	}
	return resp, nil
}

// grantError is the OAuth error of a refused code or refresh token:
// invalid_grant with tokens' description (invalid_scope for a widened
// refresh scope); anything else is the server's failure.
func grantError(err error) *oauth.Error {
	var ge *tokens.GrantError
	if !errors.As(err, &ge) {
		return oauth.AsError(err)
	}
	code := oauth.InvalidGrant
	if errors.Is(err, tokens.ErrScopeWidened) {
		code = oauth.InvalidScope
	}
	return &oauth.Error{Code: code, Description: ge.Description, Status: 400, Cause: err}
}

// user returns the user a code or refresh token was issued to, refusing
// one removed or disabled since (invalid_grant: the grant no longer
// holds).
func (g *signIn) user(ctx context.Context, id string) (storage.User, *oauth.Error) {
	if g.Users == nil {
		return storage.User{}, oauth.AsError(errors.New("the token endpoint has no user store (grant.Options.Users)"))
	}
	u, err := g.Users.GetUser(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return storage.User{}, errUserGone()
	case err != nil:
		return storage.User{}, oauth.AsError(fmt.Errorf("read the user: %w", err))
	case u.Disabled:
		return storage.User{}, errUserDisabled()
	}
	return u, nil
}

// codeUser returns the user a redeemed code was issued to, refusing one
// removed or disabled since, as user does. The code's consumption read the
// user's state (RedeemedCode.User), so the user is read again only when
// the ID token carries the user's claims.
func (g *signIn) codeUser(ctx context.Context, c *client.Client, code tokens.RedeemedCode) (storage.User, *oauth.Error) {
	switch {
	case c.AlwaysIncludeUserClaimsInIdToken && slices.Contains(code.Scopes, claims.OpenID):
		return g.user(ctx, code.Subject)
	case code.User == storage.UserMissing:
		return storage.User{}, errUserGone()
	case code.User == storage.UserDisabled:
		return storage.User{}, errUserDisabled()
	}
	return storage.User{ID: code.Subject}, nil
}

// The refusals of a grant whose user no longer holds (new each time: a
// caller may annotate its error).
func errUserGone() *oauth.Error {
	return oauth.Errorf(oauth.InvalidGrant, "the user this grant was issued to no longer exists")
}

func errUserDisabled() *oauth.Error {
	return oauth.Errorf(oauth.InvalidGrant, "the user this grant was issued to is disabled")
}

// issue issues the access token of a (a JWT, or a reference token in
// from's family for a client that uses them), and an ID token when openid
// is in its scopes: with nonce when the code carried one (never at
// refresh), at_hash of the access token returned, the user's claims when
// the client always wants them.
func (g *signIn) issue(ctx context.Context, req *Request, user storage.User, a tokens.Authorization, nonce string, from tokens.Source) (*oauth.TokenResponse, *oauth.Error) {
	c := req.Client
	at, err := g.Tokens.IssueAccessToken(ctx, tokens.AccessTokenRequest{Issuer: req.Issuer, Client: c, Subject: user.ID, Scopes: a.Scopes, AuthTime: a.AuthTime,
		SessionID: a.SessionID, AMR: a.AMR, From: from})
	if err != nil {
		return nil, grantError(err)
	}
	resp := &oauth.TokenResponse{AccessToken: at.Token(), TokenType: "Bearer", ExpiresIn: int64(at.Lifetime / time.Second), Scope: at.Scope,
		Subject: user.ID, KeyID: at.KeyID, Alg: at.Alg}
	if !slices.Contains(a.Scopes, claims.OpenID) {
		return resp, nil
	}
	idr := tokens.IDTokenRequest{
		Issuer: req.Issuer, ClientID: c.ID, Subject: user.ID, AuthTime: a.AuthTime, Nonce: nonce,
		SessionID: a.SessionID, AMR: a.AMR, ACR: a.ACR, AccessToken: at.Token(), Alg: g.idTokenAlg(c),
		Lifetime: c.IdentityTokenLifetime,
	}
	if c.AlwaysIncludeUserClaimsInIdToken {
		if idr.UserClaims, err = g.resources().IDToken(user, a.Scopes); err != nil {
			return nil, oauth.AsError(fmt.Errorf("the claims of user %s: %w", user.ID, err))
		}
	}
	if resp.IDToken, err = g.Tokens.IDToken(ctx, idr); err != nil {
		return nil, oauth.AsError(err)
	}
	return resp, nil
}

// idTokenAlg is the first of the client's ID token algorithms the signer
// signs with; "" (RS256, OpenID Connect's default) when it chose none or
// none of its can be used.
func (g *signIn) idTokenAlg(c *client.Client) string {
	if len(c.IdentityTokenSigningAlgorithms) == 0 {
		return ""
	}
	s, ok := g.Tokens.Signer.(algorithms)
	if !ok {
		return c.IdentityTokenSigningAlgorithms[0]
	}
	have := s.SigningAlgorithms()
	for _, alg := range c.IdentityTokenSigningAlgorithms {
		if slices.Contains(have, alg) {
			return alg
		}
	}
	return ""
}

var builtinResources = func() *claims.Resources {
	rs, err := claims.New(nil)
	if err != nil {
		panic(err) // the built-in resources are constants
	}
	return rs
}()

func (g *signIn) resources() *claims.Resources {
	if g.IdentityResources != nil {
		if rs := g.IdentityResources(); rs != nil {
			return rs
		}
	}
	return builtinResources
}

// refreshPolicy is the client's refresh token settings.
func refreshPolicy(c *client.Client) tokens.RefreshPolicy {
	p := tokens.RefreshPolicy{
		Usage: tokens.OneTimeOnly, Expiration: tokens.Absolute,
		AbsoluteLifetime: c.AbsoluteRefreshTokenLifetime, SlidingLifetime: c.SlidingRefreshTokenLifetime,
	}
	if c.RefreshTokenReUse {
		p.Usage = tokens.ReUse
	}
	if c.RefreshTokenSliding {
		p.Expiration = tokens.Sliding
	}
	return p
}
