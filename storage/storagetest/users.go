package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// userTests are the user's own tests, beyond kindTests.
var userTests = []test{
	{"UsernameUnique", testUsernameUnique},
	{"UsernameChange", testUsernameChange},
	{"ListPaged", testListUsersPaged},
	{"ConcurrentFailedLogins", testConcurrentFailedLogins},
	{"LastLogin", testLastLogin},
	{"Invalid", testUserInvalid},
}

// usernameOf is a username of its own for each id, whatever their case:
// ids "abc" and "ABC" must not make usernames the store takes for one.
func usernameOf(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "User-" + hex.EncodeToString(sum[:8])
}

// userClaims are a user's other claims with unusual spacing, which a store
// that re-encodes JSON would change.
const userClaims = `{"locale":  "fr-CA", "groups":["a","b"] }`

func sampleUser(id string) storage.User {
	return storage.User{
		ID:            id,
		Username:      usernameOf(id),
		PasswordHash:  "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Email:         "alice@example.com",
		EmailVerified: true,
		Name:          "Alice — l’utilisatrice " + id,
		Claims:        []byte(userClaims),
		Disabled:      true,
		FailedLogins:  2,
		FailedSince:   base.Add(-time.Minute),
		LockedUntil:   base.Add(15 * time.Minute),
		LastLogin:     base.Add(-time.Hour),
		// Every byte value, as a sealed key may hold: kept byte for byte.
		TOTPSecret:    append([]byte(id+":"), allBytes...),
		TOTPLastStep:  1<<40 + 7, // past what 32 bits hold
		RecoveryCodes: []string{"$argon2id$v=19$code-b", "$argon2id$v=19$code-a", "hash with spaces "},
	}
}

var userKind = kind[storage.User]{
	config: false,
	field:  "user id",
	sample: sampleUser,
	keyOf:  func(u storage.User) string { return u.ID },
	setKey: func(u *storage.User, id string) { u.ID = id },
	change: func(u *storage.User) {
		u.Username = "Renamed-" + usernameOf(u.ID)
		u.PasswordHash = ""
		u.Email = ""
		u.EmailVerified = false
		u.Name = "Renamed"
		u.Claims = nil
		u.Disabled = false
		u.FailedLogins = 0
		u.FailedSince = time.Time{}
		u.LockedUntil = time.Time{}
		u.LastLogin = time.Time{}
		u.TOTPSecret = nil
		u.TOTPLastStep = 0
		u.RecoveryCodes = u.RecoveryCodes[1:2]
	},
	invalidate: func(u *storage.User) { u.FailedLogins = -1 },
	invalidMsg: "user failed login count -1 is negative",
	scribble: func(u *storage.User) {
		scribbleBytes(u.Claims, u.TOTPSecret)
		if len(u.RecoveryCodes) > 0 {
			u.RecoveryCodes[0] = "scribbled"
		}
	},
	want: func(u storage.User) storage.User {
		u.Claims = orNil(bytes.Clone(u.Claims))
		u.TOTPSecret = orNil(bytes.Clone(u.TOTPSecret))
		u.RecoveryCodes = orNil(slices.Clone(u.RecoveryCodes))
		u.LockedUntil, u.FailedSince, u.LastLogin = instant(u.LockedUntil), instant(u.FailedSince), instant(u.LastLogin)
		u.Created, u.Updated = time.Time{}, time.Time{}
		return u
	},
	stamped: func(u *storage.User) (*time.Time, *time.Time) { return &u.Created, &u.Updated },
	create:  storage.Store.CreateUser,
	get:     storage.Store.GetUser,
	list: func(s storage.Store, ctx context.Context) ([]storage.User, error) {
		return s.ListUsers(ctx, "", storage.MaxPageLen)
	},
	update: storage.Store.UpdateUser,
	del:    storage.Store.DeleteUser,
}

// userNamed is a sample user with another username.
func userNamed(id, username string) storage.User {
	u := sampleUser(id)
	u.Username = username
	return u
}

