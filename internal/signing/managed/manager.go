package managed

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/storage"
)

// Store is what a Manager needs of storage: the signing keys, and the
// replay cache, whose UseOnce is the claim that makes each creation happen
// once across instances.
type Store interface {
	storage.SigningKeys
	UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error
}

// ClaimTTL is how long a claim to create a key holds: an instance that
// claimed and died is replaced by another after it.
const ClaimTTL = time.Minute

// claimMargin is how much longer than ClaimTTL Sync waits for the first key
// of an algorithm that another instance claimed.
const claimMargin = 15 * time.Second

// ClaimClient is the client id under which claims are recorded in the
// replay cache.
const ClaimClient = "signet:keys"

// DefaultInterval is how often Run syncs, whatever happens, when given no
// interval. Sooner, it syncs when the store's SigningKeysVersion changed
// (see RunOptions.Poll).
const DefaultInterval = time.Minute

// Options configure a Manager.
type Options struct {
	// KEK is the key-encryption key: 32 bytes, the AES-256-GCM key under
	// which private keys are kept in storage.
	KEK []byte
	// Algorithms are the key series, one per JWS algorithm, the first the
	// default for tokens: RS256 and PS256 (RSA-2048), ES256 (P-256), ES384
	// (P-384), ES512 (P-521).
	Algorithms []string
	// Propagation is how long a new key is published before it signs;
	// Rotation how long after it started signing a key is replaced
	// (longer than Propagation); Retention how long a key stays published
	// after it stopped signing (at least the longest token lifetime).
	Propagation, Rotation, Retention time.Duration
	// Now is the clock; nil means time.Now. Times are kept to the
	// millisecond, as storage keeps them.
	Now func() time.Time
	// Logger hears of every key created, retired and deleted, and of
	// failed refreshes; nil: no log. It never sees private keys or the KEK.
	Logger *slog.Logger
	// Source is the signing.Key.Source of the keys, for logs and pages,
	// e.g. "Managed (postgres 127.0.0.1:5432/signet)".
	Source string
	// Observer is told of every key created (key.rotated), retired,
	// withdrawn or deleted (key.retired) and revoked (key.revoked); nil
	// means observe.Discard.
	Observer observe.Observer
}

// Manager keeps the managed keys of a store: it creates, rotates and
// deletes them, and turns them into signing.Keys for a signing.Ring. It is
// safe for concurrent use, and any number of Managers (in one process or
// many) may share a store.
type Manager struct {
	store Store
	opts  Options
	kek   []byte
	log   *slog.Logger
	obs   observe.Observer
	wait  time.Duration // for the first key of an algorithm

	mu    sync.Mutex
	cache map[string]decrypted // by kid
	last  []storage.SigningKey // as of the last Sync, for Run
	// lastKeys are what the last Sync returned.
	lastKeys []*signing.Key
	// version is the store's SigningKeysVersion read before the last Sync
	// read the keys (if versionKnown): Run syncs when it changes.
	version      int64
	versionKnown bool
}

// decrypted is a key opened once: valid while the row's data is the same.
type decrypted struct {
	data   []byte
	signer crypto.Signer
}

