package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/storage"
)

// wantErr checks err against want: "" for none, else a part of its message.
func wantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v, want no error", what, err)
	case want != "" && err == nil:
		t.Errorf("%s: no error, want %q", what, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: %v, want %q in it", what, err, want)
	}
}

func TestCheckIdentifiers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, id, want string
	}{
		{"plain", "orders-worker", ""},
		{"url", "https://api.example.com/orders", ""},
		{"empty", "", "the client id is empty"},
		{"space", "my app", `the client id "my app" has a space`},
		{"tab", "my\tapp", "has a space"},
		{"control", "a\x01b", "has a control character or invalid UTF-8"},
		{"invalid UTF-8", "a\xffb", "has a control character or invalid UTF-8"},
		{"too long", strings.Repeat("a", storage.MaxKeyLen+1), "bytes long; at most"},
		{"longest", strings.Repeat("a", storage.MaxKeyLen), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantErr(t, "CheckClientID", CheckClientID(tc.id), tc.want)
			wantErr(t, "CheckResourceName", CheckResourceName(tc.id), strings.ReplaceAll(tc.want, "client id", "resource name"))
		})
	}
}

func TestCheckScopeNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		scopes []string
		want   string
	}{
		{"none", nil, ""},
		{"printable ASCII", []string{"orders.read", "api:write", "a!#$%&'()*+,-./~"}, ""},
		{"empty", []string{""}, "a scope name is empty"},
		{"space", []string{"orders read"}, "scopes are separated by spaces"},
		{"quote", []string{`a"b`}, `scope "a\"b" has '"'`},
		{"backslash", []string{`a\b`}, `has '\\'`},
		{"non-ASCII", []string{"café"}, "printable ASCII without space"},
		{"DEL", []string{"a\x7f"}, "printable ASCII"},
		{"too long", []string{strings.Repeat("s", storage.MaxKeyLen+1)}, "at most"},
		{"twice", []string{"orders", "api1", "orders"}, `scope "orders" is given twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantErr(t, "CheckScopeNames", CheckScopeNames(tc.scopes), tc.want)
		})
	}
}

// The grant types a client may have are the token endpoint's: a type it
// does not implement is refused, whatever the file's validation knows.
func TestCheckGrantTypes(t *testing.T) {
	t.Parallel()
	supported := strings.Join(grant.GrantTypes, ", ")
	wantErr(t, "every supported type", CheckGrantTypes(grant.GrantTypes), "")
	wantErr(t, "none", CheckGrantTypes(nil), "a client needs at least one grant type (this version supports "+supported+")")
	wantErr(t, "password", CheckGrantTypes([]string{"password"}), `grant type "password" is not supported: this version supports `+supported)
	wantErr(t, "twice", CheckGrantTypes([]string{grant.GrantTypes[0], grant.GrantTypes[0]}), "is given twice")
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	wantErr(t, "longest", CheckText("--description", strings.Repeat("x", storage.MaxTextLen)), "")
	wantErr(t, "too long", CheckText("--description", strings.Repeat("x", storage.MaxTextLen+1)), "--description is 4097 bytes; at most 4096 are allowed")
	wantErr(t, "NUL", CheckText("--display-name", "a\x00b"), "--display-name has a NUL byte")
}

func TestScopeReferences(t *testing.T) {
	t.Parallel()
	known := []string{"api1", "orders"}
	wantErr(t, "known", CheckScopesKnown([]string{"orders"}, known), "")
	wantErr(t, "one unknown", CheckScopesKnown([]string{"orders", "nope"}, known),
		`scope "nope" is not defined (defined: api1, orders): define it first with signet scope add nope`)
	wantErr(t, "two unknown", CheckScopesKnown([]string{"nope", "nada"}, known), `scopes "nope", "nada" are not defined`)
	wantErr(t, "none defined", CheckScopesKnown([]string{"nope"}, nil), "none is defined yet")
	many := make([]string, 21)
	for i := range many {
		many[i] = strings.Repeat("s", i+1)
	}
	wantErr(t, "many defined", CheckScopesKnown([]string{"nope"}, many), "(signet scope list shows them)")

	// A change may keep a scope removed since (dangling), but not add an
	// unknown one.
	dangling, err := CheckScopeChange([]string{"api1", "gone"}, []string{"api1", "gone", "orders"}, known)
	if err != nil || !slices.Equal(dangling, []string{"gone"}) {
		t.Errorf("CheckScopeChange = %v, %v; want [gone], nil", dangling, err)
	}
	_, err = CheckScopeChange([]string{"api1"}, []string{"api1", "nope"}, known)
	wantErr(t, "an unknown scope added", err, `scope "nope" is not defined`)

	wantErr(t, "a resource without scopes", CheckResourceScopes("orders-api", nil),
		`the change leaves resource "orders-api" no scope: a resource keeps at least one`)
	wantErr(t, "a resource with a scope", CheckResourceScopes("orders-api", []string{"orders"}), "")
}

func TestEditScopes(t *testing.T) {
	t.Parallel()
	list := []string{"a", "b", "c"}
	got, err := EditScopes(`client "x"`, list, []string{"d", "a"}, []string{"b"})
	if err != nil || !slices.Equal(got, []string{"a", "c", "d"}) {
		t.Errorf("EditScopes = %v, %v; want [a c d]", got, err)
	}
	if !slices.Equal(list, []string{"a", "b", "c"}) {
		t.Errorf("the list given was changed: %v", list)
	}
	_, err = EditScopes(`client "x"`, list, nil, []string{"z"})
	wantErr(t, "removing a scope it lacks", err, `client "x" has no scope "z" to remove (it has a, b, c)`)
	_, err = EditScopes(`resource "r"`, nil, nil, []string{"z"})
	wantErr(t, "removing from none", err, "(it has none)")
}

func TestCanAuthenticate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	secret := func(expires time.Time) storage.ClientSecret {
		return storage.ClientSecret{ID: "s", Hash: "h", Created: now.AddDate(-1, 0, 0), Expires: expires}
	}
	tests := []struct {
		name string
		c    storage.Client
		want bool
	}{
		{"nothing", storage.Client{}, false},
		{"a secret without expiry", storage.Client{Secrets: []storage.ClientSecret{secret(time.Time{})}}, true},
		{"a secret expiring later", storage.Client{Secrets: []storage.ClientSecret{secret(now.Add(time.Second))}}, true},
		{"a secret expiring now", storage.Client{Secrets: []storage.ClientSecret{secret(now)}}, false},
		{"an expired secret", storage.Client{Secrets: []storage.ClientSecret{secret(now.Add(-time.Hour))}}, false},
		{"jwks", storage.Client{JWKS: []byte(`{"keys":[]}`)}, true},
		{"jwks uri", storage.Client{JWKSURI: "https://partner.example.com/jwks"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := CanAuthenticate(tc.c, now); got != tc.want {
				t.Errorf("CanAuthenticate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckAuthenticates(t *testing.T) {
	t.Parallel()
	now := time.Now()
	keys := storage.Client{ID: "partner", JWKSURI: "https://partner.example.com/jwks"}
	none := storage.Client{ID: "partner"}
	err := CheckAuthenticates(keys, none, now)
	var lockout *LockoutError
	if !errors.As(err, &lockout) || lockout.ClientID != "partner" || lockout.SecretID != "" {
		t.Fatalf("keys removed from a client without secrets: %v, want a *LockoutError for partner", err)
	}
	wantErr(t, "the lockout", err, `the change leaves client "partner" no way to authenticate (no unexpired secret, no keys), so it could get no more tokens: add a secret first (signet client secret add partner)`)
	// A client that could not authenticate before is not locked out by a
	// change: it was already.
	wantErr(t, "no way before either", CheckAuthenticates(none, none, now), "")
	wantErr(t, "keys kept", CheckAuthenticates(keys, keys, now), "")
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c := storage.Client{ID: "worker"}
	first, err := AddSecret(&c, "hash-1", "CI", now, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.ID) != 8 || first.Hash != "hash-1" || first.Description != "CI" || !first.Created.Equal(now) {
		t.Errorf("AddSecret = %+v", first)
	}
	expired, err := AddSecret(&c, "hash-2", "", now.AddDate(-1, 0, 0), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if expired.ID == first.ID || len(c.Secrets) != 2 {
		t.Fatalf("secrets %+v: want two, with distinct ids", c.Secrets)
	}

	err = RemoveSecret(&c, "00000000", now, false)
	wantErr(t, "an unknown secret", err, `client "worker" has no secret "00000000" (its secrets: `+first.ID+", "+expired.ID+"; signet client show worker lists them)")

	// The only unexpired secret is the last way to authenticate: kept,
	// unless forced.
	err = RemoveSecret(&c, first.ID, now, false)
	var lockout *LockoutError
	if !errors.As(err, &lockout) || lockout.SecretID != first.ID || lockout.ClientID != "worker" {
		t.Fatalf("removing the last unexpired secret: %v, want a *LockoutError", err)
	}
	wantErr(t, "the lockout", err, "secret "+first.ID+` is the last way client "worker" authenticates (no other unexpired secret, no keys): without it the client gets no more tokens. Add a new secret first (signet client secret add worker)`)
	if len(c.Secrets) != 2 {
		t.Errorf("a refused removal changed the client: %+v", c.Secrets)
	}
	// The expired one goes without a question.
	if err := RemoveSecret(&c, expired.ID, now, false); err != nil || len(c.Secrets) != 1 {
		t.Fatalf("removing an expired secret: %v, secrets %+v", err, c.Secrets)
	}
	if err := RemoveSecret(&c, first.ID, now, true); err != nil || len(c.Secrets) != 0 {
		t.Fatalf("forced: %v, secrets %+v", err, c.Secrets)
	}
	// A client with keys loses its last secret freely.
	k := storage.Client{ID: "partner", JWKSURI: "https://partner.example.com/jwks"}
	s, _ := AddSecret(&k, "h", "", now, time.Time{})
	if err := RemoveSecret(&k, s.ID, now, false); err != nil {
		t.Errorf("a client with keys: %v", err)
	}

	full := storage.Client{ID: "full"}
	for range storage.MaxSecrets {
		if _, err := AddSecret(&full, "h", "", now, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	for _, s := range full.Secrets {
		ids[s.ID] = true
	}
	if len(ids) != storage.MaxSecrets {
		t.Errorf("%d distinct ids among %d secrets", len(ids), storage.MaxSecrets)
	}
	_, err = AddSecret(&full, "h", "", now, time.Time{})
	wantErr(t, "one secret too many", err, `client "full" has 100 secrets, the most one client holds: remove old ones first`)
}
