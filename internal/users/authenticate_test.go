package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// forEachBackend runs test on each backend, in parallel; open(n) opens n
// stores that share one database, as n instances do.
func forEachBackend(t *testing.T, test func(t *testing.T, open func(n int) []Users)) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, func(n int) []Users {
				var out []Users
				for _, s := range b.Open(t, nil, n) {
					out = append(out, s)
				}
				return out
			})
		})
	}
}

// fixture is an Authenticator over a store, whose Hasher counts its
// verifications and whose log is kept.
type fixture struct {
	*Authenticator
	store    Users
	verified atomic.Int64
	log      testsupport.LogBuffer
}

func newFixture(t *testing.T, store Users, opts Options) *fixture {
	t.Helper()
	f := &fixture{store: store}
	h, err := NewHasher(HasherOptions{verified: func() { f.verified.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = slog.New(slog.NewTextHandler(&f.log, nil))
	if f.Authenticator, err = NewAuthenticator(store, h, opts); err != nil {
		t.Fatal(err)
	}
	return f
}

// aliceFixture is a fixture with the default options whose store has one
// user, u1: alice, whose password is "right".
func aliceFixture(t *testing.T, s Users) *fixture {
	t.Helper()
	f := newFixture(t, s, Options{})
	addUser(t, s, "u1", "alice", "right")
	return f
}

// addUser stores a user with password, hashed with weak parameters (fast,
// and in need of a rehash) unless hash says otherwise.
func addUser(t *testing.T, s Users, id, username, password string, edit ...func(*storage.User)) {
	t.Helper()
	u := storage.User{ID: id, Username: username, PasswordHash: newHash(weak, password).String()}
	for _, e := range edit {
		e(&u)
	}
	if err := s.(storage.Users).CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
}

func getUser(t *testing.T, s Users, id string) storage.User {
	t.Helper()
	u, err := s.(storage.Users).GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// try signs in once and returns the error, checking that it took exactly
// wantVerified password verifications.
func (f *fixture) try(t *testing.T, username, password string, now time.Time, wantVerified int64) error {
	t.Helper()
	before := f.verified.Load()
	_, err := f.Authenticate(t.Context(), username, password, now)
	if n := f.verified.Load() - before; n != wantVerified {
		t.Errorf("Authenticate(%q) verified %d passwords, want %d", username, n, wantVerified)
	}
	return err
}

// TestAuthenticateSameFailure checks that an unknown username, a wrong
// password, a disabled user and a user without a password fail with one
// error, after one password verification each, and that only the log says
// which it was.
func TestAuthenticateSameFailure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(int) []Users) {
		s := open(1)[0]
		f := newFixture(t, s, Options{})
		addUser(t, s, "u1", "Alice", "pw-right-1")
		addUser(t, s, "u2", "Bob", "pw-right-1", func(u *storage.User) { u.Disabled = true })
		addUser(t, s, "u3", "Carol", "", func(u *storage.User) { u.PasswordHash = "" })
		addUser(t, s, "u4", "Dave", "", func(u *storage.User) {
			u.PasswordHash = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA"
		})

		u, err := f.Authenticate(t.Context(), "ＡＬＩＣＥ", "pw-right-1", t0)
		if err != nil || u.ID != "u1" {
			t.Fatalf("Authenticate of the right password = %q, %v", u.ID, err)
		}
		for _, tc := range []struct{ name, username, password, log string }{
			{"unknown user", "nobody", "pw-right-1", "no such user"},
			{"empty username", "", "pw-right-1", "no such user"},
			{"wrong password", "alice", "pw-wrong-2", "wrong password"},
			{"empty password", "alice", "", "wrong password"},
			{"disabled", "bob", "pw-right-1", "disabled"},
			{"no password", "carol", "", "has no password"},
			{"absurd stored hash", "dave", "x", "not valid"},
		} {
			mark := len(f.log.String())
			err := f.try(t, tc.username, tc.password, t0, 1)
			logged := f.log.String()[mark:]
			if err != ErrInvalidCredentials {
				t.Errorf("%s: Authenticate = %v, want ErrInvalidCredentials itself", tc.name, err)
			}
			if !strings.Contains(logged, tc.log) {
				t.Errorf("%s: the log does not say %q:\n%s", tc.name, tc.log, logged)
			}
			for _, secret := range []string{"pw-right-1", "pw-wrong-2", "nobody"} {
				if strings.Contains(logged, secret) {
					t.Errorf("%s: the log has %q:\n%s", tc.name, secret, logged)
				}
			}
		}
		if got := getUser(t, s, "u2"); got.FailedLogins != 0 {
			t.Errorf("a disabled user's failures counted: %d", got.FailedLogins)
		}
	})
}

// TestLockout walks the default policy with a fake clock: four failures,
// a success that resets them, five failures that lock the user out for 15
// minutes during which the right password is refused like a wrong one,
// without a verification, and the end of the lockout.
func TestLockout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(int) []Users) {
		s := open(1)[0]
		f := aliceFixture(t, s)
		now := t0
		for i := range 4 {
			if err := f.try(t, "alice", "wrong", now, 1); err != ErrInvalidCredentials {
				t.Fatalf("failure %d: %v", i+1, err)
			}
			now = now.Add(time.Minute)
		}
		if u := getUser(t, s, "u1"); u.FailedLogins != 4 || !u.FailedSince.Equal(t0) {
			t.Errorf("after 4 failures: %d failures since %v", u.FailedLogins, u.FailedSince)
		}
		if err := f.try(t, "alice", "right", now, 1); err != nil {
			t.Fatalf("the right password after 4 failures: %v", err)
		}
		if u := getUser(t, s, "u1"); u.FailedLogins != 0 || !u.FailedSince.IsZero() || !u.LockedUntil.IsZero() {
			t.Errorf("a success did not reset the count: %+v", u)
		}

		for i := range 4 {
			if err := f.try(t, "alice", "wrong", now, 1); err != ErrInvalidCredentials {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		until := now.Add(DefaultLockout)
		var locked *LockedOutError
		err := f.try(t, "alice", "wrong", now, 1)
		if !errors.As(err, &locked) || !errors.Is(err, ErrLockedOut) || !locked.Until.Equal(until) {
			t.Fatalf("the fifth failure = %v, want a lockout until %v", err, until)
		}
		if !strings.Contains(err.Error(), "try again after "+until.Format(time.RFC3339)) {
			t.Errorf("the lockout error does not say when: %v", err)
		}
		for _, at := range []time.Time{now, until.Add(-time.Millisecond)} {
			for _, pw := range []string{"right", "wrong"} {
				err := f.try(t, "alice", pw, at, 0)
				if !errors.As(err, &locked) || !locked.Until.Equal(until) {
					t.Errorf("%q during the lockout, at %v = %v, want a lockout until %v", pw, at, err, until)
				}
			}
		}
		if u := getUser(t, s, "u1"); !u.LockedUntil.Equal(until) {
			t.Errorf("attempts during the lockout moved it to %v", u.LockedUntil)
		}

		// After it, a failure starts a new count (one, not six).
		if err := f.try(t, "alice", "wrong", until, 1); err != ErrInvalidCredentials {
			t.Fatalf("a failure after the lockout: %v", err)
		}
		if u := getUser(t, s, "u1"); u.FailedLogins != 1 || !u.FailedSince.Equal(until) || !u.LockedUntil.IsZero() {
			t.Errorf("after the lockout and a failure: %+v", u)
		}
		if _, err := f.Authenticate(t.Context(), "alice", "right", until); err != nil {
			t.Errorf("the right password after the lockout: %v", err)
		}
	})
}