// New makes a Manager, refusing Options that make no sense.
func New(store Store, opts Options) (*Manager, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("no store"))
	}
	if err := checkKEK("key-encryption key", opts.KEK); err != nil {
		errs = append(errs, err)
	}
	if len(opts.Algorithms) == 0 {
		errs = append(errs, errors.New("no signing algorithms: name at least one"))
	}
	for i, alg := range opts.Algorithms {
		if err := checkAlgorithm(alg); err != nil {
			errs = append(errs, err)
		} else if slices.Contains(opts.Algorithms[:i], alg) {
			errs = append(errs, fmt.Errorf("signing algorithm %s is listed twice", alg))
		}
	}
	if opts.Propagation <= 0 {
		errs = append(errs, fmt.Errorf("the propagation time (%s) must be positive: APIs need time to fetch a new key before it signs", opts.Propagation))
	}
	if opts.Rotation <= opts.Propagation {
		errs = append(errs, fmt.Errorf("the rotation interval (%s) must be longer than the propagation time (%s): a key is announced for the propagation time before its predecessor's rotation is due", opts.Rotation, opts.Propagation))
	}
	if opts.Retention <= 0 {
		errs = append(errs, fmt.Errorf("the retention (%s) must be positive: it keeps a retired key published while the tokens it signed are valid", opts.Retention))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("managed keys: %w", err)
	}
	m := &Manager{
		store: store,
		opts:  opts,
		kek:   bytes.Clone(opts.KEK),
		log:   opts.Logger,
		obs:   observe.Or(opts.Observer),
		wait:  ClaimTTL + claimMargin,
		cache: map[string]decrypted{},
	}
	m.opts.KEK = nil
	m.opts.Algorithms = slices.Clone(opts.Algorithms)
	if m.opts.Now == nil {
		m.opts.Now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

// Algorithms are the configured algorithms, the default first: what to
// pass to signing.Ring.Replace with the keys of Sync.
func (m *Manager) Algorithms() []string { return slices.Clone(m.opts.Algorithms) }

// now is the clock, to the millisecond.
func (m *Manager) now() time.Time { return time.UnixMilli(m.opts.Now().UnixMilli()).UTC() }

func (m *Manager) configured(alg string) bool { return slices.Contains(m.opts.Algorithms, alg) }

// Sync brings the store up to date at now and returns the keys for
// signing.Ring.Replace (with Algorithms), in order of preference, each with
// its Lifecycle; keys of algorithms no longer configured come without their
// private key (published only).
//
// For each configured algorithm it creates the first key of an empty
// series (it signs at once), announces a successor when the signer is
// within Propagation of its rotation, and deletes keys whose retention is
// over; each of these is done once across instances (see the package
// documentation). For an empty series it waits until the first key exists,
// made here or by another instance, up to ClaimTTL and a margin, or ctx.
//
// If a stored key cannot be opened with the KEK, Sync changes nothing and
// returns an *UnreadableError naming every such key.
func (m *Manager) Sync(ctx context.Context) ([]*signing.Key, error) {
	rows, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.openAll(rows); err != nil {
		return nil, err
	}
	now := m.now()
	for _, alg := range algorithmsOf(rows, m.opts.Algorithms) {
		series := seriesOf(rows, alg)
		if len(series) == 0 {
			if _, err := m.first(ctx, alg); err != nil {
				return nil, err
			}
			continue
		}
		if err := m.prune(ctx, series, now); err != nil {
			return nil, err
		}
		if m.configured(alg) {
			if err := m.succeed(ctx, series, now); err != nil {
				return nil, err
			}
		}
	}
	if _, err = m.repair(ctx); err != nil {
		return nil, err
	}
	// The version is read after this Sync's own writes and before the keys
	// it returns: any write after it is seen at Run's next poll.
	version, verr := m.store.SigningKeysVersion(ctx)
	if rows, err = m.list(ctx); err != nil {
		return nil, err
	}
	if err := m.openAll(rows); err != nil {
		return nil, err
	}
	keys := m.build(rows, m.now())
	m.mu.Lock()
	m.last, m.lastKeys = rows, keys
	m.version, m.versionKnown = version, verr == nil
	m.mu.Unlock()
	return keys, nil
}

// Keys returns the keys of the last successful Sync (nil before), for a
// ring whose validation keys change without a sync.
func (m *Manager) Keys() []*signing.Key {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastKeys
}

func (m *Manager) list(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := m.store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return rows, nil
}

// claim takes the right to create the key that follows after (a kid, or
// "none" for the first) in alg's series: true for the one instance that
// gets it within ClaimTTL.
func (m *Manager) claim(ctx context.Context, alg, after string) (bool, error) {
	err := m.store.UseOnce(ctx, ClaimClient, "next:"+alg+":"+after, m.now().Add(ClaimTTL))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, storage.ErrAlreadyExists):
		return false, nil
	}
	return false, fmt.Errorf("claim the next %s key: %w", alg, err)
}

