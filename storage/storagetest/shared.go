package storagetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// RunShared runs the multi-instance suite: newStores returns two stores, each
// closed by its own t.Cleanup, that are separate handles (separate pools, as
// two Signet processes would have) on one empty database. What one writes the
// other reads at once: grants consumed and rotated, clients and resources
// with their ConfigVersion, jtis, users and sessions; and races between the
// two have one winner or, for updates, lose nothing.
func RunShared(t *testing.T, newStores func(t *testing.T) (first, second storage.Store)) {
	tests := []struct {
		name string
		run  func(t *testing.T, a, b storage.Store)
	}{
		{"ReplayAcrossInstances", testReplayAcrossInstances},
		{"ConcurrentUseOnceAcrossInstances", testConcurrentUseOnceAcrossInstances},
		{"DeleteExpiredAcrossInstances", testDeleteExpiredAcrossInstances},
		{"GrantAcrossInstances", testGrantAcrossInstances},
		{"ConcurrentConsumeAcrossInstances", testConcurrentConsumeAcrossInstances},
		{"UserGrantAcrossInstances", testUserGrantAcrossInstances},
		{"ConcurrentConsumeUserAcrossInstances", testConcurrentConsumeUserAcrossInstances},
		{"ConcurrentRotateAcrossInstances", testConcurrentRotateAcrossInstances},
		{"ConcurrentRevokeAndUseAcrossInstances", testConcurrentRevokeAndUseAcrossInstances},
		{"ConcurrentFailedLoginsAcrossInstances", testConcurrentFailedLoginsAcrossInstances},
		{"ConcurrentSessionClientsAcrossInstances", testConcurrentSessionClientsAcrossInstances},
		{"ClientAcrossInstances", testClientAcrossInstances},
		{"ConcurrentCreateAcrossInstances", testConcurrentCreateAcrossInstances},
		{"ConcurrentUpdateAcrossInstances", testConcurrentUpdateAcrossInstances},
		{"SweepAcrossInstances", testSweepAcrossInstances},
		{"WatchConfig", testWatchConfig},
		{"WatchProviders", testWatchProviders},
		{"SigningKeysAcrossInstances", testSigningKeysAcrossInstances},
		{"TOTPStepAcrossInstances", testTOTPStepAcrossInstances},
		{"SignInRecordsAcrossInstances", testSignInRecordsAcrossInstances},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newStores(t)
			tt.run(t, a, b)
		})
	}
}

func testReplayAcrossInstances(t *testing.T, a, b storage.Store) {
	mustUse(t, a, "client", "jti", later())
	mustRefuse(t, b, "client", "jti", later())
	mustUse(t, b, "client", "jti-2", later())
	mustRefuse(t, a, "client", "jti-2", later())
}

func testConcurrentUseOnceAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	exp := later()
	for round := range 3 {
		jti := fmt.Sprintf("contended-%d", round)
		checkOneWinner(t, race(16, func(i int) error {
			return stores[i%2].UseOnce(t.Context(), "client", jti, exp)
		}))
	}
}

func testDeleteExpiredAcrossInstances(t *testing.T, a, b storage.Store) {
	const rows = 60
	cutoff := later()
	for i := range rows {
		mustUse(t, a, "client", fmt.Sprintf("jti-%d", i), cutoff.Add(-time.Duration(i+1)*time.Second))
	}
	mustUse(t, b, "client", "live", cutoff.Add(time.Hour))

	// Four sweepers, two per instance, each deleting batches of 7 until one
	// comes back empty: together they delete every expired row exactly once.
	stores := []storage.Store{a, b}
	if total := sweep(t, func(i int) storage.Store { return stores[i%2] }, cutoff, 7); total != rows {
		t.Errorf("sweepers deleted %d rows in all, want %d", total, rows)
	}
	mustRefuse(t, a, "client", "live", later())
	mustUse(t, b, "client", "jti-0", later())
}

