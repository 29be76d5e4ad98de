package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// Run runs the conformance suite against stores made by newStore, each one
// empty and closed by newStore's own t.Cleanup. Every subtest, down to the
// leaves, gets a store of its own.
//
// The top-level subtests are the replay cache's (UseOnce, ...), then one group
// per record: Client, APIScope, APIResource, IdentityResource, SigningKey
// (each create, get, list, update, delete, errors, aliasing, concurrency and
// ConfigVersion), Grant, ReferenceToken, User, UserLink, Passkey,
// ExternalProvider (issue 16), Session (users and sessions also through
// those tests), ConfigVersion, DeleteExpired, and the store's lifecycle
// (CanceledContext, Ping, Close).
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"", []test{
			{"UseOnce", testUseOnce},
			{"ReplayRefused", testReplayRefused},
			{"OtherClientSameJTI", testOtherClientSameJTI},
			{"KeysAreExact", testKeysAreExact},
			{"ReuseAfterExpiry", testReuseAfterExpiry},
			{"DeleteExpiredBatches", testDeleteExpiredBatches},
			{"DeleteExpiredInvalidLimit", testDeleteExpiredInvalidLimit},
			{"ConcurrentUseOnce", testConcurrentUseOnce},
			{"ConcurrentDistinct", testConcurrentDistinct},
			{"InvalidValues", testInvalidValues},
		}},
		{"Client", append(kindTests(clientKind), clientTests...)},
		{"APIScope", kindTests(apiScopeKind)},
		{"APIResource", slices.Concat(kindTests(apiResourceKind), resourceTests, resourceSecretTests)},
		{"IdentityResource", kindTests(identityResourceKind)},
		{"SigningKey", append(kindTests(signingKeyKind), signingKeyTests...)},
		{"Grant", slices.Concat(grantTests, rotateTests, extendTests, userGrantTests)},
		{"ReferenceToken", referenceTests},
		{"User", slices.Concat(kindTests(userKind), userTests, secondFactorTests)},
		{"UserLink", userLinkTests},
		{"Passkey", passkeyTests},
		{"ExternalProvider", providerTests},
		{"Session", append(kindTests(sessionKind), sessionTests...)},
		{"ConfigVersion", configVersionTests},
		{"DeleteExpired", []test{
			{"Records", testDeleteExpiredRecords},
			{"Concurrent", testDeleteExpiredConcurrent},
		}},
		{"", []test{
			{"CanceledContext", testCanceledContext},
			{"Ping", testPing},
			{"Close", testClose},
		}},
	}
	for _, g := range groups {
		if g.name == "" {
			runTests(t, g.tests, newStore)
			continue
		}
		t.Run(g.name, func(t *testing.T) { runTests(t, g.tests, newStore) })
	}
}

// test is one subtest of Run, given a fresh store.
type test struct {
	name string
	run  func(t *testing.T, s storage.Store)
}

func runTests(t *testing.T, tests []test, newStore func(t *testing.T) storage.Store) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newStore(t))
		})
	}
}

func join(s []string) string { return strings.Join(s, " ") }

// later is an expiry far enough ahead that no test outlives it.
func later() time.Time { return time.Now().Add(time.Hour) }

func mustUse(t *testing.T, s storage.ReplayCache, clientID, jti string, expires time.Time) {
	t.Helper()
	if err := s.UseOnce(t.Context(), clientID, jti, expires); err != nil {
		t.Fatalf("UseOnce(%q, %q) = %v, want nil", clientID, jti, err)
	}
}

func mustRefuse(t *testing.T, s storage.ReplayCache, clientID, jti string, expires time.Time) {
	t.Helper()
	err := s.UseOnce(t.Context(), clientID, jti, expires)
	if !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("UseOnce(%q, %q) again = %v, want ErrAlreadyExists", clientID, jti, err)
	}
}

func testUseOnce(t *testing.T, s storage.Store) {
	mustUse(t, s, "client-a", "jti-1", later())
	mustUse(t, s, "client-a", "jti-2", later())
}

func testReplayRefused(t *testing.T, s storage.Store) {
	exp := later()
	mustUse(t, s, "client-a", "jti-1", exp)
	mustRefuse(t, s, "client-a", "jti-1", exp)
	// A replay with another exp (a re-signed assertion reusing the jti) is
	// refused too, and does not shorten the record.
	mustRefuse(t, s, "client-a", "jti-1", time.Now().Add(-time.Minute))
	mustRefuse(t, s, "client-a", "jti-1", exp.Add(time.Hour))
}

func testOtherClientSameJTI(t *testing.T, s storage.Store) {
	mustUse(t, s, "client-a", "shared-jti", later())
	mustUse(t, s, "client-b", "shared-jti", later())
	mustRefuse(t, s, "client-a", "shared-jti", later())
	mustRefuse(t, s, "client-b", "shared-jti", later())
	// The pair is the key, not the concatenation.
	mustUse(t, s, "client-ab", "c", later())
	mustUse(t, s, "client-a", "bc", later())
}

