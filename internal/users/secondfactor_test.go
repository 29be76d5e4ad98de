package users

import (
	"errors"
	"fmt"
	"testing"
	"time"

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