// testGrantAcrossInstances checks that a grant created or consumed on one
// instance is so on the other.
func testGrantAcrossInstances(t *testing.T, a, b storage.Store) {
	ctx := t.Context()
	mustCreateGrant(t, a, sampleGrant("code"))
	checkGrant(t, b, sampleGrant("code"), gnow)
	if err := b.CreateGrant(ctx, sampleGrant("code")); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("CreateGrant of a taken key on the other instance = %v, want ErrAlreadyExists", err)
	}
	if _, err := a.ConsumeGrant(ctx, "code", gnow); err != nil {
		t.Fatal(err)
	}
	got, err := b.ConsumeGrant(ctx, "code", gnow.Add(time.Second))
	if !errors.Is(err, storage.ErrConsumed) || !got.Consumed.Equal(instant(gnow)) {
		t.Fatalf("ConsumeGrant on the other instance = %v, Consumed %v; want ErrConsumed, %v", err, got.Consumed, instant(gnow))
	}
	if n, err := b.DeleteGrants(ctx, storage.PersistedGrantFilter{Subject: "alice"}); err != nil || n != 1 {
		t.Fatalf("DeleteGrants on the other instance = %d, %v; want 1", n, err)
	}
	checkNoGrant(t, a, "code", gnow)
}

func testConcurrentConsumeAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	consumeRace(t, func(i int) storage.Store { return stores[i%2] })
}

func testConcurrentConsumeUserAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	consumeUserRace(t, func(i int) storage.Store { return stores[i%2] })
}

// testUserGrantAcrossInstances checks that a session ended or a user
// disabled on one instance is so for the other's CreateGrantInSession
// and ConsumeUserGrant.
func testUserGrantAcrossInstances(t *testing.T, a, b storage.Store) {
	ctx := t.Context()
	sessionKind.mustCreate(t, a, sampleSession("sid-1"))
	mustCreateUser(t, a, "alice", false)
	if err := b.CreateGrantInSession(ctx, sampleGrant("code"), gnow); err != nil {
		t.Fatalf("CreateGrantInSession on the other instance: %v", err)
	}
	checkGrant(t, a, sampleGrant("code"), gnow)
	if err := a.UpdateUser(ctx, "alice", func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, state, err := b.ConsumeUserGrant(ctx, "code", gnow); err != nil || state != storage.UserDisabled {
		t.Fatalf("ConsumeUserGrant on the other instance = state %d, %v; want UserDisabled (%d)", state, err, storage.UserDisabled)
	}
	if _, _, err := a.ConsumeUserGrant(ctx, "code", gnow); !errors.Is(err, storage.ErrConsumed) {
		t.Fatalf("ConsumeUserGrant of a grant consumed on the other instance = %v, want ErrConsumed", err)
	}
	if err := a.DeleteSession(ctx, "sid-1"); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateGrantInSession(ctx, sampleGrant("late"), gnow); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("CreateGrantInSession in a session ended on the other instance = %v, want ErrNotFound", err)
	}
	checkNoGrant(t, a, "late", gnow)
}

func testConcurrentRotateAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	rotateRace(t, func(i int) storage.Store { return stores[i%2] })
}

func testConcurrentFailedLoginsAcrossInstances(t *testing.T, a, b storage.Store) {
	userKind.mustCreate(t, a, userNamed("u", "alice"))
	stores := []storage.Store{a, b}
	failLogins(t, func(i int) storage.Store { return stores[i%2] }, "u", 16)
	if _, err := b.FindUserByUsername(t.Context(), "ALICE"); err != nil {
		t.Errorf("FindUserByUsername on the other instance: %v", err)
	}
}

func testConcurrentSessionClientsAcrossInstances(t *testing.T, a, b storage.Store) {
	sessionKind.mustCreate(t, a, sampleSession("s"))
	stores := []storage.Store{a, b}
	addSessionClients(t, func(i int) storage.Store { return stores[i%2] }, "s", 16)
}

