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
	kind   string // names the record in errors: "client"
	field  string // names its key in CheckKey messages: "client id"
	config bool   // writes change the ConfigVersion
	keys   bool   // writes change the SigningKeysVersion
	keyOf  func(T) string
	check  func(T) error
	copy   func(T) T // a deep copy, with times as the store keeps them
	order  func(a, b T) int
	// stamp, if set, sets the times the store owns at now; old is the
	// stored record on update, nil on create.
	stamp func(v, old *T, now time.Time)
	rows  map[string]T
}

func (t *table[T]) create(s *Store, ctx context.Context, v T) error {
	if err := t.check(v); err != nil {
		return err
	}
	v = t.copy(v)
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	key := t.keyOf(v)
	if _, ok := t.rows[key]; ok {
		return fmt.Errorf("create %s %q: %w", t.kind, key, storage.ErrAlreadyExists)
	}
	if t.stamp != nil {
		t.stamp(&v, nil, s.now())
	}
	t.rows[key] = v
	t.written(s)
	return nil
}

func (t *table[T]) get(s *Store, ctx context.Context, key string) (T, error) {
	var zero T
	if err := storage.CheckKey(t.field, key); err != nil {
		return zero, err
	}
	if err := s.lock(ctx); err != nil {
		return zero, err
	}
	defer s.mu.Unlock()
	v, ok := t.rows[key]
	if !ok {
		return zero, fmt.Errorf("get %s %q: %w", t.kind, key, storage.ErrNotFound)
	}
	return t.copy(v), nil
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

func (t *table[T]) update(s *Store, ctx context.Context, key string, update func(*T) error) error {
	if err := storage.CheckKey(t.field, key); err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := t.rows[key]
	if !ok {
		return fmt.Errorf("update %s %q: %w", t.kind, key, storage.ErrNotFound)
	}
	v := t.copy(old)
	if err := update(&v); err != nil {
		return err
	}
	if err := storage.CheckSameKey(t.field, key, t.keyOf(v)); err != nil {
		return err
	}
	if err := t.check(v); err != nil {
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
	if err := storage.CheckKey(t.field, key); err != nil {
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