// TestFailureWindow checks that failures count within the window only:
// four, then four more 15 minutes after the first, do not lock the user
// out; a policy of its own applies its numbers.
func TestFailureWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(int) []Users) {
		s := open(1)[0]
		f := aliceFixture(t, s)
		for _, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(14 * time.Minute),
			t0.Add(15 * time.Minute), t0.Add(16 * time.Minute), t0.Add(20 * time.Minute), t0.Add(29 * time.Minute)} {
			if err := f.try(t, "alice", "wrong", at, 1); err != ErrInvalidCredentials {
				t.Fatalf("failure at %v: %v", at.Sub(t0), err)
			}
		}
		if u := getUser(t, s, "u1"); u.FailedLogins != 4 || !u.FailedSince.Equal(t0.Add(15*time.Minute)) {
			t.Errorf("after two windows of 4 failures: %d since %v", u.FailedLogins, u.FailedSince)
		}

		g := newFixture(t, s, Options{MaxFailures: 2, FailureWindow: time.Hour, Lockout: time.Minute})
		addUser(t, s, "u2", "bob", "right")
		g.try(t, "bob", "wrong", t0, 1)
		err := g.try(t, "bob", "wrong", t0.Add(59*time.Minute), 1)
		var locked *LockedOutError
		if !errors.As(err, &locked) || !locked.Until.Equal(t0.Add(time.Hour)) {
			t.Errorf("the second failure within an hour = %v, want a lockout of a minute", err)
		}
	})
}

