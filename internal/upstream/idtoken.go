package upstream

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// algorithms are the ID token signatures accepted: asymmetric only (an
// HS256 token keyed with the client secret is refused, as is none).
var algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// Claims are the ID token's claims the rest of Signet maps; All holds
// every claim (but the nonce), for claim mappings.
type Claims struct {
	Name, GivenName, FamilyName, PreferredUsername string
	Email                                          string
	EmailVerified                                  bool
	Picture, Locale                                string
	// TenantID is Entra's tid, when sent.
	TenantID string
	// AuthTime is when the person authenticated upstream, when sent.
	AuthTime time.Time
	AMR      []string
	All      map[string]any
}

// idClaims is what the checks read.
type idClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	AZP       string           `json:"azp"`
	Expiry    *jwt.NumericDate `json:"exp"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	Nonce     string           `json:"nonce"`
	TenantID  string           `json:"tid"`
}

// verify checks the ID token: signature by a key of the JWKS, then iss,
// aud (and azp), exp, iat, nbf and nonce; only then are claims read.
func (p *Provider) verify(ctx context.Context, d *document, raw, nonce string) (Identity, Claims, error) {
	tok, err := jwt.ParseSigned(raw, algorithms)
	if err != nil {
		return Identity{}, Claims{}, fmt.Errorf("%w: not a JWS signed with an allowed algorithm (%v): %w", ErrInvalid, algorithms, err)
	}
	if len(tok.Headers) != 1 {
		return Identity{}, Claims{}, fmt.Errorf("%w: %d signatures, want 1", ErrInvalid, len(tok.Headers))
	}
	h := tok.Headers[0]
	key, err := p.key(ctx, d, h.KeyID, h.Algorithm)
	if err != nil {
		if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) {
			return Identity{}, Claims{}, err
		}
		return Identity{}, Claims{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var c idClaims
	var all map[string]any
	if err := tok.Claims(key.Key, &c, &all); err != nil {
		return Identity{}, Claims{}, fmt.Errorf("%w: the signature does not verify with key %q: %w", ErrInvalid, key.KeyID, err)
	}
	if err := p.checkClaims(d, &c, nonce); err != nil {
		return Identity{}, Claims{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	delete(all, "nonce") // spent: a protocol value, not the person's
	return Identity{Issuer: c.Issuer, Subject: c.Subject}, claimsFrom(all), nil
}

// claimsFrom reads the profile claims of all (the ID token's, with
// userinfo's added); a claim of an unexpected type is left empty.
func claimsFrom(all map[string]any) Claims {
	str := func(k string) string { s, _ := all[k].(string); return s }
	out := Claims{
		Name: str("name"), GivenName: str("given_name"), FamilyName: str("family_name"),
		PreferredUsername: str("preferred_username"), Email: str("email"),
		EmailVerified: verified(all["email_verified"]), Picture: str("picture"), Locale: str("locale"),
		TenantID: str("tid"), All: all,
	}
	if t, ok := all["auth_time"].(float64); ok && t > 0 && t < 1e11 {
		out.AuthTime = time.Unix(int64(t), 0)
	}
	switch amr := all["amr"].(type) {
	case []any:
		for _, v := range amr {
			if s, ok := v.(string); ok {
				out.AMR = append(out.AMR, s)
			}
		}
	case string: // a single value, as some providers send it
		out.AMR = []string{amr}
	}
	return out
}

func (p *Provider) checkClaims(d *document, c *idClaims, nonce string) error {
	tid := ""
	if p.entra {
		if c.TenantID == "" {
			return errors.New("no tid: an Entra multi-tenant ID token names its tenant")
		}
		tid = c.TenantID
	}
	if err := p.checkIssuer(d, c.Issuer, tid); err != nil {
		return fmt.Errorf("iss: %w", err)
	}
	if c.Subject == "" || len(c.Subject) > 255 {
		return fmt.Errorf("sub: %d characters, want 1 to 255", len(c.Subject))
	}
	if !slices.Contains([]string(c.Audience), p.cfg.ClientID) {
		return fmt.Errorf("aud %q does not contain this client id %q", []string(c.Audience), p.cfg.ClientID)
	}
	if (len(c.Audience) > 1 || c.AZP != "") && c.AZP != p.cfg.ClientID {
		return fmt.Errorf("azp %q is not this client id %q (aud %q)", c.AZP, p.cfg.ClientID, []string(c.Audience))
	}
	now := p.now()
	switch {
	case c.Expiry == nil:
		return errors.New("no exp")
	case c.IssuedAt == nil:
		return errors.New("no iat")
	case now.After(c.Expiry.Time().Add(leeway)):
		return fmt.Errorf("expired at %s (now %s)", c.Expiry.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case c.IssuedAt.Time().After(now.Add(leeway)):
		return fmt.Errorf("iat %s is in the future (now %s)", c.IssuedAt.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(leeway)):
		return fmt.Errorf("not valid before %s (now %s)", c.NotBefore.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if c.Nonce == "" || subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(nonce)) != 1 {
		return errors.New("nonce is not the one this sign-in sent")
	}
	return nil
}

// verified reads email_verified: a boolean, or the strings "true" and
// "false" that some providers send.
func verified(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}
