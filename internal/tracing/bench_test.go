package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/signing"
)

// BenchmarkTracedRequest is what tracing adds to one token request: the
// server span (the traceparent read), a signature's span and a storage
// call's, recorded and batched as serve does, exported to nowhere. The
// signer and store do nothing, so that the spans' cost alone is measured:
//
//	go test -run '^$' -bench TracedRequest -benchmem ./internal/tracing/
func BenchmarkTracedRequest(b *testing.B) {
	p := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(1))))
	b.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	tr := &Tracer{provider: p, tracer: p.Tracer(scope), prop: propagation.TraceContext{}}
	key := &signing.Key{ID: "kid", Algorithm: "ES256"}
	signer := tr.Signer(fakeSigner{func(string, string, any) (string, *signing.Key, error) { return "a.b.c", key, nil }})
	replay := tr.Store("sqlite", nil)
	replay.replay = replayFunc(func(context.Context, string, string, time.Time) error { return nil })
	h := tr.Middleware()(endpoint.Route{Method: "POST", Path: "/connect/token"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = replay.UseOnce(r.Context(), "app", "jti", time.Time{})
		_, _, _ = signer.SignWithContext(r.Context(), "", "at+jwt", nil)
	}))
	r := httptest.NewRequest("POST", "/connect/token", nil)
	r.Header.Set("Traceparent", traceparent)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

type replayFunc func(ctx context.Context, clientID, jti string, expires time.Time) error

func (f replayFunc) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	return f(ctx, clientID, jti, expires)
}
