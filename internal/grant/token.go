package grant

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/signing"
)

// Signer signs tokens (signing.Ring).
type Signer interface {
	Sign(typ string, claims any) (string, *signing.Key, error)
}

// Resources maps scopes to the API resources that hold them.
type Resources struct {
	// Scopes are the known API scopes.
	Scopes []string
	// ByScope lists, per scope, the resources that hold it, in the order
	// of the configuration.
	ByScope map[string][]string
}

// audience is the aud of a token granting scopes: the resources that hold
// any of them, in order, without repeats. When none does, it is
// "<issuer>/resources", IdentityServer's static audience, so that a token
// always has an aud (RFC 9068 §2.2 requires one) that an API can expect.
func (r Resources) audience(issuer string, scopes []string) []string {
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

// Endpoint is the token endpoint.
type Endpoint struct {
	Clients    Clients
	Replay     ReplayCache
	RemoteKeys *RemoteKeys
	Signer     Signer
	// Resources returns the scopes and resources now (they may change
	// while the server runs, through the database).
	Resources func() Resources
	// Issuer returns the issuer for a request (configured, or derived from
	// the request).
	Issuer func(*http.Request) string
	Now    func() time.Time
	Logger *slog.Logger
	// TokenType is the typ header of access tokens; "" means at+jwt.
	TokenType string
	// StorageTimeout bounds how long a request waits for the database;
	// default 5 seconds.
	StorageTimeout time.Duration
	// IssuerConfigured is whether Issuer is the configured one rather than
	// derived from each request. Without it private_key_jwt is refused:
	// the request's Host (or X-Forwarded-Host) would choose the audience
	// an assertion is checked against.
	IssuerConfigured bool
	// StrictAssertionAudience accepts a client assertion only when its aud
	// is the issuer, as one string (draft-ietf-oauth-rfc7523bis); false
	// accepts the token endpoint's URL too, and arrays, except for
	// assertions typed client-authentication+jwt.
	StrictAssertionAudience bool
}

func (e *Endpoint) storageTimeout() time.Duration {
	if e.StorageTimeout > 0 {
		return e.StorageTimeout
	}
	return 5 * time.Second
}

// GrantTypes are the grant types this version implements.
var GrantTypes = []string{oauth.GrantClientCredentials}

func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, oerr := e.handle(r)
	if oerr != nil {
		switch oerr.Code {
		case oauth.ServerError:
			e.logError(r.Context(), slog.LevelError, oerr)
		case oauth.TemporarilyUnavailable:
			// The client hears only "retry later"; the cause (the
			// database's error) is for the operator.
			e.logError(r.Context(), slog.LevelWarn, oerr)
		}
		if oerr.Status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		oauth.WriteError(w, oerr)
		return
	}
	oauth.WriteJSON(w, http.StatusOK, resp)
}

func (e *Endpoint) logError(ctx context.Context, level slog.Level, err *oauth.Error) {
	if e.Logger != nil {
		e.Logger.LogAttrs(ctx, level, "token request failed", logattr.Text("error", err.Error()))
	}
}

func (e *Endpoint) handle(r *http.Request) (*oauth.TokenResponse, *oauth.Error) {
	req, oerr := ParseRequest(r)
	if oerr != nil {
		return nil, oerr
	}
	switch {
	case req.GrantType == "":
		return nil, oauth.Errorf(oauth.InvalidRequest, "grant_type is missing")
	case !slices.Contains(GrantTypes, req.GrantType):
		return nil, oauth.Errorf(oauth.UnsupportedGrantType, "grant_type %q is not supported; this server supports %s", logattr.Cut(req.GrantType), strings.Join(GrantTypes, ", "))
	}
	issuer := e.Issuer(r)
	client, method, oerr := e.authenticate(r.Context(), req, issuer)
	if oerr != nil {
		return nil, oerr
	}
	if !client.AllowsGrant(req.GrantType) {
		return nil, oauth.Errorf(oauth.UnauthorizedClient, "client %q may not use grant_type %s; its allowedGrantTypes are %s", logattr.Cut(client.ID), req.GrantType, strings.Join(client.GrantTypes, ", "))
	}
	scopes, oerr := grantedScopes(client, req.Scope)
	if oerr != nil {
		return nil, oerr
	}
	resp, oerr := e.issue(r.Context(), issuer, client, scopes)
	if oerr == nil && e.Logger != nil {
		e.Logger.LogAttrs(r.Context(), slog.LevelDebug, "token issued", logattr.String("client_id", client.ID),
			slog.String("grant_type", req.GrantType), slog.String("auth", method), logattr.Text("scope", resp.Scope))
	}
	return resp, oerr
}

// grantedScopes checks the requested scopes (RFC 6749 §3.3: space-delimited,
// case-sensitive) against the client's; none requested means all of them.
func grantedScopes(c *client.Client, requested string) ([]string, *oauth.Error) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		if len(c.Scopes) == 0 {
			return nil, oauth.Errorf(oauth.InvalidScope, "client %q has no allowed scopes, so there is nothing to grant", logattr.Cut(c.ID))
		}
		return c.Scopes, nil
	}
	// Duplicates are dropped in place: fields is ours, and out never
	// overtakes the scope being read.
	out := fields[:0]
	for _, s := range fields {
		if !slices.Contains(c.Scopes, s) {
			return nil, oauth.Errorf(oauth.InvalidScope, "scope %q is unknown or not allowed for client %q", logattr.Cut(s), logattr.Cut(c.ID))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
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

func (e *Endpoint) issue(ctx context.Context, issuer string, c *client.Client, scopes []string) (*oauth.TokenResponse, *oauth.Error) {
	now := e.now()
	lifetime := c.AccessTokenLifetime
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	claims := AccessTokenClaims{
		Issuer:    issuer,
		Audience:  e.Resources().audience(issuer, scopes),
		ClientID:  c.ID,
		Subject:   c.ID,
		Scope:     strings.Join(scopes, " "),
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		Expiry:    now.Add(lifetime).Unix(),
		ID:        newJTI(),
	}
	typ := e.TokenType
	if typ == "" {
		typ = "at+jwt"
	}
	var payload any = claims
	if len(c.Claims) > 0 {
		payload = withClientClaims{claims, c.Claims}
	}
	tok, _, err := e.Signer.Sign(typ, payload)
	if err != nil {
		return nil, oauth.AsError(err)
	}
	return &oauth.TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(lifetime / time.Second), Scope: claims.Scope}, nil
}

// withClientClaims is an access token's claims followed by the client's
// own (a JSON object encoded once, whose names the configuration checked
// against the token's).
type withClientClaims struct {
	AccessTokenClaims
	extra []byte
}

func (w withClientClaims) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(w.AccessTokenClaims)
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
