package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// TestUserMFAResetEndsSessions: the help desk's reset is for a lost
// phone, which may hold a session or an application's refresh token of
// the user, and the sessions' logins passed the factor that is gone: so
// it ends the user's sessions and deletes their refresh tokens, as a new
// password does; another user's are kept.
func TestUserMFAResetEndsSessions(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	c.stdin = "a-long-password\n"
	c.mustRun("user", "add", "--username", "alice", "--subject", "s1", "--password-stdin")
	c.stdin = "another-long-password\n"
	c.mustRun("user", "add", "--username", "bob", "--subject", "s2", "--password-stdin")
	db := openUserDB(t, c)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	if err := db.UpdateUser(ctx, "s1", func(u *storage.User) error {
		u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = []byte("sealed"), 1, []string{"h1", "h2"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []storage.Session{
		{ID: "alice-phone", Subject: "s1", AuthTime: now, AMR: []string{"pwd", "otp", "mfa"}, Created: now, Expires: now.Add(time.Hour)},
		{ID: "bob-laptop", Subject: "s2", AuthTime: now, AMR: []string{"pwd"}, Created: now, Expires: now.Add(time.Hour)},
	} {
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []storage.PersistedGrant{
		{Key: "rt-alice", Type: storage.GrantRefreshToken, Subject: "s1", ClientID: "app", Created: now, Expires: now.Add(time.Hour), Data: []byte("{}")},
		{Key: "rt-bob", Type: storage.GrantRefreshToken, Subject: "s2", ClientID: "app", Created: now, Expires: now.Add(time.Hour), Data: []byte("{}")},
	} {
		if err := db.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}

	var r map[string]any
	if err := json.Unmarshal([]byte(c.mustRun("user", "mfa", "reset", "alice", "--json")), &r); err != nil {
		t.Fatal(err)
	}
	if r["wasOn"] != true || r["sessionsEnded"] != float64(1) || r["refreshTokensDeleted"] != float64(1) {
		t.Errorf("reset --json: %v, want wasOn, 1 session ended and 1 refresh token deleted", r)
	}
	if _, err := db.GetSession(ctx, "alice-phone", now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("alice's session after the reset: %v, want ended", err)
	}
	if _, err := db.GetGrant(ctx, "rt-alice", now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("alice's refresh token after the reset: %v, want deleted", err)
	}
	if _, err := db.GetSession(ctx, "bob-laptop", now); err != nil {
		t.Errorf("bob's session: %v, want kept", err)
	}
	if _, err := db.GetGrant(ctx, "rt-bob", now); err != nil {
		t.Errorf("bob's refresh token: %v, want kept", err)
	}
	// Off already: nothing changes (not even bob's Updated time), and
	// nothing more ends.
	before, err := db.FindUserByUsername(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if out := c.mustRun("user", "mfa", "reset", "bob"); !strings.Contains(out, "already off; nothing changed") {
		t.Errorf("reset of bob: %q", out)
	}
	if after, err := db.FindUserByUsername(ctx, "bob"); err != nil || !after.Updated.Equal(before.Updated) {
		t.Errorf("bob after a reset that changed nothing: Updated %v, was %v (%v)", after.Updated, before.Updated, err)
	}
	if _, err := db.GetSession(ctx, "bob-laptop", now); err != nil {
		t.Errorf("bob's session after a reset that changed nothing: %v, want kept", err)
	}
}
