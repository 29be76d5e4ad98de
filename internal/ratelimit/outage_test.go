package ratelimit_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/ratelimit"
	"github.com/signetid/signet/storage"
)

// downStore is a FailureStore whose database is down (a full disk).
type downStore struct{}

func (downStore) AddAuthFailure(context.Context, string, time.Time, time.Duration) (int, time.Time, error) {
	return 0, time.Time{}, fmt.Errorf("postgres: count client authentication failure: %w",
		storage.Unavailable(storage.FaultFull, fmt.Errorf("could not extend file (SQLSTATE 53100)")))
}

// During a storage outage, which the outage report logs once, each failed
// client authentication must not add a warning of its own (a client with a
// wrong secret retrying in a loop would fill the log with one a request).
func TestFailureNotCountedInAnOutageIsNotAWarning(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	f := ratelimit.NewFailures(ratelimit.FailureOptions{Store: downStore{},
		Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for range 3 {
		f.Fail(t.Context(), "192.0.2.1")
	}
	if buf.Len() == 0 {
		t.Fatal("nothing logged, not even at debug level")
	}
	for l := range strings.Lines(buf.String()) {
		if !strings.Contains(l, "level=DEBUG") {
			t.Errorf("a failed authentication during a storage outage is logged above debug: %s", l)
		}
	}
}
