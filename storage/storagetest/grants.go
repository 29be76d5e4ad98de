package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

var grantTests = []test{
	{"CreateGet", testGrantCreateGet},
	{"AlreadyExists", testGrantAlreadyExists},
	{"Expiry", testGrantExpiry},
	{"Consume", testGrantConsume},
	{"ConsumeNotFound", testGrantConsumeNotFound},
	{"ConcurrentConsume", testConcurrentConsume},
	{"ConcurrentCreate", testGrantConcurrentCreate},
	{"List", testGrantList},
	{"Delete", testGrantDelete},
	{"DeleteByFilter", testDeleteGrants},
	{"NotAliased", testGrantNotAliased},
	{"Invalid", testGrantInvalid},
}

// gnow is "now" for grants built on base: after their Created, before their
// Expires. Grants take now from the caller, not from a clock.
var gnow = base.Add(time.Minute)

func sampleGrant(key string) storage.PersistedGrant {
	return storage.PersistedGrant{
		Key:       key,
		Type:      storage.GrantAuthorizationCode,
		Subject:   "alice",
		ClientID:  "web",
		SessionID: "sid-1",
		FamilyID:  "family-" + key,
		Created:   base,
		Expires:   base.Add(5 * time.Minute),
		Data:      append([]byte(key+":"), allBytes...),
	}
}

// wantGrant is g as read back.
func wantGrant(g storage.PersistedGrant) storage.PersistedGrant {
	g.Created, g.Expires, g.Consumed = instant(g.Created), instant(g.Expires), instant(g.Consumed)
	g.Data = orNil(bytes.Clone(g.Data))
	return g
}

func mustCreateGrant(t *testing.T, s storage.PersistedGrants, g storage.PersistedGrant) {
	t.Helper()
	if err := s.CreateGrant(t.Context(), g); err != nil {
		t.Fatalf("CreateGrant(%q): %v", g.Key, err)
	}
}

func checkGrant(t *testing.T, s storage.PersistedGrants, want storage.PersistedGrant, now time.Time) {
	t.Helper()
	got, err := s.GetGrant(t.Context(), want.Key, now)
	if err != nil {
		t.Fatalf("GetGrant(%q): %v", want.Key, err)
	}
	sameGrant(t, fmt.Sprintf("GetGrant(%q)", want.Key), got, want)
}

// sameGrant fails t unless got, what the call what returned, is want as the
// store keeps it (wantGrant).
func sameGrant(t *testing.T, what string, got, want storage.PersistedGrant) {
	t.Helper()
	if g, w := wantGrant(got), wantGrant(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s =\n\t%+v\nwant\n\t%+v", what, g, w)
	}
}

func checkNoGrant(t *testing.T, s storage.PersistedGrants, key string, now time.Time) {
	t.Helper()
	if _, err := s.GetGrant(t.Context(), key, now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetGrant(%q) = %v, want ErrNotFound", key, err)
	}
}

func testGrantCreateGet(t *testing.T, s storage.Store) {
	code := sampleGrant("code")
	// A client's own reference token: no subject, no session.
	ref := storage.PersistedGrant{
		Key: "ref", Type: storage.GrantReferenceToken, ClientID: "service",
		Created: time.Date(2031, 1, 1, 0, 0, 0, 999_999, time.UTC), Expires: base.Add(time.Hour),
	}
	mustCreateGrant(t, s, code)
	mustCreateGrant(t, s, ref)
	checkGrant(t, s, code, gnow)
	checkGrant(t, s, ref, gnow)
	got, err := s.GetGrant(t.Context(), "code", gnow)
	if err != nil {
		t.Fatal(err)
	}
	checkUTC(t, "Created", got.Created, code.Created)
	checkUTC(t, "Expires", got.Expires, code.Expires)
	if !got.Consumed.IsZero() {
		t.Errorf("Consumed = %v, want zero", got.Consumed)
	}
	if !bytes.Equal(got.Data, code.Data) {
		t.Errorf("Data = %x, want %x", got.Data, code.Data)
	}
	checkNoGrant(t, s, "missing", gnow)
	checkNoGrant(t, s, "Code", gnow)
}

