package managed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/storage"
)

// KeyInfo describes a stored key, for `signet keys list`; it holds no
// private material.
type KeyInfo struct {
	ID        string
	Algorithm string
	// State is the key's state now.
	State State
	// Created is when it was made and announced (published); SignsFrom
	// when it signs; SignsUntil when it stops (zero: until a successor
	// takes over); PublishedUntil when it leaves the JWKS and is deleted
	// (zero: open).
	Created, SignsFrom, SignsUntil, PublishedUntil time.Time
	// Configured is false for a key of an algorithm no longer in
	// Options.Algorithms: published, never signs, never rotated.
	Configured bool
	// Readable says whether the configured KEK opens it; Problem says why
	// not.
	Readable bool
	Problem  string
}

// List describes every stored key: per algorithm (configured ones first, in
// order), in lifecycle order.
func (m *Manager) List(ctx context.Context) ([]KeyInfo, error) {
	rows, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	now := m.now()
	var out []KeyInfo
	for _, alg := range algorithmsOf(rows, m.opts.Algorithms) {
		series := seriesOf(rows, alg)
		for i := range series {
			out = append(out, m.info(series, i, now))
		}
	}
	return out, nil
}

func (m *Manager) info(series []storage.SigningKey, i int, now time.Time) KeyInfo {
	k := series[i]
	lc := lifecycleOf(series, i, m.opts.Retention)
	ki := KeyInfo{
		ID: k.ID, Algorithm: k.Algorithm, State: stateOf(series, i, now),
		Created: lc.Announced, SignsFrom: lc.SignFrom, SignsUntil: lc.SignUntil, PublishedUntil: lc.PublishUntil,
		Configured: m.configured(k.Algorithm), Readable: true,
	}
	if _, err := m.openRow(k); err != nil {
		ki.Readable, ki.Problem = false, err.Error()
	}
	return ki
}

// infoOf describes the stored key kid.
func (m *Manager) infoOf(ctx context.Context, alg, kid string) (KeyInfo, error) {
	rows, err := m.list(ctx)
	if err != nil {
		return KeyInfo{}, err
	}
	series := seriesOf(rows, alg)
	for i, k := range series {
		if k.ID == kid {
			return m.info(series, i, m.now()), nil
		}
	}
	return KeyInfo{}, fmt.Errorf("signing key %s: %w", kid, storage.ErrNotFound)
}

// series reads the keys of a configured algorithm and checks that each
// opens; the manual operations refuse to act on a series they cannot open.
func (m *Manager) series(ctx context.Context, alg string) ([]storage.SigningKey, error) {
	if !m.configured(alg) {
		return nil, fmt.Errorf("algorithm %s is not one of the configured signing algorithms %v", alg, m.opts.Algorithms)
	}
	rows, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	series := seriesOf(rows, alg)
	if err := m.openAll(rows); err != nil {
		var ue *UnreadableError
		if errors.As(err, &ue) {
			for _, k := range ue.Keys {
				if k.Algorithm == alg {
					return nil, err
				}
			}
		}
	}
	return series, nil
}

// immediate is the Activates of a key that replaces series[s] at once: now,
// or just after the signer's if that is now (within the millisecond).
func immediate(series []storage.SigningKey, s int, now time.Time) time.Time {
	if s >= 0 && !activates(series[s]).Before(now) {
		return activates(series[s]).Add(time.Millisecond)
	}
	return now
}

// Rotate starts a rotation of alg's series now, and returns the new key. A
// new key is announced and signs after Propagation; if one is announced
// already, Rotate returns it and makes none. With immediately, the new key
// signs at once (an emergency: the signer is compromised); the current
// signer stays published for Retention, and a key announced before still
// takes over at its time.
//
// Rotate does not claim (see the package documentation): an operator's
// rotation run at once on two instances makes two keys, which is harmless.
// Run it on one instance (`signet keys rotate`); the others see the new key
// at their next sync.
func (m *Manager) Rotate(ctx context.Context, alg string, immediately bool) (KeyInfo, error) {
	series, err := m.series(ctx, alg)
	if err != nil {
		return KeyInfo{}, err
	}
	now := m.now()
	var row storage.SigningKey
	s := signerAt(series, now)
	switch {
	case len(series) == 0:
		row, err = m.first(ctx, alg)
	case immediately:
		row, err = m.create(ctx, alg, now, immediate(series, s, now))
		if err == nil {
			m.log.Warn("rotated a signing key at once", slog.String("alg", alg), slog.String("kid", row.ID))
		}
	case s < len(series)-1:
		row = series[s+1]
	default:
		row, err = m.create(ctx, alg, now, now.Add(m.opts.Propagation))
	}
	if err != nil {
		return KeyInfo{}, err
	}
	if _, err := m.repair(ctx); err != nil {
		return KeyInfo{}, err
	}
	return m.infoOf(ctx, alg, row.ID)
}