// TestRehash checks that a success with a weak hash stores one with the
// Hasher's parameters, which then verifies without needing a rehash, and
// that a failure does not.
func TestRehash(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(int) []Users) {
		s := open(1)[0]
		f := aliceFixture(t, s)
		weakHash := getUser(t, s, "u1").PasswordHash
		f.try(t, "alice", "wrong", t0, 1)
		if u := getUser(t, s, "u1"); u.PasswordHash != weakHash {
			t.Fatal("a failure changed the hash")
		}
		u, err := f.Authenticate(t.Context(), "alice", "right", t0)
		if err != nil {
			t.Fatal(err)
		}
		stored := getUser(t, s, "u1")
		if u.PasswordHash != stored.PasswordHash || stored.PasswordHash == weakHash {
			t.Fatalf("after a success: returned %s, stored %s", u.PasswordHash, stored.PasswordHash)
		}
		h, err := Parse(stored.PasswordHash)
		if err != nil || h.Params != DefaultParams {
			t.Fatalf("the new hash %s: %v", stored.PasswordHash, err)
		}
		if ok, rehash, err := f.hasher.Verify(t.Context(), stored.PasswordHash, "right"); !ok || rehash || err != nil {
			t.Errorf("Verify of the new hash = %v, %v, %v", ok, rehash, err)
		}
		if _, err := f.Authenticate(t.Context(), "alice", "right", t0); err != nil {
			t.Fatal(err)
		}
		if again := getUser(t, s, "u1"); again.PasswordHash != stored.PasswordHash {
			t.Error("a current hash was hashed again")
		}
	})
}

// TestConcurrentFailures signs in with wrong passwords from many goroutines
// through several stores on one database, as instances do: no failure is
// lost, and exactly MaxFailures-1 of them are told "invalid" before the
// lockout.
func TestConcurrentFailures(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(int) []Users) {
		stores := open(3)
		addUser(t, stores[0], "counted", "counted", "right")
		addUser(t, stores[0], "locked", "locked", "right")
		const n = 12
		var fs []*fixture
		for _, s := range stores {
			fs = append(fs, newFixture(t, s, Options{MaxFailures: 100}))
		}
		var lfs []*fixture
		for _, s := range stores {
			lfs = append(lfs, newFixture(t, s, Options{}))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Go(func() {
				_, err := fs[i%len(fs)].Authenticate(t.Context(), "counted", "wrong", t0)
				errs <- err
			})
			wg.Go(func() {
				_, err := lfs[i%len(lfs)].Authenticate(t.Context(), "locked", "wrong", t0)
				errs <- fmt.Errorf("locked: %w", err)
			})
		}
		wg.Wait()
		close(errs)
		invalid, lockedOut := map[bool]int{}, 0
		for err := range errs {
			locked := strings.HasPrefix(err.Error(), "locked: ")
			switch {
			case errors.Is(err, ErrInvalidCredentials):
				invalid[locked]++
			case locked && errors.Is(err, ErrLockedOut):
				lockedOut++
			default:
				t.Errorf("Authenticate = %v", err)
			}
		}
		if u := getUser(t, stores[0], "counted"); u.FailedLogins != n || invalid[false] != n {
			t.Errorf("%d concurrent failures: %d counted, %d answered invalid", n, u.FailedLogins, invalid[false])
		}
		if u := getUser(t, stores[0], "locked"); invalid[true] != DefaultMaxFailures-1 || lockedOut != n-invalid[true] ||
			!u.LockedUntil.Equal(t0.Add(DefaultLockout)) {
			t.Errorf("%d concurrent failures with the default policy: %d invalid, %d locked out, locked until %v",
				n, invalid[true], lockedOut, u.LockedUntil)
		}
	})
}

