package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listener timing.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 5 * time.Second
	// listenIdle is how long the listener waits for a notification before
	// it pings its connection, so that a connection the network dropped
	// silently is noticed and replaced.
	listenIdle = 30 * time.Second
)

// topic is what a notification on the schema's channel is about: the
// configuration (the trigger of migration 0002 sends its new version), or
// the signing keys (the store sends keysPayload after each write).
type topic int

const (
	topicConfig topic = iota
	topicKeys
	topicAll // a reconnect: anything may have changed meanwhile
)

// keysPayload is the payload of the signing keys' notifications.
const keysPayload = "signing_keys"

func topicOf(payload string) topic {
	if payload == keysPayload {
		return topicKeys
	}
	return topicConfig
}

// watcher fans the notifications of one listening connection out to the
// channels WatchConfig and WatchSigningKeys returned.
type watcher struct {
	mu     sync.Mutex
	subs   map[chan struct{}]topic
	closed bool
	ready  chan struct{} // closed once the first LISTEN succeeded
}

// notify wakes every subscriber of t (all of them for topicAll); a
// subscriber that has not read the last wake-up yet gets no second one
// (sends are coalesced).
func (w *watcher) notify(t topic) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch, sub := range w.subs {
		if t != topicAll && sub != t {
			continue
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (w *watcher) remove(ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.subs[ch]; ok {
		delete(w.subs, ch)
		close(ch)
	}
}

func (w *watcher) closeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for ch := range w.subs {
		delete(w.subs, ch)
		close(ch)
	}
}

// WatchConfig implements storage.ConfigWatcher with LISTEN/NOTIFY: the
// channel receives after a transaction that changed clients or resources
// commits, from any instance, and also after the listening connection was
// lost and made again (changes may have been missed meanwhile). It is closed
// when ctx is done or the store is closed.
//
// The first call starts one listening connection, outside the pool, that
// reconnects with backoff until Close; WatchConfig waits until it listens (at
// most the connect timeout; past that the listener keeps trying in the
// background, and the caller's polling of ConfigVersion covers the gap).
func (s *Store) WatchConfig(ctx context.Context) (<-chan struct{}, error) {
	return s.watchTopic(ctx, topicConfig)
}

// WatchSigningKeys implements storage.SigningKeyWatcher as WatchConfig
// does configuration changes: the channel receives after a signing key was
// created, updated or deleted through any Store on the schema (signet
// serve making a key, signet keys rotating, retiring, revoking or
// re-encrypting one), and after the listening connection was made again.
func (s *Store) WatchSigningKeys(ctx context.Context) (<-chan struct{}, error) {
	return s.watchTopic(ctx, topicKeys)
}

func (s *Store) watchTopic(ctx context.Context, about topic) (<-chan struct{}, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	s.watchMu.Lock()
	if s.closed.Load() {
		s.watchMu.Unlock()
		return nil, s.alive()
	}
	w := s.watch
	if w == nil {
		w = &watcher{subs: map[chan struct{}]topic{}, ready: make(chan struct{})}
		s.watch = w
		s.wg.Add(1)
		go s.runListener(w)
	}
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.closed {
		close(ch)
	} else {
		w.subs[ch] = about
	}
	w.mu.Unlock()
	s.wg.Add(1) // under watchMu, which Close takes before it waits
	s.watchMu.Unlock()

	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			w.remove(ch)
		case <-s.bg.Done():
		}
	}()

	t := time.NewTimer(s.connect)
	defer t.Stop()
	select {
	case <-w.ready:
	case <-t.C:
		s.log.LogAttrs(ctx, slog.LevelWarn, "config listener not connected yet; it keeps trying",
			slog.String("database", s.target))
	case <-ctx.Done():
	case <-s.bg.Done():
	}
	return ch, nil
}

// runListener keeps one connection listening on the schema's channel until the
// store is closed, reconnecting with exponential backoff.
func (s *Store) runListener(w *watcher) {
	defer s.wg.Done()
	ctx := s.bg
	backoff := listenBackoffMin
	connected := false
	// lost: the connection was lost and no reconnection succeeded since.
	// Only the loss is a warning: the retries of an outage that goes on
	// would be a line every listenBackoffMax, while the store's Monitor
	// reports the outage once.
	lost := false
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, w, func() {
			backoff = listenBackoffMin
			lost = false
			if connected {
				// Changes made while no connection listened were not
				// heard: wake everyone to check.
				w.notify(topicAll)
			} else {
				connected = true
				close(w.ready)
			}
		})
		if ctx.Err() != nil {
			return
		}
		if !lost {
			lost = true
			s.log.LogAttrs(ctx, slog.LevelWarn, "config listener lost its connection; reconnecting",
				slog.String("database", s.target), slog.Duration("backoff", backoff), slog.Any("err", err))
		} else {
			s.log.LogAttrs(ctx, slog.LevelDebug, "config listener could not reconnect; retrying",
				slog.String("database", s.target), slog.Duration("backoff", backoff), slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, listenBackoffMax)
	}
}

// listenOnce connects, listens, calls listening, and relays notifications
// until the connection fails or ctx is done.
func (s *Store) listenOnce(ctx context.Context, w *watcher, listening func()) error {
	cctx, cancel := context.WithTimeout(ctx, s.connect)
	conn, err := pgx.ConnectConfig(cctx, s.listen.Copy())
	cancel()
	if err != nil {
		return mapErr(err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
	}()
	cctx, cancel = context.WithTimeout(ctx, s.connect)
	_, err = conn.Exec(cctx, "LISTEN "+pgx.Identifier{s.channel()}.Sanitize())
	cancel()
	if err != nil {
		return mapErr(err)
	}
	listening()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			w.notify(topicOf(n.Payload))
		case ctx.Err() != nil:
			return ctx.Err()
		case wctx.Err() != nil && !conn.IsClosed():
			// Quiet for a while: check that the connection still works.
			pctx, cancel := context.WithTimeout(ctx, s.connect)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return mapErr(err)
			}
		default:
			return mapErr(err)
		}
	}
}
