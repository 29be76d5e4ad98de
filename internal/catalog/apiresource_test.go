package catalog

import (
	"errors"
	"testing"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// TestAPIResource checks the API resources the introspection endpoint
// reads: the file's and the database's, with their credentials parsed, a
// conflicting one left to the file, and an unknown one refused.
func TestAPIResource(t *testing.T) {
	t.Parallel()
	const plain = "an-api-secret-long-enough"
	static := fileStatic()
	static.Resources[0].Secrets = []storage.ClientSecret{{Hash: secret.Hash(plain)}}
	static.Resources[0].IntrospectionResponse = storage.IntrospectionJWT
	db := memory.New(memory.Options{})
	for _, r := range []storage.APIResource{
		{Name: "db-api", Scopes: []string{"db"}, Secrets: []storage.ClientSecret{{ID: "s", Hash: secret.Hash(plain), Created: time.Now()}},
			JWKSURI: "https://db-api.example.com/jwks"},
		{Name: "https://api1.example.com", Scopes: []string{"other"}},
		{Name: "broken", Secrets: []storage.ClientSecret{{ID: "s", Hash: "not-a-hash", Created: time.Now()}}},
	} {
		if err := db.CreateAPIResource(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	c := New(static, db, nil)
	if _, err := c.APIResource(t.Context(), "db-api"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("before Load: %v; want storage.ErrUnavailable", err)
	}
	if err := c.Load(t.Context()); err == nil {
		t.Fatal("Load with a conflicting resource: no error")
	}
	file, err := c.APIResource(t.Context(), "https://api1.example.com")
	if err != nil || !file.JWTResponse || file.Scopes[0] != "api1" || file.Client == nil || file.Client.ID != file.Name ||
		len(file.Client.Secrets) != 1 || !file.Client.Secrets[0].Hash.Verify(plain) {
		t.Errorf("the file's resource: %+v, %v", file, err)
	}
	dbr, err := c.APIResource(t.Context(), "db-api")
	if err != nil || dbr.JWTResponse || dbr.Client == nil || dbr.Client.KeysURI != "https://db-api.example.com/jwks" || len(dbr.Client.Secrets) != 1 {
		t.Errorf("the database's resource: %+v, %v", dbr, err)
	}
	if br, err := c.APIResource(t.Context(), "broken"); err != nil || br.Client != nil {
		t.Errorf("a resource whose secret does not parse: %+v, %v; want it without credentials", br, err)
	}
	if _, err := c.APIResource(t.Context(), "nope"); !errors.Is(err, client.ErrUnknown) {
		t.Errorf("unknown: %v; want client.ErrUnknown", err)
	}
}