// testGrantAlreadyExists checks that a key is taken, even by a grant that
// expired and was not removed yet.
func testGrantAlreadyExists(t *testing.T, s storage.Store) {
	mustCreateGrant(t, s, sampleGrant("code"))
	other := sampleGrant("code")
	other.Subject = "mallory"
	if err := s.CreateGrant(t.Context(), other); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("second CreateGrant = %v, want ErrAlreadyExists", err)
	}
	checkGrant(t, s, sampleGrant("code"), gnow)

	old := sampleGrant("old")
	old.Created, old.Expires = base.Add(-2*time.Hour), base.Add(-time.Hour)
	mustCreateGrant(t, s, old)
	if err := s.CreateGrant(t.Context(), sampleGrant("old")); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("CreateGrant over an expired grant = %v, want ErrAlreadyExists", err)
	}
}

// testGrantExpiry checks the boundary: a grant exists until the millisecond
// of its expiry, which is expired.
func testGrantExpiry(t *testing.T, s storage.Store) {
	g := sampleGrant("code")
	g.Expires = time.Date(2031, 3, 4, 5, 11, 7, 891_999_999, time.UTC)
	mustCreateGrant(t, s, g)
	exp := instant(g.Expires)
	checkGrant(t, s, g, exp.Add(-time.Millisecond))
	checkGrant(t, s, g, exp.Add(-time.Nanosecond)) // the millisecond before
	checkNoGrant(t, s, "code", exp)
	checkNoGrant(t, s, "code", g.Expires)
	checkNoGrant(t, s, "code", exp.Add(time.Hour))
	// Expired grants are left out of lists, and cannot be consumed.
	list, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{}, exp)
	if err != nil || len(list) != 0 {
		t.Errorf("ListGrants at the expiry = %d grants, %v; want none", len(list), err)
	}
	if _, err := s.ConsumeGrant(t.Context(), "code", exp); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeGrant at the expiry = %v, want ErrNotFound", err)
	}
	// Not expired at an earlier now: the calls above changed nothing.
	checkGrant(t, s, g, gnow)
}

func testGrantConsume(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g := sampleGrant("code")
	mustCreateGrant(t, s, g)
	mustCreateGrant(t, s, sampleGrant("other"))

	first := gnow.Add(123_456 * time.Microsecond)
	got, err := s.ConsumeGrant(ctx, "code", first)
	if err != nil {
		t.Fatalf("first ConsumeGrant: %v", err)
	}
	want := g
	want.Consumed = first
	sameGrant(t, "ConsumeGrant", got, want)
	checkUTC(t, "Consumed", got.Consumed, first)
	checkGrant(t, s, want, gnow.Add(2*time.Minute))

	// The second consumer gets ErrConsumed with the grant, consumed at the
	// first time.
	got, err = s.ConsumeGrant(ctx, "code", first.Add(time.Second))
	if !errors.Is(err, storage.ErrConsumed) {
		t.Fatalf("second ConsumeGrant = %v, want ErrConsumed", err)
	}
	sameGrant(t, "second ConsumeGrant", got, want)
	checkGrant(t, s, want, gnow)
	// Other grants are untouched.
	checkGrant(t, s, sampleGrant("other"), gnow)

	// Any type can be consumed (refresh token rotation).
	rt := sampleGrant("rt")
	rt.Type = storage.GrantRefreshToken
	mustCreateGrant(t, s, rt)
	if _, err := s.ConsumeGrant(ctx, "rt", gnow); err != nil {
		t.Fatalf("ConsumeGrant of a refresh token: %v", err)
	}
}

func testGrantConsumeNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if _, err := s.ConsumeGrant(ctx, "missing", gnow); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeGrant of a missing grant = %v, want ErrNotFound", err)
	}
	g := sampleGrant("code")
	mustCreateGrant(t, s, g)
	if _, err := s.ConsumeGrant(ctx, "code", g.Expires.Add(time.Second)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeGrant of an expired grant = %v, want ErrNotFound", err)
	}
	checkGrant(t, s, g, gnow) // the refused consume did not consume it
	// Consumed and then expired: not found, not consumed.
	if _, err := s.ConsumeGrant(ctx, "code", gnow); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeGrant(ctx, "code", g.Expires); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeGrant of a consumed, expired grant = %v, want ErrNotFound", err)
	}
}

// testConcurrentConsume is the authorization code race: of 16 concurrent
// consumers of one code, exactly one wins; the others get ErrConsumed.
func testConcurrentConsume(t *testing.T, s storage.Store) {
	consumeRace(t, func(int) storage.Store { return s })
}

// consumeRace runs three rounds of 16 concurrent ConsumeGrant calls on one
// grant, the i-th through store(i).
func consumeRace(t *testing.T, store func(i int) storage.Store) {
	t.Helper()
	grantRace(t, store, "code", func(s storage.Store, key string, i int) (storage.PersistedGrant, error) {
		return s.ConsumeGrant(t.Context(), key, gnow.Add(time.Duration(i)*time.Millisecond))
	}, func(key string, got []storage.PersistedGrant, winner int) {
		stored, err := store(1).GetGrant(t.Context(), key, gnow)
		if err != nil {
			t.Fatal(err)
		}
		if !stored.Consumed.Equal(got[winner].Consumed) {
			t.Errorf("stored Consumed %v, want the winner's %v", stored.Consumed, got[winner].Consumed)
		}
	})
}

// grantRace runs three rounds of 16 concurrent calls of op on a new grant
// (keyed prefix-round), the i-th through store(i): exactly one wins, and the
// others get ErrConsumed (oneConsumer). settled then checks what the round
// left stored.
func grantRace(t *testing.T, store func(i int) storage.Store, prefix string,
	op func(s storage.Store, key string, i int) (storage.PersistedGrant, error),
	settled func(key string, got []storage.PersistedGrant, winner int)) {
	t.Helper()
	for round := range 3 {
		key := fmt.Sprintf("%s-%d", prefix, round)
		mustCreateGrant(t, store(0), sampleGrant(key))
		got := make([]storage.PersistedGrant, 16)
		errs := race(16, func(i int) error {
			var err error
			got[i], err = op(store(i), key, i)
			return err
		})
		settled(key, got, oneConsumer(t, key, got, errs))
	}
}

// oneConsumer checks what concurrent consumers of the grant key got: exactly
// one won, and each of the others got ErrConsumed with the grant as the
// winner consumed it. It returns the winner.
func oneConsumer(t *testing.T, key string, got []storage.PersistedGrant, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("consumers %d and %d both won", winner, i)
		case !errors.Is(err, storage.ErrConsumed):
			t.Errorf("consumer %d: %v, want nil or ErrConsumed", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("none of %d concurrent consumers won", len(errs))
	}
	for i, g := range got {
		if errors.Is(errs[i], storage.ErrConsumed) && (g.Key != key || !g.Consumed.Equal(got[winner].Consumed)) {
			t.Errorf("loser %d got %+v with ErrConsumed, want the grant consumed at the winner's %v", i, g, got[winner].Consumed)
		}
	}
	return winner
}

func testGrantConcurrentCreate(t *testing.T, s storage.Store) {
	checkOneWinner(t, race(16, func(int) error {
		return s.CreateGrant(t.Context(), sampleGrant("code"))
	}))
	checkGrant(t, s, sampleGrant("code"), gnow)
}

