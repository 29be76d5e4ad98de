package claims

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// alice has every standard claim, and two custom ones.
func alice() storage.User {
	return storage.User{
		ID: "u-1", Username: "Alice", Name: "Alice Liddell", Email: "alice@example.com", EmailVerified: true,
		Updated: time.Unix(1_700_000_000, 0),
		Claims: []byte(`{"given_name":"Alice","family_name":"Liddell","middle_name":"P","nickname":"Al",
			"profile":"https://example.com/alice","picture":"https://example.com/a.png","website":"https://alice.example",
			"gender":"female","birthdate":"1852-05-04","zoneinfo":"Europe/London","locale":"en-GB",
			"address":{"street_address":"1 Wonder Lane","locality":"Oxford","country":"UK"},
			"phone_number":"+44 1865 000000","phone_number_verified":"true",
			"department":"Looking glass","badge":42}`),
	}
}

func mustNew(t *testing.T, custom ...storage.IdentityResource) *Resources {
	t.Helper()
	rs, err := New(custom)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// roundTrip encodes claims as userinfo would and reads them back, so that
// the tests compare what a client receives.
func roundTrip(t *testing.T, claims map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUserInfoScopes(t *testing.T) {
	t.Parallel()
	rs := mustNew(t, storage.IdentityResource{Name: "org", DisplayName: "Your organisation", Claims: []string{"department"}})
	profile := map[string]any{
		"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell", "middle_name": "P", "nickname": "Al",
		"preferred_username": "Alice", "profile": "https://example.com/alice", "picture": "https://example.com/a.png",
		"website": "https://alice.example", "gender": "female", "birthdate": "1852-05-04", "zoneinfo": "Europe/London",
		"locale": "en-GB", "updated_at": float64(1_700_000_000),
	}
	with := func(ms ...map[string]any) map[string]any {
		out := map[string]any{"sub": "u-1"}
		for _, m := range ms {
			maps.Copy(out, m)
		}
		return out
	}
	email := map[string]any{"email": "alice@example.com", "email_verified": true}
	address := map[string]any{"address": map[string]any{"street_address": "1 Wonder Lane", "locality": "Oxford", "country": "UK"}}
	phone := map[string]any{"phone_number": "+44 1865 000000", "phone_number_verified": true}
	tests := []struct {
		name   string
		scopes []string
		want   map[string]any
	}{
		{"none", nil, with()},
		{"openid", []string{"openid"}, with()},
		{"profile", []string{"openid", "profile"}, with(profile)},
		{"email", []string{"openid", "email"}, with(email)},
		{"address", []string{"openid", "address"}, with(address)},
		{"phone", []string{"openid", "phone"}, with(phone)},
		{"offline_access", []string{"openid", "offline_access"}, with()},
		{"custom", []string{"openid", "org"}, with(map[string]any{"department": "Looking glass"})},
		{"all", []string{"openid", "profile", "email", "address", "phone", "offline_access", "org"},
			with(profile, email, address, phone, map[string]any{"department": "Looking glass"})},
		{"unknown and API scopes ignored", []string{"openid", "api1", "nope", "email"}, with(email)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := rs.UserInfo(alice(), tc.scopes)
			if err != nil {
				t.Fatal(err)
			}
			if got := roundTrip(t, got); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("UserInfo(%v) =\n%v\nwant\n%v", tc.scopes, got, tc.want)
			}
			id, err := rs.IDToken(alice(), tc.scopes)
			if err != nil {
				t.Fatal(err)
			}
			wantID := maps.Clone(tc.want)
			delete(wantID, "sub")
			if got := roundTrip(t, id); !reflect.DeepEqual(got, wantID) {
				t.Errorf("IDToken(%v) =\n%v\nwant\n%v", tc.scopes, got, wantID)
			}
		})
	}
}