// Retire stops kid signing now. If it is its algorithm's signer, its
// successor signs at once: the first announced key if there is one (its
// Activates becomes now), else a new key; kid stays published for
// Retention. A key announced and not yet signing is withdrawn: deleted,
// as it never signed a token (the next successor is announced when due). A
// key already retired is an error wrapping ErrRetired (Revoke drops it). An
// announced key that activates within withdrawMargin is refused: an
// instance may be signing with it already.
//
// An error wraps storage.ErrNotFound if there is no such key.
func (m *Manager) Retire(ctx context.Context, kid string) error {
	row, err := m.store.GetSigningKey(ctx, kid)
	if err != nil {
		return fmt.Errorf("signing key %s: %w", kid, err)
	}
	series, err := m.series(ctx, row.Algorithm)
	if err != nil {
		return err
	}
	now := m.now()
	i := -1
	for j, k := range series {
		if k.ID == kid {
			i = j
		}
	}
	if i < 0 {
		return fmt.Errorf("signing key %s: %w", kid, storage.ErrNotFound)
	}
	s := signerAt(series, now)
	switch {
	case i < s:
		return fmt.Errorf("signing key %s: %w", kid, ErrRetired)
	case i > s && activates(series[i]).Sub(now) < withdrawMargin:
		return fmt.Errorf("signing key %s starts signing at %s, in less than %s: an instance (or a clock a little ahead) may sign with it already; retire it once it signs", kid, activates(series[i]).Format(time.RFC3339), withdrawMargin)
	case i == s && i+1 < len(series):
		next := series[i+1]
		at := immediate(series, s, now)
		err := m.store.UpdateSigningKey(ctx, next.ID, func(k *storage.SigningKey) error {
			if activates(*k).After(at) {
				k.Activates = at
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("activate signing key %s: %w", next.ID, err)
		}
		m.log.Warn("retired a signing key; its announced successor signs at once", slog.String("kid", kid), slog.String("successor", next.ID), slog.String("alg", row.Algorithm))
		m.report(ctx, observe.KeyRetired, kid, row.Algorithm, "", slog.String("successor", next.ID))
	case i == s:
		next, err := m.create(ctx, row.Algorithm, now, immediate(series, s, now))
		if err != nil {
			return err
		}
		m.log.Warn("retired a signing key; a new key signs at once", slog.String("kid", kid), slog.String("successor", next.ID), slog.String("alg", row.Algorithm))
		m.report(ctx, observe.KeyRetired, kid, row.Algorithm, "", slog.String("successor", next.ID))
	default:
		// Withdraw an announced key. First make its predecessor's stored
		// dates what they are without it, so that storage.Cleaner never
		// sees an expiry the lifecycle does not have.
		rest := append(series[:i:i], series[i+1:]...)
		if i > 0 {
			r, e := display(rest, i-1, m.opts.Retention)
			if err := m.setDisplay(ctx, rest[i-1].ID, r, e); err != nil {
				return err
			}
		}
		if err := m.store.DeleteSigningKey(ctx, kid); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("delete signing key %s: %w", kid, err)
		}
		m.log.Warn("withdrew an announced signing key before it signed", slog.String("kid", kid), slog.String("alg", row.Algorithm))
		m.report(ctx, observe.KeyRetired, kid, row.Algorithm, "withdrawn before it signed", slog.String("stage", "withdrawn"))
	}
	_, err = m.repair(ctx)
	return err
}

// ErrRetired: the key does not sign any more; Revoke drops it from the
// JWKS.
var ErrRetired = errors.New("the key is retired already: it stays published until its tokens expire; revoke it to drop it from the JWKS now")

// withdrawMargin is how close to its activation an announced key may still
// be withdrawn: instances sync every DefaultInterval, and clocks differ.
const withdrawMargin = DefaultInterval + 5*time.Minute

// Revoke drops kid from the store, so that every instance stops
// publishing it at its next sync and the tokens it signed stop validating:
// for a compromised key. A key that signs is retired first (its successor
// signs at once).
//
// An error wraps storage.ErrNotFound if there is no such key.
func (m *Manager) Revoke(ctx context.Context, kid string) error {
	err := m.Retire(ctx, kid)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return err
	case err != nil && !errors.Is(err, ErrRetired):
		if _, gone := m.store.GetSigningKey(ctx, kid); errors.Is(gone, storage.ErrNotFound) {
			break // withdrawn: it was announced, and is gone already
		}
		return err
	}
	row, err := m.store.GetSigningKey(ctx, kid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // an announced key: Retire withdrew it
	} else if err != nil {
		return fmt.Errorf("signing key %s: %w", kid, err)
	}
	series, err := m.series(ctx, row.Algorithm)
	if err != nil {
		return err
	}
	// Make the predecessor's stored dates what they are without it first,
	// so that storage.Cleaner never sees an expiry the lifecycle lacks.
	for i, k := range series {
		if k.ID != kid || i == 0 {
			continue
		}
		rest := append(series[:i:i], series[i+1:]...)
		r, e := display(rest, i-1, m.opts.Retention)
		if err := m.setDisplay(ctx, rest[i-1].ID, r, e); err != nil {
			return err
		}
	}
	if err := m.store.DeleteSigningKey(ctx, kid); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("delete signing key %s: %w", kid, err)
	}
	m.log.Warn("revoked a signing key: it is no longer published, and the tokens it signed no longer validate", slog.String("kid", kid), slog.String("alg", row.Algorithm))
	m.report(ctx, observe.KeyRevoked, kid, row.Algorithm, "")
	_, err = m.repair(ctx)
	return err
}

