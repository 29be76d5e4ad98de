package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// userGrantTests are the tests of CreateGrantInSession and
// ConsumeUserGrant, run with the grant tests: a code created while its
// session lasts, and consumed with its user's state.
var userGrantTests = []test{
	{"CreateInSession", testCreateGrantInSession},
	{"CreateInEndedSession", testCreateGrantInEndedSession},
	{"CreateInSessionTaken", testCreateGrantInSessionTaken},
	{"CreateInSessionInvalid", testCreateGrantInSessionInvalid},
	{"ConsumeUser", testConsumeUserGrant},
	{"ConsumeUserStates", testConsumeUserGrantStates},
	{"ConsumeUserNotFound", testConsumeUserGrantNotFound},
	{"ConcurrentConsumeUser", testConcurrentConsumeUser},
}

// mustCreateUser stores a user of id, disabled or not.
func mustCreateUser(t *testing.T, s storage.Store, id string, disabled bool) {
	t.Helper()
	u := sampleUser(id)
	u.Disabled = disabled
	userKind.mustCreate(t, s, u)
}

// grantKeysAt lists the keys of the grants live at now.
func grantKeysAt(t *testing.T, s storage.Store, now time.Time) string {
	t.Helper()
	gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{}, now)
	if err != nil {
		t.Fatalf("ListGrants: %v", err)
	}
	return grantKeys(gs)
}

// testCreateGrantInSession checks that a grant created in a live session is
// stored as CreateGrant stores it, and leaves the session alone.
func testCreateGrantInSession(t *testing.T, s storage.Store) {
	ctx := t.Context()
	sessionKind.mustCreate(t, s, sampleSession("sid-1"))
	g := sampleGrant("code")
	if err := s.CreateGrantInSession(ctx, g, gnow); err != nil {
		t.Fatalf("CreateGrantInSession in a live session: %v", err)
	}
	checkGrant(t, s, g, gnow)
	// As CreateGrant stores the same grant.
	twin := sampleGrant("code")
	twin.Key = "twin"
	mustCreateGrant(t, s, twin)
	got, err := s.GetGrant(ctx, "code", gnow)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.GetGrant(ctx, "twin", gnow)
	if err != nil {
		t.Fatal(err)
	}
	want.Key = "code"
	sameGrant(t, "GetGrant of the grant created in the session", got, want)
	checkUTC(t, "Created", got.Created, g.Created)
	checkUTC(t, "Expires", got.Expires, g.Expires)
	// Found by its session too.
	gs, err := s.ListGrants(ctx, storage.PersistedGrantFilter{SessionID: "sid-1"}, gnow)
	if err != nil || grantKeys(gs) != "code twin" {
		t.Errorf("ListGrants of the session = %q, %v; want code twin", grantKeys(gs), err)
	}
	sessionKind.check(t, s, "sid-1", sampleSession("sid-1"))
	// Consumed as any grant.
	if _, err := s.ConsumeGrant(ctx, "code", gnow); err != nil {
		t.Errorf("ConsumeGrant of the grant created in the session: %v", err)
	}
}