func TestUserInfoRecordFields(t *testing.T) {
	t.Parallel()
	rs := mustNew(t)
	all := []string{"openid", "profile", "email"}
	tests := []struct {
		name string
		user storage.User
		want map[string]any
	}{
		{"record fields win over claims",
			storage.User{ID: "u", Name: "Record", Email: "r@example.com", EmailVerified: false,
				Claims: []byte(`{"name":"Claim","email":"c@example.com","email_verified":true}`)},
			map[string]any{"sub": "u", "name": "Record", "email": "r@example.com", "email_verified": false}},
		{"claims fill empty record fields",
			storage.User{ID: "u", Claims: []byte(`{"name":"Claim","email":"c@example.com","email_verified":"True"}`)},
			map[string]any{"sub": "u", "name": "Claim", "email": "c@example.com", "email_verified": true}},
		{"no email, no email_verified", storage.User{ID: "u", EmailVerified: true}, map[string]any{"sub": "u"}},
		{"preferred_username from username", storage.User{ID: "u", Username: "bob"},
			map[string]any{"sub": "u", "preferred_username": "bob"}},
		{"preferred_username claim overrides username",
			storage.User{ID: "u", Username: "bob", Claims: []byte(`{"preferred_username":"Bobby"}`)},
			map[string]any{"sub": "u", "preferred_username": "Bobby"}},
		{"updated_at from the record", storage.User{ID: "u", Updated: time.Unix(1234567890, 999)},
			map[string]any{"sub": "u", "updated_at": float64(1234567890)}},
		{"updated_at claim as a string", storage.User{ID: "u", Updated: time.Unix(5, 0), Claims: []byte(`{"updated_at":"1700000000"}`)},
			map[string]any{"sub": "u", "updated_at": float64(1700000000)}},
		{"reserved claims never taken from claims",
			storage.User{ID: "u", Claims: []byte(`{"sub":"mallory","iss":"https://evil","aud":"x","nonce":"n","amr":["otp"],"acr":"1"}`)},
			map[string]any{"sub": "u"}},
		{"unlisted claims not passed", storage.User{ID: "u", Claims: []byte(`{"department":"x","role":"admin"}`)},
			map[string]any{"sub": "u"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := rs.UserInfo(tc.user, all)
			if err != nil {
				t.Fatal(err)
			}
			if got := roundTrip(t, got); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("UserInfo =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      map[string]any
		wantErr   string
	}{
		{"empty", "", map[string]any{}, ""},
		{"empty object", "{}", map[string]any{}, ""},
		{"booleans kept", `{"email_verified":false,"phone_number_verified":true}`,
			map[string]any{"email_verified": false, "phone_number_verified": true}, ""},
		{"boolean strings converted", `{"email_verified":"false","phone_number_verified":" TRUE "}`,
			map[string]any{"email_verified": false, "phone_number_verified": true}, ""},
		{"bad boolean", `{"email_verified":"yes"}`, nil, `email_verified is "yes": give true or false`},
		{"number as boolean", `{"phone_number_verified":1}`, nil, "phone_number_verified is 1"},
		{"updated_at number", `{"updated_at":1700000000}`, map[string]any{"updated_at": int64(1700000000)}, ""},
		{"updated_at string", `{"updated_at":"42"}`, map[string]any{"updated_at": int64(42)}, ""},
		{"updated_at fraction", `{"updated_at":1.5}`, nil, "updated_at is 1.5: give the time as whole seconds"},
		{"updated_at date", `{"updated_at":"2024-01-01"}`, nil, "updated_at is \"2024-01-01\""},
		{"address object", `{"address":{"locality":"Oxford","postal_code":"OX1"}}`,
			map[string]any{"address": map[string]any{"locality": "Oxford", "postal_code": "OX1"}}, ""},
		{"address text", `{"address":"1 Wonder Lane, Oxford"}`,
			map[string]any{"address": map[string]any{"formatted": "1 Wonder Lane, Oxford"}}, ""},
		{"address as JSON text (IdentityServer)", `{"address":"{\"street_address\":\"One Hacker Way\",\"country\":\"Germany\"}"}`,
			map[string]any{"address": map[string]any{"street_address": "One Hacker Way", "country": "Germany"}}, ""},
		{"address bad JSON text", `{"address":"{not json"}`, nil, "starts as a JSON object but is not one"},
		{"address number", `{"address":7}`, nil, "address is 7: give an object"},
		{"big number kept exactly", `{"badge":12345678901234567890}`, map[string]any{"badge": json.Number("12345678901234567890")}, ""},
		{"not an object", `["a"]`, nil, "not a JSON object"},
		{"null", `null`, nil, "null"},
		{"two values", `{} {}`, nil, "more than one JSON value"},
		{"broken", `{"a":`, nil, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode([]byte(tc.raw))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Decode(%s) error = %v, want one containing %q", tc.raw, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decode(%s) = %#v, want %#v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestUserInfoBadClaims(t *testing.T) {
	t.Parallel()
	_, err := mustNew(t).UserInfo(storage.User{ID: "u-9", Claims: []byte(`{"email_verified":"maybe"}`)}, []string{"openid"})
	if err == nil || !strings.Contains(err.Error(), `user "u-9"`) || !strings.Contains(err.Error(), "signet user update") {
		t.Fatalf("error = %v, want one naming the user and how to fix it", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"email_verified":"true"}`, `{"updated_at":"12"}`,
		`{"address":"{\"a\":1}"}`, `{"address":"x"}`, `{"phone_number_verified":false,"n":1e400}`, `[1]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Decode(raw)
		if err != nil {
			return
		}
		for _, name := range []string{"email_verified", "phone_number_verified"} {
			if v, ok := got[name]; ok {
				if _, ok := v.(bool); !ok {
					t.Fatalf("%s = %#v, want a bool", name, v)
				}
			}
		}
		if v, ok := got["updated_at"]; ok {
			if _, ok := v.(int64); !ok {
				t.Fatalf("updated_at = %#v, want an int64", v)
			}
		}
		if v, ok := got["address"]; ok {
			if _, ok := v.(map[string]any); !ok {
				t.Fatalf("address = %#v, want an object", v)
			}
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("decoded claims do not encode: %v", err)
		}
	})
}
