package managed_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/signing"
)

type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) Observe(_ context.Context, e *observe.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, e.Name+" "+e.KeyID+" "+e.Alg)
}

func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.got, "\n")
	r.got = nil
	return s
}

// Every key made is key.rotated, retired key.retired, revoked
// key.revoked; a ring tells of the keys it takes in (key.loaded), once.
func TestObserved(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	clk := newClock()
	opts := options(t, clk, newKEK(t), "ES256")
	opts.Observer = rec
	m := newManager(t, memStore(clk), opts)
	keys, err := m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	first := keys[0].ID
	if got := rec.take(); got != "key.rotated "+first+" ES256" {
		t.Errorf("first key: %q", got)
	}
	ring, err := signing.NewRing(keys, nil, signing.RingOptions{Algorithms: []string{"ES256"}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ring.SetObserver(rec)
	if got := rec.take(); got != "key.loaded "+first+" ES256" {
		t.Errorf("ring: %q", got)
	}
	next, err := m.Rotate(t.Context(), "ES256", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); got != "key.rotated "+next.ID+" ES256" {
		t.Errorf("rotate: %q", got)
	}
	keys, _ = m.Sync(t.Context())
	rec.take()
	if err := ring.Replace(keys, nil, []string{"ES256"}); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); got != "key.loaded "+next.ID+" ES256" {
		t.Errorf("replace: %q, want the new key only", got)
	}
	// The signer revoked is retired first: its successor signs at once.
	if err := m.Revoke(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); got != "key.retired "+first+" ES256\nkey.revoked "+first+" ES256" {
		t.Errorf("revoke: %q", got)
	}
}
