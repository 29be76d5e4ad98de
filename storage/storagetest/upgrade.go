package storagetest

import (
	"reflect"
	"testing"

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
