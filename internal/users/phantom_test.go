package users

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// outcome is what a sign-in page can tell of an attempt: invalid, locked
// (and until when), or signed in.
func outcome(err error) string {
	var locked *LockedOutError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &locked):
		return "locked until " + locked.Until.Format(time.RFC3339)
	case errors.Is(err, ErrInvalidCredentials):
		return "invalid"
	}
	return "error: " + err.Error()
}

// TestUnknownUserLocksOutAlike checks that a username no user has (and a
// disabled user, and one without a password) goes through the same
// answers as an existing user's wrong passwords: invalid four times, a
// lockout on the fifth failure, the lockout for its length without a
// verification, then invalid again. Otherwise the lockout message tells
// an attacker which usernames exist (issue 14: the error "never tells
// whether the username exists").
func TestUnknownUserLocksOutAlike(t *testing.T) {
	t.Parallel()
	s := memory.New(memory.Options{})
	f := aliceFixture(t, s)
	addUser(t, s, "u2", "bob", "right", func(u *storage.User) { u.Disabled = true })
	addUser(t, s, "u3", "carol", "", func(u *storage.User) { u.PasswordHash = "" })

	// The sequence: five failures a minute apart, two attempts during the
	// lockout (the right password too), one after it.
	type step struct {
		at       time.Time
		password string
		verified int64
	}
	var steps []step
	for i := range 5 {
		steps = append(steps, step{t0.Add(time.Duration(i) * time.Minute), "wrong", 1})
	}
	lockedAt := t0.Add(4 * time.Minute)
	steps = append(steps, step{lockedAt.Add(time.Minute), "right", 0}, step{lockedAt.Add(DefaultLockout - time.Second), "wrong", 0},
		step{lockedAt.Add(DefaultLockout), "wrong", 1})

	answers := func(username string) []string {
		var out []string
		for _, st := range steps {
			out = append(out, outcome(f.try(t, username, st.password, st.at, st.verified)))
		}
		return out
	}
	want := answers("alice")
	for _, name := range []string{"nobody", "NOBODY2", "bob", "carol"} {
		got := answers(name)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s answers\n%v\nwant those of an existing user's wrong passwords\n%v", name, got, want)
		}
	}
	// The lockout is by username as compared (NFKC, case-folded).
	for i := range 5 {
		f.try(t, "zed", "wrong", t0.Add(time.Duration(i)*time.Minute), 1)
	}
	if err := f.try(t, "ＺＥＤ", "x", lockedAt.Add(time.Minute), 0); !errors.Is(err, ErrLockedOut) {
		t.Errorf("the unknown username in another form during its lockout = %v, want a lockout", err)
	}
}

// The unknown usernames remembered are bounded: at the bound, the oldest
// window goes.
func TestPhantomBounded(t *testing.T) {
	t.Parallel()
	p := newPhantoms(Options{MaxFailures: 1, FailureWindow: time.Minute, Lockout: time.Minute}, 3)
	for i := range 10 {
		p.fail(fmt.Sprint("user", i), t0.Add(time.Duration(i)*time.Second))
	}
	if len(p.m) > 3 {
		t.Errorf("%d usernames remembered, want at most 3", len(p.m))
	}
	if until := p.locked("user9", t0.Add(10*time.Second)); until.IsZero() {
		t.Errorf("the newest username is not locked out")
	}
}
