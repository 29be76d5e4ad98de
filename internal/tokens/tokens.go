package tokens

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/signing"
)

// Signer signs JWTs (signing.Ring).
type Signer interface {
	// SignWith signs claims with the current key of alg ("" for the
	// default algorithm), with the typ header given.
	SignWith(alg, typ string, claims any) (string, *signing.Key, error)
}

var _ Signer = (*signing.Ring)(nil)

// ContextSigner is a Signer told the context of the request a token is
// for (a tracing wrapper, whose span of the signature is the request's
// child). The Service uses it when its Signer is one.
type ContextSigner interface {
	SignWithContext(ctx context.Context, alg, typ string, claims any) (string, *signing.Key, error)
}

// sign signs with s.Signer, giving it ctx if it takes one.
func (s *Service) sign(ctx context.Context, alg, typ string, claims any) (string, *signing.Key, error) {
	if cs, ok := s.Signer.(ContextSigner); ok {
		return cs.SignWithContext(ctx, alg, typ, claims)
	}
	return s.Signer.SignWith(alg, typ, claims)
}

// ClaimsSupported are the claims Signet's tokens carry, as discovery
// publishes them (claims_supported). A client's own claims are its own,
// and not listed.
var ClaimsSupported = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "auth_time", "nonce", "sid", "amr", "acr", "at_hash"}

// Resources maps scopes to the API resources that hold them.
type Resources struct {
	// Scopes are the known API scopes.
	Scopes []string
	// ByScope lists, per scope, the resources that hold it, in the order
	// of the configuration.
	ByScope map[string][]string
}

// Audience is the aud of a token granting scopes: the resources that hold
// any of them, in order, without repeats. When none does, it is
// "<issuer>/resources", IdentityServer's static audience, so that a token
// always has an aud (RFC 9068 §2.2 requires one) that an API can expect.
func (r Resources) Audience(issuer string, scopes []string) []string {
	// The common case, one scope held by one resource, shares the
	// snapshot's slice (capped, so that no append can write into it).
	if len(scopes) == 1 {
		if res := r.ByScope[scopes[0]]; len(res) == 1 {
			return res[:1:1]
		}
	}
	var aud []string
	for _, s := range scopes {
		for _, res := range r.ByScope[s] {
			if !slices.Contains(aud, res) {
				aud = append(aud, res)
			}
		}
	}
	if len(aud) == 0 {
		aud = []string{strings.TrimSuffix(issuer, "/") + "/resources"}
	}
	return aud
}

// Service issues tokens. Its fields are read on each token and must not
// change while it serves.
type Service struct {
	Signer Signer
	// Resources returns the scopes and resources now (they may change
	// while the server runs, through the database).
	Resources func() Resources
	Now       func() time.Time
	// AccessTokenType is the typ header of access tokens; "" means at+jwt
	// (RFC 9068 §2.1); JWT for validators that refuse at+jwt.
	AccessTokenType string
	// AccessTokenAlg is the algorithm access tokens are signed with; ""
	// means the signer's default.
	AccessTokenAlg string
	// Grants keeps authorization codes and refresh handles; only the
	// methods that issue or redeem them use it.
	Grants GrantStore
}

// DefaultAccessTokenLifetime is an access token's lifetime when its client
// sets none.
const DefaultAccessTokenLifetime = time.Hour

// AccessTokenRequest is what an access token is for.
type AccessTokenRequest struct {
	// Issuer is the request's issuer (iss).
	Issuer string
	// Client is the client the token is issued to (client_id, lifetime,
	// its own claims).
	Client *client.Client
	// Subject is sub; "" means the client itself (client_credentials).
	Subject string
	// Scopes are the granted scopes, checked by the grant.
	Scopes []string
	// AuthTime is when the user signed in, for a token issued to a user
	// (RFC 9068 §2.2.1 allows auth_time); zero for a client's own token.
	// It is what tells a user's token from a client_credentials one whose
	// client_id happens to look like a user id: userinfo serves only
	// tokens that carry it.
	AuthTime time.Time

	// What only a reference token keeps (a JWT carries none of it):
	// SessionID, the sign-in session (its record's SessionID, which
	// revocation by session filters on); AMR, how the user signed in
	// (amr among its claims); From, the code or refresh token it is
	// issued from (RedeemedCode.Source, Refreshed.Source; zero for
	// client_credentials), whose family it joins.
	SessionID string
	AMR       []string
	From      Source
}

