package storage_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// fakeCleaner is a Cleaner whose behaviour is a function field.
type fakeCleaner struct {
	deleteExpired func(ctx context.Context, now time.Time, limit int) (int, error)
}

func (f fakeCleaner) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	return f.deleteExpired(ctx, now, limit)
}

func TestJanitorSweep(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		batches []int // what successive DeleteExpired calls return
		fail    int   // the call (1-based) that fails, 0 for none
		want    int
		calls   int
		wantErr bool
	}{
		{name: "nothing expired", batches: []int{0}, want: 0, calls: 1},
		{name: "one short batch", batches: []int{3}, want: 3, calls: 1},
		{name: "full batches then short", batches: []int{10, 10, 4}, want: 24, calls: 3},
		{name: "full batches then empty", batches: []int{10, 10, 0}, want: 20, calls: 3},
		{name: "error stops", batches: []int{10, 10, 10}, fail: 2, want: 10, calls: 2, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			j := &storage.Janitor{
				Batch: 10,
				Now:   func() time.Time { return at },
				Cleaner: fakeCleaner{deleteExpired: func(_ context.Context, now time.Time, limit int) (int, error) {
					calls++
					if !now.Equal(at) || limit != 10 {
						t.Errorf("DeleteExpired(%v, %d), want (%v, 10)", now, limit, at)
					}
					if calls == tt.fail {
						return 0, errors.New("boom")
					}
					return tt.batches[calls-1], nil
				}},
			}
			got, err := j.Sweep(t.Context())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Sweep error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want || calls != tt.calls {
				t.Errorf("Sweep = %d after %d calls, want %d after %d", got, calls, tt.want, tt.calls)
			}
		})
	}
}

func TestJanitorRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int32
	j := &storage.Janitor{
		Interval: time.Millisecond,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), nil)),
		Cleaner: fakeCleaner{deleteExpired: func(context.Context, time.Time, int) (int, error) {
			// Fail the first sweep: Run must log it and keep going.
			if calls.Add(1) == 1 {
				return 0, errors.New("database unreachable")
			}
			if calls.Load() >= 3 {
				cancel()
			}
			return 0, nil
		}},
	}
	done := make(chan error)
	go func() { done <- j.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if calls.Load() < 3 {
		t.Errorf("DeleteExpired called %d times, want at least 3", calls.Load())
	}
}
