package storagetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// rotateTests are the tests of RotateGrant, run with the grant tests.
var rotateTests = []test{
	{"Rotate", testRotate},
	{"RotateConsumed", testRotateConsumed},
	{"RotateNotFound", testRotateNotFound},
	{"RotateNextTaken", testRotateNextTaken},
	{"RotateInvalid", testRotateInvalid},
	{"ConcurrentRotate", testConcurrentRotate},
}

// successor is the refresh token that replaces the grant of key: in its
// family, created at now.
func successor(key, next string) storage.PersistedGrant {
	g := sampleGrant(next)
	g.Type = storage.GrantRefreshToken
	g.FamilyID = "family-" + key
	g.Created = gnow
	g.Expires = gnow.Add(time.Hour)
	return g
}

// testRotate checks that a rotation consumes the grant, creates the next one
// unconsumed, and returns the consumed grant.
func testRotate(t *testing.T, s storage.Store) {
	old := sampleGrant("rt1")
	mustCreateGrant(t, s, old)
	mustCreateGrant(t, s, sampleGrant("other"))
	next := successor("rt1", "rt2")
	at := gnow.Add(123_456 * time.Microsecond)
	got, err := s.RotateGrant(t.Context(), "rt1", next, at)
	if err != nil {
		t.Fatalf("RotateGrant: %v", err)
	}
	want := old
	want.Consumed = at
	sameGrant(t, "RotateGrant (the consumed grant)", got, want)
	checkGrant(t, s, want, gnow)
	checkGrant(t, s, next, gnow)
	checkGrant(t, s, sampleGrant("other"), gnow)

	// The next one rotates in turn; the family holds all three.
	if _, err := s.RotateGrant(t.Context(), "rt2", successor("rt1", "rt3"), gnow); err != nil {
		t.Fatalf("second RotateGrant: %v", err)
	}
	gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{FamilyID: "family-rt1"}, gnow)
	if err != nil || grantKeys(gs) != "rt1 rt2 rt3" {
		t.Errorf("family after two rotations = %q, %v; want rt1 rt2 rt3", grantKeys(gs), err)
	}
}

// testRotateConsumed checks that rotating a consumed grant (a refresh token
// used twice) returns ErrConsumed with the grant and creates nothing, even
// when the next key is taken too.
func testRotateConsumed(t *testing.T, s storage.Store) {
	mustCreateGrant(t, s, sampleGrant("rt1"))
	if _, err := s.RotateGrant(t.Context(), "rt1", successor("rt1", "rt2"), gnow); err != nil {
		t.Fatal(err)
	}
	for _, next := range []string{"rt3", "rt2"} {
		got, err := s.RotateGrant(t.Context(), "rt1", successor("rt1", next), gnow.Add(time.Second))
		if !errors.Is(err, storage.ErrConsumed) {
			t.Fatalf("RotateGrant of a consumed grant to %s = %v, want ErrConsumed", next, err)
		}
		if got.Key != "rt1" || !got.Consumed.Equal(instant(gnow)) {
			t.Errorf("RotateGrant of a consumed grant returned %+v, want rt1 consumed at %v", got, instant(gnow))
		}
	}
	checkNoGrant(t, s, "rt3", gnow)
	// ConsumeGrant agrees.
	if _, err := s.ConsumeGrant(t.Context(), "rt1", gnow); !errors.Is(err, storage.ErrConsumed) {
		t.Errorf("ConsumeGrant after a rotation = %v, want ErrConsumed", err)
	}
}

// testRotateNotFound checks that rotating a missing or expired grant is
// ErrNotFound and creates nothing.
func testRotateNotFound(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if _, err := s.RotateGrant(ctx, "missing", successor("missing", "next"), gnow); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("RotateGrant of a missing grant = %v, want ErrNotFound", err)
	}
	old := sampleGrant("rt1")
	mustCreateGrant(t, s, old)
	if _, err := s.RotateGrant(ctx, "rt1", successor("rt1", "next"), old.Expires); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("RotateGrant at the expiry = %v, want ErrNotFound", err)
	}
	checkNoGrant(t, s, "next", gnow)
	checkGrant(t, s, old, gnow) // not consumed
}

