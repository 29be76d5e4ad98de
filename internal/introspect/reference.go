package introspect

import (
	"context"
	"errors"
	"time"

	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// ReferenceTokens finds reference access tokens (IdentityServer's
// AccessTokenType Reference): handles whose claims the server keeps.
type ReferenceTokens interface {
	// LookupReference returns the reference token whose handle is token,
	// if it is live at now; an error wrapping ErrNoReference when there is
	// none (unknown, expired, revoked), any other error when the store
	// failed.
	LookupReference(ctx context.Context, token string, now time.Time) (Reference, error)
}

// Reference is what a reference token stands for.
type Reference struct {
	// Claims are the claims the token would carry as a JWT (iss, aud,
	// client_id, sub, scope, exp, ...): one JSON object.
	Claims []byte
}

// ErrNoReference is the cause of a reference token that does not exist.
var ErrNoReference = errors.New("no such reference token")

// Grants reads persisted grants (storage.PersistedGrants satisfies it).
type Grants interface {
	GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
}

var _ Grants = (storage.PersistedGrants)(nil)

// GrantReferences reads reference tokens straight from the persisted
// grants, as internal/tokens stores them: a storage.GrantReferenceToken
// under tokens.HandleKey of the handle, whose Data are the claims.
type GrantReferences struct {
	Grants Grants
}

var _ ReferenceTokens = GrantReferences{}

// LookupReference implements ReferenceTokens.
func (r GrantReferences) LookupReference(ctx context.Context, token string, now time.Time) (Reference, error) {
	g, err := r.Grants.GetGrant(ctx, tokens.HandleKey(storage.GrantReferenceToken, token), now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Reference{}, ErrNoReference
	case err != nil:
		return Reference{}, err
	case g.Type != storage.GrantReferenceToken || !g.Consumed.IsZero():
		// A consumed reference token is a revoked one.
		return Reference{}, ErrNoReference
	}
	return Reference{Claims: g.Data}, nil
}
