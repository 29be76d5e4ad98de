package users

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// TestSecondFactor: wrong factors count toward the password's lockout, a
// right password does not reset the count of a user with a second factor,
// a right factor does, and other refusals are not counted.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	s := memory.New(memory.Options{})
	f := aliceFixture(t, s)
	if err := s.UpdateUser(t.Context(), "u1", func(u *storage.User) error { u.TOTPSecret = []byte("sealed"); return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, now := t.Context(), t0
	wrong := func(*storage.User) error { return fmt.Errorf("%w: no", ErrWrongFactor) }
	reused := errors.New("used already")
	for range 3 {
		if _, err := f.SecondFactor(ctx, "u1", now, wrong); !errors.Is(err, ErrWrongFactor) {
			t.Fatalf("wrong factor: %v", err)
		}
	}
	if _, err := f.SecondFactor(ctx, "u1", now, func(*storage.User) error { return reused }); !errors.Is(err, reused) {
		t.Fatalf("other refusal: %v", err)
	}
	if _, err := f.Authenticate(ctx, "alice", "right", now); err != nil {
		t.Fatal(err)
	}
	if got := getUser(t, s, "u1").FailedLogins; got != 3 {
		t.Errorf("after a right password: %d failures, want 3 kept (a second factor is still to come)", got)
	}
	_, _ = f.SecondFactor(ctx, "u1", now, wrong)
	_, err := f.SecondFactor(ctx, "u1", now, wrong)
	var locked *LockedOutError
	if !errors.As(err, &locked) {
		t.Fatalf("fifth wrong factor: %v, want locked out", err)
	}
	called := false
	if _, err := f.SecondFactor(ctx, "u1", now, func(*storage.User) error { called = true; return nil }); !errors.As(err, &locked) || called {
		t.Fatalf("during the lockout: %v (check called %v), want locked out without a check", err, called)
	}
	later := locked.Until.Add(time.Second)
	u, err := f.SecondFactor(ctx, "u1", later, func(u *storage.User) error { u.TOTPLastStep = 42; return nil })
	if err != nil {
		t.Fatal(err)
	}
	stored := getUser(t, s, "u1")
	if stored.TOTPLastStep != 42 || stored.FailedLogins != 0 || !stored.LockedUntil.IsZero() || !u.LastLogin.Equal(later.Truncate(time.Millisecond)) {
		t.Errorf("after a right factor: %+v, want step 42 written, the count reset and LastLogin", stored)
	}
	if _, err := f.SecondFactor(ctx, "nobody", now, wrong); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("unknown user: %v", err)
	}
}

// TestSecondFactorOnceAcrossInstances: the same time step (or recovery
// code) sent at once to several instances is accepted by one only: the
// check runs inside the store's transaction of UpdateUser.
func TestSecondFactorOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ss := b.Open(t, nil, 3)
			addUser(t, ss[0], "u1", "alice", "right", func(u *storage.User) { u.TOTPSecret, u.TOTPLastStep = []byte("sealed"), 10 })
			used := errors.New("used already")
			const step = 11
			var wins atomic.Int32
			var wg sync.WaitGroup
			for _, s := range ss {
				f := newFixture(t, s, Options{})
				for range 3 {
					wg.Go(func() {
						_, err := f.SecondFactor(t.Context(), "u1", t0, func(u *storage.User) error {
							if step <= u.TOTPLastStep {
								return used
							}
							u.TOTPLastStep = step
							return nil
						})
						switch {
						case err == nil:
							wins.Add(1)
						case !errors.Is(err, used):
							t.Errorf("SecondFactor: %v", err)
						}
					})
				}
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Errorf("%d of 9 concurrent uses of one time step accepted, want 1", n)
			}
			if got := getUser(t, ss[0], "u1").TOTPLastStep; got != step {
				t.Errorf("last step %d, want %d", got, step)
			}
		})
	}
}
