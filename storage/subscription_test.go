package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/signetid/signet/storage"
)

// A store not reachable yet is asked again at each Ask; one that refuses
// is asked no more (and says why once); Closed leaves polling only.
func TestSubscription(t *testing.T) {
	ctx := t.Context()
	ch := make(chan struct{})
	calls := 0
	answers := []error{fmt.Errorf("connect: %w", storage.ErrUnavailable), nil}
	watch := func(context.Context) (<-chan struct{}, error) {
		err := answers[calls]
		calls++
		if err != nil {
			return nil, err
		}
		return ch, nil
	}
	s := storage.Subscribe(ctx, watch, func(err error) { t.Errorf("refused: %v", err) })
	if s.C != nil || calls != 1 {
		t.Fatalf("after an unavailable store: C %v, %d calls", s.C, calls)
	}
	s.Ask(ctx)
	if s.C == nil || calls != 2 {
		t.Fatalf("after it answered: C %v, %d calls", s.C, calls)
	}
	s.Ask(ctx)
	if calls != 2 {
		t.Errorf("asked again while subscribed: %d calls", calls)
	}
	s.Closed()
	s.Ask(ctx)
	if s.C != nil || calls != 2 {
		t.Errorf("after Closed: C %v, %d calls", s.C, calls)
	}

	var refused []error
	no := storage.Subscribe(ctx, func(context.Context) (<-chan struct{}, error) { calls++; return nil, errors.New("cannot push") },
		func(err error) { refused = append(refused, err) })
	no.Ask(ctx)
	if no.C != nil || len(refused) != 1 || calls != 3 {
		t.Errorf("a refusing store: C %v, refused %v, %d calls", no.C, refused, calls)
	}
	if none := storage.Subscribe(ctx, nil, nil); none.C != nil {
		t.Error("a store that cannot push has a channel")
	}
}