// testKeysAreExact catches a case-insensitive or space-trimming collation.
func testKeysAreExact(t *testing.T, s storage.Store) {
	for _, jti := range []string{"abc", "ABC", "abc ", " abc", "ábc", "a\u200ebc"} {
		mustUse(t, s, "client", jti, later())
	}
	mustUse(t, s, "Client", "abc", later())
	mustRefuse(t, s, "client", "ABC", later())
}

func testReuseAfterExpiry(t *testing.T, s storage.Store) {
	// A record whose expiry has passed, and that cleanup has not removed yet,
	// does not block reuse; the reuse sets the new expiry.
	mustUse(t, s, "client", "jti", time.Now().Add(-time.Second))
	mustUse(t, s, "client", "jti", time.Now().Add(-time.Millisecond))
	exp := later()
	mustUse(t, s, "client", "jti", exp)
	mustRefuse(t, s, "client", "jti", later())

	// The refreshed record carries the new expiry: cleanup up to just before
	// it leaves it, cleanup at it removes it.
	n, err := s.DeleteExpired(t.Context(), exp.Add(-time.Second), 10)
	if err != nil || n != 0 {
		t.Fatalf("DeleteExpired before the new expiry = %d, %v; want 0, nil", n, err)
	}
	mustRefuse(t, s, "client", "jti", later())
	n, err = s.DeleteExpired(t.Context(), exp, 10)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired at the new expiry = %d, %v; want 1, nil", n, err)
	}
	mustUse(t, s, "client", "jti", later())
}

func testDeleteExpiredBatches(t *testing.T, s storage.Store) {
	ctx := t.Context()
	// Every expiry is in the real future, so every record blocks until it is
	// deleted; "now" is passed to DeleteExpired. cutoff is on a millisecond,
	// the precision stores keep.
	cutoff := later().Truncate(time.Millisecond)
	var expired, live []string
	for i := range 6 {
		jti := fmt.Sprintf("expired-%d", i)
		mustUse(t, s, "client", jti, cutoff.Add(-time.Duration(i+1)*time.Minute))
		expired = append(expired, jti)
	}
	mustUse(t, s, "client", "at-cutoff", cutoff) // expiry == now counts as expired
	expired = append(expired, "at-cutoff")
	mustUse(t, s, "client", "just-after", cutoff.Add(time.Millisecond))
	mustUse(t, s, "client", "hour-after", cutoff.Add(time.Hour))
	mustUse(t, s, "other-client", "day-after", cutoff.Add(24*time.Hour))
	live = append(live, "just-after", "hour-after")

	// Nothing has expired yet by the real clock.
	if n, err := s.DeleteExpired(ctx, time.Now(), 100); err != nil || n != 0 {
		t.Fatalf("DeleteExpired(now) = %d, %v; want 0, nil", n, err)
	}

	var got []int
	for range 10 {
		n, err := s.DeleteExpired(ctx, cutoff, 3)
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		got = append(got, n)
		if n == 0 {
			break
		}
	}
	if fmt.Sprint(got) != "[3 3 1 0]" {
		t.Fatalf("DeleteExpired(cutoff, 3) returned %v in turn, want [3 3 1 0]", got)
	}
	// Deleted records no longer block; the others still do.
	for _, jti := range expired {
		mustUse(t, s, "client", jti, later())
	}
	for _, jti := range live {
		mustRefuse(t, s, "client", jti, later())
	}
	mustRefuse(t, s, "other-client", "day-after", later())
}

func testDeleteExpiredInvalidLimit(t *testing.T, s storage.Store) {
	for _, limit := range []int{0, -1} {
		if _, err := s.DeleteExpired(t.Context(), time.Now(), limit); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("DeleteExpired(limit %d) = %v, want ErrInvalid", limit, err)
		}
	}
}

// race runs f from n goroutines released at once and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// checkOneWinner checks that exactly one of errs is nil and the rest are
// ErrAlreadyExists.
func checkOneWinner(t *testing.T, errs []error) {
	t.Helper()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrAlreadyExists):
			t.Errorf("caller %d: %v, want nil or ErrAlreadyExists", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent callers succeeded, want exactly 1", wins, len(errs))
	}
}

func testConcurrentUseOnce(t *testing.T, s storage.Store) {
	exp := later()
	for round := range 5 {
		jti := fmt.Sprintf("contended-%d", round)
		checkOneWinner(t, race(16, func(int) error {
			return s.UseOnce(t.Context(), "client", jti, exp)
		}))
	}
}

