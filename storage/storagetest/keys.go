package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

var signingKeyTests = []test{
	{"ListOldestFirst", testSigningKeyOrder},
	{"TimesInUTC", testSigningKeyTimes},
	{"Invalid", testSigningKeyInvalid},
	{"Version", testSigningKeysVersion},
}

func keysVersion(t *testing.T, s storage.SigningKeys) int64 {
	t.Helper()
	v, err := s.SigningKeysVersion(t.Context())
	if err != nil {
		t.Fatalf("SigningKeysVersion: %v", err)
	}
	return v
}

// testSigningKeysVersion checks which writes change the SigningKeysVersion:
// every successful create, update and delete of a signing key, and cleanup
// removing one, make it greater; failed writes, cleanup that removes no
// key, and writes of other records leave it.
func testSigningKeysVersion(t *testing.T, s storage.Store) {
	ctx := t.Context()
	last := keysVersion(t, s)
	step := func(what string, err error, changes bool) {
		t.Helper()
		if err != nil && changes {
			t.Fatalf("%s: %v", what, err)
		}
		v := keysVersion(t, s)
		switch {
		case changes && v <= last:
			t.Errorf("SigningKeysVersion %d after %s, was %d: want greater", v, what, last)
		case !changes && v != last:
			t.Errorf("SigningKeysVersion %d after %s, was %d: want unchanged", v, what, last)
		}
		last = v
	}
	step("create", s.CreateSigningKey(ctx, sampleSigningKey("one")), true)
	step("second create", s.CreateSigningKey(ctx, sampleSigningKey("two")), true)
	step("create of a taken id", s.CreateSigningKey(ctx, sampleSigningKey("one")), false)
	bad := sampleSigningKey("bad")
	bad.Data = nil
	step("create of an invalid key", s.CreateSigningKey(ctx, bad), false)
	step("update", s.UpdateSigningKey(ctx, "one", func(k *storage.SigningKey) error { signingKeyKind.change(k); return nil }), true)
	step("update of a missing key", s.UpdateSigningKey(ctx, "missing", func(*storage.SigningKey) error { return nil }), false)
	step("update whose function fails", s.UpdateSigningKey(ctx, "one", func(k *storage.SigningKey) error {
		k.Data = []byte("changed")
		return errors.New("refused")
	}), false)
	step("update that makes the key invalid", s.UpdateSigningKey(ctx, "one", func(k *storage.SigningKey) error { k.Algorithm = ""; return nil }), false)
	step("delete", s.DeleteSigningKey(ctx, "two"), true)
	step("delete of a missing key", s.DeleteSigningKey(ctx, "two"), false)

	// Other records.
	step("a client", s.CreateClient(ctx, sampleClient("c")), false)
	step("a jti", s.UseOnce(ctx, "client", "jti", later().Add(24*time.Hour)), false)
	step("a grant", s.CreateGrant(ctx, sampleGrant("code")), false)

	// Cleanup: a sweep that removes no key leaves it; one that removes a
	// key makes it greater.
	cutoff := later().Truncate(time.Millisecond)
	k := sampleSigningKey("expiring")
	k.Created, k.Activates, k.Retires, k.Expires = cutoff.Add(-48*time.Hour), time.Time{}, cutoff.Add(-time.Hour), cutoff
	step("create of an expiring key", s.CreateSigningKey(ctx, k), true)
	_, err := s.DeleteExpired(ctx, cutoff.Add(-time.Minute), 100)
	step("cleanup before the key expires", err, false)
	n, err := s.DeleteExpired(ctx, cutoff, 100)
	if n != 1 {
		t.Errorf("DeleteExpired removed %d records, want the key", n)
	}
	step("cleanup of the expired key", err, true)
	if v := version(t, s); v < 1 {
		t.Errorf("ConfigVersion %d after a client create", v)
	}
}

// testSigningKeyOrder checks that keys are listed oldest first, then by id.
func testSigningKeyOrder(t *testing.T, s storage.Store) {
	for _, k := range []struct {
		id      string
		created time.Duration
	}{{"k3", 3 * time.Hour}, {"k1", time.Hour}, {"b", 2 * time.Hour}, {"a", 2 * time.Hour}, {"k0", -time.Hour}} {
		key := sampleSigningKey(k.id)
		key.Created, key.Activates = base.Add(k.created), time.Time{}
		signingKeyKind.mustCreate(t, s, key)
	}
	keys, err := s.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	if got, want := join(ids), "k0 k1 a b k3"; got != want {
		t.Errorf("ListSigningKeys = %q, want %q (oldest first, then by id)", got, want)
	}
}

// testSigningKeyTimes checks that every time is the caller's, kept to the
// millisecond in UTC, and that unset ones stay zero.
func testSigningKeyTimes(t *testing.T, s storage.Store) {
	in := sampleSigningKey("k")
	in.Created = time.Date(2030, 6, 1, 0, 0, 0, 999_999, time.FixedZone("east", 9*3600))
	in.Retires = in.Created.Add(36 * time.Hour)
	in.Activates, in.Expires = time.Time{}, time.Time{}
	signingKeyKind.mustCreate(t, s, in)
	got, err := s.GetSigningKey(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	checkUTC(t, "Created", got.Created, in.Created)
	checkUTC(t, "Retires", got.Retires, in.Retires)
	if !got.Activates.IsZero() || !got.Expires.IsZero() {
		t.Errorf("Activates, Expires = %v, %v; want zero", got.Activates, got.Expires)
	}
}

func testSigningKeyInvalid(t *testing.T, s storage.Store) {
	tests := []struct {
		name   string
		change func(*storage.SigningKey)
		msg    string
	}{
		{"no algorithm", func(k *storage.SigningKey) { k.Algorithm = "" }, "signing key algorithm is empty"},
		{"no data", func(k *storage.SigningKey) { k.Data = nil }, `signing key "k" has no data`},
		{"data too large", func(k *storage.SigningKey) { k.Data = make([]byte, storage.MaxDataLen+1) }, "signing key data is 1048577 bytes"},
		{"no created", func(k *storage.SigningKey) { k.Created = time.Time{} }, `signing key "k" has no created time`},
		{"activates before created", func(k *storage.SigningKey) { k.Activates = k.Created.Add(-time.Second) }, "activation is before creation"},
		{"retires before activates", func(k *storage.SigningKey) { k.Retires = k.Activates.Add(-time.Second) }, "retirement is before activation"},
		{"expires before retires", func(k *storage.SigningKey) { k.Expires = k.Retires.Add(-time.Second) }, "expiry is before retirement"},
		{"expires before created", func(k *storage.SigningKey) {
			k.Activates, k.Retires, k.Expires = time.Time{}, time.Time{}, k.Created.Add(-time.Second)
		}, "expiry is before creation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := sampleSigningKey("k")
			tt.change(&k)
			wantInvalid(t, "CreateSigningKey", s.CreateSigningKey(t.Context(), k), tt.msg)
		})
	}
	keys, err := s.ListSigningKeys(t.Context())
	if err != nil || len(keys) != 0 {
		t.Fatalf("after refused creates ListSigningKeys = %d keys, %v; want none", len(keys), err)
	}
	// Equal times are in order: a key created active, retired and deleted at
	// once is odd, not invalid.
	k := sampleSigningKey("k")
	k.Activates, k.Retires, k.Expires = k.Created, k.Created, k.Created
	signingKeyKind.mustCreate(t, s, k)
}