// AccessToken is an issued access token: a JWT, or a reference token's
// handle (Token returns whichever it is).
type AccessToken struct {
	// JWT is the signed token; "" for a reference token.
	JWT string
	// Handle is a reference token's handle; "" for a JWT.
	Handle string
	// Lifetime is how long it is valid (expires_in).
	Lifetime time.Duration
	// Scope is the granted scopes, space-separated, as in the token.
	Scope string
	// KeyID and Alg are the signing key's kid and algorithm, for the audit
	// log; "" for a reference token.
	KeyID, Alg string
}

// Token is the access token to return: the JWT or the handle.
func (t AccessToken) Token() string {
	if t.Handle != "" {
		return t.Handle
	}
	return t.JWT
}

// AccessTokenClaims are the claims of a JWT access token (RFC 9068 §2.2).
type AccessTokenClaims struct {
	Issuer    string   `json:"iss"`
	Audience  audience `json:"aud"`
	ClientID  string   `json:"client_id"`
	Subject   string   `json:"sub"`
	Scope     string   `json:"scope"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	Expiry    int64    `json:"exp"`
	ID        string   `json:"jti"`
	AuthTime  int64    `json:"auth_time,omitempty"`
}

// audience is a string when it has one value, as IdentityServer and most
// validators expect, and an array otherwise (RFC 7519 §4.1.3).
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// IssueAccessToken issues the access token req's client uses: a JWT
// (AccessToken), or a reference token when the client's ReferenceTokens
// says so (ReferenceToken). A JWT costs no store work.
func (s *Service) IssueAccessToken(ctx context.Context, req AccessTokenRequest) (AccessToken, error) {
	if req.Client.ReferenceTokens {
		return s.ReferenceToken(ctx, req)
	}
	return s.AccessToken(ctx, req)
}

// AccessToken issues a JWT access token for req, whatever the client's
// access token type (IssueAccessToken heeds it).
func (s *Service) AccessToken(ctx context.Context, req AccessTokenRequest) (AccessToken, error) {
	claims, lifetime := s.accessClaims(req)
	typ := s.AccessTokenType
	if typ == "" {
		typ = "at+jwt"
	}
	var payload any = claims
	if c := req.Client; len(c.Claims) > 0 {
		payload = withExtra[AccessTokenClaims]{claims, c.Claims}
	}
	tok, k, err := s.sign(ctx, s.AccessTokenAlg, typ, payload)
	if err != nil {
		return AccessToken{}, fmt.Errorf("sign the access token: %w", err)
	}
	return AccessToken{JWT: tok, Lifetime: lifetime, Scope: claims.Scope, KeyID: k.ID, Alg: k.Algorithm}, nil
}

// accessClaims are the claims of an access token for req, issued now, and
// its lifetime.
func (s *Service) accessClaims(req AccessTokenRequest) (AccessTokenClaims, time.Duration) {
	now := s.now()
	c := req.Client
	lifetime := c.AccessTokenLifetime
	if lifetime <= 0 {
		lifetime = DefaultAccessTokenLifetime
	}
	sub := req.Subject
	if sub == "" {
		sub = c.ID
	}
	claims := AccessTokenClaims{
		Issuer:    req.Issuer,
		Audience:  s.Resources().Audience(req.Issuer, req.Scopes),
		ClientID:  c.ID,
		Subject:   sub,
		Scope:     strings.Join(req.Scopes, " "),
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		Expiry:    now.Add(lifetime).Unix(),
		ID:        newJTI(),
	}
	if !req.AuthTime.IsZero() {
		claims.AuthTime = req.AuthTime.Unix()
	}
	return claims, lifetime
}

// withExtra is a token's claims followed by more members: extra is a JSON
// object encoded once, the client's claims in an access token or the
// user's in an ID token, whose names were checked against the token's.
type withExtra[T any] struct {
	claims T
	extra  []byte
}

func (w withExtra[T]) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(w.claims)
	if err != nil || len(w.extra) <= 2 {
		return b, err
	}
	b = append(b[:len(b)-1], ',')
	return append(b, w.extra[1:]...), nil
}

func newJTI() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