// findUser fails t unless username finds the user id, whose username is
// want as written.
func findUser(t *testing.T, s storage.Store, username, id, want string) {
	t.Helper()
	u, err := s.FindUserByUsername(t.Context(), username)
	if err != nil || u.ID != id || u.Username != want {
		t.Errorf("FindUserByUsername(%q) = %q %q, %v; want %q %q", username, u.ID, u.Username, err, id, want)
	}
}

// testUsernameUnique checks that usernames are unique as NormalizeUsername
// compares them (compatibility caseless matching), for create and find
// alike.
func testUsernameUnique(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, u := range []storage.User{
		userNamed("u1", "Alice"), userNamed("u2", "Straße"), userNamed("u3", "José"),
		userNamed("u4", "Alice2"), userNamed("u5", "alice "), // a space is not case
		userNamed("u6", "ﬁnn"), // a ligature
	} {
		userKind.mustCreate(t, s, u)
	}
	for _, name := range []string{"alice", "ALICE", "aLiCe", "STRASSE", "strasse", "Jose\u0301", "JOSÉ",
		"ＡＬＩＣＥ", "alice²", "FINN"} { // full-width, a superscript, the ligature's letters
		if err := s.CreateUser(ctx, userNamed("taken", name)); !errors.Is(err, storage.ErrAlreadyExists) {
			t.Errorf("CreateUser with the username %q = %v, want ErrAlreadyExists", name, err)
		}
	}
	userKind.checkMissing(t, s, "taken")
	findUser(t, s, "ALICE", "u1", "Alice")
	findUser(t, s, "alice", "u1", "Alice")
	findUser(t, s, "strasse", "u2", "Straße")
	findUser(t, s, "JOSE\u0301", "u3", "José")
	findUser(t, s, "Alice ", "u5", "alice ")
	findUser(t, s, "ａｌｉｃｅ", "u1", "Alice")
	findUser(t, s, "Finn", "u6", "ﬁnn")
	for _, name := range []string{"bob", "Alic", "u1"} {
		if _, err := s.FindUserByUsername(ctx, name); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("FindUserByUsername(%q) = %v, want ErrNotFound", name, err)
		}
	}
	_, err := s.FindUserByUsername(ctx, "")
	wantInvalid(t, "FindUserByUsername of an empty username", err, "username is empty")
}

// testUsernameChange checks that an update may change a username to one no
// other user has, and that a username changed or deleted is free again.
func testUsernameChange(t *testing.T, s storage.Store) {
	ctx := t.Context()
	userKind.mustCreate(t, s, userNamed("a", "alice"))
	userKind.mustCreate(t, s, userNamed("b", "bob"))
	rename := func(id, name string) error {
		return s.UpdateUser(ctx, id, func(u *storage.User) error {
			u.Username = name
			return nil
		})
	}
	if err := rename("b", "ALICE"); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("renaming bob to ALICE = %v, want ErrAlreadyExists", err)
	}
	findUser(t, s, "bob", "b", "bob")
	if err := rename("a", "ALICE"); err != nil {
		t.Fatalf("renaming alice to ALICE (her own): %v", err)
	}
	findUser(t, s, "alice", "a", "ALICE")
	if err := rename("a", "carol"); err != nil {
		t.Fatal(err)
	}
	userKind.mustCreate(t, s, userNamed("c", "Alice"))
	if err := s.DeleteUser(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	userKind.mustCreate(t, s, userNamed("d", "Bob"))
	findUser(t, s, "CAROL", "a", "carol")
	findUser(t, s, "alice", "c", "Alice")
	findUser(t, s, "bob", "d", "Bob")
}

func userIDs(us []storage.User) string {
	return keyList(us, userKind.keyOf)
}