// testCreateGrantInEndedSession checks that no grant is created in a
// session that is missing, expired at now or deleted.
func testCreateGrantInEndedSession(t *testing.T, s storage.Store) {
	ctx := t.Context()
	v := sampleSession("sid-1")
	sessionKind.mustCreate(t, s, v)
	end := instant(v.Expires)

	in := func(key, session string) storage.PersistedGrant {
		g := sampleGrant(key)
		g.SessionID = session
		g.Expires = end.Add(time.Hour) // outlives the session: only the session decides
		return g
	}
	refused := func(what string, g storage.PersistedGrant, now time.Time) {
		t.Helper()
		err := s.CreateGrantInSession(ctx, g, now)
		if !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("CreateGrantInSession %s = %v, want ErrNotFound", what, err)
		}
		checkNoGrant(t, s, g.Key, gnow)
	}
	refused("in a missing session", in("missing", "sid-none"), gnow)
	refused("in a session of another case", in("case", "SID-1"), gnow)
	refused("at the session's expiry", in("at-expiry", "sid-1"), end)
	refused("after the session's expiry", in("after-expiry", "sid-1"), v.Expires.Add(time.Hour))
	// The millisecond before its expiry, the session is live.
	if err := s.CreateGrantInSession(ctx, in("before-expiry", "sid-1"), end.Add(-time.Millisecond)); err != nil {
		t.Fatalf("CreateGrantInSession the millisecond before the session's expiry: %v", err)
	}
	checkGrant(t, s, in("before-expiry", "sid-1"), gnow)

	// Logged out: deleted, one session or all of the subject's.
	sessionKind.mustCreate(t, s, sampleSession("sid-2"))
	if err := s.DeleteSession(ctx, "sid-2"); err != nil {
		t.Fatal(err)
	}
	refused("in a deleted session", in("deleted", "sid-2"), gnow)
	sessionKind.mustCreate(t, s, sampleSession("sid-3"))
	if _, err := s.DeleteSessions(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	refused("in a session deleted with its subject's", in("deleted-all", "sid-3"), gnow)
	refused("in the first session, deleted with its subject's", in("deleted-first", "sid-1"), gnow)

	if keys := grantKeysAt(t, s, gnow); keys != "before-expiry" {
		t.Errorf("grants after the refused creates = %q, want before-expiry", keys)
	}
}

// testCreateGrantInSessionTaken checks that a taken key is refused with
// ErrAlreadyExists, even by an expired grant, and the stored grant kept.
func testCreateGrantInSessionTaken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	sessionKind.mustCreate(t, s, sampleSession("sid-1"))
	mustCreateGrant(t, s, sampleGrant("code"))
	other := sampleGrant("code")
	other.Subject = "mallory"
	if err := s.CreateGrantInSession(ctx, other, gnow); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("CreateGrantInSession of a taken key = %v, want ErrAlreadyExists", err)
	}
	checkGrant(t, s, sampleGrant("code"), gnow)

	if err := s.CreateGrantInSession(ctx, sampleGrant("mine"), gnow); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGrantInSession(ctx, other, gnow); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("CreateGrantInSession of a key taken in the session = %v, want ErrAlreadyExists", err)
	}
	if err := s.CreateGrant(ctx, sampleGrant("mine")); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("CreateGrant of a key taken by CreateGrantInSession = %v, want ErrAlreadyExists", err)
	}

	old := sampleGrant("old")
	old.Created, old.Expires = base.Add(-2*time.Hour), base.Add(-time.Hour)
	mustCreateGrant(t, s, old)
	if err := s.CreateGrantInSession(ctx, sampleGrant("old"), gnow); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("CreateGrantInSession over an expired grant = %v, want ErrAlreadyExists", err)
	}
	if keys := grantKeysAt(t, s, gnow); keys != "code mine" {
		t.Errorf("grants = %q, want code mine", keys)
	}
	checkGrant(t, s, sampleGrant("mine"), gnow)
}

// testCreateGrantInSessionInvalid checks the arguments: a session id and a
// now are required, and the grant is checked as by CreateGrant.
func testCreateGrantInSessionInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	sessionKind.mustCreate(t, s, sampleSession("sid-1"))
	noSession := sampleGrant("no-session")
	noSession.SessionID = ""
	wantInvalid(t, "CreateGrantInSession with no session id", s.CreateGrantInSession(ctx, noSession, gnow), "no session id")
	wantInvalid(t, "CreateGrantInSession at the zero time", s.CreateGrantInSession(ctx, sampleGrant("zero"), time.Time{}), "now is the zero time")
	noKey := sampleGrant("")
	wantInvalid(t, "CreateGrantInSession with an empty key", s.CreateGrantInSession(ctx, noKey, gnow), "grant key is empty")
	badType := sampleGrant("bad-type")
	badType.Type = "code"
	wantInvalid(t, "CreateGrantInSession with an unknown type", s.CreateGrantInSession(ctx, badType, gnow), `grant type "code" is not one of`)
	if keys := grantKeysAt(t, s, gnow); keys != "" {
		t.Errorf("grants after refused creates = %q, want none", keys)
	}

	_, _, err := s.ConsumeUserGrant(ctx, "code", time.Time{})
	wantInvalid(t, "ConsumeUserGrant at the zero time", err, "now is the zero time")
	_, _, err = s.ConsumeUserGrant(ctx, "a\x00", gnow)
	wantInvalid(t, "ConsumeUserGrant with a NUL in the key", err, "grant key contains a NUL byte")
	_, _, err = s.ConsumeUserGrant(ctx, "", gnow)
	wantInvalid(t, "ConsumeUserGrant with an empty key", err, "grant key is empty")
}

