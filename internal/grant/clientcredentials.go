package grant

import (
	"context"
	"time"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/tokens"
)

// ClientCredentials is the client_credentials grant (RFC 6749 §4.4): a
// confidential client gets an access token for itself, with the scopes it
// asks for among its own (all of them when it asks for none), never an
// identity scope (GrantedScopes).
type ClientCredentials struct {
	Tokens *tokens.Service
	// IdentityResources returns the identity resources now, which the
	// grant never grants; nil (or a nil result) means the built-in ones.
	IdentityResources func() *claims.Resources
}

// Type is client_credentials.
func (*ClientCredentials) Type() string { return oauth.GrantClientCredentials }

// PublicClients is false: a client that cannot prove who it is gets no
// token in its own name (RFC 6749 §4.4).
func (*ClientCredentials) PublicClients() bool { return false }

// Handle issues the access token: a JWT, or a reference token for a
// client that uses them.
func (g *ClientCredentials) Handle(ctx context.Context, req *Request) (*oauth.TokenResponse, *oauth.Error) {
	rs := (&signIn{IdentityResources: g.IdentityResources}).resources()
	scopes, oerr := GrantedScopes(req.Client, req.Scope, func(name string) bool {
		_, ok := rs.Lookup(name)
		return ok
	})
	if oerr != nil {
		return nil, oerr
	}
	at, err := g.Tokens.IssueAccessToken(ctx, tokens.AccessTokenRequest{Issuer: req.Issuer, Client: req.Client, Scopes: scopes})
	if err != nil {
		return nil, oauth.AsError(err)
	}
	return &oauth.TokenResponse{AccessToken: at.Token(), TokenType: "Bearer", ExpiresIn: int64(at.Lifetime / time.Second), Scope: at.Scope,
		KeyID: at.KeyID, Alg: at.Alg}, nil
}