func testListUsersPaged(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, id := range []string{"u05", "u01", "u03", "u04", "u02"} {
		userKind.mustCreate(t, s, sampleUser(id))
	}
	for _, tt := range []struct {
		after string
		limit int
		want  string
	}{
		{"", 2, "u01 u02"},
		{"u02", 2, "u03 u04"},
		{"u04", 2, "u05"},
		{"u05", 2, ""},
		{"u015", 2, "u02 u03"},
		{"", 1, "u01"},
		{"", storage.MaxPageLen, "u01 u02 u03 u04 u05"},
		{"U", 3, "u01 u02 u03"}, // byte order: "U" < "u"
	} {
		us, err := s.ListUsers(ctx, tt.after, tt.limit)
		if err != nil || userIDs(us) != tt.want {
			t.Errorf("ListUsers(%q, %d) = %q, %v; want %q", tt.after, tt.limit, userIDs(us), err, tt.want)
		}
	}
	for _, limit := range []int{0, -1, storage.MaxPageLen + 1} {
		_, err := s.ListUsers(ctx, "", limit)
		wantInvalid(t, fmt.Sprintf("ListUsers with the limit %d", limit), err, "user page limit")
	}
	_, err := s.ListUsers(ctx, "a\x00", 10)
	wantInvalid(t, "ListUsers after a NUL", err, "user id to list after contains a NUL byte")
}

