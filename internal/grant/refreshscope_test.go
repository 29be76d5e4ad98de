package grant

import (
	"net/http"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/testsupport/stores"
)

// A scope removed from the client's allowed scopes since the user granted
// it is not granted again at refresh: left out when the refresh asks for
// no scope, invalid_scope when it asks for it. Otherwise an administrator
// could never take a scope back from a client short of revoking every
// refresh token.
func TestRefreshDropsLostScopes(t *testing.T) {
	t.Parallel()
	sf := newSignInFixture(t, stores.All[0].OpenOne(t, nil))
	res := sf.redeem(sf.code(t, "openid", "profile", "api1", "api2", "offline_access"))
	rt, _ := res.body["refresh_token"].(string)
	if res.status != http.StatusOK || rt == "" || res.body["scope"] != "openid profile api1 api2 offline_access" {
		t.Fatalf("code exchange: %d %v", res.status, res.body)
	}
	sf.web.Scopes = []string{"openid", "api1"}

	res = sf.refresh(rt, "")
	if res.status != http.StatusOK || res.body["scope"] != "openid api1 offline_access" {
		t.Fatalf("refresh after profile and api2 were taken from the client: %d %v; want scope openid api1 offline_access", res.status, res.body)
	}
	rt = res.body["refresh_token"].(string)
	res = sf.refresh(rt, "api2")
	if res.status != http.StatusBadRequest || res.body["error"] != "invalid_scope" {
		t.Fatalf("refresh asking for api2, taken from the client: %d %v; want invalid_scope", res.status, res.body)
	}
	// The refusal did not use the refresh token up.
	if res = sf.refresh(rt, "api1"); res.status != http.StatusOK || res.body["scope"] != "api1" {
		t.Fatalf("refresh asking for api1 after the refusal: %d %v", res.status, res.body)
	}
	rt = res.body["refresh_token"].(string)
	// Given back, a scope the user granted is granted again (the refresh
	// token keeps what the user granted).
	sf.web.Scopes = []string{"openid", "profile", "api1", "api2"}
	if res = sf.refresh(rt, ""); res.status != http.StatusOK || res.body["scope"] != "openid profile api1 api2 offline_access" {
		t.Fatalf("refresh after the scopes were given back: %d %v", res.status, res.body)
	}
}

// A client that requires a second factor (requireMfa) since a user signed
// in with one factor gets no more tokens from that sign-in's refresh
// token: invalid_grant, and the family is revoked, so the user signs in
// again with the second factor. Otherwise turning requireMfa on would
// leave every earlier one-factor sign-in refreshing for 30 days.
func TestRefreshRequireMFAAfterOneFactor(t *testing.T) {
	t.Parallel()
	sf := newSignInFixture(t, stores.All[0].OpenOne(t, nil))
	res := sf.redeem(sf.code(t, "openid", "offline_access"))
	rt, _ := res.body["refresh_token"].(string)
	if res.status != http.StatusOK || rt == "" {
		t.Fatalf("code exchange: %d %v", res.status, res.body)
	}
	sf.web.RequireMFA = true
	res = sf.refresh(rt, "")
	if res.status != http.StatusBadRequest || res.body["error"] != "invalid_grant" ||
		!strings.Contains(res.body["error_description"].(string), "requireMfa") {
		t.Fatalf("refresh of a one-factor sign-in at a requireMfa client: %d %v; want invalid_grant naming requireMfa", res.status, res.body)
	}
	// Taken back, requireMfa does not bring the revoked family back.
	sf.web.RequireMFA = false
	if res = sf.refresh(rt, ""); res.status != http.StatusBadRequest || res.body["error"] != "invalid_grant" {
		t.Fatalf("refresh after the refusal: %d %v; want invalid_grant (the family is revoked)", res.status, res.body)
	}
}
