package tracing

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/signetid/signet/internal/endpoint"
)

// Middleware starts a server span per request of a route: named by the
// route's method and path ("POST /connect/token"; the method alone for the
// paths no route has; HTTP for a method HTTP does not define), a child of the request's traceparent when it has
// one, with the response's status. Health routes are not traced: probes
// are frequent and say nothing of a request.
func (t *Tracer) Middleware() endpoint.Middleware {
	return func(rt endpoint.Route, next http.Handler) http.Handler {
		if rt.Kind == endpoint.Health {
			return next
		}
		h := &traced{t: t, next: next, route: rt.Path, kind: rt.Kind.String()}
		if rt.Method != "" {
			h.name = spanName(rt.Method, rt.Path)
		}
		return h
	}
}

// spanName is OpenTelemetry's name of an HTTP server span: the method and
// the route.
func spanName(method, route string) string {
	if route == "" {
		return method
	}
	return method + " " + route
}

type traced struct {
	t           *Tracer
	next        http.Handler
	route, kind string
	// name is the span's, when the route has one method.
	name string
}

// knownMethod is the method as OpenTelemetry's HTTP conventions record it:
// one HTTP defines, or _OTHER (and the span's name then says HTTP), since
// net/http takes any token as a method and a request must not name spans.
func knownMethod(m string) (method, inName string) {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m, m
	}
	return "_OTHER", "HTTP"
}

func (h *traced) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := h.t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	method, inName := knownMethod(r.Method)
	name := h.name
	if name == "" {
		name = spanName(inName, h.route)
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", method),
		attribute.String("signet.route.kind", h.kind),
	}
	if h.route != "" {
		attrs = append(attrs, attribute.String("http.route", h.route))
	}
	ctx, span := h.t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	defer span.End()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	h.next.ServeHTTP(rec, r.WithContext(ctx))
	span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
	// A server span is an error for a 5xx only: a 4xx is the client's
	// (OpenTelemetry's HTTP conventions).
	if rec.status >= 500 {
		span.SetStatus(codes.Error, strconv.Itoa(rec.status))
	}
}

// statusRecorder keeps the status a handler writes.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.written {
		s.status, s.written = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.written = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer's Flush and
// deadlines.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
