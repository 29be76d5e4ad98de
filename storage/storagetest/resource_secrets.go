package storagetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// resourceSecretTests check what an API resource needs to authenticate at
// the introspection endpoint (issue 15): its hashed secrets, in order, its
// keys and how it is answered.
var resourceSecretTests = []test{
	{"SecretsRoundTrip", testResourceSecretsRoundTrip},
	{"SecretsReplaced", testResourceSecretsReplaced},
	{"SecretsInvalid", testResourceSecretsInvalid},
	{"SecretsDeletedWithResource", testResourceSecretsDeleted},
}

var resourceSecretCreated = time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC)

// sampleResourceWithSecrets is a resource with everything migration 0009
// added: three secrets (one expiring), answered as a JWT, with a JWKS.
func sampleResourceWithSecrets(name string) storage.APIResource {
	return storage.APIResource{
		Name:        name,
		DisplayName: "API " + name,
		Scopes:      []string{"orders.read"},
		Secrets: []storage.ClientSecret{
			{ID: "z", Hash: "hash-z", Description: "last in id order, first written", Created: resourceSecretCreated},
			{ID: "a", Hash: "hash-a", Created: resourceSecretCreated, Expires: resourceSecretCreated.Add(48 * time.Hour)},
			{ID: "m", Hash: "hash-m", Description: "ünïcode", Created: resourceSecretCreated.Add(time.Millisecond)},
		},
		IntrospectionResponse: storage.IntrospectionJWT,
		JWKS:                  []byte(`{"keys": [ ]}`),
		JWKSURI:               "https://api.example.com/jwks",
	}
}

func testResourceSecretsRoundTrip(t *testing.T, s storage.Store) {
	r := sampleResourceWithSecrets("https://api.example.com/orders")
	apiResourceKind.mustCreate(t, s, r)
	apiResourceKind.check(t, s, r.Name, r)
	// A resource without secrets next to it: the list keeps them apart.
	plain := apiResourceKind.sample("plain")
	apiResourceKind.mustCreate(t, s, plain)
	l, err := s.ListAPIResources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0].Name != r.Name || len(l[0].Secrets) != 3 || l[1].Name != "plain" || l[1].Secrets != nil ||
		l[1].JWKS != nil || l[1].IntrospectionResponse != storage.IntrospectionJSON {
		t.Fatalf("list = %+v; want %q with 3 secrets, then plain with none", l, r.Name)
	}
	if l[0].Secrets[0].ID != "z" || l[0].Secrets[2].ID != "m" {
		t.Errorf("listed secrets %+v; want the order written (z, a, m)", l[0].Secrets)
	}
}

func testResourceSecretsReplaced(t *testing.T, s storage.Store) {
	ctx := t.Context()
	r := sampleResourceWithSecrets("orders")
	apiResourceKind.mustCreate(t, s, r)
	// Removing one and adding one, as `signet resource secret` does.
	err := s.UpdateAPIResource(ctx, "orders", func(r *storage.APIResource) error {
		r.Secrets = append(r.Secrets[1:], storage.ClientSecret{ID: "new", Hash: "hash-new", Created: resourceSecretCreated})
		r.IntrospectionResponse = storage.IntrospectionJSON
		r.JWKS, r.JWKSURI = nil, ""
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.Secrets = append(r.Secrets[1:3:3], storage.ClientSecret{ID: "new", Hash: "hash-new", Created: resourceSecretCreated})
	want.IntrospectionResponse, want.JWKS, want.JWKSURI = "", nil, ""
	apiResourceKind.check(t, s, "orders", want)
	// All removed.
	if err := s.UpdateAPIResource(ctx, "orders", func(r *storage.APIResource) error { r.Secrets = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	want.Secrets = nil
	apiResourceKind.check(t, s, "orders", want)
	// An update refused by the checks leaves the secrets as they were.
	err = s.UpdateAPIResource(ctx, "orders", func(r *storage.APIResource) error {
		r.Secrets = []storage.ClientSecret{{ID: "x", Hash: "h"}}
		return nil
	})
	wantInvalid(t, "update with a secret without created time", err, `secret "x" has no created time`)
	apiResourceKind.check(t, s, "orders", want)
}

func testResourceSecretsInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var many []storage.ClientSecret
	for i := range storage.MaxSecrets + 1 {
		many = append(many, storage.ClientSecret{ID: fmt.Sprint(i), Hash: "h", Created: resourceSecretCreated})
	}
	with := func(change func(*storage.APIResource)) error {
		r := sampleResourceWithSecrets("r")
		change(&r)
		return s.CreateAPIResource(ctx, r)
	}
	tests := []struct {
		name string
		err  error
		msg  string
	}{
		{"secret id twice", with(func(r *storage.APIResource) { r.Secrets[1].ID = "z" }), `resource secret id "z" is used twice`},
		{"secret without hash", with(func(r *storage.APIResource) { r.Secrets[0].Hash = "" }), "client secret hash is empty"},
		{"secret expires before created", with(func(r *storage.APIResource) { r.Secrets[1].Expires = resourceSecretCreated }), `secret "a" expires at or before it was created`},
		{"too many secrets", with(func(r *storage.APIResource) { r.Secrets = many }), "resource has 101 secrets, over the limit of 100"},
		{"unknown introspection response", with(func(r *storage.APIResource) { r.IntrospectionResponse = "xml" }), `resource introspection response "xml" is not "jwt"`},
		{"JWKS not an object", with(func(r *storage.APIResource) { r.JWKS = []byte(`[]`) }), "resource JWKS is not a JSON object"},
		{"JWKS not JSON", with(func(r *storage.APIResource) { r.JWKS = []byte(`{`) }), "resource JWKS is not valid JSON"},
	}
	for _, tt := range tests {
		wantInvalid(t, tt.name, tt.err, tt.msg)
	}
	if l, err := s.ListAPIResources(ctx); len(l) != 0 || err != nil {
		t.Fatalf("after refused creates: %d resources (%v); want none", len(l), err)
	}
}

// testResourceSecretsDeleted checks that a resource deleted and created
// again under the same name does not get its old secrets back.
func testResourceSecretsDeleted(t *testing.T, s storage.Store) {
	ctx := t.Context()
	apiResourceKind.mustCreate(t, s, sampleResourceWithSecrets("orders"))
	if err := s.DeleteAPIResource(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	plain := apiResourceKind.sample("orders")
	apiResourceKind.mustCreate(t, s, plain)
	got, err := s.GetAPIResource(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if got.Secrets != nil {
		t.Errorf("secrets after delete and create = %+v; want none", got.Secrets)
	}
	if err := s.DeleteAPIResource(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAPIResource(ctx, "orders"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("get after delete = %v; want ErrNotFound", err)
	}
}
