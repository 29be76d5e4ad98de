package endpoint_test

import (
	"context"
	"errors"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
)

func TestID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		id   endpoint.ID
		want string
	}{
		{endpoint.ID{Base: "abcdefgh", Seq: 1}, "abcdefgh-1"},
		{endpoint.ID{Base: "abcdefgh", Seq: 18446744073709551615}, "abcdefgh-18446744073709551615"},
		{endpoint.ID{Base: "from-the-proxy"}, "from-the-proxy"},
		{endpoint.ID{}, ""},
	} {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("%#v: %q, want %q", tt.id, got, tt.want)
		}
	}
}

type otherKey struct{}

// The issuer and the id ride in the request's context; everything else of
// the context (values, cancellation, its cause) is the parent's.
func TestRequestContext(t *testing.T) {
	t.Parallel()
	if endpoint.Issuer(t.Context()) != "" || endpoint.RequestID(t.Context()) != "" {
		t.Error("a context the chain did not make carries an issuer or an id")
	}
	parent, cancel := context.WithCancelCause(context.WithValue(t.Context(), otherKey{}, "v"))
	ctx := endpoint.WithRequest(parent, "https://auth.example.com", endpoint.ID{Base: "abc", Seq: 7})
	if got := endpoint.Issuer(ctx); got != "https://auth.example.com" {
		t.Errorf("Issuer %q", got)
	}
	if got := endpoint.RequestID(ctx); got != "abc-7" {
		t.Errorf("RequestID %q", got)
	}
	if ctx.Value(otherKey{}) != "v" {
		t.Error("the parent's values are lost")
	}

	// One replaced, the other kept.
	if c := endpoint.WithIssuer(ctx, "https://other.example"); endpoint.Issuer(c) != "https://other.example" || endpoint.RequestID(c) != "abc-7" {
		t.Errorf("WithIssuer: %q %q", endpoint.Issuer(c), endpoint.RequestID(c))
	}
	if c := endpoint.WithRequestID(ctx, "mine"); endpoint.RequestID(c) != "mine" || endpoint.Issuer(c) != "https://auth.example.com" {
		t.Errorf("WithRequestID: %q %q", endpoint.Issuer(c), endpoint.RequestID(c))
	}

	child, stop := context.WithCancel(ctx)
	defer stop()
	boom := errors.New("client went away")
	cancel(boom)
	<-child.Done()
	if !errors.Is(context.Cause(child), boom) || !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("cancellation: %v, %v", context.Cause(child), ctx.Err())
	}
}
