package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// TestUserPasskeysCommand lists a user's passkeys (synced or device-bound,
// last use, clone warning), and removes one of them only.
func TestUserPasskeysCommand(t *testing.T) {
	t.Parallel()
	c := userCLI(t)
	c.stdin = "a-long-password\n"
	c.mustRun("user", "add", "--username", "alice", "--subject", "s1", "--password-stdin")
	c.stdin = "another-long-password\n"
	c.mustRun("user", "add", "--username", "bob", "--subject", "s2", "--password-stdin")
	if out := c.mustRun("user", "passkeys", "alice"); out != "User alice has no passkeys.\n" {
		t.Errorf("no passkeys: %q", out)
	}
	db := openUserDB(t, c)
	used := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	for _, p := range []storage.Passkey{
		{ID: "cred-phone", UserID: "s1", Name: "Phone", PublicKey: []byte{1}, AttestationType: "none", BackupEligible: true, BackupState: true, Transports: []string{"hybrid", "internal"}},
		{ID: "cred-key", UserID: "s1", Name: "YubiKey", PublicKey: []byte{2}, AttestationType: "none", SignCount: 7, CloneWarning: true, Transports: []string{"usb"}},
		{ID: "cred-bob", UserID: "s2", Name: "Bob's", PublicKey: []byte{3}},
	} {
		if err := db.CreatePasskey(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpdatePasskey(t.Context(), "cred-phone", func(p *storage.Passkey) error { p.LastUsed = used; return nil }); err != nil {
		t.Fatal(err)
	}
	out := c.mustRun("user", "passkeys", "alice")
	for _, want := range []string{"ID", "NAME", "LAST USED", "cred-phone", "Phone", "2026-05-04 03:02:01 UTC", "synced", "cred-key", "YubiKey", "device-bound", "never", "clone warning"} {
		if !strings.Contains(out, want) {
			t.Errorf("the list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cred-bob") {
		t.Errorf("alice's list shows bob's passkey:\n%s", out)
	}
	var views []passkeyView
	if err := json.Unmarshal([]byte(c.mustRun("user", "passkeys", "alice", "--json")), &views); err != nil || len(views) != 2 {
		t.Fatalf("--json: %+v %v", views, err)
	}
	byID := map[string]passkeyView{views[0].ID: views[0], views[1].ID: views[1]}
	if p := byID["cred-phone"]; !p.Synced || p.CloneWarning || !p.LastUsed.Equal(used) {
		t.Errorf("the phone's view %+v", p)
	}
	if k := byID["cred-key"]; k.Synced || !k.CloneWarning || !k.LastUsed.IsZero() {
		t.Errorf("the key's view %+v", k)
	}

	// Bob's passkey is not alice's to remove; without a terminal, --yes.
	code, _, stderr := c.run("user", "passkeys", "alice", "--remove", "cred-bob", "--yes")
	if code != exitError || !strings.Contains(stderr, `has no passkey "cred-bob"`) {
		t.Errorf("removing bob's passkey as alice's: exit %d %q", code, stderr)
	}
	if code, _, stderr := c.run("user", "passkeys", "alice", "--remove", "cred-key"); code == exitOK {
		t.Errorf("--remove without --yes and without a terminal: exit %d %q", code, stderr)
	}
	if out := c.mustRun("user", "passkeys", "alice", "--remove", "cred-key", "--yes"); !strings.HasPrefix(out, "Removed passkey cred-key of alice") {
		t.Errorf("remove: %q", out)
	}
	if _, err := db.GetPasskey(t.Context(), "cred-key"); err == nil {
		t.Error("the removed passkey is still stored")
	}
	if _, err := db.GetPasskey(t.Context(), "cred-bob"); err != nil {
		t.Errorf("bob's passkey: %v", err)
	}
	if code, _, _ := c.run("user", "passkeys", "alice", "--yes"); code != exitUsage {
		t.Errorf("--yes without --remove: exit %d, want %d", code, exitUsage)
	}
}
