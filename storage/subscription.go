package storage

import (
	"context"
	"errors"
)

// A Subscription follows a store's pushed changes (ConfigWatcher,
// SigningKeyWatcher) for a loop that polls as well, which is the
// guarantee: the loop selects on C, calls Ask at each poll, and Closed when
// C closes. A store that cannot push, or refuses to, leaves C nil (a
// select never picks it) and the loop polling only.
type Subscription struct {
	watch   func(context.Context) (<-chan struct{}, error)
	refused func(error)
	// C receives after a change; nil until subscribed.
	C <-chan struct{}
}

// Subscribe makes a Subscription over watch (nil: the store cannot push)
// and asks once. refused hears why a store will not push (it is asked no
// more); a store that is not reachable now (ErrUnavailable) is asked again
// at the next Ask.
func Subscribe(ctx context.Context, watch func(context.Context) (<-chan struct{}, error), refused func(error)) *Subscription {
	s := &Subscription{watch: watch, refused: refused}
	s.Ask(ctx)
	return s
}

// Ask subscribes if not subscribed yet.
func (s *Subscription) Ask(ctx context.Context) {
	if s.watch == nil || s.C != nil {
		return
	}
	ch, err := s.watch(ctx)
	switch {
	case err == nil:
		s.C = ch
	case errors.Is(err, ErrUnavailable):
		// Not reachable now: asked again at the next poll.
	default:
		s.watch = nil
		if s.refused != nil {
			s.refused(err)
		}
	}
}

// Closed is called when C closed (the store was closed): polling only
// from now on.
func (s *Subscription) Closed() { s.C, s.watch = nil, nil }