// Rekey re-encrypts under newKEK every stored key that oldKEK opens, and
// returns how many it re-encrypted. Keys already under newKEK are skipped,
// so it can be run again after a failure. It first checks that every key
// opens under one of the two and writes nothing otherwise; the error names
// each key neither opens.
//
// Servers running with the old KEK keep serving their last keys but cannot
// read the re-encrypted ones: restart them with the new one.
func Rekey(ctx context.Context, store Store, oldKEK, newKEK []byte) (rekeyed int, err error) {
	if err := errors.Join(checkKEK("old key-encryption key", oldKEK), checkKEK("new key-encryption key", newKEK)); err != nil {
		return 0, err
	}
	if bytes.Equal(oldKEK, newKEK) {
		return 0, errors.New("the old and the new key-encryption key are the same")
	}
	rows, err := store.ListSigningKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("list signing keys: %w", err)
	}
	type todo struct {
		row storage.SigningKey
		der []byte
	}
	var work []todo
	ue := &UnreadableError{KEKID: KEKID(newKEK)}
	for _, row := range rows {
		der, errOld := open(oldKEK, row.ID, row.Algorithm, row.Data)
		if errOld == nil {
			if _, err := parse(der, row.ID, row.Algorithm); err != nil {
				ue.Keys = append(ue.Keys, unreadable(row, err))
				continue
			}
			work = append(work, todo{row, der})
			continue
		}
		der, errNew := open(newKEK, row.ID, row.Algorithm, row.Data)
		if errNew == nil {
			_, errNew = parse(der, row.ID, row.Algorithm)
		}
		if errNew != nil {
			if errors.Is(errOld, ErrOtherKEK) && errors.Is(errNew, ErrOtherKEK) {
				errNew = fmt.Errorf("%w (id %s), neither the old (id %s) nor the new (id %s)", ErrOtherKEK, unreadable(row, nil).KEKID, KEKID(oldKEK), KEKID(newKEK))
			}
			ue.Keys = append(ue.Keys, unreadable(row, errNew))
		}
	}
	if len(ue.Keys) > 0 {
		return 0, fmt.Errorf("rekey: nothing re-encrypted: %w", ue)
	}
	for _, w := range work {
		data, err := seal(newKEK, w.row.ID, w.row.Algorithm, w.der)
		if err != nil {
			return rekeyed, err
		}
		err = store.UpdateSigningKey(ctx, w.row.ID, func(k *storage.SigningKey) error {
			if !bytes.Equal(k.Data, w.row.Data) {
				return errChanged
			}
			k.Data = data
			return nil
		})
		switch {
		case errors.Is(err, storage.ErrNotFound):
			// Deleted meanwhile: nothing to re-encrypt.
		case errors.Is(err, errChanged):
			return rekeyed, fmt.Errorf("rekey signing key %s: it changed meanwhile; run rekey again", w.row.ID)
		case err != nil:
			return rekeyed, fmt.Errorf("rekey signing key %s: %w", w.row.ID, err)
		default:
			rekeyed++
		}
	}
	return rekeyed, nil
}

var errChanged = errors.New("changed meanwhile")

