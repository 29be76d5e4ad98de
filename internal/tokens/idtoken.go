package tokens

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DefaultIDTokenAlg signs ID tokens when the client chose no algorithm:
// OpenID Connect Core §3.1.3.7 makes RS256 the default that every client
// accepts.
const DefaultIDTokenAlg = "RS256"

// DefaultIDTokenLifetime is an ID token's lifetime when its client sets
// none (IdentityServer's IdentityTokenLifetime).
const DefaultIDTokenLifetime = 5 * time.Minute

// IDTokenRequest is what an ID token says (OpenID Connect Core §2).
type IDTokenRequest struct {
	// Issuer is the request's issuer (iss).
	Issuer string
	// ClientID is the audience (aud).
	ClientID string
	// Subject is the user (sub).
	Subject string
	// AuthTime is when the user signed in (auth_time).
	AuthTime time.Time
	// Nonce is the authorization request's nonce; "" for none.
	Nonce string
	// SessionID is the session's id (sid), "" for none.
	SessionID string
	// AMR lists how the user authenticated (amr, e.g. ["pwd"]).
	AMR []string
	// ACR is the authentication context class the login satisfied (acr),
	// "" for none.
	ACR string
	// AccessToken, when set, is the access token issued beside the ID
	// token, whose hash becomes at_hash.
	AccessToken string
	// Alg is the client's signing algorithm; "" means DefaultIDTokenAlg.
	Alg string
	// Lifetime is how long the token is valid; 0 means
	// DefaultIDTokenLifetime.
	Lifetime time.Duration
	// UserClaims are added when set (the client's
	// alwaysIncludeUserClaimsInIdToken, or a code flow without an access
	// token to read userinfo with). Names that the ID token sets itself
	// are dropped: a user's claims cannot change who issued the token or
	// to whom.
	UserClaims map[string]any
}

// IDTokenClaims are the claims of an ID token (OpenID Connect Core §2).
type IDTokenClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"`
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	AuthTime  int64    `json:"auth_time,omitempty"`
	Nonce     string   `json:"nonce,omitempty"`
	SessionID string   `json:"sid,omitempty"`
	AMR       []string `json:"amr,omitempty"`
	ACR       string   `json:"acr,omitempty"`
	ATHash    string   `json:"at_hash,omitempty"`
}

// idTokenReserved are the claims an ID token sets itself, and claims of
// tokens in general, which user claims may not carry.
var idTokenReserved = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "iat": true, "nbf": true, "jti": true,
	"auth_time": true, "nonce": true, "sid": true, "amr": true, "at_hash": true, "c_hash": true,
	"azp": true, "acr": true, "client_id": true, "scope": true, "cnf": true,
}

// IDToken issues a signed ID token for req, with typ JWT and the kid of
// the key that signed it.
func (s *Service) IDToken(ctx context.Context, req IDTokenRequest) (string, error) {
	switch {
	case req.Issuer == "":
		return "", errors.New("an ID token needs an issuer")
	case req.ClientID == "":
		return "", errors.New("an ID token needs a client (its audience)")
	case req.Subject == "":
		return "", errors.New("an ID token needs a subject")
	}
	now := s.now()
	alg := req.Alg
	if alg == "" {
		alg = DefaultIDTokenAlg
	}
	lifetime := req.Lifetime
	if lifetime <= 0 {
		lifetime = DefaultIDTokenLifetime
	}
	claims := IDTokenClaims{
		Issuer:    req.Issuer,
		Subject:   req.Subject,
		Audience:  req.ClientID,
		IssuedAt:  now.Unix(),
		Expiry:    now.Add(lifetime).Unix(),
		Nonce:     req.Nonce,
		SessionID: req.SessionID,
		AMR:       req.AMR,
		ACR:       req.ACR,
	}
	if !req.AuthTime.IsZero() {
		claims.AuthTime = req.AuthTime.Unix()
	}
	if req.AccessToken != "" {
		h, err := HalfHash(alg, req.AccessToken)
		if err != nil {
			return "", err
		}
		claims.ATHash = h
	}
	var payload any = claims
	if len(req.UserClaims) > 0 {
		extra := make(map[string]any, len(req.UserClaims))
		for k, v := range req.UserClaims {
			if !idTokenReserved[k] {
				extra[k] = v
			}
		}
		b, err := json.Marshal(extra)
		if err != nil {
			return "", fmt.Errorf("encode the user's claims: %w", err)
		}
		payload = withExtra[IDTokenClaims]{claims, b}
	}
	tok, _, err := s.sign(ctx, alg, "JWT", payload)
	if err != nil {
		return "", fmt.Errorf("sign the ID token: %w", err)
	}
	return tok, nil
}

// HalfHash is at_hash (or c_hash) of value for a token signed with alg:
// the left half of the hash of its ASCII bytes, with the hash of alg,
// base64url without padding (OpenID Connect Core §3.1.3.6).
func HalfHash(alg, value string) (string, error) {
	var sum []byte
	switch alg {
	case "RS256", "PS256", "ES256":
		d := sha256.Sum256([]byte(value))
		sum = d[:]
	case "RS384", "PS384", "ES384":
		d := sha512.Sum384([]byte(value))
		sum = d[:]
	case "RS512", "PS512", "ES512":
		d := sha512.Sum512([]byte(value))
		sum = d[:]
	default:
		return "", fmt.Errorf("no hash is known for algorithm %q (for at_hash)", alg)
	}
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), nil
}
