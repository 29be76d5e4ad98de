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
// an update sets.
func CheckOldUser(t *testing.T, s storage.Store) {
	t.Helper()
	got, err := s.GetUser(t.Context(), OldUserID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Username != "old" || !got.LastLogin.IsZero() {
		t.Errorf("a user written before migration 0008 reads as %+v; want username old, LastLogin zero", got)
	}
	signIn := time.UnixMilli(base.UnixMilli()).UTC()
	if err := s.UpdateUser(t.Context(), OldUserID, func(u *storage.User) error {
		u.LastLogin = signIn
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetUser(t.Context(), OldUserID); err != nil || !got.LastLogin.Equal(signIn) {
		t.Errorf("the old user's LastLogin after an update set it: %v, %v; want %v", got.LastLogin, err, signIn)
	}
}