// RunOptions configure Run.
type RunOptions struct {
	// Interval is how often Run syncs whatever happens (DefaultInterval if
	// not positive): the guarantee when a change was not seen otherwise.
	Interval time.Duration
	// Poll is how often Run reads the store's SigningKeysVersion, one small
	// read, and syncs when it changed (DefaultPoll if not positive); at
	// most Interval.
	Poll time.Duration
	// Apply takes the keys of each sync: it replaces a ring's keys (the
	// caller serialises it with any other change to the ring, such as a
	// reload of validation keys).
	Apply func(keys []*signing.Key) error
	// Requests, when set, asks for a sync at once (SIGHUP): Run sends the
	// outcome of the sync and of Apply on the channel given.
	Requests <-chan chan<- error
}

// DefaultPoll is how often Run reads the store's SigningKeysVersion when
// given no Poll: the configuration's storage.pollInterval by default.
const DefaultPoll = 2 * time.Second

// Run keeps the keys current until ctx is done: it syncs when the store's
// SigningKeysVersion changed (read every Poll), so that signet keys rotate
// --now, retire and revoke, run beside it on the same database, reach it
// within Poll without reading every key at each poll; at once when a store
// that can push changes (storage.SigningKeyWatcher: PostgreSQL) says the
// keys changed, or when asked (Requests); at the next lifecycle edge (a
// successor due, a key activating, a retention ending); and every Interval
// whatever happens. It gives the result to Apply. A failure is logged and
// the last keys keep serving. Call Sync and build the ring first; Run
// waits before its first sync.
func (m *Manager) Run(ctx context.Context, opts RunOptions) {
	interval, poll := opts.Interval, opts.Poll
	if interval <= 0 {
		interval = DefaultInterval
	}
	if poll <= 0 {
		poll = DefaultPoll
	}
	polls := time.NewTicker(min(poll, interval))
	defer polls.Stop()
	var watch func(context.Context) (<-chan struct{}, error)
	if w, ok := m.store.(storage.SigningKeyWatcher); ok {
		watch = w.WatchSigningKeys
	}
	pushed := storage.Subscribe(ctx, watch, func(err error) {
		m.log.Debug("no signing key notifications from the store; polling its version only", slog.String("error", err.Error()))
	})
	next := time.Now().Add(interval) // the next sync whatever happens
	for {
		wait := time.Until(next)
		if edge := m.nextEdge(m.now()); !edge.IsZero() {
			wait = min(wait, max(edge.Sub(m.now()), 10*time.Millisecond))
		}
		t := time.NewTimer(max(wait, 0))
		var reply chan<- error
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
			pushed.Ask(ctx)
		case <-polls.C:
			t.Stop()
			if !m.changed(ctx) {
				continue
			}
			// As for a notification: a command may be between its
			// writes; let it finish first.
			select {
			case <-ctx.Done():
				return
			case <-time.After(pushSettle):
			}
		case reply = <-opts.Requests:
			t.Stop()
		case _, ok := <-pushed.C:
			t.Stop()
			if !ok { // the store closed: polling only
				pushed.Closed()
				continue
			}
			// A command such as rotate --now writes more than one row:
			// let it finish, then sync once for all of them.
			select {
			case <-ctx.Done():
				return
			case <-time.After(pushSettle):
			}
			select {
			case <-pushed.C:
			default:
			}
		}
		keys, err := m.Sync(ctx)
		next = time.Now().Add(interval)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.log.Error("refresh managed signing keys; the last keys keep serving", slog.Any("err", err))
		} else if err = opts.Apply(keys); err != nil {
			m.log.Error("replace the signing keys; the last keys keep serving", slog.Any("err", err))
		}
		if reply != nil {
			reply <- err
		}
	}
}

// changed reports whether the store's SigningKeysVersion differs from the
// one the last Sync read before it read the keys. A store that does not
// answer is not a change: the sync every interval reports it.
func (m *Manager) changed(ctx context.Context) bool {
	v, err := m.store.SigningKeysVersion(ctx)
	if err != nil {
		m.log.Debug("read the signing keys version", slog.String("error", err.Error()))
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.versionKnown || v != m.version
}

// pushSettle is how long Run waits after a notification before it syncs,
// so that the writes of one command are seen together.
const pushSettle = 100 * time.Millisecond

// nextEdge is the first time after now at which the last synced keys need
// a sync: a successor due, a key activating, a retention ending.
func (m *Manager) nextEdge(now time.Time) time.Time {
	m.mu.Lock()
	rows := m.last
	m.mu.Unlock()
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, alg := range m.opts.Algorithms {
		series := seriesOf(rows, alg)
		s := signerAt(series, now)
		for j := range series {
			switch {
			case j > s:
				consider(activates(series[j]))
			case j < s:
				consider(activates(series[j+1]).Add(m.opts.Retention))
			case j == len(series)-1:
				consider(activates(series[j]).Add(m.opts.Rotation - m.opts.Propagation))
			}
		}
	}
	return next
}
