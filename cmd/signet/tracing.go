package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/tracing"
)

// tracingFlush bounds how long a stopping server waits for the collector
// to take the last spans.
const tracingFlush = 5 * time.Second

// startTracing makes the Tracer of the tracing section, or nil when it is
// off (no endpoint): then nothing is wrapped.
func startTracing(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*tracing.Tracer, error) {
	t := cfg.Tracing
	if t.Endpoint == "" {
		return nil, nil
	}
	headers := make(map[string]string, len(t.Headers))
	for _, h := range t.Headers {
		headers[h.Name] = h.Value
	}
	tr, err := tracing.New(ctx, tracing.Options{
		Endpoint: t.Endpoint, ServiceName: t.ServiceName, Version: versionString(),
		SampleRatio: t.SampleRatio, Headers: headers, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	ratio := 1.0
	if t.SampleRatio != nil {
		ratio = *t.SampleRatio
	}
	url, _ := tracing.ExportURL(t.Endpoint)
	logger.Info("tracing: spans are sent over OTLP/HTTP", slog.String("endpoint", url), slog.Float64("sample_ratio", ratio))
	return tr, nil
}

// flushTracing sends the spans not sent yet, when the server stops.
func flushTracing(tr *tracing.Tracer, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), tracingFlush)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		logger.Warn("tracing: the last spans were not all sent", slog.String("error", err.Error()))
	}
}

// storageSystem is db.system.name of a storage driver (OpenTelemetry's
// names).
func storageSystem(driver string) string {
	if driver == config.DriverPostgres {
		return "postgresql"
	}
	return driver
}
