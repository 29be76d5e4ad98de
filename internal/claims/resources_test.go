package claims

import (
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/storage"
)

func TestBuiltIn(t *testing.T) {
	t.Parallel()
	rs := mustNew(t)
	tests := []struct {
		name, display string
		claims        []string
		required      bool
	}{
		{"openid", "Your user identifier", []string{"sub"}, true},
		{"profile", "User profile", []string{"name", "family_name", "given_name", "middle_name", "nickname",
			"preferred_username", "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"}, false},
		{"email", "Your email address", []string{"email", "email_verified"}, false},
		{"address", "Your postal address", []string{"address"}, false},
		{"phone", "Your phone number", []string{"phone_number", "phone_number_verified"}, false},
		{"offline_access", "Offline access", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, ok := rs.Lookup(tc.name)
			if !ok {
				t.Fatalf("no built-in %q", tc.name)
			}
			if r.DisplayName != tc.display || !slices.Equal(r.Claims, tc.claims) || r.Required != tc.required || !r.BuiltIn {
				t.Errorf("Lookup(%q) = %+v, want display %q, claims %v, required %v, built in", tc.name, r, tc.display, tc.claims, tc.required)
			}
		})
	}
	if _, ok := rs.Lookup("api1"); ok {
		t.Error("Lookup(api1) found a resource")
	}
	if got := len(rs.List()); got != len(tests) {
		t.Errorf("List() has %d resources, want %d", got, len(tests))
	}
}

func TestNewCustom(t *testing.T) {
	t.Parallel()
	custom := storage.IdentityResource{Name: "org", DisplayName: "Organisation", Description: "Your team", Claims: []string{"department"}}
	rs := mustNew(t, custom)
	r, ok := rs.Lookup("org")
	if !ok || r.BuiltIn || r.DisplayName != "Organisation" || r.Description != "Your team" || !slices.Equal(r.Claims, []string{"department"}) {
		t.Fatalf("Lookup(org) = %+v, %v", r, ok)
	}
	list := rs.List()
	if last := list[len(list)-1]; last.Name != "org" {
		t.Errorf("List() ends with %q, want the custom org", last.Name)
	}
	// Callers cannot change the set through what it returns.
	r.Claims[0] = "role"
	list[0].Claims[0] = "x"
	if again, _ := rs.Lookup("org"); again.Claims[0] != "department" {
		t.Error("Lookup returned the set's own slice")
	}
	if again, _ := rs.Lookup("openid"); again.Claims[0] != "sub" {
		t.Error("List returned the set's own slice")
	}

	tests := []struct {
		name    string
		custom  []storage.IdentityResource
		wantErr string
	}{
		{"built-in name", []storage.IdentityResource{{Name: "profile", Claims: []string{"name"}}}, `"profile" is built in`},
		{"built-in offline_access", []storage.IdentityResource{{Name: "offline_access"}}, `"offline_access" is built in`},
		{"twice", []storage.IdentityResource{custom, custom}, `"org" is defined twice`},
		{"no name", []storage.IdentityResource{{DisplayName: "x"}}, "has no name"},
		{"reserved claim", []storage.IdentityResource{{Name: "bad", Claims: []string{"department", "nonce"}}}, `claim "nonce"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.custom)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestReserved(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"iss", "aud", "exp", "iat", "nonce", "auth_time", "at_hash", "sid", "amr", "azp", "acr", "c_hash", "sub"} {
		if !Reserved(c) {
			t.Errorf("Reserved(%q) = false", c)
		}
	}
	for _, c := range []string{"name", "email", "department"} {
		if Reserved(c) {
			t.Errorf("Reserved(%q) = true", c)
		}
	}
}