// testConsumeUserGrant checks that ConsumeUserGrant consumes as
// ConsumeGrant does, and that a second consumer, of either method, gets
// ErrConsumed with the grant.
func testConsumeUserGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "alice", false)
	g := sampleGrant("code")
	mustCreateGrant(t, s, g)
	mustCreateGrant(t, s, sampleGrant("other"))

	first := gnow.Add(123_456 * time.Microsecond)
	got, state, err := s.ConsumeUserGrant(ctx, "code", first)
	if err != nil {
		t.Fatalf("first ConsumeUserGrant: %v", err)
	}
	if state != storage.UserActive {
		t.Errorf("ConsumeUserGrant of an active user's grant: state %d, want UserActive (%d)", state, storage.UserActive)
	}
	want := g
	want.Consumed = first
	sameGrant(t, "ConsumeUserGrant", got, want)
	checkUTC(t, "Consumed", got.Consumed, first)
	checkGrant(t, s, want, gnow.Add(2*time.Minute))

	got, _, err = s.ConsumeUserGrant(ctx, "code", first.Add(time.Second))
	if !errors.Is(err, storage.ErrConsumed) {
		t.Fatalf("second ConsumeUserGrant = %v, want ErrConsumed", err)
	}
	sameGrant(t, "second ConsumeUserGrant", got, want)
	got, err = s.ConsumeGrant(ctx, "code", first.Add(2*time.Second))
	if !errors.Is(err, storage.ErrConsumed) {
		t.Fatalf("ConsumeGrant after ConsumeUserGrant = %v, want ErrConsumed", err)
	}
	sameGrant(t, "ConsumeGrant after ConsumeUserGrant", got, want)
	checkGrant(t, s, want, gnow)
	checkGrant(t, s, sampleGrant("other"), gnow) // untouched

	// And the other way round.
	if _, err := s.ConsumeGrant(ctx, "other", first); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.ConsumeUserGrant(ctx, "other", first.Add(time.Second))
	if !errors.Is(err, storage.ErrConsumed) || !got.Consumed.Equal(instant(first)) {
		t.Fatalf("ConsumeUserGrant after ConsumeGrant = %v, Consumed %v; want ErrConsumed, %v", err, got.Consumed, instant(first))
	}
	gs, err := s.ListGrants(ctx, storage.PersistedGrantFilter{Subject: "alice"}, gnow)
	if err != nil || len(gs) != 2 || gs[0].Consumed.IsZero() || gs[1].Consumed.IsZero() {
		t.Errorf("ListGrants after the consumes = %+v, %v; want both consumed", gs, err)
	}
}

