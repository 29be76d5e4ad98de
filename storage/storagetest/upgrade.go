package storagetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// OldClientID is the id of the client an adapter's upgrade test writes with
// the schema of migration 0006, before the sign-in settings of 0007: named
// "old", with grant type client_credentials and scope api, nothing else.
const OldClientID = "written-before-0007"

// CheckOldClient checks the client OldClientID as read after migration
// 0007: it reads with IdentityServer's defaults (RequirePKCE and
// AllowRememberConsent true, the rest unset), and the store updates it.
func CheckOldClient(t *testing.T, s storage.Store) {
	t.Helper()
	got := mustGetClient(t, s, OldClientID)
	want := storage.Client{ID: OldClientID, Name: "old", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api"},
		RequirePKCE: true, AllowRememberConsent: true}
	if !reflect.DeepEqual(wantClient(got), want) {
		t.Errorf("a client written before migration 0007 reads as\n%+v\nwant\n%+v", got, want)
	}
	if err := s.UpdateClient(t.Context(), OldClientID, func(c *storage.Client) error {
		c.RequirePKCE = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if mustGetClient(t, s, OldClientID).RequirePKCE {
		t.Error("RequirePKCE of the old client is still true after an update set it false")
	}
}

// OldUserID is the id of the user an adapter's upgrade test writes with the
// schema of migration 0006, before LastLogin (0008): username "old", no
// password, created and updated at the Unix epoch, nothing else.
const OldUserID = "written-before-0008"

// CheckOldUser checks the user OldUserID as read after migration 0008: it
// has never signed in (a zero LastLogin), and the store keeps a LastLogin
// an update sets. After 0010 it has no second factor (no TOTP key, step 0,
// no recovery codes), the store keeps the ones an update sets, and the
// user can have a link and a passkey.
func CheckOldUser(t *testing.T, s storage.Store) {
	t.Helper()
	got, err := s.GetUser(t.Context(), OldUserID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TOTPSecret != nil || got.TOTPLastStep != 0 || got.RecoveryCodes != nil {
		t.Errorf("a user written before migration 0010 reads with TOTP key %x, last step %d, recovery codes %q; want none",
			got.TOTPSecret, got.TOTPLastStep, got.RecoveryCodes)
	}
	if got.Username != "old" || !got.LastLogin.IsZero() {
		t.Errorf("a user written before migration 0008 reads as %+v; want username old, LastLogin zero", got)
	}
	signIn := time.UnixMilli(base.UnixMilli()).UTC()
	if err := s.UpdateUser(t.Context(), OldUserID, func(u *storage.User) error {
		u.LastLogin = signIn
		u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = []byte{1, 2, 3}, 7, []string{"h1", "h2"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetUser(t.Context(), OldUserID)
	if err != nil || !got.LastLogin.Equal(signIn) {
		t.Errorf("the old user's LastLogin after an update set it: %v, %v; want %v", got.LastLogin, err, signIn)
	}
	if string(got.TOTPSecret) != "\x01\x02\x03" || got.TOTPLastStep != 7 || !reflect.DeepEqual(got.RecoveryCodes, []string{"h1", "h2"}) {
		t.Errorf("the old user after an update set its second factor: TOTP key %x, last step %d, recovery codes %q",
			got.TOTPSecret, got.TOTPLastStep, got.RecoveryCodes)
	}
	if err := s.CreateUserLink(t.Context(), storage.UserLink{Issuer: "https://old.example", Subject: "1", Provider: "old", UserID: OldUserID}); err != nil {
		t.Errorf("link the old user: %v", err)
	}
	if err := s.CreatePasskey(t.Context(), storage.Passkey{ID: "old-passkey", UserID: OldUserID, PublicKey: []byte{1}}); err != nil {
		t.Errorf("give the old user a passkey: %v", err)
	}
}
