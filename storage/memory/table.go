package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/signetid/signet/storage"
)

// table is one kind of record keyed by a string: the create, get, list,
// update and delete that every record shares. Its methods run under the
// store's mutex.
type table[T any] struct {
	// Kind names the key (in CheckKey messages: "client id"), reads it,
	// and checks a record.
	storage.Kind[T]
	kind   string    // names the record in errors: "client"
	config bool      // writes change the ConfigVersion
	keys   bool      // writes change the SigningKeysVersion
	copy   func(T) T // a deep copy, with times as the store keeps them
	order  func(a, b T) int
	// stamp, if set, sets the times the store owns at now; old is the
	// stored record on update, nil on create.
	stamp func(v, old *T, now time.Time)
	// expires, if set, is the record's expiry: a record expired at the
	// caller's now is missing for get, update and listLive.
	expires func(T) time.Time
	// unique, if set, is a second key no two records share (a user's
	// normalized username); uniqueField names it in errors.
	unique      func(T) string
	uniqueField string
	// fixed, if set, refuses an update that changed what cannot change
	// besides the key (a session's subject); old is the stored record.
	fixed func(old, v T) error
	// owner, if set, is the id of the user a record belongs to: create
	// refuses a record of a user that does not exist.
	owner func(T) string
	// keyChecked says the methods' callers check the key themselves (a
	// link's pair, joined with a NUL that CheckKey refuses).
	keyChecked bool
	rows       map[string]T
}

func (t *table[T]) checkKey(key string) error {
	if t.keyChecked {
		return nil
	}
	return storage.CheckKey(t.Field, key)
}

// live returns the record of key unless it is missing or expired at now.
// The caller holds the store's mutex.
func (t *table[T]) live(key string, now time.Time) (T, bool) {
	v, ok := t.rows[key]
	if ok && t.expires != nil && expired(t.expires(v), now) {
		var zero T
		return zero, false
	}
	return v, ok
}

// sweep removes at most limit records expired at now and returns how many.
// The caller holds the store's mutex.
func (t *table[T]) sweep(now time.Time, limit int) int {
	n := 0
	for k, v := range t.rows {
		if n == limit {
			break
		}
		if expired(t.expires(v), now) {
			delete(t.rows, k)
			n++
		}
	}
	return n
}

// taken returns an error wrapping ErrAlreadyExists if a record other than
// the one of key has v's unique value. The caller holds the store's mutex.
func (t *table[T]) taken(op, key string, v T) error {
	if t.unique == nil {
		return nil
	}
	u := t.unique(v)
	for k, r := range t.rows {
		if k != key && t.unique(r) == u {
			return fmt.Errorf("%s %s %q: %s taken: %w", op, t.kind, key, t.uniqueField, storage.ErrAlreadyExists)
		}
	}
	return nil
}

func (t *table[T]) create(s *Store, ctx context.Context, v T) error {
	if err := t.Check(v); err != nil {
		return err
	}
	v = t.copy(v)
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	key := t.Key(v)
	if _, ok := t.rows[key]; ok {
		return fmt.Errorf("create %s %q: %w", t.kind, key, storage.ErrAlreadyExists)
	}
	if err := t.taken("create", key, v); err != nil {
		return err
	}
	if t.owner != nil {
		if _, ok := s.users.rows[t.owner(v)]; !ok {
			return fmt.Errorf("create %s: user %q: %w", t.kind, t.owner(v), storage.ErrNotFound)
		}
	}
	if t.stamp != nil {
		t.stamp(&v, nil, s.now())
	}
	t.rows[key] = v
	t.written(s)
	return nil
}

// get returns the record of key; now matters only for expiring records.
func (t *table[T]) get(s *Store, ctx context.Context, key string, now time.Time) (T, error) {
	var zero T
	if err := t.checkKey(key); err != nil {
		return zero, err
	}
	if err := s.lock(ctx); err != nil {
		return zero, err
	}
	defer s.mu.Unlock()
	v, ok := t.live(key, now)
	if !ok {
		return zero, fmt.Errorf("get %s %q: %w", t.kind, key, storage.ErrNotFound)
	}
	return t.copy(v), nil
}

// listLive returns copies of the records that match and have not expired at
// now, in the table's order.
func (t *table[T]) listLive(s *Store, ctx context.Context, now time.Time, match func(T) bool) ([]T, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var vs []T
	for k, v := range t.rows {
		if _, ok := t.live(k, now); ok && match(v) {
			vs = append(vs, t.copy(v))
		}
	}
	slices.SortFunc(vs, t.order)
	return vs, nil
}

// deleteWhere removes the records that match, expired ones included, and
// returns how many.
func (t *table[T]) deleteWhere(s *Store, ctx context.Context, match func(T) bool) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, v := range t.rows {
		if match(v) {
			delete(t.rows, k)
			n++
		}
	}
	if n > 0 {
		t.written(s)
	}
	return n, nil
}

func (t *table[T]) list(s *Store, ctx context.Context) ([]T, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	vs := make([]T, 0, len(t.rows))
	for _, v := range t.rows {
		vs = append(vs, t.copy(v))
	}
	slices.SortFunc(vs, t.order)
	return vs, nil
}

// update runs update on a copy of the record of key and stores the result;
// now matters only for expiring records.
func (t *table[T]) update(s *Store, ctx context.Context, key string, now time.Time, update func(*T) error) error {
	if err := t.checkKey(key); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := t.live(key, now)
	if !ok {
		return fmt.Errorf("update %s %q: %w", t.kind, key, storage.ErrNotFound)
	}
	v := t.copy(old)
	if err := update(&v); err != nil {
		return err
	}
	if err := storage.CheckSameKey(t.Field, key, t.Key(v)); err != nil {
		return err
	}
	if t.fixed != nil {
		if err := t.fixed(old, v); err != nil {
			return err
		}
	}
	if err := t.Check(v); err != nil {
		return err
	}
	if err := t.taken("update", key, v); err != nil {
		return err
	}
	// A fresh copy: update may keep v, or the slices it assigned.
	stored := t.copy(v)
	if t.stamp != nil {
		t.stamp(&stored, &old, s.now())
	}
	t.rows[key] = stored
	t.written(s)
	return nil
}

func (t *table[T]) delete(s *Store, ctx context.Context, key string) error {
	if err := t.checkKey(key); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := t.rows[key]; !ok {
		return fmt.Errorf("delete %s %q: %w", t.kind, key, storage.ErrNotFound)
	}
	delete(t.rows, key)
	t.written(s)
	return nil
}

func (t *table[T]) written(s *Store) {
	if t.config {
		s.configVersion++
	}
	if t.keys {
		s.keysVersion++
	}
}