func TestNewAuthenticatorRefuses(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(HasherOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{MaxFailures: -1}, {FailureWindow: -time.Second}, {Lockout: -time.Second}} {
		if _, err := NewAuthenticator(memory.New(memory.Options{}), h, opts); err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("NewAuthenticator(%+v) = %v", opts, err)
		}
	}
}

// fakeUsers is a Users whose methods are its fields.
type fakeUsers struct {
	find   func(username string) (storage.User, error)
	update func(id string, update func(*storage.User) error) error
}

func (f fakeUsers) FindUserByUsername(_ context.Context, username string) (storage.User, error) {
	return f.find(username)
}

func (f fakeUsers) UpdateUser(_ context.Context, id string, update func(*storage.User) error) error {
	return f.update(id, update)
}

// TestAuthenticateChanges checks what happens when the user changes
// between the read and the write (a concurrent failure, a new password, a
// disable, a removal) and when storage fails: never a success, and a
// storage failure is not told as a wrong password.
func TestAuthenticateChanges(t *testing.T) {
	t.Parallel()
	read := storage.User{ID: "u1", Username: "alice", PasswordHash: newHash(weak, "right").String()}
	storageDown := errors.New("storage down")
	for _, tc := range []struct {
		name     string
		password string
		find     error
		current  func(*storage.User) // the user at the write; nil: removed
		update   error
		want     error
	}{
		{"find fails", "right", storageDown, nil, nil, storageDown},
		{"locked meanwhile", "right", nil, func(u *storage.User) { u.LockedUntil = t0.Add(time.Minute) }, nil, ErrLockedOut},
		{"new password meanwhile", "right", nil, func(u *storage.User) { u.PasswordHash = Hash("other") }, nil, ErrInvalidCredentials},
		{"disabled meanwhile", "right", nil, func(u *storage.User) { u.Disabled = true }, nil, ErrInvalidCredentials},
		{"removed meanwhile", "right", nil, nil, storage.ErrNotFound, ErrInvalidCredentials},
		{"success not recorded", "right", nil, func(*storage.User) {}, storageDown, storageDown},
		{"failure removed meanwhile", "wrong", nil, nil, storage.ErrNotFound, ErrInvalidCredentials},
		{"failure locked meanwhile", "wrong", nil, func(u *storage.User) { u.LockedUntil = t0.Add(time.Minute) }, nil, ErrLockedOut},
		{"failure not counted", "wrong", nil, func(*storage.User) {}, storageDown, storageDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var wrote *storage.User
			fake := fakeUsers{
				find: func(string) (storage.User, error) { return read, tc.find },
				update: func(id string, update func(*storage.User) error) error {
					if tc.update != nil {
						return tc.update
					}
					u := read
					tc.current(&u)
					if err := update(&u); err != nil {
						return err
					}
					wrote = &u
					return nil
				},
			}
			f := newFixture(t, fake, Options{})
			u, err := f.Authenticate(t.Context(), "alice", tc.password, t0)
			if !errors.Is(err, tc.want) || u.ID != "" {
				t.Errorf("Authenticate = %q, %v; want %v", u.ID, err, tc.want)
			}
			if tc.want == storageDown && errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("a storage failure is told as wrong credentials: %v", err)
			}
			if wrote != nil && tc.password == "right" {
				t.Errorf("wrote %+v", *wrote)
			}
		})
	}
}

// countingUsers counts the writes (UpdateUser calls) made through it.
type countingUsers struct {
	Users
	writes atomic.Int64
}

func (c *countingUsers) UpdateUser(ctx context.Context, id string, update func(*storage.User) error) error {
	c.writes.Add(1)
	return c.Users.UpdateUser(ctx, id, update)
}