// first makes sure alg's series has a key, waiting for another instance
// that claimed it, and returns it.
func (m *Manager) first(ctx context.Context, alg string) (storage.SigningKey, error) {
	deadline := time.Now().Add(m.wait)
	backoff := 20 * time.Millisecond
	for {
		won, err := m.claim(ctx, alg, "none")
		if err != nil {
			return storage.SigningKey{}, err
		}
		rows, err := m.list(ctx)
		if err != nil {
			return storage.SigningKey{}, err
		}
		if s := seriesOf(rows, alg); len(s) > 0 {
			return s[len(s)-1], nil
		}
		if won {
			now := m.now()
			return m.create(ctx, alg, now, now)
		}
		if time.Now().After(deadline) {
			return storage.SigningKey{}, fmt.Errorf("no %s signing key appeared within %s: another instance claimed its creation and did not make it; the next sync tries again", alg, m.wait)
		}
		m.log.Debug("waiting for another instance to create the first signing key", slog.String("alg", alg))
		select {
		case <-ctx.Done():
			return storage.SigningKey{}, fmt.Errorf("wait for the first %s signing key: %w", alg, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// succeed announces the successor of the signer of series when it is due:
// at Rotation − Propagation after the signer's Activates, when no newer key
// exists. Its Activates is the later of now + Propagation and the
// signer's Activates + Rotation.
func (m *Manager) succeed(ctx context.Context, series []storage.SigningKey, now time.Time) error {
	s := signerAt(series, now)
	if s < 0 || s != len(series)-1 {
		return nil
	}
	signer := series[s]
	alg := signer.Algorithm
	if now.Before(activates(signer).Add(m.opts.Rotation - m.opts.Propagation)) {
		return nil
	}
	won, err := m.claim(ctx, alg, signer.ID)
	if err != nil || !won {
		return err
	}
	// Read again: another instance may have made it before the last claim
	// expired.
	rows, err := m.list(ctx)
	if err != nil {
		return err
	}
	if cur := seriesOf(rows, alg); len(cur) == 0 || cur[len(cur)-1].ID != signer.ID {
		return nil
	}
	created := m.now()
	_, err = m.create(ctx, alg, created, later(created.Add(m.opts.Propagation), activates(signer).Add(m.opts.Rotation)))
	return err
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// prune deletes the keys of series whose retention is over at now: those
// before the signer whose successor's Activates + Retention has passed.
func (m *Manager) prune(ctx context.Context, series []storage.SigningKey, now time.Time) error {
	s := signerAt(series, now)
	for j := 0; j < s; j++ {
		if activates(series[j+1]).Add(m.opts.Retention).After(now) {
			continue
		}
		err := m.store.DeleteSigningKey(ctx, series[j].ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("delete signing key %s: %w", series[j].ID, err)
		}
		if err == nil {
			m.log.Info("deleted a retired signing key", slog.String("kid", series[j].ID), slog.String("alg", series[j].Algorithm))
			m.report(ctx, observe.KeyRetired, series[j].ID, series[j].Algorithm, "deleted: its retention is over", slog.String("stage", "deleted"))
		}
	}
	return nil
}

// create makes, encrypts and stores a new key of alg.
func (m *Manager) create(ctx context.Context, alg string, created, activates time.Time) (storage.SigningKey, error) {
	var priv crypto.Signer
	var kid string
	// A kid is typed on command lines (signet keys retire KID), where one
	// that starts with "-" reads as a flag: one key in 64 is made again.
	for kid == "" || strings.HasPrefix(kid, "-") {
		var err error
		if priv, err = generate(alg); err != nil {
			return storage.SigningKey{}, fmt.Errorf("generate a %s key: %w", alg, err)
		}
		if kid, err = thumbprint(priv.Public()); err != nil {
			return storage.SigningKey{}, err
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("encode the %s key: %w", alg, err)
	}
	data, err := seal(m.kek, kid, alg, der)
	if err != nil {
		return storage.SigningKey{}, fmt.Errorf("encrypt the %s key: %w", alg, err)
	}
	row := storage.SigningKey{ID: kid, Algorithm: alg, Data: data, Created: created, Activates: activates}
	if err := m.store.CreateSigningKey(ctx, row); err != nil {
		return storage.SigningKey{}, fmt.Errorf("store the new %s key: %w", alg, err)
	}
	m.mu.Lock()
	m.cache[kid] = decrypted{data: data, signer: priv}
	m.mu.Unlock()
	m.log.Info("created a signing key", slog.String("kid", kid), slog.String("alg", alg), slog.Time("signs_from", activates))
	m.report(ctx, observe.KeyRotated, kid, alg, "", slog.Time("signs_from", activates))
	return row, nil
}

// report tells the observer of an act on key kid.
func (m *Manager) report(ctx context.Context, name, kid, alg, detail string, attrs ...slog.Attr) {
	if m.obs != observe.Discard {
		m.obs.Observe(ctx, &observe.Event{Name: name, KeyID: kid, Alg: alg, Detail: detail, Attrs: attrs})
	}
}

// repair reads the keys and makes their stored Retires and Expires what
// the lifecycle says (see display), for every series; it returns the keys
// it read.
func (m *Manager) repair(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	wrote := false
	for _, alg := range algorithmsOf(rows, nil) {
		series := seriesOf(rows, alg)
		for i, k := range series {
			r, e := display(series, i, m.opts.Retention)
			if sameMilli(k.Retires, r) && sameMilli(k.Expires, e) {
				continue
			}
			if err := m.setDisplay(ctx, k.ID, r, e); err != nil {
				return nil, err
			}
			wrote = true
		}
	}
	if !wrote {
		return rows, nil
	}
	return m.list(ctx)
}

func (m *Manager) setDisplay(ctx context.Context, kid string, retires, expires time.Time) error {
	err := m.store.UpdateSigningKey(ctx, kid, func(k *storage.SigningKey) error {
		k.Retires, k.Expires = retires, expires
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("update signing key %s: %w", kid, err)
	}
	return nil
}

func sameMilli(a, b time.Time) bool {
	return a.IsZero() == b.IsZero() && (a.IsZero() || a.UnixMilli() == b.UnixMilli())
}

// build turns rows into signing keys, per algorithm (configured ones
// first, in order) the signer at now first, then the others newest first.
func (m *Manager) build(rows []storage.SigningKey, now time.Time) []*signing.Key {
	var keys []*signing.Key
	for _, alg := range algorithmsOf(rows, m.opts.Algorithms) {
		series := seriesOf(rows, alg)
		s := signerAt(series, now)
		order := make([]int, 0, len(series))
		if s >= 0 {
			order = append(order, s)
			for j := len(series) - 1; j >= 0; j-- {
				if j != s {
					order = append(order, j)
				}
			}
		} else {
			for j := range series {
				order = append(order, j)
			}
		}
		for _, j := range order {
			row := series[j]
			priv := m.cached(row)
			if priv == nil {
				continue // openAll refused these before
			}
			lc := lifecycleOf(series, j, m.opts.Retention)
			k := &signing.Key{ID: row.ID, Algorithm: alg, Public: priv.Public(), Source: m.opts.Source, Lifecycle: &lc}
			if m.configured(alg) {
				k.Signer = priv
			}
			keys = append(keys, k)
		}
	}
	return keys
}

// cached returns the private key of row if it was opened with its current
// data.
func (m *Manager) cached(row storage.SigningKey) crypto.Signer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.cache[row.ID]; ok && bytes.Equal(d.data, row.Data) {
		return d.signer
	}
	return nil
}

// openRow decrypts row, or returns it from the cache.
func (m *Manager) openRow(row storage.SigningKey) (crypto.Signer, error) {
	if priv := m.cached(row); priv != nil {
		return priv, nil
	}
	der, err := open(m.kek, row.ID, row.Algorithm, row.Data)
	if err != nil {
		return nil, err
	}
	priv, err := parse(der, row.ID, row.Algorithm)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.cache[row.ID] = decrypted{data: bytes.Clone(row.Data), signer: priv}
	m.mu.Unlock()
	return priv, nil
}

// openAll opens every row, and forgets cached keys no longer stored. It
// returns an *UnreadableError naming those it cannot open.
func (m *Manager) openAll(rows []storage.SigningKey) error {
	ue := &UnreadableError{KEKID: KEKID(m.kek)}
	for _, row := range rows {
		if _, err := m.openRow(row); err != nil {
			ue.Keys = append(ue.Keys, unreadable(row, err))
		}
	}
	m.mu.Lock()
	for kid := range m.cache {
		if !slices.ContainsFunc(rows, func(r storage.SigningKey) bool { return r.ID == kid }) {
			delete(m.cache, kid)
		}
	}
	m.mu.Unlock()
	if len(ue.Keys) > 0 {
		return ue
	}
	return nil
}

func unreadable(row storage.SigningKey, err error) UnreadableKey {
	id, _ := envelopeKEKID(row.Data)
	return UnreadableKey{ID: row.ID, Algorithm: row.Algorithm, Created: row.Created, KEKID: id, Err: err}
}

// UnreadableError says which stored keys the configured key-encryption key
// cannot open, and what to do.
type UnreadableError struct {
	// KEKID is the id of the configured key-encryption key (see KEKID).
	KEKID string
	Keys  []UnreadableKey
}

// UnreadableKey is a stored key that cannot be opened.
type UnreadableKey struct {
	ID, Algorithm string
	Created       time.Time
	// KEKID is the id of the key-encryption key its envelope names; empty
	// if the data is not an envelope.
	KEKID string
	// Err wraps ErrOtherKEK or ErrCorrupt.
	Err error
}

func (e *UnreadableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot open %d managed signing key(s) with the configured key-encryption key (id %s):", len(e.Keys), e.KEKID)
	other, corrupt := false, false
	for _, k := range e.Keys {
		fmt.Fprintf(&b, "\n  kid %s (%s, created %s): %v", k.ID, k.Algorithm, k.Created.UTC().Format(time.RFC3339), k.Err)
		if errors.Is(k.Err, ErrOtherKEK) {
			other = true
		} else {
			corrupt = true
		}
	}
	b.WriteString("\nSignet does not replace keys it cannot open: tokens they signed would stop validating.")
	if other {
		b.WriteString("\nConfigure the key-encryption key they were made with, or re-encrypt them under the configured one with `signet keys rekey` (it needs the old and the new key-encryption key).")
	}
	if corrupt {
		b.WriteString("\nA key whose data is corrupt was changed in the database: restore it from a backup.")
	}
	return b.String()
}

// Unwrap returns the error of each key, so that errors.Is finds ErrOtherKEK
// and ErrCorrupt.
func (e *UnreadableError) Unwrap() []error {
	errs := make([]error, len(e.Keys))
	for i, k := range e.Keys {
		errs[i] = k.Err
	}
	return errs
}