// testClientAcrossInstances checks that a client written on one instance is
// seen on the other, whose ConfigVersion changes with it.
func testClientAcrossInstances(t *testing.T, a, b storage.Store) {
	ctx := t.Context()
	vb := version(t, b)
	clientKind.mustCreate(t, a, sampleClient("c"))
	clientKind.check(t, b, "c", sampleClient("c"))
	if v := version(t, b); v <= vb {
		t.Errorf("ConfigVersion on the other instance %d after a create, was %d: want greater", v, vb)
	}
	va := version(t, a)
	if err := b.UpdateClient(ctx, "c", func(c *storage.Client) error { changeClient(c); return nil }); err != nil {
		t.Fatal(err)
	}
	clientKind.check(t, a, "c", clientKind.changed("c"))
	if v := version(t, a); v <= va {
		t.Errorf("ConfigVersion on the other instance %d after an update, was %d: want greater", v, va)
	}
	vb = version(t, b)
	apiScopeKind.mustCreate(t, a, apiScopeKind.sample("s"))
	if v := version(t, b); v <= vb {
		t.Errorf("ConfigVersion on the other instance %d after a scope create, was %d: want greater", v, vb)
	}
	vb = version(t, b)
	if err := a.DeleteClient(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	clientKind.checkMissing(t, b, "c")
	if v := version(t, b); v <= vb {
		t.Errorf("ConfigVersion on the other instance %d after a delete, was %d: want greater", v, vb)
	}
}

// testSigningKeysAcrossInstances checks that a signing key written on one
// instance changes the SigningKeysVersion the other reads.
func testSigningKeysAcrossInstances(t *testing.T, a, b storage.Store) {
	ctx := t.Context()
	vb := keysVersion(t, b)
	signingKeyKind.mustCreate(t, a, sampleSigningKey("k"))
	if v := keysVersion(t, b); v <= vb {
		t.Errorf("SigningKeysVersion on the other instance %d after a create, was %d: want greater", v, vb)
	}
	va := keysVersion(t, a)
	if err := b.UpdateSigningKey(ctx, "k", func(k *storage.SigningKey) error { signingKeyKind.change(k); return nil }); err != nil {
		t.Fatal(err)
	}
	if v := keysVersion(t, a); v <= va {
		t.Errorf("SigningKeysVersion on the other instance %d after an update, was %d: want greater", v, va)
	}
	vb = keysVersion(t, b)
	if err := a.DeleteSigningKey(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if v := keysVersion(t, b); v <= vb {
		t.Errorf("SigningKeysVersion on the other instance %d after a delete, was %d: want greater", v, vb)
	}
}

func testConcurrentCreateAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	checkOneWinner(t, race(16, func(i int) error {
		return stores[i%2].CreateClient(t.Context(), sampleClient("c"))
	}))
	checkOneWinner(t, race(16, func(i int) error {
		return stores[i%2].CreateGrant(t.Context(), sampleGrant("code"))
	}))
}

// testConcurrentUpdateAcrossInstances: 16 writers, half on each instance,
// each add a secret to one client; none is lost.
func testConcurrentUpdateAcrossInstances(t *testing.T, a, b storage.Store) {
	in := sampleClient("c")
	in.Secrets = nil
	clientKind.mustCreate(t, a, in)
	stores := []storage.Store{a, b}
	addSecrets(t, func(i int) storage.Store { return stores[i%2] }, "c", 16)
}

// testSweepAcrossInstances runs sweepers on both instances over jtis, grants
// and signing keys.
func testSweepAcrossInstances(t *testing.T, a, b storage.Store) {
	stores := []storage.Store{a, b}
	sweepConcurrently(t, func(i int) storage.Store { return stores[i%2] })
}

// testWatchConfig checks a store that implements storage.ConfigWatcher: a
// watch on one instance hears of a client written on the other.
func testWatchConfig(t *testing.T, a, b storage.Store) {
	w, ok := a.(storage.ConfigWatcher)
	if !ok {
		t.Skip("the store does not implement storage.ConfigWatcher")
	}
	ch, err := w.WatchConfig(t.Context())
	if err != nil {
		t.Fatalf("WatchConfig: %v", err)
	}
	// Let the watch settle, then write until it hears: a send that was
	// coalesced or raced the start of the watch must not fail the test.
	deadline := time.After(10 * time.Second)
	for i := 0; ; i++ {
		clientKind.mustCreate(t, b, sampleClient(fmt.Sprintf("c%d", i)))
		select {
		case <-ch:
			return
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			t.Fatal("no change heard within 10s of writing clients on the other instance")
		}
	}
}

// testWatchProviders is testWatchConfig with external providers written on
// the other instance: they are configuration too.
func testWatchProviders(t *testing.T, a, b storage.Store) {
	w, ok := a.(storage.ConfigWatcher)
	if !ok {
		t.Skip("the store does not implement storage.ConfigWatcher")
	}
	ch, err := w.WatchConfig(t.Context())
	if err != nil {
		t.Fatalf("WatchConfig: %v", err)
	}
	deadline := time.After(10 * time.Second)
	for i := 0; ; i++ {
		mustCreateProvider(t, b, sampleProvider(fmt.Sprintf("p%d", i)))
		select {
		case <-ch:
			return
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			t.Fatal("no change heard within 10s of writing providers on the other instance")
		}
	}
}
