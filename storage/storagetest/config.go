package storagetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

var configVersionTests = []test{
	{"OtherWritesKeepIt", testConfigVersionOtherWrites},
	{"NeverBackwards", testConfigVersionNeverBackwards},
}

// testConfigVersionOtherWrites checks that writes of grants, signing keys and
// jtis, and cleanup, leave the ConfigVersion alone: a cache of clients is not
// thrown away on every token.
func testConfigVersionOtherWrites(t *testing.T, s storage.Store) {
	ctx := t.Context()
	clientKind.mustCreate(t, s, sampleClient("c"))
	sessionKind.mustCreate(t, s, sampleSession("sid-1"))
	v0 := version(t, s)
	expired := sampleGrant("expired")
	expired.Created, expired.Expires = base.Add(-2*time.Hour), base.Add(-time.Hour)
	steps := []struct {
		name string
		err  error
	}{
		{"CreateGrant", s.CreateGrant(ctx, sampleGrant("a"))},
		{"CreateGrant", s.CreateGrant(ctx, sampleGrant("b"))},
		{"CreateGrant", s.CreateGrant(ctx, expired)},
		{"ConsumeGrant", func() error { _, err := s.ConsumeGrant(ctx, "a", gnow); return err }()},
		{"CreateGrantInSession", s.CreateGrantInSession(ctx, sampleGrant("c"), gnow)},
		{"ConsumeUserGrant", func() error { _, _, err := s.ConsumeUserGrant(ctx, "c", gnow); return err }()},
		{"DeleteGrant", s.DeleteGrant(ctx, "a")},
		{"DeleteGrants", func() error {
			_, err := s.DeleteGrants(ctx, storage.PersistedGrantFilter{Subject: "nobody"})
			return err
		}()},
		{"UseOnce", s.UseOnce(ctx, "c", "jti", later())},
		{"CreateSigningKey", s.CreateSigningKey(ctx, sampleSigningKey("k"))},
		{"UpdateSigningKey", s.UpdateSigningKey(ctx, "k", func(k *storage.SigningKey) error { k.Algorithm = "RS256"; return nil })},
		{"DeleteSigningKey", s.DeleteSigningKey(ctx, "k")},
		{"DeleteExpired", func() error { _, err := s.DeleteExpired(ctx, gnow, 10); return err }()},
	}
	for _, st := range steps {
		if st.err != nil {
			t.Fatalf("%s: %v", st.name, st.err)
		}
	}
	if v := version(t, s); v != v0 {
		t.Errorf("ConfigVersion went from %d to %d after writes of grants, keys and jtis; want unchanged", v0, v)
	}
}

// testConfigVersionNeverBackwards reads the version while writers change
// clients and resources: it never goes backwards, and it ends above where it
// started.
func testConfigVersionNeverBackwards(t *testing.T, s storage.Store) {
	ctx := t.Context()
	v0 := version(t, s)
	var writing atomic.Bool
	writing.Store(true)
	done := make(chan error)
	go func() {
		last := v0
		for {
			stop := !writing.Load()
			v, err := s.ConfigVersion(ctx)
			if err != nil {
				done <- err
				return
			}
			if v < last {
				done <- fmt.Errorf("ConfigVersion went back from %d to %d", last, v)
				return
			}
			last = v
			if stop {
				done <- nil
				return
			}
		}
	}()
	errs := race(8, func(i int) error {
		id := fmt.Sprintf("c%d", i)
		return errors.Join(
			s.CreateClient(ctx, sampleClient(id)),
			s.UpdateClient(ctx, id, func(c *storage.Client) error { c.Name = "x"; return nil }),
			s.CreateAPIScope(ctx, apiScopeKind.sample(id)),
			s.DeleteClient(ctx, id),
		)
	})
	writing.Store(false)
	if err := <-done; err != nil {
		t.Error(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if v := version(t, s); v <= v0 {
		t.Errorf("ConfigVersion %d after 32 writes, was %d: want greater", v, v0)
	}
}
