package managed_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/storage"
)

// TestWrongKEK: a manager whose KEK does not open the stored keys says
// which and what to do, and makes nothing, not even the first key of
// another algorithm; Rekey fixes it, and is idempotent.
func TestWrongKEK(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := memStore(clk)
	oldKEK, newKEK2 := newKEK(t), newKEK(t)
	if _, err := newManager(t, store, options(t, clk, oldKEK, "ES256", "RS256")).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := rows(t, store)

	wrong := newManager(t, store, options(t, clk, newKEK2, "ES256", "RS256", "ES384"))
	_, err := wrong.Sync(t.Context())
	var ue *managed.UnreadableError
	if !errors.As(err, &ue) || !errors.Is(err, managed.ErrOtherKEK) {
		t.Fatalf("Sync with another KEK = %v, want an UnreadableError wrapping ErrOtherKEK", err)
	}
	for _, k := range before {
		if !strings.Contains(err.Error(), k.ID) || !strings.Contains(err.Error(), k.Algorithm) {
			t.Errorf("error does not name %s (%s): %v", k.ID, k.Algorithm, err)
		}
	}
	for _, s := range []string{"another key-encryption key", "signet keys rekey", managed.KEKID(oldKEK), managed.KEKID(newKEK2)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q: %v", s, err)
		}
	}
	t.Logf("the error:\n%v", err)
	if after := rows(t, store); !slices.EqualFunc(before, after, sameRow) {
		t.Fatalf("the store changed: %d keys before, %d after", len(before), len(after))
	}
	for _, info := range list(t, wrong) {
		if info.Readable || info.Problem == "" {
			t.Errorf("List: %s readable %v problem %q", info.ID, info.Readable, info.Problem)
		}
	}

	// A third KEK opens neither: Rekey refuses and writes nothing.
	if _, err := managed.Rekey(t.Context(), store, newKEK(t), newKEK2); err == nil || !strings.Contains(err.Error(), before[0].ID) {
		t.Fatalf("Rekey with a KEK that opens nothing = %v", err)
	}
	if after := rows(t, store); !slices.EqualFunc(before, after, sameRow) {
		t.Fatal("a failed Rekey changed the store")
	}

	n, err := managed.Rekey(t.Context(), store, oldKEK, newKEK2)
	if err != nil || n != len(before) {
		t.Fatalf("Rekey = %d, %v; want %d", n, err, len(before))
	}
	if n, err := managed.Rekey(t.Context(), store, oldKEK, newKEK2); err != nil || n != 0 {
		t.Fatalf("Rekey again = %d, %v; want 0, nil", n, err)
	}
	keys, err := wrong.Sync(t.Context())
	if err != nil {
		t.Fatalf("Sync after Rekey: %v", err)
	}
	for _, k := range before {
		if !slices.ContainsFunc(keys, func(s *signing.Key) bool { return s.ID == k.ID }) {
			t.Errorf("key %s lost after Rekey", k.ID)
		}
	}
	if _, err := newManager(t, store, options(t, clk, oldKEK, "ES256", "RS256")).Sync(t.Context()); !errors.Is(err, managed.ErrOtherKEK) {
		t.Errorf("Sync with the old KEK after Rekey = %v, want ErrOtherKEK", err)
	}
}

// TestTampered: data changed in the database, or moved onto another kid,
// is refused with a clear error.
func TestTampered(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(rows []storage.SigningKey) (id string, data []byte)
	}{
		{"a byte flipped", func(r []storage.SigningKey) (string, []byte) {
			d := bytes.Clone(r[0].Data)
			d[len(d)-1] ^= 1
			return r[0].ID, d
		}},
		{"header flipped", func(r []storage.SigningKey) (string, []byte) {
			d := bytes.Clone(r[0].Data)
			d[len(d)/2] ^= 0x80
			return r[0].ID, d
		}},
		{"moved from another kid", func(r []storage.SigningKey) (string, []byte) { return r[0].ID, bytes.Clone(r[1].Data) }},
		{"not an envelope", func(r []storage.SigningKey) (string, []byte) { return r[0].ID, []byte("-----BEGIN PRIVATE KEY-----") }},
		{"truncated", func(r []storage.SigningKey) (string, []byte) { return r[0].ID, bytes.Clone(r[0].Data[:30]) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			store := memStore(clk)
			kek := newKEK(t)
			m := newManager(t, store, options(t, clk, kek, "ES256"))
			if _, err := m.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Rotate(t.Context(), "ES256", false); err != nil {
				t.Fatal(err)
			}
			id, data := tc.change(rows(t, store))
			if err := store.UpdateSigningKey(t.Context(), id, func(k *storage.SigningKey) error { k.Data = data; return nil }); err != nil {
				t.Fatal(err)
			}
			// A fresh manager (a restart) has nothing cached.
			_, err := newManager(t, store, options(t, clk, kek, "ES256")).Sync(t.Context())
			if !errors.Is(err, managed.ErrCorrupt) || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("Sync = %v, want ErrCorrupt naming %s", err, id)
			}
			// The running manager sees the changed data too.
			if _, err := m.Sync(t.Context()); !errors.Is(err, managed.ErrCorrupt) {
				t.Fatalf("running Sync = %v, want ErrCorrupt", err)
			}
		})
	}
}

func sameRow(a, b storage.SigningKey) bool {
	return a.ID == b.ID && bytes.Equal(a.Data, b.Data) && a.Activates.Equal(b.Activates) && a.Retires.Equal(b.Retires) && a.Expires.Equal(b.Expires)
}
