package storagetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// kind describes one record kept by key (clients, scopes, resources, signing
// keys) so that one set of tests covers create, get, list, update and delete of
// each.
type kind[T any] struct {
	// config: its writes change the ConfigVersion.
	config bool
	// field names its key in ErrInvalid messages ("client id").
	field string
	// sample is a valid record with every field set, its key embedded in
	// another field so that records with different keys differ.
	sample func(key string) T
	keyOf  func(T) string
	setKey func(*T, string)
	// change makes a valid change to every field a caller owns.
	change func(*T)
	// invalidate makes the record invalid, key kept; invalidMsg is part of
	// the message.
	invalidate func(*T)
	invalidMsg string
	// scribble overwrites the contents of the record's slices in place; nil
	// if it has none.
	scribble func(*T)
	// want is what the store returns for a record written as v, comparable
	// with reflect.DeepEqual: times to the millisecond in UTC, empty slices
	// nil, fields the store sets cleared.
	want func(v T) T
	// stamped, for a record whose Created and Updated the store sets,
	// points to them; nil for other records.
	stamped func(*T) (created, updated *time.Time)

	// The store's methods for the kind, as method expressions
	// (storage.Store.CreateClient) where they fit.
	create func(storage.Store, context.Context, T) error
	get    func(storage.Store, context.Context, string) (T, error)
	list   func(storage.Store, context.Context) ([]T, error)
	update func(storage.Store, context.Context, string, func(*T) error) error
	del    func(storage.Store, context.Context, string) error
}

// keyList is the keys of l, in its order, separated by spaces: a list as
// the tests compare it.
func keyList[T any](l []T, keyOf func(T) string) string {
	keys := make([]string, len(l))
	for i, v := range l {
		keys[i] = keyOf(v)
	}
	return strings.Join(keys, " ")
}

// kindTests are the tests every kind passes.
func kindTests[T any](k kind[T]) []test {
	return []test{
		{"CreateGet", k.testCreateGet},
		{"AlreadyExists", k.testAlreadyExists},
		{"NotFound", k.testNotFound},
		{"ListByKey", k.testList},
		{"KeysAreExact", k.testKeysAreExact},
		{"Update", k.testUpdate},
		{"UpdateError", k.testUpdateError},
		{"UpdateKeyRefused", k.testUpdateKey},
		{"UpdateInvalid", k.testUpdateInvalid},
		{"UpdateNotFound", k.testUpdateNotFound},
		{"Delete", k.testDelete},
		{"NotAliased", k.testNotAliased},
		{"InvalidKey", k.testInvalidKey},
		{"ConcurrentCreate", k.testConcurrentCreate},
		{"ConfigVersion", k.testConfigVersion},
		{"StoreSetsTimes", k.testStoreSetsTimes},
	}
}

// check fails t unless the record stored under key is what writing want
// gives.
func (k kind[T]) check(t *testing.T, s storage.Store, key string, want T) {
	t.Helper()
	got, err := k.get(s, t.Context(), key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	if g, w := k.want(got), k.want(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("get %q =\n\t%+v\nwant\n\t%+v", key, g, w)
	}
}

func (k kind[T]) mustCreate(t *testing.T, s storage.Store, v T) {
	t.Helper()
	if err := k.create(s, t.Context(), v); err != nil {
		t.Fatalf("create %q: %v", k.keyOf(v), err)
	}
}

func (k kind[T]) checkMissing(t *testing.T, s storage.Store, key string) {
	t.Helper()
	if _, err := k.get(s, t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get %q = %v, want ErrNotFound", key, err)
	}
}

func (k kind[T]) changed(key string) T {
	v := k.sample(key)
	k.change(&v)
	return v
}

func (k kind[T]) testCreateGet(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	k.mustCreate(t, s, k.changed("two"))
	k.check(t, s, "one", k.sample("one"))
	k.check(t, s, "two", k.changed("two"))
}

func (k kind[T]) testAlreadyExists(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	err := k.create(s, t.Context(), k.changed("one"))
	if !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("second create = %v, want ErrAlreadyExists", err)
	}
	k.check(t, s, "one", k.sample("one"))
}

func (k kind[T]) testNotFound(t *testing.T, s storage.Store) {
	k.checkMissing(t, s, "missing")
	k.mustCreate(t, s, k.sample("one"))
	k.checkMissing(t, s, "missing")
	k.checkMissing(t, s, "one ")
}