// testConcurrentDistinct checks that concurrent writers of different pairs all
// succeed (no "database is locked" under contention).
func testConcurrentDistinct(t *testing.T, s storage.Store) {
	exp := later()
	errs := race(16, func(i int) error {
		for j := range 20 {
			if err := s.UseOnce(t.Context(), fmt.Sprintf("client-%d", i%4), fmt.Sprintf("jti-%d-%d", i, j), exp); err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
}

func testInvalidValues(t *testing.T, s storage.Store) {
	long := strings.Repeat("x", storage.MaxKeyLen+1)
	tests := []struct {
		name          string
		clientID, jti string
		expires       time.Time
		msg           string
	}{
		{"empty client id", "", "jti", later(), "client id is empty"},
		{"empty jti", "client", "", later(), "jti is empty"},
		{"long client id", long, "jti", later(), "client id is 513 bytes"},
		{"long jti", "client", long, later(), "jti is 513 bytes"},
		{"long jti in bytes", "client", strings.Repeat("é", storage.MaxKeyLen/2+1), later(), "jti is 514 bytes"},
		{"nul in jti", "client", "a\x00b", later(), "NUL"},
		{"invalid utf-8", "client", "\xc3\x28", later(), "UTF-8"},
		{"zero expiry", "client", "jti", time.Time{}, "zero time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.UseOnce(t.Context(), tt.clientID, tt.jti, tt.expires)
			if !errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("UseOnce = %v, want ErrInvalid saying %q", err, tt.msg)
			}
		})
	}
	// The longest accepted values round-trip intact: used once, then refused.
	longest := strings.Repeat("m", storage.MaxKeyLen)
	mustUse(t, s, longest, longest, later())
	mustRefuse(t, s, longest, longest, later())
	mustUse(t, s, longest, longest[:storage.MaxKeyLen-1], later())
}

func testCanceledContext(t *testing.T, s storage.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	mustCreateGrant(t, s, sampleGrant("code"))
	clientKind.mustCreate(t, s, sampleClient("c"))
	sessionKind.mustCreate(t, s, sampleSession("sid-1"))
	v0 := version(t, s)
	_, errConsume := s.ConsumeGrant(ctx, "code", gnow)
	_, _, errConsumeUser := s.ConsumeUserGrant(ctx, "code", gnow)
	_, errVersion := s.ConfigVersion(ctx)
	_, errKeysVersion := s.SigningKeysVersion(ctx)
	_, errList := s.ListClients(ctx)
	_, errDelete := s.DeleteExpired(ctx, time.Now(), 10)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"UseOnce", s.UseOnce(ctx, "client", "jti", later())},
		{"DeleteExpired", errDelete},
		{"Ping", s.Ping(ctx)},
		{"CreateClient", s.CreateClient(ctx, sampleClient("new"))},
		{"UpdateClient", s.UpdateClient(ctx, "c", func(c *storage.Client) error { c.Name = "changed"; return nil })},
		{"ListClients", errList},
		{"ConsumeGrant", errConsume},
		{"ConsumeUserGrant", errConsumeUser},
		{"CreateGrantInSession", s.CreateGrantInSession(ctx, sampleGrant("new"), gnow)},
		{"ConfigVersion", errVersion},
		{"SigningKeysVersion", errKeysVersion},
	} {
		if !errors.Is(c.err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", c.name, c.err)
		}
	}
	// The cancelled calls recorded nothing.
	mustUse(t, s, "client", "jti", later())
	clientKind.checkMissing(t, s, "new")
	clientKind.check(t, s, "c", sampleClient("c"))
	checkGrant(t, s, sampleGrant("code"), gnow)
	checkNoGrant(t, s, "new", gnow)
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after cancelled calls", v0, v)
	}
}

func testPing(t *testing.T, s storage.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping = %v, want nil", err)
	}
}

func testClose(t *testing.T, s storage.Store) {
	mustUse(t, s, "client", "jti", later())
	clientKind.mustCreate(t, s, sampleClient("c"))
	mustCreateGrant(t, s, sampleGrant("code"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	ctx := t.Context()
	_, errDelete := s.DeleteExpired(ctx, time.Now(), 10)
	_, errGet := s.GetClient(ctx, "c")
	_, errConsume := s.ConsumeGrant(ctx, "code", gnow)
	_, _, errConsumeUser := s.ConsumeUserGrant(ctx, "code", gnow)
	_, errList := s.ListGrants(ctx, storage.PersistedGrantFilter{}, gnow)
	_, errKeys := s.ListSigningKeys(ctx)
	_, errVersion := s.ConfigVersion(ctx)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"UseOnce", s.UseOnce(ctx, "client", "other", later())},
		{"DeleteExpired", errDelete},
		{"Ping", s.Ping(ctx)},
		{"GetClient", errGet},
		{"CreateClient", s.CreateClient(ctx, sampleClient("new"))},
		{"UpdateClient", s.UpdateClient(ctx, "c", func(*storage.Client) error { return nil })},
		{"DeleteAPIScope", s.DeleteAPIScope(ctx, "scope")},
		{"CreateGrant", s.CreateGrant(ctx, sampleGrant("new"))},
		{"ConsumeGrant", errConsume},
		{"CreateGrantInSession", s.CreateGrantInSession(ctx, sampleGrant("new-in-session"), gnow)},
		{"ConsumeUserGrant", errConsumeUser},
		{"ListGrants", errList},
		{"ListSigningKeys", errKeys},
		{"ConfigVersion", errVersion},
	} {
		if !errors.Is(c.err, storage.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", c.name, c.err)
		}
	}
}
