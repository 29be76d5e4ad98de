package federation_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
)

var kek = bytes.Repeat([]byte{7}, 32)

func TestRecordSealsTheSecret(t *testing.T) {
	t.Parallel()
	s := federation.Settings{Name: "entra", Type: federation.TypeEntra, Tenant: "organizations", ClientID: "app", ClientSecret: "the-secret",
		ClaimMappings: map[string]string{"dept": "department"}, AutoProvision: true}
	rec, err := s.Record(kek)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.Settings), "the-secret") || storage.CheckExternalProvider(rec) != nil {
		t.Fatalf("record %s", rec.Settings)
	}
	got, err := federation.FromRecord(rec, kek)
	if err != nil || got.ClientSecret != "the-secret" || !got.AutoProvision || got.ClaimMappings["dept"] != "department" || got.Source != "database" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	// Another provider's row cannot take the sealed secret along.
	moved := rec
	moved.Name = "other"
	if _, err := federation.FromRecord(moved, kek); err == nil {
		t.Error("a sealed secret moved to another provider opened")
	}
	if _, err := federation.FromRecord(rec, nil); err == nil {
		t.Error("no key-encryption key: want an error")
	}
	if d, err := federation.Describe(rec); err != nil || d.ClientSecret != "" || len(d.SealedClientSecret) == 0 {
		t.Errorf("Describe %+v, %v", d, err)
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    federation.Settings
		want string
	}{
		{federation.Settings{Name: "a b", Type: "oidc", ClientID: "x", Authority: "https://x"}, "provider name"},
		{federation.Settings{Name: "e", Type: "entra", ClientID: "x", ClientSecret: "s"}, "tenant is required"},
		{federation.Settings{Name: "e", Type: "entra", ClientID: "x", ClientSecret: "s", Tenant: "contoso.com"}, "a domain name is not accepted"},
		{federation.Settings{Name: "g", Type: "google", ClientID: "x"}, "clientSecret is required"},
		{federation.Settings{Name: "o", Type: "oidc", ClientID: "x"}, "authority is required"},
		{federation.Settings{Name: "o", Type: "saml", ClientID: "x"}, "use one of"},
		{federation.Settings{Name: "o", Type: "oidc", ClientID: "x", Authority: "https://x", ClaimMappings: map[string]string{"sub": "oid"}}, "protocol claim"},
	} {
		if p := strings.Join(tc.s.Problems(), "; "); !strings.Contains(p, tc.want) {
			t.Errorf("%+v: problems %q, want %q", tc.s, p, tc.want)
		}
	}
	ok := federation.Settings{Name: "o", Type: "oidc", ClientID: "x", Authority: "https://x"}
	if p := ok.Problems(); len(p) != 0 {
		t.Errorf("a public oidc client: %v", p)
	}
}

func TestMergeConflicts(t *testing.T) {
	t.Parallel()
	file := []federation.Settings{{Name: "a"}, {Name: "b"}}
	db := []federation.Settings{{Name: "b", Source: "database"}, {Name: "c"}}
	got, conflicts := federation.Merge(file, db)
	if names := []string{got[0].Name, got[1].Name, got[2].Name}; !reflect.DeepEqual(names, []string{"a", "b", "c"}) || got[1].Source != "" || !reflect.DeepEqual(conflicts, []string{"b"}) {
		t.Errorf("merged %+v, conflicts %v", got, conflicts)
	}
}

// fakeStore is a database of providers.
type fakeStore struct {
	version int64
	recs    []storage.ExternalProvider
}

func (f *fakeStore) ConfigVersion(context.Context) (int64, error) { return f.version, nil }
func (f *fakeStore) ListExternalProviders(context.Context) ([]storage.ExternalProvider, error) {
	return f.recs, nil
}

