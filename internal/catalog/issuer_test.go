package catalog

import (
	"strings"
	"testing"

	"github.com/signetid/signet/storage"
)

// With no issuer configured, each load logs one error naming the
// database's private_key_jwt clients (not the file's, refused at
// startup); the clients are loaded, for the token path to refuse. With an
// issuer, nothing is logged.
func TestKeyClientsWithoutIssuerLogged(t *testing.T) {
	t.Parallel()
	keys := []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","kid":"k1"}]}`)
	keysB, keysA, uri := dbClient("keys-b"), dbClient("keys-a"), dbClient("keys-uri")
	keysB.Secrets, keysB.JWKS = nil, keys
	keysA.Secrets, keysA.JWKS = nil, keys
	uri.Secrets, uri.JWKSURI = nil, "https://client.example.com/jwks"
	db := dbWith(t, keysB, keysA, uri, dbClient("secret-only"))
	static := Static{Clients: map[string]storage.Client{"file-keys": {ID: "file-keys", JWKSURI: "https://x.example.com/jwks"}}}

	var logs strings.Builder
	c := New(static, db, newTextLogger(&logs))
	mustLoad(t, c)
	mustLoad(t, c)
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 2 {
		t.Errorf("%d ERROR lines for two loads; want one each:\n%s", n, out)
	}
	if !strings.Contains(out, `clients=3 client_ids="keys-a keys-b keys-uri"`) || !strings.Contains(out, "needs a configured issuer") || !strings.Contains(out, "issuer is set to the URL clients use") {
		t.Errorf("the error does not name the three clients and say to set issuer:\n%s", out)
	}
	if !hasClient(c, "keys-a") {
		t.Error("a private_key_jwt client is not loaded: the token path would call it unknown")
	}

	logs.Reset()
	static.IssuerConfigured = true
	mustLoad(t, New(static, db, newTextLogger(&logs)))
	if logs.Len() != 0 {
		t.Errorf("with an issuer configured, the load logged:\n%s", logs.String())
	}
}
