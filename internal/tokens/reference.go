package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/storage"
)

// Reference tokens: see the package doc for the conventions that the
// introspection and revocation endpoints rely on.

// ErrUnknownReference is what LookupReference returns for a handle that
// stands for no live token: malformed, never issued, expired, revoked.
// Anything else it returns is a failure to answer (the store's), which an
// endpoint must not take for "inactive".
var ErrUnknownReference = errors.New("the reference token is unknown, expired or revoked")

// Source is the code or refresh token an access token is issued from
// (RedeemedCode.Source, Refreshed.Source): a reference token joins its
// family, and is kept only if that grant still stands once the token is
// stored. The zero Source is a client's own token (client_credentials).
type Source struct {
	// FamilyID is the family of the code and its refresh tokens.
	FamilyID string

	// key and at find the grant again; what names it in an error.
	key  string
	at   time.Time
	what string
}

// Source is the redeemed code, for the tokens issued from it.
func (c RedeemedCode) Source() Source {
	return Source{FamilyID: c.FamilyID, key: c.key, at: c.issued, what: "the authorization code"}
}

// Source is the refresh token the client holds after the refresh, for the
// tokens issued with it.
func (r Refreshed) Source() Source {
	return Source{FamilyID: r.FamilyID, key: r.key, at: r.at, what: "the refresh token"}
}

// referenceClaims are what a reference token's record keeps: the claims
// its JWT would carry, and amr, which the introspection response gives.
type referenceClaims struct {
	AccessTokenClaims
	AMR []string `json:"amr,omitempty"`
}

// ReferenceToken issues a reference token for req: a handle of 256 random
// bits, stored as a storage.GrantReferenceToken grant under
// HandleKey(storage.GrantReferenceToken, handle), whose Data is the JSON
// object of its claims and whose Expires is its exp. Issued from a code
// or refresh token (req.From), it joins that family; if the family was
// revoked meanwhile (the code or refresh token presented again during the
// exchange), it is deleted with the family and a *GrantError
// (storage.ErrConsumed) is returned, so that a revocation racing the
// exchange never leaves a live token behind.
func (s *Service) ReferenceToken(ctx context.Context, req AccessTokenRequest) (AccessToken, error) {
	if s.Grants == nil {
		return AccessToken{}, fmt.Errorf("client %q uses reference tokens, and the token service has no grant store to keep them (tokens.Service.Grants)", req.Client.ID)
	}
	claims, lifetime := s.accessClaims(req)
	var payload any = referenceClaims{claims, req.AMR}
	if c := req.Client; len(c.Claims) > 0 {
		payload = withExtra[referenceClaims]{referenceClaims{claims, req.AMR}, c.Claims}
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return AccessToken{}, fmt.Errorf("encode the reference token's claims: %w", err)
	}
	handle, key := newHandle(storage.GrantReferenceToken)
	g := storage.PersistedGrant{
		Key: key, Type: storage.GrantReferenceToken,
		// The user's id, never the client's: revoking a user's grants by
		// subject must not reach a client whose id looks like a user's.
		Subject:  req.Subject,
		ClientID: req.Client.ID, SessionID: req.SessionID, FamilyID: req.From.FamilyID,
		Created: time.Unix(claims.IssuedAt, 0).UTC(),
		// The record lives exactly as long as exp says, so that the store
		// and the claims never disagree.
		Expires: time.Unix(claims.Expiry, 0).UTC(),
		Data:    data,
	}
	if err := s.Grants.CreateGrant(ctx, g); err != nil {
		return AccessToken{}, fmt.Errorf("store the reference token: %w", err)
	}
	if err := s.standing(ctx, req.From); err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Handle: handle, Lifetime: lifetime, Scope: claims.Scope}, nil
}

// standing checks, after a token of src's family was stored, that src's
// grant still stands. A code or refresh token presented again deletes its
// family, perhaps before the new token joined it: then the grant is gone,
// the family is deleted again (the new token with it), and the
// *GrantError (storage.ErrConsumed) says so. Either the reuse's delete
// sees the new token, or this check sees the grant gone. A zero src (no
// family) passes.
func (s *Service) standing(ctx context.Context, src Source) error {
	if src.key == "" {
		return nil
	}
	// The grant is looked for as of src.at, so that a code that expired
	// during the exchange still counts as there.
	_, err := s.Grants.GetGrant(ctx, src.key, src.at)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		if _, err := s.Grants.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: src.FamilyID}); err != nil {
			return fmt.Errorf("%s was used again during its exchange; revoking its tokens failed: %w", src.what, err)
		}
		return &GrantError{Description: src.what + " was used again during its exchange; the tokens issued from it are revoked",
			FamilyID: src.FamilyID, Err: storage.ErrConsumed}
	default:
		return fmt.Errorf("check %s after issuing a token from it: %w", src.what, err)
	}
}

// Reference is a live reference token, as LookupReference finds it.
type Reference struct {
	// ClientID is the client it was issued to; Subject the user ("" for
	// the client's own token, whose sub claim is the client id);
	// SessionID the sign-in session; FamilyID the code's and refresh
	// tokens' family ("" for client_credentials).
	ClientID, Subject, SessionID, FamilyID string
	// Issued and Expires are its iat and exp.
	Issued, Expires time.Time
	// Scopes and Audience are its scope (split) and aud claims, read from
	// Claims for the endpoints that filter on them.
	Scopes   []string
	Audience []string
	// Claims is the JSON object of its claims as stored: what its JWT
	// would carry (iss, aud, client_id, sub, scope, iat, nbf, exp, jti,
	// auth_time for a user's token, the client's own claims) and amr for a
	// user's token.
	Claims json.RawMessage
}

// storedClaims are the members of a reference token's claims that
// LookupReference reads.
type storedClaims struct {
	Scope    string          `json:"scope"`
	Audience json.RawMessage `json:"aud"`
}

// LookupReference finds the reference token handle stands for, live at
// now (zero: the service's clock). A malformed handle costs no store read;
// a well-formed one costs one indexed read (GetGrant by its key). An
// unknown, expired or revoked token is ErrUnknownReference; any other
// error is a failure to answer (the store's, or a record it cannot read),
// which must not be taken for an inactive token.
func (s *Service) LookupReference(ctx context.Context, handle string, now time.Time) (Reference, error) {
	if !opaque.Valid(handle) {
		return Reference{}, ErrUnknownReference
	}
	if now.IsZero() {
		now = s.now()
	}
	g, err := s.Grants.GetGrant(ctx, HandleKey(storage.GrantReferenceToken, handle), now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Reference{}, ErrUnknownReference
	case err != nil:
		return Reference{}, fmt.Errorf("read the reference token: %w", err)
	case g.Type != storage.GrantReferenceToken:
		return Reference{}, ErrUnknownReference
	}
	var c storedClaims
	if err := json.Unmarshal(g.Data, &c); err != nil {
		return Reference{}, fmt.Errorf("read the stored reference token's claims: %w", err)
	}
	ref := Reference{
		ClientID: g.ClientID, Subject: g.Subject, SessionID: g.SessionID, FamilyID: g.FamilyID,
		Issued: g.Created, Expires: g.Expires, Scopes: strings.Fields(c.Scope), Claims: g.Data,
	}
	if ref.Audience, err = readAudience(c.Audience); err != nil {
		return Reference{}, fmt.Errorf("read the stored reference token's aud: %w", err)
	}
	return ref, nil
}

// readAudience reads aud: one string, or an array of them.
func readAudience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	err := json.Unmarshal(raw, &many)
	return many, err
}
