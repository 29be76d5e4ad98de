package audit_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/signetid/signet/internal/audit"
	"github.com/signetid/signet/internal/observe"
)

// BenchmarkObserve is the cost a token request pays for its token.issued
// event: a JSON log line (to io.Discard), with and without a file sink
// (the request only queues the record; the sink's goroutine writes it).
func BenchmarkObserve(b *testing.B) {
	for _, withFile := range []bool{false, true} {
		name := "log"
		if withFile {
			name = "log+file"
		}
		b.Run(name, func(b *testing.B) {
			opts := audit.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Buffer: 1 << 16}
			if withFile {
				f, err := audit.OpenFile(filepath.Join(b.TempDir(), "audit.jsonl"), 0, -1)
				if err != nil {
					b.Fatal(err)
				}
				opts.Sink = f
			}
			l, err := audit.New(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				e := issued
				l.Observe(ctx, &e)
			}
			b.ReportMetric(float64(l.Dropped()), "dropped")
		})
	}
}

// BenchmarkDiscard is the same request with nothing observing.
func BenchmarkDiscard(b *testing.B) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		e := issued
		observe.Discard.Observe(ctx, &e)
	}
}
