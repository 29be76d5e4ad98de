package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/signetid/signet/internal/signing"
)

// Signer is what the token path signs with (signing.Ring): tokens.Signer,
// and the algorithms the authorization_code grant picks an ID token's
// from.
type Signer interface {
	SignWith(alg, typ string, claims any) (string, *signing.Key, error)
	SigningAlgorithms() []string
}

var _ Signer = (*signing.Ring)(nil)

// TracedSigner is a Signer that makes a span per signature ("sign", with
// the typ, the kid and the algorithm of the key that signed). It is a
// tokens.ContextSigner, so that the span is the request's child.
type TracedSigner struct {
	t    *Tracer
	next Signer
}

// Signer wraps next so that each signature has a span.
func (t *Tracer) Signer(next Signer) *TracedSigner { return &TracedSigner{t: t, next: next} }

// SignWith signs in a span of its own trace: the caller gave no context.
func (s *TracedSigner) SignWith(alg, typ string, claims any) (string, *signing.Key, error) {
	return s.SignWithContext(context.Background(), alg, typ, claims)
}

// SignWithContext signs claims in a span, the child of ctx's.
func (s *TracedSigner) SignWithContext(ctx context.Context, alg, typ string, claims any) (string, *signing.Key, error) {
	_, span := s.t.tracer.Start(ctx, "sign", trace.WithAttributes(attribute.String("signet.jwt.typ", typ)))
	defer span.End()
	tok, k, err := s.next.SignWith(alg, typ, claims)
	if k != nil {
		span.SetAttributes(attribute.String("signet.key.kid", k.ID), attribute.String("signet.key.alg", k.Algorithm))
	}
	if err != nil {
		// The error names algorithms and keys, never the claims.
		span.SetStatus(codes.Error, err.Error())
	}
	return tok, k, err
}

// SigningAlgorithms are next's.
func (s *TracedSigner) SigningAlgorithms() []string { return s.next.SigningAlgorithms() }
