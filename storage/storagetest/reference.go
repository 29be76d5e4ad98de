package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// referenceTests are the conformance tests of reference access tokens
// (issue 15): a client's AccessTokenType, and reference tokens as the token
// path keeps them: persisted grants of type GrantReferenceToken, found by
// the hash of their handle, revoked with their family, swept once expired.
var referenceTests = []test{
	{"ClientAccessTokenType", testClientAccessTokenType},
	{"IssueLookup", testReferenceIssueLookup},
	{"RevokeFamily", testReferenceRevokeFamily},
	{"Sweep", testReferenceSweep},
	{"ConcurrentRevokeAndUse", func(t *testing.T, s storage.Store) {
		referenceRevokeRace(t, func(int) storage.Store { return s })
	}},
}

// testClientAccessTokenType checks that a client's AccessTokenType reads
// back as written ("" for a client that sets none, which means Jwt), that
// an update changes it, and that an unknown value is refused.
func testClientAccessTokenType(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := storage.Client{ID: "plain", GrantTypes: []string{"client_credentials"}}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	ref := c
	ref.ID, ref.AccessTokenType = "opaque", storage.AccessTokenReference
	if err := s.CreateClient(ctx, ref); err != nil {
		t.Fatal(err)
	}
	check := func(id, want string) {
		t.Helper()
		got, err := s.GetClient(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.AccessTokenType != want {
			t.Errorf("client %s: AccessTokenType %q, want %q", id, got.AccessTokenType, want)
		}
	}
	check("plain", "")
	check("opaque", storage.AccessTokenReference)
	for _, v := range []string{storage.AccessTokenJwt, storage.AccessTokenReference, ""} {
		if err := s.UpdateClient(ctx, "plain", func(c *storage.Client) error { c.AccessTokenType = v; return nil }); err != nil {
			t.Fatal(err)
		}
		check("plain", v)
	}
	err := s.UpdateClient(ctx, "opaque", func(c *storage.Client) error { c.AccessTokenType = "Opaque"; return nil })
	if !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("UpdateClient to AccessTokenType Opaque = %v, want ErrInvalid", err)
	}
	check("opaque", storage.AccessTokenReference)
}

// referenceGrant is a reference token as internal/tokens stores one: key
// the hash of its handle, Data its JSON claims, Expires its exp; family
// "" for a client's own token.
func referenceGrant(key, subject, family string, created, expires time.Time) storage.PersistedGrant {
	session := "sid-1"
	if subject == "" {
		session = ""
	}
	return storage.PersistedGrant{
		Key: key, Type: storage.GrantReferenceToken, Subject: subject, ClientID: "web", SessionID: session, FamilyID: family,
		Created: created, Expires: expires,
		Data: []byte(fmt.Sprintf(`{"iss":"https://auth.example.com","aud":["api1","api2"],"client_id":"web","sub":%q,"scope":"api1 api2","exp":%d,"amr":["pwd"],"client_tier":1.50}`,
			subject, expires.Unix())),
	}
}

// testReferenceIssueLookup checks that a reference token is found by its
// key, with every field and its Data byte for byte, until it expires.
func testReferenceIssueLookup(t *testing.T, s storage.Store) {
	own := referenceGrant("hUJ3Lf0PZ2l8x9_own", "", "", base, base.Add(time.Hour))
	user := referenceGrant("hUJ3Lf0PZ2l8x9_user", "alice", "family-1", base, base.Add(10*time.Minute))
	mustCreateGrant(t, s, own)
	mustCreateGrant(t, s, user)
	checkGrant(t, s, own, gnow)
	checkGrant(t, s, user, gnow)
	if err := s.CreateGrant(t.Context(), user); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("a second reference token under one key: %v, want ErrAlreadyExists", err)
	}
	checkGrant(t, s, user, user.Expires.Add(-time.Millisecond))
	checkNoGrant(t, s, user.Key, user.Expires)
	checkNoGrant(t, s, "hUJ3Lf0PZ2l8x9_none", gnow)
	// A listing by type finds both; by subject only the user's.
	gs, err := s.ListGrants(t.Context(), storage.PersistedGrantFilter{Type: storage.GrantReferenceToken}, gnow)
	if err != nil || len(gs) != 2 {
		t.Errorf("ListGrants by type = %d grants, %v; want 2", len(gs), err)
	}
	gs, err = s.ListGrants(t.Context(), storage.PersistedGrantFilter{Subject: "alice"}, gnow)
	if err != nil || len(gs) != 1 || gs[0].Key != user.Key {
		t.Errorf("ListGrants by subject = %s, %v; want %s", grantKeys(gs), err, user.Key)
	}
}

