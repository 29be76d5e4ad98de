package storage_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// checkErr fails t unless err is nil (msg empty) or wraps ErrInvalid and says
// msg.
func checkErr(t *testing.T, err error, msg string) {
	t.Helper()
	switch {
	case msg == "" && err != nil:
		t.Errorf("err = %v, want nil", err)
	case msg != "" && (!errors.Is(err, storage.ErrInvalid) || !strings.Contains(err.Error(), msg)):
		t.Errorf("err = %v, want ErrInvalid saying %q", err, msg)
	}
}

func TestCheckClient(t *testing.T) {
	valid := func() storage.Client {
		return storage.Client{
			ID:                  "app",
			Secrets:             []storage.ClientSecret{{ID: "s", Hash: "h", Created: t0}},
			Scopes:              []string{"openid"},
			AccessTokenLifetime: time.Hour,
			JWKS:                []byte("\n {\"keys\":[]}"),
		}
	}
	tests := []struct {
		name   string
		change func(*storage.Client)
		msg    string
	}{
		{"valid", func(*storage.Client) {}, ""},
		{"minimal", func(c *storage.Client) { *c = storage.Client{ID: "app"} }, ""},
		{"most secrets", func(c *storage.Client) {
			c.Secrets = nil
			for i := range storage.MaxSecrets {
				c.Secrets = append(c.Secrets, storage.ClientSecret{ID: fmt.Sprint(i), Hash: "h", Created: t0})
			}
		}, ""},
		{"most scopes", func(c *storage.Client) {
			c.Scopes = nil
			for i := range storage.MaxListLen {
				c.Scopes = append(c.Scopes, fmt.Sprint(i))
			}
		}, ""},
		{"secret expiry within the millisecond", func(c *storage.Client) { c.Secrets[0].Expires = t0.Add(time.Microsecond) }, "expires at or before it was created"},
		{"secret expiry a millisecond later", func(c *storage.Client) { c.Secrets[0].Expires = t0.Add(time.Millisecond) }, ""},
		{"JWKS null", func(c *storage.Client) { c.JWKS = []byte("null") }, "not a JSON object"},
		{"JWKS trailing garbage", func(c *storage.Client) { c.JWKS = []byte("{} x") }, "not valid JSON"},
		{"zero lifetime", func(c *storage.Client) { c.AccessTokenLifetime = 0 }, ""},
		{"sub-second lifetime", func(c *storage.Client) { c.AccessTokenLifetime = time.Millisecond }, "not a whole number of seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			checkErr(t, storage.CheckClient(c), tt.msg)
		})
	}
}

func TestCheckGrant(t *testing.T) {
	valid := storage.PersistedGrant{Key: "k", Type: storage.GrantRefreshToken, ClientID: "app", Created: t0, Expires: t0.Add(time.Millisecond)}
	checkErr(t, storage.CheckGrant(valid), "")
	for _, typ := range []string{storage.GrantAuthorizationCode, storage.GrantRefreshToken, storage.GrantReferenceToken, storage.GrantUserConsent, storage.GrantDeviceCode, storage.GrantAuthorizationRequest} {
		checkErr(t, storage.CheckGrantType(typ), "")
	}
	checkErr(t, storage.CheckGrantType("Refresh_Token"), `grant type "Refresh_Token" is not one of`)
	checkErr(t, storage.CheckGetGrant("k", time.Time{}), "now is the zero time")
	checkErr(t, storage.CheckListGrants(storage.PersistedGrantFilter{}, t0), "")
	checkErr(t, storage.CheckListGrants(storage.PersistedGrantFilter{}, time.Time{}), "now is the zero time")
	checkErr(t, storage.CheckDeleteGrants(storage.PersistedGrantFilter{}), "grant filter is empty")
	checkErr(t, storage.CheckDeleteGrants(storage.PersistedGrantFilter{SessionID: "sid"}), "")
	checkErr(t, storage.CheckDeleteGrants(storage.PersistedGrantFilter{Type: "x"}), `grant type "x"`)
}

func TestCheckSigningKey(t *testing.T) {
	k := storage.SigningKey{ID: "kid", Algorithm: "ES256", Data: []byte{0}, Created: t0}
	checkErr(t, storage.CheckSigningKey(k), "")
	k.Expires = t0.Add(time.Hour)
	k.Retires = t0.Add(2 * time.Hour) // unset Activates is skipped
	checkErr(t, storage.CheckSigningKey(k), `signing key "kid": expiry is before retirement`)
}

func TestCheckResources(t *testing.T) {
	checkErr(t, storage.CheckAPIScope(storage.APIScope{Name: "api"}), "")
	checkErr(t, storage.CheckAPIResource(storage.APIResource{Name: "api", Scopes: []string{"a", "a"}}), `resource scope "a" is listed twice`)
	checkErr(t, storage.CheckIdentityResource(storage.IdentityResource{Name: "email", Claims: []string{"email"}}), "")
}

func TestCheckSameKey(t *testing.T) {
	checkErr(t, storage.CheckSameKey("client id", "a", "a"), "")
	checkErr(t, storage.CheckSameKey("client id", "a", "b"), `client id cannot change from "a" to "b"`)
}
