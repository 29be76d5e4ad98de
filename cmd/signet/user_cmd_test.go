package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/sqlite"
)

// userCLI is a CLI whose configuration keeps its database in data/.
func userCLI(t *testing.T) *cli {
	c := newCLI(t)
	c.env["SIGNET_CONFIG"] = c.write("signet.yaml", "dataDir: data\n")
	return c
}

// openUserDB opens the CLI's database, as a second process would.
func openUserDB(t *testing.T, c *cli) storage.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), c.path("data/signet.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestUserPasswordPrompt: the password is asked twice without echo, and a
// mismatch or an empty password changes nothing; without a terminal, the
// flags are named.
func TestUserPasswordPrompt(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	ty := newTypist(t, "a-long-password", "another-password")
	c.term = ty.terminal()
	code, _, stderr := c.run("user", "add", "--username", "alice")
	if code != exitError || !strings.Contains(stderr, "the passwords do not match: nothing was changed") {
		t.Fatalf("mismatch: exit %d, %q", code, stderr)
	}
	if got := ty.asked(); len(got) != 2 || got[0] != "Password for alice: " || got[1] != "Repeat the password: " {
		t.Errorf("prompts %q", got)
	}
	c.term = newTypist(t, "a-long-password", "a-long-password").terminal()
	sub := strings.TrimSpace(c.mustRun("user", "add", "--username", "alice"))
	if len(sub) != 22 {
		t.Errorf("subject %q: want 22 characters of base64url (128 bits)", sub)
	}
	u, err := openUserDB(t, c).GetUser(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := users.Verify(u.PasswordHash, "a-long-password"); !ok || rehash || err != nil {
		t.Errorf("stored hash does not verify: %v %v %v", ok, rehash, err)
	}

	c.term = noTerminal(t)
	code, _, stderr = c.run("user", "add", "--username", "bob")
	if code != exitUsage || !strings.Contains(stderr, "give --password-file FILE or --password-stdin") {
		t.Errorf("no terminal: exit %d, %q", code, stderr)
	}
	code, _, stderr = c.run("user", "add", "--username", "bob", "--password-stdin", "--password-file", "x")
	if code != exitUsage || !strings.Contains(stderr, "give only one of") {
		t.Errorf("two sources: exit %d, %q", code, stderr)
	}
	c.stdin = "short\n"
	code, _, stderr = c.run("user", "add", "--username", "bob", "--password-stdin")
	if code != exitOK || !strings.Contains(stderr, "warning: the password has fewer than 8 characters") {
		t.Errorf("short password: exit %d, %q", code, stderr)
	}
}

// TestUserPasswdDisableRemoveEndSessions: a new password, a disable and a
// removal end the user's sessions and delete their refresh tokens (not
// another user's), and say how many.
func TestUserPasswdDisableRemoveEndSessions(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	c.stdin = "first-password\n"
	alice := strings.TrimSpace(c.mustRun("user", "add", "--username", "alice", "--password-stdin"))
	c.stdin = "bobs-password\n"
	bob := strings.TrimSpace(c.mustRun("user", "add", "--username", "bob", "--password-stdin"))
	db := openUserDB(t, c)
	now := time.Now()
	n := 0
	seed := func(subject string) {
		t.Helper()
		n++
		id := strings.Repeat("s", 10) + string(rune('a'+n))
		if err := db.CreateSession(t.Context(), storage.Session{ID: id, Subject: subject, AuthTime: now, Created: now, Expires: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{storage.GrantRefreshToken, storage.GrantUserConsent} {
			n++
			if err := db.CreateGrant(t.Context(), storage.PersistedGrant{Key: "k" + strings.Repeat("x", 10) + string(rune('a'+n)), Type: typ, Subject: subject, ClientID: "app",
				Created: now, Expires: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	seed(alice)
	seed(bob)

	c.stdin = "second-password\n"
	out := c.mustRun("user", "passwd", "alice", "--password-stdin")
	if out != "Set the password of alice; ended 1 session and deleted 1 refresh token.\n" {
		t.Errorf("passwd: %q", out)
	}
	u, _ := db.GetUser(t.Context(), alice)
	if ok, _, _ := users.Verify(u.PasswordHash, "second-password"); !ok {
		t.Error("the new password does not verify")
	}
	if out := c.mustRun("user", "passwd", "ALICE", "--password-stdin"); !strings.Contains(out, "ended 0 sessions and deleted 0 refresh tokens") {
		t.Errorf("passwd again: %q", out)
	}
	seed(alice)
	if out := c.mustRun("user", "disable", "alice"); out != "Disabled user alice; ended 1 session and deleted 1 refresh token.\n" {
		t.Errorf("disable: %q", out)
	}
	if out := c.mustRun("user", "show", "alice"); !regexp.MustCompile(`(?m)^  Status +disabled$`).MatchString(out) {
		t.Errorf("show after disable:\n%s", out)
	}
	c.mustRun("user", "enable", alice)
	seed(alice)
	if out := c.mustRun("user", "remove", "alice", "--yes"); !strings.Contains(out, "ended 1 session and deleted 1 refresh token, and 3 other grants.") {
		t.Errorf("remove: %q", out)
	}
	// Bob's are untouched.
	if s, err := db.ListSessions(t.Context(), bob, now); err != nil || len(s) != 1 {
		t.Errorf("bob's sessions: %v %v", s, err)
	}
	if g, err := db.ListGrants(t.Context(), storage.PersistedGrantFilter{Subject: bob}, now); err != nil || len(g) != 2 {
		t.Errorf("bob's grants: %v %v", g, err)
	}
}

// TestUserClaimsAndJSON: claims from flags land in the record as userinfo
// reads them; show --json never has the hash.
func TestUserClaimsAndJSON(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	c.stdin = "a-long-password\n"
	c.mustRun("user", "add", "--username", "Alice", "--subject", "1", "--name", "Alice Smith", "--email", "alice@example.com", "--email-verified",
		"--phone", "+1 555", "--claim", "given_name=Alice", "--claim", "role=admin", "--claim", "role=dev", "--password-stdin")
	out := c.mustRun("user", "show", "alice", "--json")
	if strings.Contains(out, "$argon2id") {
		t.Fatalf("show --json prints the hash:\n%s", out)
	}
	var v userView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Subject != "1" || v.Username != "Alice" || v.Name != "Alice Smith" || !v.EmailVerified || v.Password != "argon2id m=19456,t=2,p=1" ||
		!sameJSON(v.Claims, []byte(`{"given_name":"Alice","phone_number":"+1 555","role":["admin","dev"]}`)) {
		t.Errorf("view %+v claims %s", v, v.Claims)
	}
	c.mustRun("user", "update", "1", "--email", "a@example.org", "--remove-claim", "role", "--claim", "family_name=Smith", "--phone", "")
	u, _ := openUserDB(t, c).GetUser(t.Context(), "1")
	if u.Email != "a@example.org" || u.EmailVerified || string(u.Claims) != `{"family_name":"Smith","given_name":"Alice"}` {
		t.Errorf("after update: %+v %s", u, u.Claims)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"update", "1", "--claim", "email=x"}, "--claim email: give it with --email"},
		{[]string{"update", "1", "--claim", "iss=x"}, "tokens set this claim themselves"},
		{[]string{"update", "1", "--claim", "noequals"}, "write TYPE=VALUE"},
		{[]string{"update", "1", "--claim", "email_verified=x"}, "give it with --email-verified"},
		{[]string{"update", "1", "--claim", "address=3"}, ""},
		{[]string{"update", "1"}, "nothing to change"},
	} {
		code, _, stderr := c.run(append([]string{"user"}, tt.args...)...)
		if tt.want == "" {
			if code != exitOK {
				t.Errorf("%v: exit %d %s", tt.args, code, stderr)
			}
			continue
		}
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestUserLastLogin: show says "never" until the user signs in, then the
// time of the last sign-in, which show --json and list --json give as
// lastLogin (absent for never).
func TestUserLastLogin(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	c.stdin = "a-long-password\n"
	c.mustRun("user", "add", "--username", "alice", "--subject", "1", "--password-stdin")
	if out := c.mustRun("user", "show", "alice"); !regexp.MustCompile(`(?m)^  Last login +never$`).MatchString(out) {
		t.Errorf("show before any sign-in:\n%s", out)
	}
	for _, args := range [][]string{{"user", "show", "alice", "--json"}, {"user", "list", "--json"}} {
		if out := c.mustRun(args...); strings.Contains(out, "lastLogin") {
			t.Errorf("%v before any sign-in has lastLogin:\n%s", args, out)
		}
	}

	// A sign-in through the Authenticator the login page uses.
	db := openUserDB(t, c)
	h, err := users.NewHasher(users.HasherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := users.NewAuthenticator(db, h, users.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 5, 6, 7, 8, 9, 987_654_321, time.FixedZone("UTC+2", 2*3600))
	if _, err := auth.Authenticate(t.Context(), "alice", "a-long-password", at); err != nil {
		t.Fatal(err)
	}
	if out := c.mustRun("user", "show", "alice"); !regexp.MustCompile(`(?m)^  Last login +2031-05-06 05:08:09 UTC$`).MatchString(out) {
		t.Errorf("show after a sign-in:\n%s", out)
	}
	want := time.Date(2031, 5, 6, 5, 8, 9, 987_000_000, time.UTC)
	var shown userView
	if err := json.Unmarshal([]byte(c.mustRun("user", "show", "alice", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	var listed []userView
	if err := json.Unmarshal([]byte(c.mustRun("user", "list", "--json")), &listed); err != nil {
		t.Fatal(err)
	}
	if !shown.LastLogin.Equal(want) || len(listed) != 1 || !listed[0].LastLogin.Equal(want) {
		t.Errorf("lastLogin: show --json %v, list --json %+v; want %v", shown.LastLogin, listed, want)
	}
}

// TestUserConsentsCommand lists and revokes what consent.Store remembered.
func TestUserConsentsCommand(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	c.stdin = "a-long-password\n"
	c.mustRun("user", "add", "--username", "alice", "--subject", "s1", "--password-stdin")
	db := openUserDB(t, c)
	if err := consent.New(db, nil).Remember(t.Context(), "s1", "webapp", []string{"openid", "profile"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if out := c.mustRun("user", "consents", "alice"); !strings.Contains(out, "webapp  openid profile") {
		t.Errorf("consents:\n%s", out)
	}
	var views []consentView
	if err := json.Unmarshal([]byte(c.mustRun("user", "consents", "alice", "--json")), &views); err != nil || len(views) != 1 || views[0].ClientID != "webapp" {
		t.Errorf("consents --json: %+v %v", views, err)
	}
	if out := c.mustRun("user", "consents", "revoke", "alice", "webapp"); !strings.HasPrefix(out, "Revoked the consent of alice at webapp") {
		t.Errorf("revoke: %q", out)
	}
	code, _, stderr := c.run("user", "consents", "revoke", "alice", "webapp")
	if code != exitError || !strings.Contains(stderr, `has no remembered consent at client "webapp"`) {
		t.Errorf("revoke again: exit %d %q", code, stderr)
	}
	if out := c.mustRun("user", "consents", "alice"); out != "User alice has no remembered consents.\n" {
		t.Errorf("after revoke: %q", out)
	}
}

// TestUserListPages: list reads every page of ListUsers.
func TestUserListPages(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	c.stdin = "a-long-password\n"
	c.mustRun("user", "add", "--username", "first", "--subject", "a0", "--password-stdin")
	db := openUserDB(t, c)
	const n = userPage + 5
	for i := 1; i < n; i++ {
		if err := db.CreateUser(t.Context(), storage.User{ID: fmt.Sprintf("a%04d", i), Username: fmt.Sprintf("user%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var views []userView
	if err := json.Unmarshal([]byte(c.mustRun("user", "list", "--json")), &views); err != nil {
		t.Fatal(err)
	}
	if len(views) != n || views[0].Username != "first" || views[n-1].Password != "none" {
		t.Errorf("listed %d users, want %d", len(views), n)
	}
}
