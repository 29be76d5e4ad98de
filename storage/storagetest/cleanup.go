package storagetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// expiredSet fills s with records around cutoff (a real future time, so that
// jtis block until deleted): n expired of each kind (jtis, grants, sessions,
// signing keys) and live ones of each, and clients, resources and a user,
// which never expire.
// It returns the number of expired records.
func expiredSet(t *testing.T, s storage.Store, cutoff time.Time, n int) int {
	t.Helper()
	ctx := t.Context()
	for i := range n {
		// Expired: expiry at or before the cutoff; the first exactly at it.
		exp := cutoff.Add(-time.Duration(i) * time.Minute)
		mustUse(t, s, "client", fmt.Sprintf("jti-%d", i), exp)
		g := sampleGrant(fmt.Sprintf("grant-%d", i))
		g.Type = expiringGrantTypes[i%len(expiringGrantTypes)]
		g.Created, g.Expires = exp.Add(-time.Hour), exp
		mustCreateGrant(t, s, g)
		v := sampleSession(fmt.Sprintf("session-%d", i))
		v.AuthTime, v.Created, v.Expires = exp.Add(-time.Hour), exp.Add(-time.Hour), exp
		sessionKind.mustCreate(t, s, v)
		k := sampleSigningKey(fmt.Sprintf("key-%d", i))
		k.Created, k.Activates, k.Retires, k.Expires = exp.Add(-48*time.Hour), time.Time{}, exp.Add(-time.Hour), exp
		signingKeyKind.mustCreate(t, s, k)
	}
	// Live: a millisecond later, or never.
	mustUse(t, s, "client", "jti-live", cutoff.Add(time.Millisecond))
	g := sampleGrant("grant-live")
	g.Created, g.Expires = cutoff.Add(-time.Hour), cutoff.Add(time.Millisecond)
	mustCreateGrant(t, s, g)
	consumed := sampleGrant("grant-consumed") // consumed, not expired: kept for reuse detection
	consumed.Created, consumed.Expires = cutoff.Add(-time.Hour), cutoff.Add(time.Hour)
	mustCreateGrant(t, s, consumed)
	if _, err := s.ConsumeGrant(ctx, "grant-consumed", cutoff.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	v := sampleSession("session-live")
	v.AuthTime, v.Created, v.Expires = cutoff.Add(-time.Hour), cutoff.Add(-time.Hour), cutoff.Add(time.Millisecond)
	sessionKind.mustCreate(t, s, v)
	k := sampleSigningKey("key-live")
	k.Created, k.Activates, k.Retires, k.Expires = cutoff.Add(-time.Hour), time.Time{}, time.Time{}, cutoff.Add(time.Millisecond)
	signingKeyKind.mustCreate(t, s, k)
	k = sampleSigningKey("key-forever")
	k.Created, k.Activates, k.Retires, k.Expires = cutoff.Add(-time.Hour), time.Time{}, time.Time{}, time.Time{}
	signingKeyKind.mustCreate(t, s, k)
	clientKind.mustCreate(t, s, sampleClient("client"))
	apiScopeKind.mustCreate(t, s, apiScopeKind.sample("scope"))
	apiResourceKind.mustCreate(t, s, apiResourceKind.sample("resource"))
	identityResourceKind.mustCreate(t, s, identityResourceKind.sample("openid"))
	userKind.mustCreate(t, s, sampleUser("user"))
	return 4 * n
}

// expiringGrantTypes are the types of expiredSet's grants in turn: those of
// issue 16 first, so that even 3 expired grants have each.
var expiringGrantTypes = []string{storage.GrantUpstreamLogin, storage.GrantWebAuthnCeremony, storage.GrantLoginStep,
	storage.GrantAuthorizationCode, storage.GrantRefreshToken, storage.GrantAuthorizationRequest}

// checkExpiredGone checks, after cleanup up to cutoff, that the n expired
// records of each kind are gone and every other record is there.
func checkExpiredGone(t *testing.T, s storage.Store, cutoff time.Time, n int) {
	t.Helper()
	ctx := t.Context()
	early := cutoff.Add(-48 * time.Hour) // before any expiry: only deletion hides a grant
	for i := range n {
		mustUse(t, s, "client", fmt.Sprintf("jti-%d", i), later())
		checkNoGrant(t, s, fmt.Sprintf("grant-%d", i), early)
		checkNoSession(t, s, fmt.Sprintf("session-%d", i), early)
		signingKeyKind.checkMissing(t, s, fmt.Sprintf("key-%d", i))
	}
	mustRefuse(t, s, "client", "jti-live", later())
	if _, err := s.GetGrant(ctx, "grant-live", early); err != nil {
		t.Errorf("live grant: %v", err)
	}
	if g, err := s.GetGrant(ctx, "grant-consumed", early); err != nil || g.Consumed.IsZero() {
		t.Errorf("consumed grant: %+v, %v", g, err)
	}
	if _, err := s.GetSession(ctx, "session-live", early); err != nil {
		t.Errorf("live session: %v", err)
	}
	for _, id := range []string{"key-live", "key-forever"} {
		if _, err := s.GetSigningKey(ctx, id); err != nil {
			t.Errorf("signing key %s: %v", id, err)
		}
	}
	_, err1 := s.GetClient(ctx, "client")
	_, err2 := s.GetAPIScope(ctx, "scope")
	_, err3 := s.GetAPIResource(ctx, "resource")
	_, err4 := s.GetIdentityResource(ctx, "openid")
	_, err5 := s.GetUser(ctx, "user")
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		t.Errorf("cleanup removed records that never expire: %v", err)
	}
}

