package grant

import (
	"net/http"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
)

// TestCodeUserState: a code's redemption learns the state of its user
// from the code's consumption (storage's ConsumeUserGrant), on every
// backend: no read of the user unless the ID token carries the user's
// claims; a user disabled or removed after the code was issued is refused
// with invalid_grant all the same.
func TestCodeUserState(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			store := b.OpenOne(t, nil)
			users := &testsupport.ReadCounter{Store: store}
			sf := newSignInFixtureUsers(t, store, users)

			if res := sf.redeem(sf.code(t, "openid", "api1")); res.status != http.StatusOK || res.body["id_token"] == nil {
				t.Fatalf("redeem: %d %v, want tokens", res.status, res.body)
			}
			if n := users.Users.Load(); n != 0 {
				t.Errorf("%d reads of the user for a code's tokens, want none", n)
			}

			// The ID token with the user's claims: read.
			sf.web.AlwaysIncludeUserClaimsInIdToken = true
			if res := sf.redeem(sf.code(t, "openid", "profile")); res.status != http.StatusOK {
				t.Fatalf("redeem with the user's claims: %d %v, want tokens", res.status, res.body)
			}
			if n := users.Users.Load(); n != 1 {
				t.Errorf("%d reads of the user for an ID token with the user's claims, want 1", n)
			}
			sf.web.AlwaysIncludeUserClaimsInIdToken = false

			refused := func(code, want string) {
				t.Helper()
				res := sf.redeem(code)
				desc, _ := res.body["error_description"].(string)
				if res.status != http.StatusBadRequest || res.body["error"] != "invalid_grant" || !strings.Contains(desc, want) {
					t.Errorf("redeem: %d %v, want invalid_grant saying %q", res.status, res.body, want)
				}
			}
			code := sf.code(t, "openid", "api1")
			if err := store.UpdateUser(ctx, "u-alice", func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
				t.Fatal(err)
			}
			refused(code, "disabled")
			if err := store.UpdateUser(ctx, "u-alice", func(u *storage.User) error { u.Disabled = false; return nil }); err != nil {
				t.Fatal(err)
			}
			code = sf.code(t, "openid", "api1")
			if err := store.DeleteUser(ctx, "u-alice"); err != nil {
				t.Fatal(err)
			}
			refused(code, "no longer exists")
			if n := users.Users.Load(); n != 1 {
				t.Errorf("%d reads of the user in all, want the one for the user's claims", n)
			}
		})
	}
}