// grantSet is a set of grants for the list and delete tests: named by key,
// created out of order, one expired at gnow, one consumed.
func grantSet(t *testing.T, s storage.Store) {
	t.Helper()
	add := func(key, typ, subject, client, session, family string, created time.Duration) {
		mustCreateGrant(t, s, storage.PersistedGrant{
			Key: key, Type: typ, Subject: subject, ClientID: client, SessionID: session, FamilyID: family,
			Created: base.Add(created), Expires: base.Add(created + 10*time.Minute),
		})
	}
	// Key order is not creation order. g1, a code, led to g3 and expired.
	add("g3", storage.GrantRefreshToken, "alice", "web", "s1", "f1", 3*time.Second)
	add("g1", storage.GrantAuthorizationCode, "alice", "web", "s1", "f1", 5*time.Second)
	add("g5", storage.GrantUserConsent, "alice", "mobile", "", "", time.Second)
	add("g2", storage.GrantRefreshToken, "bob", "web", "s2", "f2", 4*time.Second)
	add("g4b", storage.GrantReferenceToken, "", "service", "", "", 2*time.Second)
	add("g4a", storage.GrantDeviceCode, "bob", "tv", "s3", "f3", 2*time.Second) // same Created as g4b: by key
	add("expired", storage.GrantRefreshToken, "alice", "web", "s1", "f1", -10*time.Minute)
	if _, err := s.ConsumeGrant(t.Context(), "g1", gnow); err != nil {
		t.Fatal(err)
	}
}

func grantKeys(gs []storage.PersistedGrant) string {
	return keyList(gs, func(g storage.PersistedGrant) string { return g.Key })
}

// testGrantList checks filters, the order (oldest first, then by key), that
// expired grants are left out and consumed ones kept.
func testGrantList(t *testing.T, s storage.Store) {
	if gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{}, gnow); err != nil || len(gs) != 0 {
		t.Fatalf("ListGrants of an empty store = %d grants, %v; want none", len(gs), err)
	}
	grantSet(t, s)
	tests := []struct {
		name   string
		filter storage.PersistedGrantFilter
		want   string
	}{
		{"all", storage.PersistedGrantFilter{}, "g5 g4a g4b g3 g2 g1"},
		{"subject", storage.PersistedGrantFilter{Subject: "alice"}, "g5 g3 g1"},
		{"client", storage.PersistedGrantFilter{ClientID: "web"}, "g3 g2 g1"},
		{"session", storage.PersistedGrantFilter{SessionID: "s1"}, "g3 g1"},
		{"family", storage.PersistedGrantFilter{FamilyID: "f1"}, "g3 g1"},
		{"type", storage.PersistedGrantFilter{Type: storage.GrantRefreshToken}, "g3 g2"},
		{"subject and client", storage.PersistedGrantFilter{Subject: "alice", ClientID: "mobile"}, "g5"},
		{"family and type", storage.PersistedGrantFilter{FamilyID: "f1", Type: storage.GrantRefreshToken}, "g3"},
		{"all five", storage.PersistedGrantFilter{Subject: "bob", ClientID: "tv", SessionID: "s3", FamilyID: "f3", Type: storage.GrantDeviceCode}, "g4a"},
		// Codes may be indexed apart from the rest (SQLite): a filter by
		// user or session finds both, and a type only its own.
		{"subject, codes", storage.PersistedGrantFilter{Subject: "alice", Type: storage.GrantAuthorizationCode}, "g1"},
		{"subject and client, codes", storage.PersistedGrantFilter{Subject: "alice", ClientID: "web", Type: storage.GrantAuthorizationCode}, "g1"},
		{"session, codes", storage.PersistedGrantFilter{SessionID: "s1", Type: storage.GrantAuthorizationCode}, "g1"},
		{"session and type", storage.PersistedGrantFilter{SessionID: "s1", Type: storage.GrantRefreshToken}, "g3"},
		{"subject and type", storage.PersistedGrantFilter{Subject: "bob", Type: storage.GrantDeviceCode}, "g4a"},
		{"family exact", storage.PersistedGrantFilter{FamilyID: "F1"}, ""},
		{"no match", storage.PersistedGrantFilter{Subject: "carol"}, ""},
		{"exact", storage.PersistedGrantFilter{Subject: "Alice"}, ""},
		{"no match together", storage.PersistedGrantFilter{Subject: "alice", ClientID: "tv"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs, err := s.ListGrants(t.Context(), tt.filter, gnow)
			if err != nil {
				t.Fatal(err)
			}
			if got := grantKeys(gs); got != tt.want {
				t.Errorf("ListGrants(%+v) = %q, want %q", tt.filter, got, tt.want)
			}
		})
	}
	// Records come back whole: the consumed one with Consumed set.
	gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{SessionID: "s1"}, gnow)
	if err != nil || len(gs) != 2 {
		t.Fatalf("ListGrants = %d, %v", len(gs), err)
	}
	g1 := gs[1]
	if !g1.Consumed.Equal(instant(gnow)) || g1.Type != storage.GrantAuthorizationCode || g1.Subject != "alice" || g1.ClientID != "web" ||
		g1.SessionID != "s1" || g1.FamilyID != "f1" ||
		!g1.Created.Equal(instant(base.Add(5*time.Second))) || !g1.Expires.Equal(instant(base.Add(5*time.Second+10*time.Minute))) {
		t.Errorf("listed g1 = %+v", g1)
	}
	if !gs[0].Consumed.IsZero() {
		t.Errorf("listed g3 Consumed = %v, want zero", gs[0].Consumed)
	}
	// With an earlier now, the expired one is back.
	gs, err = s.ListGrants(t.Context(), storage.PersistedGrantFilter{Subject: "alice"}, base.Add(-5*time.Minute))
	if err != nil || grantKeys(gs) != "expired g5 g3 g1" {
		t.Errorf("ListGrants before the expiry = %q, %v; want %q", grantKeys(gs), err, "expired g5 g3 g1")
	}
	// Codes and other grants of one user interleaved in time come back in
	// that order, one list (a store may find the codes apart).
	for i, typ := range []string{storage.GrantRefreshToken, storage.GrantAuthorizationCode, storage.GrantUserConsent,
		storage.GrantAuthorizationCode, storage.GrantRefreshToken} {
		mustCreateGrant(t, s, storage.PersistedGrant{
			Key: fmt.Sprintf("carol-%d", 5-i), Type: typ, Subject: "carol", ClientID: "web", SessionID: "s9",
			Created: base.Add(time.Duration(i) * time.Second), Expires: base.Add(time.Hour),
		})
	}
	for _, f := range []storage.PersistedGrantFilter{{Subject: "carol"}, {SessionID: "s9"}, {Subject: "carol", ClientID: "web"}} {
		if gs, err := s.ListGrants(t.Context(), f, gnow); err != nil || grantKeys(gs) != "carol-5 carol-4 carol-3 carol-2 carol-1" {
			t.Errorf("ListGrants(%+v) = %q, %v; want carol-5 to carol-1, oldest first", f, grantKeys(gs), err)
		}
	}
}

func testGrantDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateGrant(t, s, sampleGrant("a"))
	mustCreateGrant(t, s, sampleGrant("b"))
	if err := s.DeleteGrant(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	checkNoGrant(t, s, "a", gnow)
	checkGrant(t, s, sampleGrant("b"), gnow)
	if err := s.DeleteGrant(ctx, "a"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("second DeleteGrant = %v, want ErrNotFound", err)
	}
	// The key is free again.
	mustCreateGrant(t, s, sampleGrant("a"))
}

// testDeleteGrants checks deletes by filter, which count and remove expired
// grants not yet cleaned up too, and the refusal of an empty filter.
func testDeleteGrants(t *testing.T, s storage.Store) {
	tests := []struct {
		name   string
		filter storage.PersistedGrantFilter
		n      int
		left   string // at gnow
	}{
		{"subject", storage.PersistedGrantFilter{Subject: "alice"}, 4, "g4a g4b g2"},
		{"client", storage.PersistedGrantFilter{ClientID: "web"}, 4, "g5 g4a g4b"},
		{"session", storage.PersistedGrantFilter{SessionID: "s1"}, 3, "g5 g4a g4b g2"},
		{"family", storage.PersistedGrantFilter{FamilyID: "f1"}, 3, "g5 g4a g4b g2"},
		{"family of one", storage.PersistedGrantFilter{FamilyID: "f2"}, 1, "g5 g4a g4b g3 g1"},
		{"type", storage.PersistedGrantFilter{Type: storage.GrantRefreshToken}, 3, "g5 g4a g4b g1"},
		{"subject and client", storage.PersistedGrantFilter{Subject: "bob", ClientID: "web"}, 1, "g5 g4a g4b g3 g1"},
		{"no match", storage.PersistedGrantFilter{Subject: "carol"}, 0, "g5 g4a g4b g3 g2 g1"},
		{"subject and client, codes", storage.PersistedGrantFilter{Subject: "alice", ClientID: "web", Type: storage.GrantAuthorizationCode}, 1, "g5 g4a g4b g3 g2"},
		{"session and type", storage.PersistedGrantFilter{SessionID: "s1", Type: storage.GrantRefreshToken}, 2, "g5 g4a g4b g2 g1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh set for each case, in the store of the test: clear the
			// previous case's leftovers first.
			for _, c := range []string{"web", "mobile", "service", "tv"} {
				if _, err := s.DeleteGrants(t.Context(), storage.PersistedGrantFilter{ClientID: c}); err != nil {
					t.Fatal(err)
				}
			}
			grantSet(t, s)
			n, err := s.DeleteGrants(t.Context(), tt.filter)
			if err != nil || n != tt.n {
				t.Fatalf("DeleteGrants(%+v) = %d, %v; want %d", tt.filter, n, err, tt.n)
			}
			gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{}, gnow)
			if err != nil {
				t.Fatal(err)
			}
			if got := grantKeys(gs); got != tt.left {
				t.Errorf("left %q, want %q", got, tt.left)
			}
		})
	}
	n, err := s.DeleteGrants(t.Context(), storage.PersistedGrantFilter{})
	wantInvalid(t, "DeleteGrants with an empty filter", err, "grant filter is empty")
	if n != 0 {
		t.Errorf("DeleteGrants with an empty filter = %d", n)
	}
	if gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{}, gnow); err != nil || len(gs) == 0 {
		t.Errorf("the refused delete removed grants: %d left, %v", len(gs), err)
	}
}

