package storage

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Janitor defaults.
const (
	DefaultCleanupInterval = time.Minute
	DefaultCleanupBatch    = 500
)

// Janitor removes expired records in the background, in bounded batches so
// that it never holds the database (SQLite's single writer above all) for long.
// Several instances may run one against a shared database: DeleteExpired is
// safe to run concurrently. The zero values of its fields other than Cleaner
// are usable.
type Janitor struct {
	Cleaner  Cleaner
	Interval time.Duration    // between sweeps; DefaultCleanupInterval if zero
	Batch    int              // rows per DeleteExpired call; DefaultCleanupBatch if zero
	Now      func() time.Time // time.Now if nil
	Logger   *slog.Logger     // slog.Default() if nil
}

// Run sweeps once at once and then every Interval until ctx is done; then it
// returns nil. A failed sweep is logged and retried at the next tick, so a
// database that is briefly unreachable does not stop cleanup.
func (j *Janitor) Run(ctx context.Context) error {
	interval := j.Interval
	if interval <= 0 {
		interval = DefaultCleanupInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := j.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			// An outage (ErrUnavailable) is reported once by the store's
			// Monitor (serve's outage report), not once a sweep.
			level := slog.LevelWarn
			if errors.Is(err, ErrUnavailable) {
				level = slog.LevelDebug
			}
			j.logger().LogAttrs(ctx, level, "storage cleanup failed", slog.Int("deleted", n), slog.Any("err", err))
		case n > 0:
			j.logger().LogAttrs(ctx, slog.LevelDebug, "storage cleanup", slog.Int("deleted", n))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// Sweep deletes expired records, Batch at a time, until a batch comes back
// short or ctx is done, and returns how many it deleted. "Now" is read once, so
// a sweep ends even while new records keep expiring.
func (j *Janitor) Sweep(ctx context.Context) (int, error) {
	batch := j.Batch
	if batch <= 0 {
		batch = DefaultCleanupBatch
	}
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	at := now()
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := j.Cleaner.DeleteExpired(ctx, at, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}

func (j *Janitor) logger() *slog.Logger {
	if j.Logger != nil {
		return j.Logger
	}
	return slog.Default()
}