// TestLastLogin checks that a success records its time as LastLogin, to the
// millisecond, in the one write it makes, whether it also resets failures
// and upgrades the hash or changes nothing else; and that failures and
// refusals leave LastLogin as it was.
func TestLastLogin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(int) []Users) {
		s := open(1)[0]
		counted := &countingUsers{Users: s}
		f := newFixture(t, counted, Options{})
		addUser(t, s, "u1", "alice", "right")
		signIn := func(step, password string, now time.Time, wantErr error, wantWrites int64, wantLast time.Time) {
			t.Helper()
			before := counted.writes.Load()
			u, err := f.Authenticate(t.Context(), "alice", password, now)
			if !errors.Is(err, wantErr) {
				t.Fatalf("%s: Authenticate = %v, want %v", step, err, wantErr)
			}
			if n := counted.writes.Load() - before; n != wantWrites {
				t.Errorf("%s: %d writes, want %d", step, n, wantWrites)
			}
			stored := getUser(t, s, "u1")
			if !stored.LastLogin.Equal(wantLast) {
				t.Errorf("%s: stored LastLogin = %v, want %v", step, stored.LastLogin, wantLast)
			}
			if err == nil && (!u.LastLogin.Equal(wantLast) || u.LastLogin.Location() != time.UTC) {
				t.Errorf("%s: returned LastLogin = %v, want %v in UTC", step, u.LastLogin, wantLast)
			}
		}
		if u := getUser(t, s, "u1"); !u.LastLogin.IsZero() {
			t.Fatalf("a new user's LastLogin = %v, want never", u.LastLogin)
		}
		signIn("a wrong password", "wrong", t0, ErrInvalidCredentials, 1, time.Time{})

		// Resets the failure and upgrades the weak hash: still one write.
		first := t0.Add(time.Minute + 1234567*time.Nanosecond).In(time.FixedZone("UTC-3", -3*3600))
		firstMs := time.UnixMilli(first.UnixMilli()).UTC()
		signIn("the first success", "right", first, nil, 1, firstMs)
		if u := getUser(t, s, "u1"); u.FailedLogins != 0 || !u.FailedSince.IsZero() {
			t.Errorf("after a success: %d failures since %v", u.FailedLogins, u.FailedSince)
		}
		if h, err := Parse(getUser(t, s, "u1").PasswordHash); err != nil || h.Params != DefaultParams {
			t.Errorf("the hash was not upgraded in that write: %v, %v", h.Params, err)
		}

		// Nothing else to change: one write, for LastLogin.
		second := first.Add(time.Hour)
		secondMs := time.UnixMilli(second.UnixMilli()).UTC()
		signIn("a plain success", "right", second, nil, 1, secondMs)

		// A failure, then a lockout, keep the last success.
		for i := range DefaultMaxFailures - 1 {
			signIn(fmt.Sprintf("failure %d", i+1), "wrong", second.Add(time.Minute), ErrInvalidCredentials, 1, secondMs)
		}
		signIn("the failure that locks out", "wrong", second.Add(time.Minute), ErrLockedOut, 1, secondMs)
		signIn("the right password during the lockout", "right", second.Add(2*time.Minute), ErrLockedOut, 0, secondMs)

		// A disabled user is refused without a write and keeps it.
		if err := s.UpdateUser(t.Context(), "u1", func(u *storage.User) error {
			u.Disabled, u.LockedUntil = true, time.Time{}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		signIn("disabled", "right", second.Add(time.Hour), ErrInvalidCredentials, 0, secondMs)
	})
}

// BenchmarkAuthenticate measures successful sign-ins of a user with a
// current hash on the memory store; writes/op is the storage writes of
// each (UpdateUser calls), which must stay at 1: LastLogin, the failure
// count and a rehash share that one.
func BenchmarkAuthenticate(b *testing.B) {
	s := memory.New(memory.Options{})
	if err := s.CreateUser(b.Context(), storage.User{ID: "u1", Username: "alice", PasswordHash: Hash("right")}); err != nil {
		b.Fatal(err)
	}
	counted := &countingUsers{Users: s}
	h, err := NewHasher(HasherOptions{})
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewAuthenticator(counted, h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		if _, err := a.Authenticate(b.Context(), "alice", "right", now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(counted.writes.Load())/float64(b.N), "writes/op")
}

// TestNewAuthenticatorHashesNothing: making an Authenticator computes no
// hash. The dummy an unknown username is verified against used to be the
// hash of a random password: 19 MiB of argon2id memory at every start, kept
// in the RSS of a server that may never sign anyone in. Not parallel, so
// that no other test allocates meanwhile.
func TestNewAuthenticatorHashesNothing(t *testing.T) {
	h, err := NewHasher(HasherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a, err := NewAuthenticator(memory.New(memory.Options{}), h, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("NewAuthenticator allocated %d KiB: it computed a hash", grew>>10)
	}
	// The dummy still costs a hash and matches nothing.
	if ok, _, err := h.verify(context.Background(), a.dummy, ""); ok || err != nil {
		t.Errorf("the dummy verified the empty password: ok=%v err=%v", ok, err)
	}
}