func TestLoaderLoads(t *testing.T) {
	t.Parallel()
	rec, err := (&federation.Settings{Name: "db", Type: "google", ClientID: "x", ClientSecret: "s"}).Record(kek)
	if err != nil {
		t.Fatal(err)
	}
	dup, _ := (&federation.Settings{Name: "file", Type: "google", ClientID: "y", ClientSecret: "s"}).Record(kek)
	reg := federation.NewRegistry(federation.Options{})
	l := &federation.Loader{Registry: reg, Source: federation.Source{
		File:  []federation.Settings{{Name: "file", Type: "google", ClientID: "f", ClientSecret: "s"}},
		Store: &fakeStore{version: 1, recs: []storage.ExternalProvider{rec, dup}},
		KEK:   func() ([]byte, error) { return kek, nil },
	}}
	var conflict *federation.ConflictError
	if err := l.Load(t.Context()); !errors.As(err, &conflict) || conflict.Names[0] != "file" {
		t.Fatalf("Load: %v, want a conflict on file", err)
	}
	list := reg.List()
	if len(list) != 2 || list[0].ClientID != "f" || list[1].Name != "db" || list[1].ClientSecret != "s" {
		t.Errorf("providers %+v", list)
	}
	s, rp, ok, err := reg.Get("https://id.example", "db")
	if !ok || err != nil || rp == nil || s.Name != "db" {
		t.Fatalf("Get: %v %v %v", ok, err, rp)
	}
	if _, rp2, _, _ := reg.Get("https://id.example", "db"); rp2 != rp {
		t.Error("the relying party of one issuer is not kept")
	}
	if _, _, ok, _ := reg.Get("https://id.example", "nope"); ok {
		t.Error("an unknown provider was found")
	}
}

// TestBuildPresets: the presets' authorities and the redirect URI.
func TestBuildPresets(t *testing.T) {
	t.Parallel()
	for _, s := range []federation.Settings{
		{Name: "g", Type: "google", ClientID: "x", ClientSecret: "s"},
		{Name: "e", Type: "entra", Tenant: "common", ClientID: "x", ClientSecret: "s"},
		{Name: "h", Type: "github", ClientID: "x", ClientSecret: "s"},
	} {
		rp, err := federation.Build(&s, "https://id.example"+federation.CallbackPath(s.Name), nil)
		if err != nil {
			t.Fatalf("%s: %v", s.Type, err)
		}
		switch s.Type {
		case "github":
			if _, ok := rp.(*upstream.GitHubProvider); !ok {
				t.Errorf("github: %T", rp)
			}
		default:
			if _, ok := rp.(*upstream.Provider); !ok {
				t.Errorf("%s: %T", s.Type, rp)
			}
		}
	}
	if _, err := federation.Build(&federation.Settings{Name: "o", Type: "oidc", ClientID: "x", Authority: "http://idp.example"}, "https://id.example/cb", nil); err == nil {
		t.Error("http authority off loopback accepted")
	}
}

func TestMapClaims(t *testing.T) {
	t.Parallel()
	got := federation.MapClaims(map[string]string{"dept": "department", "name": "displayName"}, map[string]any{
		"sub": "s", "name": "N", "displayName": "Display N", "email": "e@x", "email_verified": true,
		"department": "R&D", "huge": strings.Repeat("x", 5000), "picture": strings.Repeat("x", 5000), "nonce": "n",
	})
	want := map[string]any{"name": "Display N", "email": "e@x", "email_verified": true, "dept": "R&D"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MapClaims = %v, want %v", got, want)
	}
}

// TestMapClaimsVerifiedFlags: the upstream's email_verified speaks for its
// email claim only. A mapping that takes the email from another claim
// (say upn) without mapping email_verified too leaves the email
// unverified; the same for phone_number.
func TestMapClaimsVerifiedFlags(t *testing.T) {
	t.Parallel()
	up := map[string]any{"email": "real@x", "email_verified": true, "upn": "boss@victim.example", "checked": true,
		"phone_number": "+1", "phone_number_verified": true, "mobile": "+2"}
	for _, tc := range []struct {
		name     string
		mappings map[string]string
		want     map[string]any
	}{
		{"no mapping", nil, map[string]any{"email": "real@x", "email_verified": true, "phone_number": "+1", "phone_number_verified": true}},
		{"email from upn", map[string]string{"email": "upn", "phone_number": "mobile"},
			map[string]any{"email": "boss@victim.example", "phone_number": "+2"}},
		{"email and its flag mapped", map[string]string{"email": "upn", "email_verified": "checked"},
			map[string]any{"email": "boss@victim.example", "email_verified": true, "phone_number": "+1", "phone_number_verified": true}},
	} {
		if got := federation.MapClaims(tc.mappings, up); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: MapClaims = %v, want %v", tc.name, got, tc.want)
		}
	}
}