// testList checks the order: by key in byte order, which a linguistic
// collation (en_US: "a" < "B", "-" ignored) breaks.
func (k kind[T]) testList(t *testing.T, s storage.Store) {
	got, err := k.list(s, t.Context())
	if err != nil || len(got) != 0 {
		t.Fatalf("list of an empty store = %d records, %v; want none", len(got), err)
	}
	keys := []string{"b", "B", "a-c", "ab", "Z", "a", "a b", "é", "e"}
	for _, key := range keys {
		k.mustCreate(t, s, k.sample(key))
	}
	got, err = k.list(s, t.Context())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var gotKeys []string
	for i, v := range got {
		gotKeys = append(gotKeys, k.keyOf(v))
		if g, w := k.want(v), k.want(k.sample(k.keyOf(v))); !reflect.DeepEqual(g, w) {
			t.Errorf("list[%d] =\n\t%+v\nwant\n\t%+v", i, g, w)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(gotKeys, keys) {
		t.Errorf("list keys = %q, want %q (byte order)", gotKeys, keys)
	}
}

func (k kind[T]) testKeysAreExact(t *testing.T, s storage.Store) {
	keys := []string{"abc", "ABC", "abc ", " abc", "ábc"}
	for _, key := range keys {
		k.mustCreate(t, s, k.sample(key))
	}
	for _, key := range keys {
		k.check(t, s, key, k.sample(key))
	}
}

func (k kind[T]) testUpdate(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	k.mustCreate(t, s, k.sample("two"))
	calls := 0
	err := k.update(s, t.Context(), "one", func(v *T) error {
		calls++
		if g, w := k.want(*v), k.want(k.sample("one")); !reflect.DeepEqual(g, w) {
			t.Errorf("update function got\n\t%+v\nwant the stored\n\t%+v", g, w)
		}
		k.change(v)
		return nil
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if calls == 0 {
		t.Fatal("update did not call the update function")
	}
	k.check(t, s, "one", k.changed("one"))
	k.check(t, s, "two", k.sample("two"))
	// And back: a second update sees the first.
	if err := k.update(s, t.Context(), "one", func(v *T) error {
		*v = k.sample("one")
		return nil
	}); err != nil {
		t.Fatalf("update back: %v", err)
	}
	k.check(t, s, "one", k.sample("one"))
}

func version(t *testing.T, s storage.ConfigVersioner) int64 {
	t.Helper()
	v, err := s.ConfigVersion(t.Context())
	if err != nil {
		t.Fatalf("ConfigVersion: %v", err)
	}
	return v
}

// testUpdateError checks that an update function's error rolls the update
// back and comes back to the caller.
func (k kind[T]) testUpdateError(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	v0 := version(t, s)
	stop := errors.New("update function says stop")
	err := k.update(s, t.Context(), "one", func(v *T) error {
		k.change(v)
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("update = %v, want the update function's error", err)
	}
	k.check(t, s, "one", k.sample("one"))
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after a rolled-back update", v0, v)
	}
}

// testUpdateKey checks the decision that an update cannot change the key: the
// call fails with ErrInvalid and writes nothing.
func (k kind[T]) testUpdateKey(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	v0 := version(t, s)
	err := k.update(s, t.Context(), "one", func(v *T) error {
		k.change(v)
		k.setKey(v, "renamed")
		return nil
	})
	if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), k.field+" cannot change") {
		t.Fatalf("update changing the key = %v, want ErrInvalid saying %q", err, k.field+" cannot change")
	}
	k.check(t, s, "one", k.sample("one"))
	k.checkMissing(t, s, "renamed")
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after a refused update", v0, v)
	}
}

func (k kind[T]) testUpdateInvalid(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	err := k.update(s, t.Context(), "one", func(v *T) error {
		k.change(v)
		k.invalidate(v)
		return nil
	})
	if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), k.invalidMsg) {
		t.Fatalf("update to an invalid record = %v, want ErrInvalid saying %q", err, k.invalidMsg)
	}
	k.check(t, s, "one", k.sample("one"))
}

