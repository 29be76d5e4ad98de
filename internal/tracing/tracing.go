package tracing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// DefaultServiceName is the service.name of the spans when none is given.
const DefaultServiceName = "signet"

// scope names the instrumentation, as OpenTelemetry asks.
const scope = "github.com/signetid/signet/internal/tracing"

// TracesPath is what an endpoint without a path is sent to (OTLP/HTTP's
// convention, as for OTEL_EXPORTER_OTLP_ENDPOINT).
const TracesPath = "/v1/traces"

// Options configure a Tracer (the configuration's tracing section).
type Options struct {
	// Endpoint is the collector's OTLP/HTTP URL; TracesPath is added when
	// it has no path. http sends without TLS.
	Endpoint string
	// ServiceName is service.name; "" is DefaultServiceName.
	ServiceName string
	// Version is service.version.
	Version string
	// SampleRatio is the share of the traces started here that are
	// recorded (nil: all); a request with a traceparent follows its
	// caller's sampled flag.
	SampleRatio *float64
	// Headers are sent with every export.
	Headers map[string]string
	// Logger gets the exporter's failures (at warn level).
	Logger *slog.Logger
}

// Tracer makes the spans and exports them. Its methods are safe for
// concurrent use.
type Tracer struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
}

// errorHandler is OpenTelemetry's error handler, set once: the SDK has
// one for the process, and reports export failures through it.
var errorHandler = sync.OnceValue(func() *loggedErrors {
	h := &loggedErrors{}
	otel.SetErrorHandler(h)
	return h
})

// loggedErrors logs the SDK's errors to the latest Tracer's logger.
type loggedErrors struct{ logger atomic.Pointer[slog.Logger] }

func (h *loggedErrors) Handle(err error) {
	if l := h.logger.Load(); l != nil {
		l.Warn("tracing: could not export spans", slog.String("error", err.Error()))
	}
}

// New makes a Tracer exporting to opts.Endpoint. Nothing is sent until
// spans end; a collector that is down costs failed exports, logged, never
// a failed request.
func New(ctx context.Context, opts Options) (*Tracer, error) {
	endpoint, err := ExportURL(opts.Endpoint)
	if err != nil {
		return nil, err
	}
	res, err := serviceResource(ctx, opts)
	if err != nil {
		return nil, err
	}
	exporterOpts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(endpoint)}
	if len(opts.Headers) > 0 {
		exporterOpts = append(exporterOpts, otlptracehttp.WithHeaders(opts.Headers))
	}
	exporter, err := otlptracehttp.New(ctx, exporterOpts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP exporter: %w", err)
	}
	ratio := 1.0
	if opts.SampleRatio != nil {
		ratio = *opts.SampleRatio
	}
	if opts.Logger != nil {
		errorHandler().logger.Store(opts.Logger)
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(res),
		// A caller's sampled flag is followed, so that a trace is whole
		// or absent; the ratio decides for the traces started here.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return &Tracer{
		provider: provider,
		tracer:   provider.Tracer(scope),
		prop:     propagation.TraceContext{},
	}, nil
}

// serviceResource describes the service: OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SERVICE_NAME (the standard variables, for what a platform adds: the
// environment, the pod), then service.name from opts (DefaultServiceName
// when neither names it) and service.version.
func serviceResource(ctx context.Context, opts Options) (*resource.Resource, error) {
	env, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("tracing: OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	var attrs []attribute.KeyValue
	if name, ok := env.Set().Value("service.name"); opts.ServiceName != "" || !ok || name.AsString() == "" {
		attrs = append(attrs, attribute.String("service.name", cmp.Or(opts.ServiceName, DefaultServiceName)))
	}
	if opts.Version != "" {
		attrs = append(attrs, attribute.String("service.version", opts.Version))
	}
	return resource.Merge(env, resource.NewSchemaless(attrs...))
}

// ExportURL is where spans are sent for a configured endpoint: the URL as
// it is, or with TracesPath when it has no path.
func ExportURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("tracing: the endpoint must be an http or https URL, such as http://localhost:4318")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = TracesPath
	}
	return u.String(), nil
}

// Shutdown exports the spans not sent yet and stops the exporter; the
// Tracer makes no more spans after it. ctx bounds the wait for the
// collector.
func (t *Tracer) Shutdown(ctx context.Context) error {
	return t.provider.Shutdown(ctx)
}