// testRotateNextTaken checks that a taken next key (even by an expired grant)
// is ErrAlreadyExists and leaves the grant unconsumed, to be rotated again.
func testRotateNextTaken(t *testing.T, s storage.Store) {
	ctx := t.Context()
	old := sampleGrant("rt1")
	mustCreateGrant(t, s, old)
	taken := sampleGrant("taken")
	mustCreateGrant(t, s, taken)
	expired := sampleGrant("expired")
	expired.Created, expired.Expires = base.Add(-2*time.Hour), base.Add(-time.Hour)
	mustCreateGrant(t, s, expired)
	for _, key := range []string{"taken", "expired"} {
		if _, err := s.RotateGrant(ctx, "rt1", successor("rt1", key), gnow); !errors.Is(err, storage.ErrAlreadyExists) {
			t.Errorf("RotateGrant to the taken key %s = %v, want ErrAlreadyExists", key, err)
		}
	}
	checkGrant(t, s, old, gnow)
	checkGrant(t, s, taken, gnow)
	if _, err := s.RotateGrant(ctx, "rt1", successor("rt1", "free"), gnow); err != nil {
		t.Fatalf("RotateGrant after a refused one: %v", err)
	}
	checkGrant(t, s, successor("rt1", "free"), gnow)
}

func testRotateInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	old := sampleGrant("rt1")
	mustCreateGrant(t, s, old)
	noClient := successor("rt1", "next")
	noClient.ClientID = ""
	consumed := successor("rt1", "next")
	consumed.Consumed = gnow
	tests := []struct {
		name string
		key  string
		next storage.PersistedGrant
		now  time.Time
		msg  string
	}{
		{"empty key", "", successor("rt1", "next"), gnow, "grant key is empty"},
		{"zero now", "rt1", successor("rt1", "next"), time.Time{}, "now is the zero time"},
		{"own key", "rt1", successor("rt1", "rt1"), gnow, "a grant cannot be rotated to its own key"},
		{"next without client", "rt1", noClient, gnow, "grant client id is empty"},
		{"next consumed", "rt1", consumed, gnow, "a new grant cannot be consumed already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.RotateGrant(ctx, tt.key, tt.next, tt.now)
			wantInvalid(t, "RotateGrant", err, tt.msg)
		})
	}
	checkGrant(t, s, old, gnow)
	checkNoGrant(t, s, "next", gnow)
}

// testConcurrentRotate is the refresh token race: of 16 concurrent rotations
// of one grant, exactly one wins.
func testConcurrentRotate(t *testing.T, s storage.Store) {
	rotateRace(t, func(int) storage.Store { return s })
}

// rotateRace runs three rounds of 16 concurrent RotateGrant calls of one
// grant, each to a next key of its own, the i-th through store(i): one
// succeeds, the others get ErrConsumed, and only the winner's next grant
// exists.
func rotateRace(t *testing.T, store func(i int) storage.Store) {
	t.Helper()
	grantRace(t, store, "rt", func(s storage.Store, key string, i int) (storage.PersistedGrant, error) {
		return s.RotateGrant(t.Context(), key, successor(key, fmt.Sprintf("%s-next-%02d", key, i)), gnow)
	}, func(key string, _ []storage.PersistedGrant, winner int) {
		gs, err := store(1).ListGrants(t.Context(), storage.PersistedGrantFilter{FamilyID: "family-" + key}, gnow)
		if want := fmt.Sprintf("%s %s-next-%02d", key, key, winner); err != nil || grantKeys(gs) != want {
			t.Errorf("family after the race = %q, %v; want %q (the winner's next only)", grantKeys(gs), err, want)
		}
	})
}
