package tokens

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// revokeAround runs a revocation of the family (what the revocation
// endpoint and signet grants revoke do) just before or just after the
// first write a refresh makes to the store.
type revokeAround struct {
	storage.PersistedGrants
	family string
	after  bool
	once   sync.Once
}

func (r *revokeAround) revoke(ctx context.Context) {
	r.once.Do(func() {
		if _, err := r.PersistedGrants.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: r.family}); err != nil {
			panic(err)
		}
	})
}

func (r *revokeAround) write(ctx context.Context, f func() error) error {
	if !r.after {
		r.revoke(ctx)
	}
	err := f()
	if r.after {
		r.revoke(ctx)
	}
	return err
}

func (r *revokeAround) ExtendGrant(ctx context.Context, key string, expires time.Time, data []byte, now time.Time) error {
	return r.write(ctx, func() error { return r.PersistedGrants.ExtendGrant(ctx, key, expires, data, now) })
}

func (r *revokeAround) DeleteGrant(ctx context.Context, key string) error {
	return r.write(ctx, func() error { return r.PersistedGrants.DeleteGrant(ctx, key) })
}

func (r *revokeAround) CreateGrant(ctx context.Context, g storage.PersistedGrant) error {
	return r.write(ctx, func() error { return r.PersistedGrants.CreateGrant(ctx, g) })
}

// A revocation that lands while a ReUse, Sliding refresh token is being
// extended is never undone: once both are over, the token is gone.
func TestSlidingRefreshRacingRevocation(t *testing.T) {
	t.Parallel()
	reuse := RefreshPolicy{Usage: ReUse, Expiration: Sliding, SlidingLifetime: 24 * time.Hour, AbsoluteLifetime: 72 * time.Hour}
	for _, after := range []bool{false, true} {
		name := "revoked before the extension"
		if after {
			name = "revoked after the extension"
		}
		t.Run(name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
				ctx := t.Context()
				rt, red := newRefresh(t, svc, clk, reuse)
				clk.Advance(time.Hour)
				racing := *svc
				racing.Grants = &revokeAround{PersistedGrants: st, family: red.FamilyID, after: after}
				_, err := racing.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: red.ClientID, Policy: reuse})
				if !after {
					grantErrorOf(t, err, "unknown, expired or revoked")
				}
				if _, err := st.GetGrant(ctx, HandleKey(storage.GrantRefreshToken, rt), clk.Now()); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("the refresh token after its revocation: %v, want ErrNotFound", err)
				}
				if _, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: red.ClientID, Policy: reuse}); err == nil {
					t.Error("the revoked refresh token still refreshes")
				}
			})
		})
	}
}
