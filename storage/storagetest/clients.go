package storagetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// clientTests are the client's own tests, beyond kindTests.
var clientTests = []test{
	{"TimesInUTC", testClientTimesUTC},
	{"Secrets", testClientSecrets},
	{"JWKSExact", testClientJWKS},
	{"ClaimsExact", testClientClaims},
	{"Flags", testClientFlags},
	{"ConcurrentSecretAdds", testConcurrentSecretAdds},
	{"Invalid", testClientInvalid},
}

func mustGetClient(t *testing.T, s storage.Store, id string) storage.Client {
	t.Helper()
	c, err := s.GetClient(t.Context(), id)
	if err != nil {
		t.Fatalf("GetClient(%q): %v", id, err)
	}
	return c
}

// within fails t unless got is a stored time between from and to, with some
// slack for a store that takes the database server's clock.
func within(t *testing.T, what string, got, from, to time.Time) {
	t.Helper()
	const slack = 5 * time.Second
	if got.Before(instant(from).Add(-slack)) || got.After(to.Add(slack)) {
		t.Errorf("%s = %v, want between %v and %v", what, got, from, to)
	}
}

// testClientTimesUTC checks that every time comes back in UTC, to the
// millisecond (truncated), and a zero time as zero.
func testClientTimesUTC(t *testing.T, s storage.Store) {
	in := sampleClient("c")
	in.Secrets[0].Created = time.Date(2030, 1, 2, 3, 4, 5, 999_999_999, time.FixedZone("west", -7*3600))
	in.Secrets[0].Expires = in.Secrets[0].Created.Add(time.Nanosecond) // after Created, the same millisecond
	in.Secrets[1].Expires = time.Time{}
	if err := s.CreateClient(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	for _, c := range []storage.Client{mustGetClient(t, s, "c"), listed(t, s)[0]} {
		checkUTC(t, "Created", c.Created, c.Created)
		checkUTC(t, "Updated", c.Updated, c.Updated)
		if len(c.Secrets) != 2 {
			t.Fatalf("%d secrets, want 2", len(c.Secrets))
		}
		checkUTC(t, "secret Created", c.Secrets[0].Created, in.Secrets[0].Created)
		checkUTC(t, "secret Expires", c.Secrets[0].Expires, in.Secrets[0].Expires)
		if !c.Secrets[1].Expires.IsZero() {
			t.Errorf("secret Expires = %v, want zero (never)", c.Secrets[1].Expires)
		}
	}
}

func listed(t *testing.T, s storage.Store) []storage.Client {
	t.Helper()
	cs, err := s.ListClients(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// checkUTC fails t unless got is want as a store keeps it: in UTC, truncated
// to the millisecond.
func checkUTC(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s in %v, want UTC", what, got.Location())
	}
	if !got.Equal(instant(want)) {
		t.Errorf("%s = %v, want %v (the millisecond of %v)", what, got, instant(want), want)
	}
}

// testClientSecrets checks that secrets round-trip field by field and in
// order, and that an update function adds and removes them.
func testClientSecrets(t *testing.T, s storage.Store) {
	ctx := t.Context()
	in := sampleClient("c")
	in.Secrets = nil
	for _, id := range []string{"b", "c", "a"} {
		in.Secrets = append(in.Secrets, storage.ClientSecret{ID: id, Hash: "hash-" + id, Description: "secret " + id, Created: base})
	}
	if err := s.CreateClient(ctx, in); err != nil {
		t.Fatal(err)
	}
	clientKind.check(t, s, "c", in)

	// Remove one, add one.
	if err := s.UpdateClient(ctx, "c", func(c *storage.Client) error {
		c.Secrets = slices.DeleteFunc(c.Secrets, func(s storage.ClientSecret) bool { return s.ID == "c" })
		c.Secrets = append(c.Secrets, storage.ClientSecret{ID: "d", Hash: "hash-d", Created: base.Add(time.Hour), Expires: base.Add(2 * time.Hour)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got := mustGetClient(t, s, "c")
	var ids []string
	for _, sec := range got.Secrets {
		ids = append(ids, sec.ID)
	}
	if fmt.Sprint(ids) != "[b a d]" {
		t.Fatalf("secret ids = %v, want [b a d] (in the order written)", ids)
	}
	d := got.Secrets[2]
	if d.Hash != "hash-d" || d.Description != "" || !d.Created.Equal(instant(base.Add(time.Hour))) || !d.Expires.Equal(instant(base.Add(2*time.Hour))) {
		t.Errorf("secret d = %+v", d)
	}

	// A duplicate id is refused and writes nothing.
	err := s.UpdateClient(ctx, "c", func(c *storage.Client) error {
		c.Secrets = append(c.Secrets, storage.ClientSecret{ID: "a", Hash: "other", Created: base})
		return nil
	})
	wantInvalid(t, "UpdateClient with a duplicate secret id", err, `client secret id "a" is used twice`)
	if n := len(mustGetClient(t, s, "c").Secrets); n != 3 {
		t.Errorf("%d secrets after a refused update, want 3", n)
	}

	// All removed.
	if err := s.UpdateClient(ctx, "c", func(c *storage.Client) error {
		c.Secrets = nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(mustGetClient(t, s, "c").Secrets); n != 0 {
		t.Errorf("%d secrets after removing all, want 0", n)
	}
}

// testClientJWKS checks that a JWKS comes back byte for byte, and that none
// comes back empty.
func testClientJWKS(t *testing.T, s storage.Store) {
	ctx := t.Context()
	with := sampleClient("with")
	without := sampleClient("without")
	without.JWKS, without.JWKSURI = nil, "https://client.example/jwks"
	for _, c := range []storage.Client{with, without} {
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustGetClient(t, s, "with").JWKS; !bytes.Equal(got, []byte(jwks)) {
		t.Errorf("JWKS = %q, want exactly %q", got, jwks)
	}
	got := mustGetClient(t, s, "without")
	if len(got.JWKS) != 0 || got.JWKSURI != "https://client.example/jwks" {
		t.Errorf("JWKS, JWKSURI = %q, %q; want none and the URI", got.JWKS, got.JWKSURI)
	}
}

// testClientClaims checks that claims come back byte for byte, and that none
// come back empty.
func testClientClaims(t *testing.T, s storage.Store) {
	ctx := t.Context()
	with := sampleClient("with")
	without := sampleClient("without")
	without.Claims = []byte{}
	for _, c := range []storage.Client{with, without} {
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustGetClient(t, s, "with").Claims; !bytes.Equal(got, []byte(claims)) {
		t.Errorf("Claims = %q, want exactly %q", got, claims)
	}
	if got := mustGetClient(t, s, "without").Claims; len(got) != 0 {
		t.Errorf("Claims = %q, want none", got)
	}
}

// testClientFlags checks that Disabled and Public are kept apart, each way,
// through creates and updates.
func testClientFlags(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, f := range []struct{ disabled, public bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		id := fmt.Sprintf("c-%t-%t", f.disabled, f.public)
		in := sampleClient(id)
		in.Disabled, in.Public = f.disabled, f.public
		if err := s.CreateClient(ctx, in); err != nil {
			t.Fatal(err)
		}
		if got := mustGetClient(t, s, id); got.Disabled != f.disabled || got.Public != f.public {
			t.Errorf("created %s: Disabled, Public = %t, %t; want %t, %t", id, got.Disabled, got.Public, f.disabled, f.public)
		}
		if err := s.UpdateClient(ctx, id, func(c *storage.Client) error {
			c.Disabled, c.Public = !c.Disabled, !c.Public
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := mustGetClient(t, s, id); got.Disabled == f.disabled || got.Public == f.public {
			t.Errorf("updated %s: Disabled, Public = %t, %t; want %t, %t", id, got.Disabled, got.Public, !f.disabled, !f.public)
		}
	}
}

// testConcurrentSecretAdds checks that concurrent updates lose nothing: each
// of 16 goroutines adds one secret to the same client.
func testConcurrentSecretAdds(t *testing.T, s storage.Store) {
	in := sampleClient("c")
	in.Secrets = nil
	if err := s.CreateClient(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	addSecrets(t, func(int) storage.Store { return s }, "c", 16)
}

// addSecrets adds n secrets to client id from n goroutines, the i-th through
// store(i), and checks that all are there.
func addSecrets(t *testing.T, store func(i int) storage.Store, id string, n int) {
	t.Helper()
	errs := race(n, func(i int) error {
		return store(i).UpdateClient(t.Context(), id, func(c *storage.Client) error {
			c.Secrets = append(c.Secrets, storage.ClientSecret{ID: fmt.Sprintf("s%02d", i), Hash: "h", Created: base})
			return nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got := mustGetClient(t, store(0), id)
	var ids []string
	for _, sec := range got.Secrets {
		ids = append(ids, sec.ID)
	}
	slices.Sort(ids)
	if distinct := slices.Compact(slices.Clone(ids)); len(ids) != n || len(distinct) != n {
		t.Errorf("after %d concurrent adds the client has secrets %v, want %d distinct", n, ids, n)
	}
}

func testClientInvalid(t *testing.T, s storage.Store) {
	long := strings.Repeat("x", storage.MaxTextLen+1)
	clientKind.testInvalid(t, s, []invalid[storage.Client]{
		{"empty id", func(c *storage.Client) { c.ID = "" }, "client id is empty"},
		{"long name", func(c *storage.Client) { c.Name = long }, "client name is 4097 bytes, over the limit of 4096"},
		{"nul in name", func(c *storage.Client) { c.Name = "a\x00" }, "client name contains a NUL byte"},
		{"invalid utf-8 name", func(c *storage.Client) { c.Name = "\xc3\x28" }, "client name is not valid UTF-8"},
		{"too many secrets", func(c *storage.Client) {
			c.Secrets = nil
			for i := range storage.MaxSecrets + 1 {
				c.Secrets = append(c.Secrets, storage.ClientSecret{ID: fmt.Sprint(i), Hash: "h", Created: base})
			}
		}, "client has 101 secrets, over the limit of 100"},
		{"duplicate secret id", func(c *storage.Client) { c.Secrets[1].ID = c.Secrets[0].ID }, `client secret id "s2" is used twice`},
		{"empty secret id", func(c *storage.Client) { c.Secrets[0].ID = "" }, "client secret id is empty"},
		{"empty secret hash", func(c *storage.Client) { c.Secrets[0].Hash = "" }, "client secret hash is empty"},
		{"nul in secret description", func(c *storage.Client) { c.Secrets[0].Description = "\x00" }, "client secret description contains a NUL byte"},
		{"secret without created", func(c *storage.Client) { c.Secrets[0].Created = time.Time{} }, `client secret "s2" has no created time`},
		{"secret expires at created", func(c *storage.Client) { c.Secrets[0].Expires = c.Secrets[0].Created }, `client secret "s2" expires at or before it was created`},
		{"too many scopes", func(c *storage.Client) {
			c.Scopes = nil
			for i := range storage.MaxListLen + 1 {
				c.Scopes = append(c.Scopes, fmt.Sprint("s", i))
			}
		}, "1001 entries of client scope, over the limit of 1000"},
		{"duplicate scope", func(c *storage.Client) { c.Scopes = append(c.Scopes, "openid") }, `client scope "openid" is listed twice`},
		{"empty scope", func(c *storage.Client) { c.Scopes = append(c.Scopes, "") }, "client scope is empty"},
		{"long scope", func(c *storage.Client) { c.Scopes = append(c.Scopes, long[:storage.MaxKeyLen+1]) }, "client scope is 513 bytes"},
		{"empty grant type", func(c *storage.Client) { c.GrantTypes = []string{""} }, "client grant type is empty"},
		{"duplicate grant type", func(c *storage.Client) { c.GrantTypes = []string{"a", "a"} }, `client grant type "a" is listed twice`},
		{"negative lifetime", func(c *storage.Client) { c.AccessTokenLifetime = -time.Second }, "client access token lifetime -1s is negative"},
		{"fractional lifetime", func(c *storage.Client) { c.AccessTokenLifetime = 1500 * time.Millisecond }, "client access token lifetime 1.5s is not a whole number of seconds"},
		{"negative identity token lifetime", func(c *storage.Client) { c.IdentityTokenLifetime = -time.Second }, "client identity token lifetime -1s is negative"},
		{"negative code lifetime", func(c *storage.Client) { c.AuthorizationCodeLifetime = -time.Minute }, "client authorization code lifetime -1m0s is negative"},
		{"negative absolute refresh lifetime", func(c *storage.Client) { c.AbsoluteRefreshTokenLifetime = -time.Hour }, "client absolute refresh token lifetime -1h0m0s is negative"},
		{"fractional sliding refresh lifetime", func(c *storage.Client) { c.SlidingRefreshTokenLifetime = time.Hour + time.Millisecond }, "client sliding refresh token lifetime 1h0m0.001s is not a whole number of seconds"},
		{"unknown access token type", func(c *storage.Client) { c.AccessTokenType = "Opaque" }, `client access token type "Opaque" is not one of Jwt, Reference`},
		{"access token type in another case", func(c *storage.Client) { c.AccessTokenType = "reference" }, `client access token type "reference" is not one of Jwt, Reference`},
		{"unknown refresh token usage", func(c *storage.Client) { c.RefreshTokenUsage = "OneTime" }, `client refresh token usage "OneTime" is not one of OneTimeOnly, ReUse`},
		{"refresh token usage in another case", func(c *storage.Client) { c.RefreshTokenUsage = "reuse" }, `client refresh token usage "reuse" is not one of OneTimeOnly, ReUse`},
		{"unknown refresh token expiration", func(c *storage.Client) { c.RefreshTokenExpiration = "Never" }, `client refresh token expiration "Never" is not one of Absolute, Sliding`},
		{"relative client URI", func(c *storage.Client) { c.ClientURI = "/about" }, `client URI "/about" is not an absolute URI`},
		{"client URI without host", func(c *storage.Client) { c.ClientURI = "https:///about" }, `client URI "https:///about" is not an absolute URI`},
		{"relative logo URI", func(c *storage.Client) { c.LogoURI = "logo.png" }, `client logo URI "logo.png" is not an absolute URI`},
		{"long logo URI", func(c *storage.Client) { c.LogoURI = "https://a.example/" + long }, "client logo URI is 4115 bytes"},
		{"empty identity token algorithm", func(c *storage.Client) { c.AllowedIdentityTokenSigningAlgorithms = []string{""} }, "client identity token signing algorithm is empty"},
		{"duplicate identity token algorithm", func(c *storage.Client) { c.AllowedIdentityTokenSigningAlgorithms = []string{"RS256", "RS256"} }, `client identity token signing algorithm "RS256" is listed twice`},
		{"JWKS not JSON", func(c *storage.Client) { c.JWKS = []byte(`{"keys":`) }, "client JWKS is not valid JSON"},
		{"JWKS an array", func(c *storage.Client) { c.JWKS = []byte(` [{"kty":"EC"}]`) }, "client JWKS is not a JSON object"},
		{"JWKS not UTF-8", func(c *storage.Client) { c.JWKS = []byte("{\"keys\":\"\xff\"}") }, "client JWKS is not valid UTF-8"},
		{"JWKS too large", func(c *storage.Client) {
			c.JWKS = []byte(`{"keys":[],"pad":"` + strings.Repeat("p", storage.MaxDataLen) + `"}`)
		}, "bytes, over the limit of 1048576"},
		{"long JWKS URI", func(c *storage.Client) { c.JWKSURI = long }, "client JWKS URI is 4097 bytes"},
		{"long description", func(c *storage.Client) { c.Description = long }, "client description is 4097 bytes"},
		{"nul in description", func(c *storage.Client) { c.Description = "\x00" }, "client description contains a NUL byte"},
		{"claims not JSON", func(c *storage.Client) { c.Claims = []byte(`{"a":`) }, "client claims is not valid JSON"},
		{"claims an array", func(c *storage.Client) { c.Claims = []byte(`["a"]`) }, "client claims is not a JSON object"},
		{"claims a string", func(c *storage.Client) { c.Claims = []byte(` "a"`) }, "client claims is not a JSON object"},
		{"claims not UTF-8", func(c *storage.Client) { c.Claims = []byte("{\"a\":\"\xff\"}") }, "client claims is not valid UTF-8"},
		{"claims too large", func(c *storage.Client) {
			c.Claims = []byte(`{"pad":"` + strings.Repeat("p", storage.MaxDataLen) + `"}`)
		}, "client claims is 1048586 bytes, over the limit of 1048576"},
		{"empty CORS origin", func(c *storage.Client) { c.CORSOrigins = append(c.CORSOrigins, "") }, "client CORS origin is empty"},
		{"duplicate CORS origin", func(c *storage.Client) { c.CORSOrigins = append(c.CORSOrigins, c.CORSOrigins[0]) }, `client CORS origin "https://b.example" is listed twice`},
		{"empty redirect URI", func(c *storage.Client) { c.RedirectURIs = []string{""} }, "client redirect URI is empty"},
		{"duplicate redirect URI", func(c *storage.Client) { c.RedirectURIs = append(c.RedirectURIs, c.RedirectURIs[1]) }, `client redirect URI "https://a.example:8443/signin-oidc?x=1" is listed twice`},
		{"long redirect URI", func(c *storage.Client) { c.RedirectURIs = []string{long[:storage.MaxKeyLen+1]} }, "client redirect URI is 513 bytes"},
		{"too many redirect URIs", func(c *storage.Client) {
			c.RedirectURIs = nil
			for i := range storage.MaxListLen + 1 {
				c.RedirectURIs = append(c.RedirectURIs, fmt.Sprint("https://a.example/", i))
			}
		}, "1001 entries of client redirect URI, over the limit of 1000"},
		{"empty post-logout redirect URI", func(c *storage.Client) { c.PostLogoutRedirectURIs = []string{"a", ""} }, "client post-logout redirect URI is empty"},
		{"duplicate post-logout redirect URI", func(c *storage.Client) { c.PostLogoutRedirectURIs = []string{"a", "a"} }, `client post-logout redirect URI "a" is listed twice`},
	}, nil)
}
