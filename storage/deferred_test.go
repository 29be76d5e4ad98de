package storage_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// closeCounter is a store that counts its Close calls.
type closeCounter struct {
	*memory.Store
	closed atomic.Int32
}

func (c *closeCounter) Close() error {
	c.closed.Add(1)
	return c.Store.Close()
}

func TestDeferred(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := storage.NewDeferred(errors.New("dial tcp 10.0.0.5:5432: connection refused"))
	_, err := d.ListClients(ctx)
	if !errors.Is(err, storage.ErrUnavailable) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("before Set: %v, want ErrUnavailable with its cause", err)
	}
	if err := d.Ping(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Ping before Set: %v", err)
	}
	d.SetCause(errors.New("no route to host"))
	if err := d.Ping(ctx); !strings.Contains(err.Error(), "no route to host") {
		t.Errorf("the cause is not updated: %v", err)
	}
	real := &closeCounter{Store: memory.New(memory.Options{})}
	d.Set(real)
	if err := d.CreateAPIScope(ctx, storage.APIScope{Name: "orders"}); err != nil {
		t.Fatalf("after Set: %v", err)
	}
	if _, err := real.GetAPIScope(ctx, "orders"); err != nil {
		t.Errorf("the write did not reach the real store: %v", err)
	}
	if err := d.Close(); err != nil || real.closed.Load() != 1 {
		t.Errorf("Close: %v, real store closed %d times", err, real.closed.Load())
	}
	if err := d.Ping(ctx); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	// A store that opens while the server stops is closed, not leaked.
	late := &closeCounter{Store: memory.New(memory.Options{})}
	d.Set(late)
	if late.closed.Load() != 1 {
		t.Error("a store Set after Close was not closed")
	}
	if err := d.Ping(ctx); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("after a late Set: %v, want ErrClosed", err)
	}
}
