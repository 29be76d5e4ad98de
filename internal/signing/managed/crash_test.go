package managed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/storage"
)

// claim takes a claim as an instance that then dies would.
func claim(t *testing.T, s managed.Store, clk *clock, jti string) {
	t.Helper()
	if err := s.UseOnce(t.Context(), managed.ClaimClient, jti, clk.Now().Add(managed.ClaimTTL)); err != nil {
		t.Fatalf("UseOnce(%s): %v", jti, err)
	}
}

// TestFirstKeyClaimHolderDied: an instance claimed the first key of an
// empty store and died. Sync waits, and makes the key once the claim has
// expired; until then it makes none.
func TestFirstKeyClaimHolderDied(t *testing.T) {
	t.Parallel()
	m, store, clk := es256Manager(t)
	claim(t, store, clk, "next:ES256:none")

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := m.Sync(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sync while the claim holds = %v, want a deadline error", err)
	}
	if n := len(rows(t, store)); n != 0 {
		t.Fatalf("%d keys made while another instance held the claim", n)
	}

	// Sync is watched through its claims: once it has tried twice and
	// is waiting for a third, it has seen the claim held and not given up.
	tries := make(chan struct{}, 16)
	watched := &claimWatch{Store: store, tries: tries}
	m = newManager(t, watched, options(t, clk, newKEK(t), "ES256"))
	done := make(chan error, 1)
	go func() {
		_, err := m.Sync(t.Context())
		done <- err
	}()
	for range 2 {
		select {
		case <-tries:
		case err := <-done:
			t.Fatalf("Sync returned before the claim expired: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("Sync did not try the claim again while it was held")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Sync returned before the claim expired: %v", err)
	default:
	}
	if n := len(rows(t, store)); n != 0 {
		t.Fatalf("%d keys made while another instance held the claim", n)
	}
	clk.Advance(managed.ClaimTTL)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Sync still waiting after the claim expired")
	}
	if n := count(t, store)["ES256"]; n != 1 {
		t.Fatalf("%d keys, want 1", n)
	}
}

// TestSuccessorClaimHolderDied: the instance that claimed a successor died
// before making it. Others keep the current key and make the successor
// once the claim has expired.
func TestSuccessorClaimHolderDied(t *testing.T) {
	t.Parallel()
	m, store, clk := es256Manager(t)
	keys, err := m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(defaultRot - defaultProp)
	claim(t, store, clk, "next:ES256:"+keys[0].ID)
	if _, err := m.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(rows(t, store)); n != 1 {
		t.Fatalf("%d keys while another instance held the claim, want 1", n)
	}
	clk.Advance(managed.ClaimTTL)
	if _, err := m.Sync(t.Context()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(rows(t, store)); n != 2 {
		t.Fatalf("%d keys after the claim expired, want 2", n)
	}
	// It still signs no sooner than the propagation after it was made.
	for _, info := range list(t, m) {
		if info.State == managed.Announced && info.SignsFrom.Sub(info.Created) < defaultProp {
			t.Errorf("successor signs %s after it was made, before the propagation", info.SignsFrom.Sub(info.Created))
		}
	}
}

// TestRepair: an instance made a successor and died before updating its
// predecessor's Retires and Expires (or they were changed): the lifecycle
// does not depend on them, and the next Sync puts them right.
func TestRepair(t *testing.T) {
	t.Parallel()
	m, store, clk := es256Manager(t)
	if _, err := m.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(defaultRot - defaultProp)
	want, err := m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ks := rows(t, store)
	if len(ks) != 2 {
		t.Fatalf("%d keys, want 2", len(ks))
	}
	old, next := ks[0], ks[1]
	if !old.Retires.Equal(next.Activates) || !old.Expires.Equal(next.Activates.Add(defaultRet)) {
		t.Fatalf("predecessor Retires %s Expires %s, want %s and %s", old.Retires, old.Expires, next.Activates, next.Activates.Add(defaultRet))
	}
	// The crash: the predecessor not updated; the successor with a wrong
	// expiry, as if the lifecycle had changed.
	for id, r := range map[string][2]time.Time{old.ID: {}, next.ID: {next.Activates, next.Activates.Add(time.Hour)}} {
		err := store.UpdateSigningKey(t.Context(), id, func(k *storage.SigningKey) error {
			k.Retires, k.Expires = r[0], r[1]
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].ID != want[i].ID || *got[i].Lifecycle != *want[i].Lifecycle {
			t.Errorf("key %d after the crash: %s %+v, want %s %+v", i, got[i].ID, *got[i].Lifecycle, want[i].ID, *want[i].Lifecycle)
		}
	}
	ks = rows(t, store)
	if !ks[0].Retires.Equal(next.Activates) || !ks[0].Expires.Equal(next.Activates.Add(defaultRet)) || !ks[1].Retires.IsZero() || !ks[1].Expires.IsZero() {
		t.Errorf("not repaired: %+v %+v", ks[0], ks[1])
	}
}

func list(t *testing.T, m *managed.Manager) []managed.KeyInfo {
	t.Helper()
	infos, err := m.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return infos
}

// claimWatch reports each claim a manager tries (UseOnce) on tries.
type claimWatch struct {
	managed.Store
	tries chan<- struct{}
}

func (w *claimWatch) UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error {
	err := w.Store.UseOnce(ctx, clientID, jti, expires)
	select {
	case w.tries <- struct{}{}:
	default:
	}
	return err
}