// testConsumeUserGrantStates checks the state of the user: active,
// disabled, enabled again, deleted, never there; each time the grant is
// consumed.
func testConsumeUserGrantStates(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "alice", false)
	mustCreateUser(t, s, "bob", true)
	setDisabled := func(id string, disabled bool) {
		t.Helper()
		if err := s.UpdateUser(ctx, id, func(u *storage.User) error { u.Disabled = disabled; return nil }); err != nil {
			t.Fatalf("UpdateUser(%q): %v", id, err)
		}
	}
	step := 0
	consume := func(what, subject string, want storage.UserState) {
		t.Helper()
		step++
		g := sampleGrant("code-" + string(rune('a'+step)))
		g.Subject = subject
		mustCreateGrant(t, s, g)
		now := gnow.Add(time.Duration(step) * time.Second)
		got, state, err := s.ConsumeUserGrant(ctx, g.Key, now)
		if err != nil {
			t.Fatalf("ConsumeUserGrant of %s: %v", what, err)
		}
		if state != want {
			t.Errorf("ConsumeUserGrant of %s: state %d, want %d", what, state, want)
		}
		g.Consumed = now
		sameGrant(t, "ConsumeUserGrant of "+what, got, g)
		checkGrant(t, s, g, gnow)
	}
	consume("an active user's grant", "alice", storage.UserActive)
	consume("a disabled user's grant", "bob", storage.UserDisabled)
	setDisabled("alice", true)
	consume("the grant of a user disabled since", "alice", storage.UserDisabled)
	setDisabled("bob", false)
	consume("the grant of a user enabled since", "bob", storage.UserActive)
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	consume("the grant of a deleted user", "alice", storage.UserMissing)
	consume("the grant of no user", "nobody", storage.UserMissing)
	consume("the grant of a user of another case", "BOB", storage.UserMissing)
	consume("a grant of no subject", "", storage.UserMissing)
	consume("the grant of the remaining user", "bob", storage.UserActive)
}

// testConsumeUserGrantNotFound checks that a missing or expired grant is
// ErrNotFound, and that a refused consume consumes nothing.
func testConsumeUserGrantNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "alice", false)
	if _, _, err := s.ConsumeUserGrant(ctx, "missing", gnow); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeUserGrant of a missing grant = %v, want ErrNotFound", err)
	}
	g := sampleGrant("code")
	mustCreateGrant(t, s, g)
	if _, _, err := s.ConsumeUserGrant(ctx, "code", instant(g.Expires)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeUserGrant at the grant's expiry = %v, want ErrNotFound", err)
	}
	if _, _, err := s.ConsumeUserGrant(ctx, "code", g.Expires.Add(time.Second)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeUserGrant of an expired grant = %v, want ErrNotFound", err)
	}
	checkGrant(t, s, g, gnow) // not consumed
	if _, _, err := s.ConsumeUserGrant(ctx, "code", gnow); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ConsumeUserGrant(ctx, "code", g.Expires); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeUserGrant of a consumed, expired grant = %v, want ErrNotFound", err)
	}
	if err := s.DeleteGrant(ctx, "code"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ConsumeUserGrant(ctx, "code", gnow); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ConsumeUserGrant of a deleted grant = %v, want ErrNotFound", err)
	}
}

// testConcurrentConsumeUser is the code race through ConsumeUserGrant: of
// 16 concurrent consumers exactly one wins, with its user's state.
func testConcurrentConsumeUser(t *testing.T, s storage.Store) {
	consumeUserRace(t, func(int) storage.Store { return s })
}

// consumeUserRace runs three rounds of 16 concurrent ConsumeUserGrant
// calls on one grant of an active user, the i-th through store(i).
func consumeUserRace(t *testing.T, store func(i int) storage.Store) {
	t.Helper()
	mustCreateUser(t, store(0), "alice", false)
	states := make([]storage.UserState, 16)
	grantRace(t, store, "code", func(s storage.Store, key string, i int) (storage.PersistedGrant, error) {
		g, state, err := s.ConsumeUserGrant(t.Context(), key, gnow.Add(time.Duration(i)*time.Millisecond))
		states[i] = state
		return g, err
	}, func(key string, got []storage.PersistedGrant, winner int) {
		if states[winner] != storage.UserActive {
			t.Errorf("the winner's state %d, want UserActive (%d)", states[winner], storage.UserActive)
		}
		stored, err := store(1).GetGrant(t.Context(), key, gnow)
		if err != nil {
			t.Fatal(err)
		}
		if !stored.Consumed.Equal(got[winner].Consumed) {
			t.Errorf("stored Consumed %v, want the winner's %v", stored.Consumed, got[winner].Consumed)
		}
	})
}
