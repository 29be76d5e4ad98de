package tracing

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/signetid/signet/storage"
)

// The token path's storage, as its packages declare it: clientauth's
// ReplayCache, tokens' GrantStore, grant's Users. storage.Store satisfies
// them all.
type (
	// ReplayCache records the jtis of client assertions.
	ReplayCache interface {
		UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error
	}
	// GrantStore keeps authorization codes, refresh and reference tokens.
	GrantStore interface {
		CreateGrant(ctx context.Context, g storage.PersistedGrant) error
		GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
		ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error)
		CreateGrantInSession(ctx context.Context, g storage.PersistedGrant, now time.Time) error
		ConsumeUserGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, storage.UserState, error)
		RotateGrant(ctx context.Context, key string, next storage.PersistedGrant, now time.Time) (storage.PersistedGrant, error)
		ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error
		DeleteGrant(ctx context.Context, key string) error
		DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error)
	}
	// Users finds the users tokens are issued to.
	Users interface {
		GetUser(ctx context.Context, id string) (storage.User, error)
	}
)

var (
	_ ReplayCache = (storage.Store)(nil)
	_ GrantStore  = (storage.Store)(nil)
	_ Users       = (storage.Store)(nil)
)

// Store makes a span per call of the token path's storage: named
// "storage <Operation>", with the backend (db.system.name) and, for a
// grant, its type; never a key, jti, id or hash. A missing record or one
// that exists already (a reused code, a replayed assertion) is an outcome,
// not an error of the span.
type Store struct {
	t *Tracer
	// system is the backend's name: sqlite, postgresql, memory.
	system string
	replay ReplayCache
	grants GrantStore
	users  Users
}

// Store wraps db's token-path roles; system names its backend.
func (t *Tracer) Store(system string, db interface {
	ReplayCache
	GrantStore
	Users
}) *Store {
	return &Store{t: t, system: system, replay: db, grants: db, users: db}
}

func (s *Store) start(ctx context.Context, op string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	attrs = append(attrs, attribute.String("db.system.name", s.system), attribute.String("db.operation.name", op))
	return s.t.tracer.Start(ctx, "storage "+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// end records err's outcome and ends span.
func end(span trace.Span, err error) {
	switch {
	case err == nil:
	case errors.Is(err, storage.ErrNotFound):
		span.SetAttributes(attribute.String("signet.storage.outcome", "not_found"))
	case errors.Is(err, storage.ErrAlreadyExists):
		span.SetAttributes(attribute.String("signet.storage.outcome", "exists"))
	default:
		// Not the error's text: a driver's may quote a value.
		span.SetStatus(codes.Error, "storage error")
	}
	span.End()
}

func grantType(t string) attribute.KeyValue { return attribute.String("signet.grant.type", t) }

// UseOnce records an assertion's jti.
func (s *Store) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	ctx, span := s.start(ctx, "UseOnce")
	err := s.replay.UseOnce(ctx, clientID, jti, expires)
	end(span, err)
	return err
}

// CreateGrant stores g.
func (s *Store) CreateGrant(ctx context.Context, g storage.PersistedGrant) error {
	ctx, span := s.start(ctx, "CreateGrant", grantType(g.Type))
	err := s.grants.CreateGrant(ctx, g)
	end(span, err)
	return err
}

// GetGrant reads a grant.
func (s *Store) GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	ctx, span := s.start(ctx, "GetGrant")
	g, err := s.grants.GetGrant(ctx, key, now)
	end(span, err)
	return g, err
}

// ConsumeGrant reads and marks a grant used.
func (s *Store) ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	ctx, span := s.start(ctx, "ConsumeGrant")
	g, err := s.grants.ConsumeGrant(ctx, key, now)
	end(span, err)
	return g, err
}

// CreateGrantInSession stores g while its session lasts.
func (s *Store) CreateGrantInSession(ctx context.Context, g storage.PersistedGrant, now time.Time) error {
	ctx, span := s.start(ctx, "CreateGrantInSession", grantType(g.Type))
	err := s.grants.CreateGrantInSession(ctx, g, now)
	end(span, err)
	return err
}

// ConsumeUserGrant reads and marks a grant used, and reads its user's
// state.
func (s *Store) ConsumeUserGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, storage.UserState, error) {
	ctx, span := s.start(ctx, "ConsumeUserGrant")
	g, st, err := s.grants.ConsumeUserGrant(ctx, key, now)
	end(span, err)
	return g, st, err
}

// RotateGrant replaces a grant with next.
func (s *Store) RotateGrant(ctx context.Context, key string, next storage.PersistedGrant, now time.Time) (storage.PersistedGrant, error) {
	ctx, span := s.start(ctx, "RotateGrant", grantType(next.Type))
	g, err := s.grants.RotateGrant(ctx, key, next, now)
	end(span, err)
	return g, err
}

// ExtendGrant sets a grant's expiry and data.
func (s *Store) ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error {
	ctx, span := s.start(ctx, "ExtendGrant")
	err := s.grants.ExtendGrant(ctx, key, expires, data, now)
	end(span, err)
	return err
}

// DeleteGrant deletes a grant.
func (s *Store) DeleteGrant(ctx context.Context, key string) error {
	ctx, span := s.start(ctx, "DeleteGrant")
	err := s.grants.DeleteGrant(ctx, key)
	end(span, err)
	return err
}

// DeleteGrants deletes the grants f selects (a family, on reuse).
func (s *Store) DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error) {
	ctx, span := s.start(ctx, "DeleteGrants")
	n, err := s.grants.DeleteGrants(ctx, f)
	span.SetAttributes(attribute.Int("signet.storage.deleted", n))
	end(span, err)
	return n, err
}

// GetUser reads a user.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	ctx, span := s.start(ctx, "GetUser")
	u, err := s.users.GetUser(ctx, id)
	end(span, err)
	return u, err
}