func testGrantNotAliased(t *testing.T, s storage.Store) {
	in := sampleGrant("code")
	mustCreateGrant(t, s, in)
	in.Data[0] = 'X'
	checkGrant(t, s, sampleGrant("code"), gnow)
	got, err := s.GetGrant(t.Context(), "code", gnow)
	if err != nil {
		t.Fatal(err)
	}
	got.Data[0] = 'X'
	checkGrant(t, s, sampleGrant("code"), gnow)
	got, err = s.ConsumeGrant(t.Context(), "code", gnow)
	if err != nil {
		t.Fatal(err)
	}
	got.Data[0] = 'X'
	gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{}, gnow)
	if err != nil || len(gs) != 1 {
		t.Fatalf("ListGrants = %d, %v", len(gs), err)
	}
	gs[0].Data[0] = 'X'
	want := sampleGrant("code")
	want.Consumed = gnow
	checkGrant(t, s, want, gnow)
}

func testGrantInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	long := strings.Repeat("k", storage.MaxKeyLen+1)
	tests := []struct {
		name   string
		change func(*storage.PersistedGrant)
		msg    string
	}{
		{"empty key", func(g *storage.PersistedGrant) { g.Key = "" }, "grant key is empty"},
		{"long key", func(g *storage.PersistedGrant) { g.Key = long }, "grant key is 513 bytes"},
		{"nul in key", func(g *storage.PersistedGrant) { g.Key = "a\x00" }, "grant key contains a NUL byte"},
		{"no type", func(g *storage.PersistedGrant) { g.Type = "" }, `grant type "" is not one of`},
		{"unknown type", func(g *storage.PersistedGrant) { g.Type = "code" }, `grant type "code" is not one of authorization_code, refresh_token`},
		{"long subject", func(g *storage.PersistedGrant) { g.Subject = long }, "grant subject is 513 bytes"},
		{"no client", func(g *storage.PersistedGrant) { g.ClientID = "" }, "grant client id is empty"},
		{"invalid session", func(g *storage.PersistedGrant) { g.SessionID = "\xff" }, "grant session id is not valid UTF-8"},
		{"long family", func(g *storage.PersistedGrant) { g.FamilyID = long }, "grant family id is 513 bytes"},
		{"nul in family", func(g *storage.PersistedGrant) { g.FamilyID = "f\x00" }, "grant family id contains a NUL byte"},
		{"no created", func(g *storage.PersistedGrant) { g.Created = time.Time{} }, "grant has no created time"},
		{"no expiry", func(g *storage.PersistedGrant) { g.Expires = time.Time{} }, "grant has no expiry"},
		{"expires at created", func(g *storage.PersistedGrant) { g.Expires = g.Created.Add(time.Microsecond) }, "grant expires at or before it was created"},
		{"expires before created", func(g *storage.PersistedGrant) { g.Expires = g.Created.Add(-time.Hour) }, "grant expires at or before it was created"},
		{"consumed", func(g *storage.PersistedGrant) { g.Consumed = gnow }, "a new grant cannot be consumed already"},
		{"data too large", func(g *storage.PersistedGrant) { g.Data = make([]byte, storage.MaxDataLen+1) }, "grant data is 1048577 bytes, over the limit of 1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := sampleGrant("code")
			tt.change(&g)
			wantInvalid(t, "CreateGrant", s.CreateGrant(ctx, g), tt.msg)
		})
	}
	if gs, err := s.ListGrants(ctx, storage.PersistedGrantFilter{}, gnow); err != nil || len(gs) != 0 {
		t.Fatalf("after refused creates ListGrants = %d grants, %v; want none", len(gs), err)
	}

	// The largest data is accepted.
	big := sampleGrant("big")
	big.Data = bytes.Repeat([]byte{0, 0xff}, storage.MaxDataLen/2)
	mustCreateGrant(t, s, big)
	checkGrant(t, s, big, gnow)

	// Arguments of the other methods.
	mustCreateGrant(t, s, sampleGrant("code"))
	_, err := s.GetGrant(ctx, "code", time.Time{})
	wantInvalid(t, "GetGrant at the zero time", err, "now is the zero time")
	_, err = s.GetGrant(ctx, "", gnow)
	wantInvalid(t, "GetGrant with an empty key", err, "grant key is empty")
	_, err = s.ConsumeGrant(ctx, "code", time.Time{})
	wantInvalid(t, "ConsumeGrant at the zero time", err, "now is the zero time")
	_, err = s.ConsumeGrant(ctx, "a\x00", gnow)
	wantInvalid(t, "ConsumeGrant with a NUL in the key", err, "grant key contains a NUL byte")
	_, err = s.ListGrants(ctx, storage.PersistedGrantFilter{}, time.Time{})
	wantInvalid(t, "ListGrants at the zero time", err, "now is the zero time")
	_, err = s.ListGrants(ctx, storage.PersistedGrantFilter{Subject: "a\x00"}, gnow)
	wantInvalid(t, "ListGrants with a NUL in the subject", err, "grant filter subject contains a NUL byte")
	_, err = s.ListGrants(ctx, storage.PersistedGrantFilter{Type: "code"}, gnow)
	wantInvalid(t, "ListGrants with an unknown type", err, `grant type "code" is not one of`)
	_, err = s.DeleteGrants(ctx, storage.PersistedGrantFilter{ClientID: long})
	wantInvalid(t, "DeleteGrants with a long client id", err, "grant filter client id is 513 bytes")
	_, err = s.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: "\xff"})
	wantInvalid(t, "DeleteGrants with an invalid family id", err, "grant filter family id is not valid UTF-8")
	wantInvalid(t, "DeleteGrant with an empty key", s.DeleteGrant(ctx, ""), "grant key is empty")
	// None of them consumed or deleted anything.
	checkGrant(t, s, sampleGrant("code"), gnow)
}