// testDeleteExpiredRecords checks that cleanup removes expired jtis, grants,
// sessions and signing keys, in batches of at most limit across kinds, and nothing
// else; and that it leaves the ConfigVersion alone.
func testDeleteExpiredRecords(t *testing.T, s storage.Store) {
	ctx := t.Context()
	cutoff := later().Truncate(time.Millisecond)
	total := expiredSet(t, s, cutoff, 3) // 12
	v0 := version(t, s)

	// Nothing has expired at an earlier now.
	if n, err := s.DeleteExpired(ctx, cutoff.Add(-time.Hour), 100); err != nil || n != 0 {
		t.Fatalf("DeleteExpired an hour before = %d, %v; want 0, nil", n, err)
	}
	var got []int
	for range 10 {
		n, err := s.DeleteExpired(ctx, cutoff, 4)
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		got = append(got, n)
		if n == 0 {
			break
		}
	}
	if total != 12 || fmt.Sprint(got) != "[4 4 4 0]" {
		t.Fatalf("DeleteExpired(cutoff, 4) returned %v in turn, want [4 4 4 0]", got)
	}
	checkExpiredGone(t, s, cutoff, 3)
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after cleanup; want unchanged", v0, v)
	}
}

// testDeleteExpiredConcurrent runs four sweepers at once: together they
// delete every expired record exactly once.
func testDeleteExpiredConcurrent(t *testing.T, s storage.Store) {
	sweepConcurrently(t, func(int) storage.Store { return s })
}

// sweep runs four sweepers at once, the i-th through store(i), each deleting
// batches of batch records expired at cutoff until one comes back empty, and
// returns how many they deleted in all.
func sweep(t *testing.T, store func(i int) storage.Store, cutoff time.Time, batch int) int {
	t.Helper()
	var deleted atomic.Int64
	errs := race(4, func(i int) error {
		for {
			n, err := store(i).DeleteExpired(t.Context(), cutoff, batch)
			if err != nil {
				return err
			}
			deleted.Add(int64(n))
			if n == 0 {
				return nil
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	return int(deleted.Load())
}

func sweepConcurrently(t *testing.T, store func(i int) storage.Store) {
	t.Helper()
	cutoff := later().Truncate(time.Millisecond)
	total := expiredSet(t, store(0), cutoff, 15)
	if deleted := sweep(t, store, cutoff, 5); deleted != total {
		t.Errorf("sweepers deleted %d records in all, want %d", deleted, total)
	}
	checkExpiredGone(t, store(1), cutoff, 15)
}