func (k kind[T]) testUpdateNotFound(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	err := k.update(s, t.Context(), "missing", func(v *T) error {
		t.Error("update function called for a missing record")
		return nil
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update of a missing record = %v, want ErrNotFound", err)
	}
	k.checkMissing(t, s, "missing")
}

func (k kind[T]) testDelete(t *testing.T, s storage.Store) {
	k.mustCreate(t, s, k.sample("one"))
	k.mustCreate(t, s, k.sample("two"))
	if err := k.del(s, t.Context(), "one"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	k.checkMissing(t, s, "one")
	k.check(t, s, "two", k.sample("two"))
	if err := k.del(s, t.Context(), "one"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second delete = %v, want ErrNotFound", err)
	}
	if err := k.del(s, t.Context(), "missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete of a missing record = %v, want ErrNotFound", err)
	}
	list, err := k.list(s, t.Context())
	if err != nil || len(list) != 1 || k.keyOf(list[0]) != "two" {
		t.Fatalf("list after delete = %d records, %v; want only two", len(list), err)
	}
	// The key is free again.
	k.mustCreate(t, s, k.changed("one"))
	k.check(t, s, "one", k.changed("one"))
}

// testNotAliased checks that the store keeps copies: changing a slice after
// create, in a returned record, or kept from an update function, changes
// nothing stored.
func (k kind[T]) testNotAliased(t *testing.T, s storage.Store) {
	if k.scribble == nil {
		t.Skip("the record has no slices")
	}
	in := k.sample("one")
	k.mustCreate(t, s, in)
	k.scribble(&in)
	k.check(t, s, "one", k.sample("one"))

	got, err := k.get(s, t.Context(), "one")
	if err != nil {
		t.Fatal(err)
	}
	k.scribble(&got)
	k.check(t, s, "one", k.sample("one"))

	list, err := k.list(s, t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %d, %v", len(list), err)
	}
	k.scribble(&list[0])
	k.check(t, s, "one", k.sample("one"))

	var kept *T
	if err := k.update(s, t.Context(), "one", func(v *T) error {
		k.change(v)
		kept = v
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	k.scribble(kept)
	k.check(t, s, "one", k.changed("one"))
}

func (k kind[T]) testInvalidKey(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, key := range []string{"", "a\x00b", "a\xffb", strings.Repeat("k", storage.MaxKeyLen+1)} {
		t.Run(fmt.Sprintf("%q", truncate(key)), func(t *testing.T) {
			v := k.sample("x")
			k.setKey(&v, key)
			wantInvalid(t, "create", k.create(s, ctx, v), k.field)
			_, err := k.get(s, ctx, key)
			wantInvalid(t, "get", err, k.field)
			wantInvalid(t, "update", k.update(s, ctx, key, func(*T) error { return nil }), k.field)
			wantInvalid(t, "delete", k.del(s, ctx, key), k.field)
		})
	}
	list, err := k.list(s, ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("list after refused creates = %d records, %v; want none", len(list), err)
	}
	// The longest key is accepted.
	longest := strings.Repeat("k", storage.MaxKeyLen)
	k.mustCreate(t, s, k.sample(longest))
	k.check(t, s, longest, k.sample(longest))
}

// testStoreSetsTimes checks that the store sets Created and Updated: both at
// the create, Created kept and Updated moved by an update, in UTC, whatever
// the caller or the update function puts there.
func (k kind[T]) testStoreSetsTimes(t *testing.T, s storage.Store) {
	if k.stamped == nil {
		t.Skip("the caller sets the record's times")
	}
	ctx := t.Context()
	in := k.sample("one")
	c, u := k.stamped(&in)
	*c, *u = base.Add(-100*24*time.Hour), base.Add(-50*24*time.Hour)
	before := time.Now()
	k.mustCreate(t, s, in)
	after := time.Now()
	stored, err := k.get(s, ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	created, updated := k.stamped(&stored)
	within(t, "Created", *created, before, after)
	checkUTC(t, "Created", *created, *created)
	if !updated.Equal(*created) {
		t.Errorf("Updated = %v after create, want Created %v", *updated, *created)
	}

	// Let the clock pass the millisecond of the create, so that Updated
	// can move.
	for deadline := time.Now().Add(time.Second); time.Now().UnixMilli() <= after.UnixMilli(); {
		if time.Now().After(deadline) {
			t.Fatal("the clock did not move for a second")
		}
		time.Sleep(time.Millisecond)
	}
	before = time.Now()
	if err := k.update(s, ctx, "one", func(v *T) error {
		c, u := k.stamped(v)
		if !c.Equal(*created) || !u.Equal(*updated) {
			t.Errorf("update function got Created %v, Updated %v; want the stored %v, %v", *c, *u, *created, *updated)
		}
		k.change(v)
		*c, *u = base, base
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after = time.Now()
	again, err := k.get(s, ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	c2, u2 := k.stamped(&again)
	if !c2.Equal(*created) {
		t.Errorf("Created = %v after update, want it kept at %v", *c2, *created)
	}
	if !u2.After(*updated) {
		t.Errorf("Updated = %v after update, want after %v", *u2, *updated)
	}
	within(t, "Updated", *u2, before, after)
	checkUTC(t, "Updated", *u2, *u2)
	k.check(t, s, "one", k.changed("one"))
}

// invalid is one way to make a valid record invalid; msg is part of the
// ErrInvalid message the store gives for it.
type invalid[T any] struct {
	name   string
	change func(*T)
	msg    string
}

// testInvalid checks that each case is refused with ErrInvalid and its
// message, by a create and by an update of a stored record, and that the
// refused writes wrote nothing and left the ConfigVersion alone. keeps, if
// set, reports a record whose update is refused or changed for another
// reason first (a field the update keeps); such cases run the create only.
func (k kind[T]) testInvalid(t *testing.T, s storage.Store, cases []invalid[T], keeps func(T) bool) {
	ctx := t.Context()
	k.mustCreate(t, s, k.sample("valid"))
	v0 := version(t, s)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			v := k.sample("new")
			tt.change(&v)
			wantInvalid(t, "create", k.create(s, ctx, v), tt.msg)
			if k.keyOf(v) == "" || (keeps != nil && keeps(v)) {
				return
			}
			wantInvalid(t, "update", k.update(s, ctx, "valid", func(w *T) error {
				k.setKey(&v, k.keyOf(*w))
				*w = v
				return nil
			}), tt.msg)
		})
	}
	list, err := k.list(s, ctx)
	if err != nil || len(list) != 1 || k.keyOf(list[0]) != "valid" {
		t.Errorf("after refused writes the list has %d records, %v; want only the valid one", len(list), err)
	}
	k.check(t, s, "valid", k.sample("valid"))
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after refused writes", v0, v)
	}
}

func truncate(s string) string {
	if len(s) > 10 {
		return s[:10] + "..."
	}
	return s
}

// wantInvalid fails t unless err wraps ErrInvalid and says msg.
func wantInvalid(t *testing.T, op string, err error, msg string) {
	t.Helper()
	if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), msg) {
		t.Errorf("%s = %v, want ErrInvalid saying %q", op, err, msg)
	}
}

func (k kind[T]) testConcurrentCreate(t *testing.T, s storage.Store) {
	for round := range 2 {
		key := fmt.Sprintf("contended-%d", round)
		checkOneWinner(t, race(16, func(int) error {
			return k.create(s, t.Context(), k.sample(key))
		}))
		k.check(t, s, key, k.sample(key))
	}
}

// testConfigVersion checks which writes change the ConfigVersion: every
// successful create, update and delete of clients and resources makes it
// greater; failed writes, and writes of other records, leave it.
func (k kind[T]) testConfigVersion(t *testing.T, s storage.Store) {
	ctx := t.Context()
	last := version(t, s)
	step := func(what string, err error, changes bool) {
		t.Helper()
		if err != nil && changes {
			t.Fatalf("%s: %v", what, err)
		}
		v := version(t, s)
		switch {
		case changes && k.config && v <= last:
			t.Errorf("ConfigVersion %d after %s, was %d: want greater", v, what, last)
		case (!changes || !k.config) && v != last:
			t.Errorf("ConfigVersion %d after %s, was %d: want unchanged", v, what, last)
		}
		last = v
	}
	step("create", k.create(s, ctx, k.sample("one")), true)
	step("second create", k.create(s, ctx, k.sample("two")), true)
	step("create of a taken key", k.create(s, ctx, k.sample("one")), false)
	step("update", k.update(s, ctx, "one", func(v *T) error { k.change(v); return nil }), true)
	step("update of a missing record", k.update(s, ctx, "missing", func(*T) error { return nil }), false)
	step("update that fails", k.update(s, ctx, "one", func(*T) error { return errors.New("no") }), false)
	if _, err := k.get(s, ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.list(s, ctx); err != nil {
		t.Fatal(err)
	}
	step("get and list", nil, false)
	step("delete", k.del(s, ctx, "one"), true)
	step("delete of a missing record", k.del(s, ctx, "one"), false)
}
