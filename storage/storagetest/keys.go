package storagetest

import (
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

var signingKeyTests = []test{
	{"ListOldestFirst", testSigningKeyOrder},
	{"TimesInUTC", testSigningKeyTimes},
	{"Invalid", testSigningKeyInvalid},
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