// testLastLogin follows a user's LastLogin: zero (never) when created
// without one, the time of a sign-in to the millisecond in UTC once an
// update sets it, kept by updates that do not set it (a failed login, a
// rename, a new password), and zero again when an update clears it.
func testLastLogin(t *testing.T, s storage.Store) {
	ctx := t.Context()
	u := userNamed("u", "alice")
	u.LastLogin = time.Time{}
	userKind.mustCreate(t, s, u)
	lastLogin := func(step string, want time.Time) {
		t.Helper()
		got, err := s.GetUser(ctx, "u")
		if err != nil {
			t.Fatalf("%s: GetUser: %v", step, err)
		}
		if !got.LastLogin.Equal(want) || got.LastLogin.Location() != want.Location() {
			t.Errorf("%s: LastLogin = %v, want %v", step, got.LastLogin, want)
		}
	}
	lastLogin("created without one", time.Time{})

	signIn := base.Add(3 * time.Hour) // sub-millisecond, in a zone not UTC
	if err := s.UpdateUser(ctx, "u", func(v *storage.User) error {
		v.FailedLogins, v.FailedSince, v.LockedUntil = 0, time.Time{}, time.Time{}
		v.LastLogin = signIn
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := time.UnixMilli(signIn.UnixMilli()).UTC()
	lastLogin("signed in", want)

	for _, step := range []struct {
		name   string
		change func(*storage.User)
	}{
		{"a failed login", func(v *storage.User) { v.FailedLogins++; v.FailedSince = base }},
		{"a rename", func(v *storage.User) { v.Username = "Alice2" }},
		{"a new password", func(v *storage.User) { v.PasswordHash = "" }},
	} {
		if err := s.UpdateUser(ctx, "u", func(v *storage.User) error { step.change(v); return nil }); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		lastLogin("after "+step.name, want)
	}
	us, err := s.ListUsers(ctx, "", 10)
	if err != nil || len(us) != 1 || !us[0].LastLogin.Equal(want) {
		t.Errorf("ListUsers = %+v, %v; want LastLogin %v", us, err, want)
	}
	found, err := s.FindUserByUsername(ctx, "alice2")
	if err != nil || !found.LastLogin.Equal(want) {
		t.Errorf("FindUserByUsername LastLogin = %v, %v; want %v", found.LastLogin, err, want)
	}

	// A second sign-in moves it; clearing it (an operator's reset) makes
	// it never again.
	later := signIn.Add(24*time.Hour + 123*time.Microsecond)
	if err := s.UpdateUser(ctx, "u", func(v *storage.User) error { v.LastLogin = later; return nil }); err != nil {
		t.Fatal(err)
	}
	lastLogin("signed in again", time.UnixMilli(later.UnixMilli()).UTC())
	if err := s.UpdateUser(ctx, "u", func(v *storage.User) error { v.LastLogin = time.Time{}; return nil }); err != nil {
		t.Fatal(err)
	}
	lastLogin("cleared", time.Time{})
}

// testConcurrentFailedLogins is a lockout counter under attack: 16 failed
// logins at once are 16.
func testConcurrentFailedLogins(t *testing.T, s storage.Store) {
	userKind.mustCreate(t, s, userNamed("u", "alice"))
	failLogins(t, func(int) storage.Store { return s }, "u", 16)
}

// failLogins counts n failed logins of user id from n goroutines, the i-th
// through store(i), and checks that none is lost.
func failLogins(t *testing.T, store func(i int) storage.Store, id string, n int) {
	t.Helper()
	before, err := store(0).GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	errs := race(n, func(i int) error {
		return store(i).UpdateUser(t.Context(), id, func(u *storage.User) error {
			u.FailedLogins++
			return nil
		})
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	after, err := store(1).GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if after.FailedLogins != before.FailedLogins+n {
		t.Errorf("FailedLogins = %d after %d concurrent increments of %d", after.FailedLogins, n, before.FailedLogins)
	}
}

func testUserInvalid(t *testing.T, s storage.Store) {
	long := strings.Repeat("x", storage.MaxTextLen+1)
	userKind.testInvalid(t, s, []invalid[storage.User]{
		{"empty id", func(u *storage.User) { u.ID = "" }, "user id is empty"},
		{"empty username", func(u *storage.User) { u.Username = "" }, "username is empty"},
		{"long username", func(u *storage.User) { u.Username = long[:storage.MaxKeyLen+1] }, "username is 513 bytes"},
		// İ (2 bytes) folds to i and a combining dot (3 bytes).
		{"long normalized username", func(u *storage.User) { u.Username = strings.Repeat("İ", 200) }, "normalized username is 600 bytes, over the limit of 512"},
		{"nul in username", func(u *storage.User) { u.Username = "a\x00" }, "username contains a NUL byte"},
		{"long password hash", func(u *storage.User) { u.PasswordHash = long }, "user password hash is 4097 bytes"},
		{"nul in email", func(u *storage.User) { u.Email = "a\x00@example.com" }, "user email contains a NUL byte"},
		{"invalid name", func(u *storage.User) { u.Name = "\xff" }, "user name is not valid UTF-8"},
		{"claims an array", func(u *storage.User) { u.Claims = []byte(`["a"]`) }, "user claims is not a JSON object"},
		{"claims not JSON", func(u *storage.User) { u.Claims = []byte(`{`) }, "user claims is not valid JSON"},
		{"negative failed logins", func(u *storage.User) { u.FailedLogins = -1 }, "user failed login count -1 is negative"},
		{"long TOTP secret", func(u *storage.User) { u.TOTPSecret = make([]byte, 1025) }, "user TOTP secret is 1025 bytes, over the limit of 1024"},
		{"negative TOTP step", func(u *storage.User) { u.TOTPLastStep = -1 }, "user TOTP last step -1 is negative"},
		{"too many recovery codes", func(u *storage.User) {
			u.RecoveryCodes = nil
			for i := range storage.MaxRecoveryCodes + 1 {
				u.RecoveryCodes = append(u.RecoveryCodes, fmt.Sprint("code-", i))
			}
		}, "user has 33 recovery codes, over the limit of 32"},
		{"empty recovery code", func(u *storage.User) { u.RecoveryCodes = []string{"a", ""} }, "user recovery code"},
		{"duplicate recovery code", func(u *storage.User) { u.RecoveryCodes = []string{"a", "a"} }, "user recovery code"},
		{"nul in recovery code", func(u *storage.User) { u.RecoveryCodes = []string{"a\x00"} }, "user recovery code"},
	}, nil)
}