// testReferenceRevokeFamily checks that deleting a family removes its
// reference tokens with its code and refresh tokens, expired or consumed
// ones too, and nothing of another family or of no family.
func testReferenceRevokeFamily(t *testing.T, s storage.Store) {
	ctx := t.Context()
	code := sampleGrant("code")
	code.FamilyID = "f1"
	refresh := sampleGrant("refresh")
	refresh.Type, refresh.FamilyID = storage.GrantRefreshToken, "f1"
	mustCreateGrant(t, s, code)
	mustCreateGrant(t, s, refresh)
	if _, err := s.ConsumeGrant(ctx, "code", gnow); err != nil {
		t.Fatal(err)
	}
	mustCreateGrant(t, s, referenceGrant("ref-f1-a", "alice", "f1", base, base.Add(time.Hour)))
	mustCreateGrant(t, s, referenceGrant("ref-f1-b", "alice", "f1", base, base.Add(30*time.Second))) // expired at gnow
	mustCreateGrant(t, s, referenceGrant("ref-f2", "alice", "f2", base, base.Add(time.Hour)))
	mustCreateGrant(t, s, referenceGrant("ref-own", "", "", base, base.Add(time.Hour)))

	n, err := s.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: "f1"})
	if err != nil || n != 4 {
		t.Fatalf("DeleteGrants(family f1) = %d, %v; want 4 (code, refresh token, two reference tokens)", n, err)
	}
	early := base.Add(-time.Hour) // before any expiry: only deletion hides a grant
	for _, k := range []string{"code", "refresh", "ref-f1-a", "ref-f1-b"} {
		checkNoGrant(t, s, k, early)
	}
	for _, k := range []string{"ref-f2", "ref-own"} {
		if _, err := s.GetGrant(ctx, k, gnow); err != nil {
			t.Errorf("%s after the revocation of another family: %v", k, err)
		}
	}
	// Revoking one reference token is deleting it.
	if err := s.DeleteGrant(ctx, "ref-own"); err != nil {
		t.Fatal(err)
	}
	checkNoGrant(t, s, "ref-own", early)
	if n, err := s.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: "f1"}); err != nil || n != 0 {
		t.Errorf("DeleteGrants(family f1) again = %d, %v; want 0", n, err)
	}
}

// limitCleaner passes DeleteExpired through, failing t if a batch is
// larger than asked.
type limitCleaner struct {
	t     *testing.T
	inner storage.Cleaner
	calls atomic.Int32
}

func (c *limitCleaner) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	c.calls.Add(1)
	n, err := c.inner.DeleteExpired(ctx, now, limit)
	if n > limit {
		c.t.Errorf("DeleteExpired(limit %d) deleted %d", limit, n)
	}
	return n, err
}

// testReferenceSweep checks that the janitor's sweep removes expired
// reference tokens in bounded batches, and leaves live ones.
func testReferenceSweep(t *testing.T, s storage.Store) {
	ctx := t.Context()
	cutoff := later().Truncate(time.Millisecond)
	const expired, batch = 11, 4
	for i := range expired {
		exp := cutoff.Add(-time.Duration(i) * time.Second) // the first exactly at the cutoff
		mustCreateGrant(t, s, referenceGrant(fmt.Sprintf("ref-expired-%02d", i), "alice", "f1", exp.Add(-time.Hour), exp))
	}
	mustCreateGrant(t, s, referenceGrant("ref-live", "alice", "f1", cutoff.Add(-time.Hour), cutoff.Add(time.Millisecond)))
	cleaner := &limitCleaner{t: t, inner: s}
	j := storage.Janitor{Cleaner: cleaner, Batch: batch, Now: func() time.Time { return cutoff }}
	n, err := j.Sweep(ctx)
	if err != nil || n != expired {
		t.Fatalf("Sweep = %d, %v; want %d", n, err, expired)
	}
	if c := cleaner.calls.Load(); c != (expired+batch-1)/batch {
		t.Errorf("Sweep made %d DeleteExpired calls of %d, want %d", c, batch, (expired+batch-1)/batch)
	}
	early := cutoff.Add(-48 * time.Hour)
	for i := range expired {
		checkNoGrant(t, s, fmt.Sprintf("ref-expired-%02d", i), early)
	}
	if _, err := s.GetGrant(ctx, "ref-live", early); err != nil {
		t.Errorf("live reference token after the sweep: %v", err)
	}
}

// referenceRevokeRace checks, in rounds, many lookups of a reference token
// (the i-th through store(i)) while it is revoked with its family through
// store(0): each lookup either finds the token or does not, a reader that
// once missed it never finds it again, and no lookup that starts after the
// revocation returned finds it.
func referenceRevokeRace(t *testing.T, store func(i int) storage.Store) {
	t.Helper()
	const readers = 8
	for round := range 3 {
		ctx := t.Context()
		family := fmt.Sprintf("family-%d", round)
		key := fmt.Sprintf("ref-raced-%d", round)
		now := time.Now()
		mustCreateGrant(t, store(0), referenceGrant(key, "alice", family, now.Add(-time.Minute), later()))
		var (
			revoked atomic.Bool // set once DeleteGrants returned
			hits    atomic.Int64
			wg      sync.WaitGroup
			start   = make(chan struct{})
		)
		for i := range readers {
			wg.Go(func() {
				<-start
				missed := false
				for {
					after := revoked.Load()
					_, err := store(i).GetGrant(ctx, key, now)
					switch {
					case err == nil && missed:
						t.Errorf("round %d reader %d: the token was found again after it was missed", round, i)
						return
					case err == nil && after:
						t.Errorf("round %d reader %d: the token was found after its revocation returned", round, i)
						return
					case err == nil:
						hits.Add(1)
					case errors.Is(err, storage.ErrNotFound):
						missed = true
						if after {
							return
						}
					default:
						t.Errorf("round %d reader %d: GetGrant: %v", round, i, err)
						return
					}
				}
			})
		}
		close(start)
		// Let the readers find it a few times before the revocation.
		for deadline := time.Now().Add(5 * time.Second); hits.Load() < readers && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		n, err := store(0).DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: family})
		revoked.Store(true)
		wg.Wait()
		if err != nil || n != 1 {
			t.Fatalf("round %d: DeleteGrants = %d, %v; want 1", round, n, err)
		}
		if hits.Load() == 0 {
			t.Errorf("round %d: no lookup found the token before its revocation", round)
		}
	}
}

// testConcurrentRevokeAndUseAcrossInstances is referenceRevokeRace with the
// lookups spread over two instances, the revocation made through the first.
func testConcurrentRevokeAndUseAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	referenceRevokeRace(t, func(i int) storage.Store { return stores[i%2] })
}
