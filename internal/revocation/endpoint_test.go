package revocation_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/revocation"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/postgres/postgrestest"
)

const issuer = "https://auth.example.com"

// fixture is a revocation endpoint over one handle of a store, and the
// tokens service of another handle of the same store (another instance).
type fixture struct {
	t        *testing.T
	endpoint *revocation.Endpoint
	// tokens issues and refreshes over the other instance's handle.
	tokens  *tokens.Service
	grants  storage.Store
	secret  string
	jwtKey  any
	logs    *testsupport.LogBuffer
	revoker storage.Store
}

// newFixture makes the endpoint with clients "app" and "other"
// (secrets), "spa" (public) and "jwt-app" (private_key_jwt), over the
// first of stores, and a tokens service over the last.
func newFixture(t *testing.T, ss []storage.Store, options ...func(*revocation.Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, secret: secret.Generate(), logs: &testsupport.LogBuffer{}, revoker: ss[0], grants: ss[len(ss)-1]}
	key := testsupport.ECKey(t)
	f.jwtKey = key
	secrets := testsupport.Secrets(t, f.secret, time.Now().Add(-time.Hour))
	clients := client.Static{
		"app":     {ID: "app", Secrets: secrets},
		"other":   {ID: "other", Secrets: secrets},
		"spa":     {ID: "spa", Public: true},
		"jwt-app": {ID: "jwt-app", Keys: testsupport.KeySet(key, "k1")},
	}
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := revocation.Options{
		Auth:   &clientauth.Authenticator{Clients: clients, Replay: ss[0], RemoteKeys: &clientauth.RemoteKeys{}, IssuerConfigured: true},
		Grants: ss[0],
		Logger: logger,
	}
	for _, o := range options {
		o(&opts)
	}
	f.endpoint = revocation.New(opts)
	f.tokens = &tokens.Service{Grants: f.grants}
	return f
}

func memoryFixture(t *testing.T, options ...func(*revocation.Options)) *fixture {
	return newFixture(t, stores.All[0].Open(t, nil, 1), options...)
}

type result struct {
	status int
	header http.Header
	body   string
}

func (r result) is(status int, code string) bool {
	if code == "" {
		return r.status == status && r.body == ""
	}
	return r.status == status && strings.Contains(r.body, `"error":"`+code+`"`)
}

// basic authenticates as id with the fixture's secret.
func (f *fixture) basic(id string) func(*http.Request) {
	return func(r *http.Request) {
		r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(f.secret))
	}
}

func (f *fixture) do(method string, form url.Values, mutate ...func(*http.Request)) result {
	f.t.Helper()
	r := httptest.NewRequest(method, revocation.Path, strings.NewReader(form.Encode()))
	r = r.WithContext(endpoint.WithIssuer(r.Context(), issuer))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, m := range mutate {
		m(r)
	}
	w := httptest.NewRecorder()
	f.endpoint.ServeHTTP(w, r)
	return result{status: w.Code, header: w.Header(), body: w.Body.String()}
}

func (f *fixture) revoke(token, hint string, mutate ...func(*http.Request)) result {
	f.t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return f.do(http.MethodPost, form, mutate...)
}

// refresh issues a refresh token of clientID for alice, and returns it and
// its family.
func (f *fixture) refresh(clientID string) (handle, family string) {
	f.t.Helper()
	handle, err := f.tokens.IssueRefresh(f.t.Context(), tokens.Authorization{ClientID: clientID, Subject: "alice", Scopes: []string{"api1", "offline_access"}}, "", tokens.RefreshPolicy{})
	if err != nil {
		f.t.Fatal(err)
	}
	g, err := f.grants.GetGrant(f.t.Context(), tokens.HandleKey(storage.GrantRefreshToken, handle), time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return handle, g.FamilyID
}

// reference stores a reference access token of clientID in family ("" for
// client_credentials), as the token endpoint does, and returns it.
func (f *fixture) reference(clientID, family string) string {
	f.t.Helper()
	handle := strings.ReplaceAll(secret.Generate(), ".", "")
	now := time.Now()
	g := storage.PersistedGrant{Key: tokens.HandleKey(storage.GrantReferenceToken, handle), Type: storage.GrantReferenceToken,
		ClientID: clientID, Subject: "alice", FamilyID: family, Created: now, Expires: now.Add(time.Hour), Data: []byte(`{}`)}
	if err := f.grants.CreateGrant(f.t.Context(), g); err != nil {
		f.t.Fatal(err)
	}
	return handle
}

// exists reports whether the token is stored as typ.
func (f *fixture) exists(typ, handle string) bool {
	f.t.Helper()
	_, err := f.grants.GetGrant(f.t.Context(), tokens.HandleKey(typ, handle), time.Now())
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		f.t.Fatal(err)
	}
	return err == nil
}

// Revoking a refresh token revokes its family on every instance at once:
// its successor cannot be refreshed on the other instance, and the
// reference tokens issued from the family are gone; other families and a
// client_credentials reference token stay. On every backend.
func TestRevokeRefreshTokenFamily(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, b.Open(t, nil, 2))
			first, family := f.refresh("app")
			// A refresh rotates it; the successor is what the client holds.
			r, err := f.tokens.Refresh(t.Context(), tokens.RefreshRequest{Handle: first, ClientID: "app"})
			if err != nil {
				t.Fatal(err)
			}
			current := r.Handle
			inFamily := f.reference("app", family)
			machine := f.reference("app", "")
			otherFamily, _ := f.refresh("app")

			if res := f.revoke(current, "refresh_token", f.basic("app")); !res.is(200, "") || res.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("revoke: %d %s %v", res.status, res.body, res.header)
			}
			_, err = f.tokens.Refresh(t.Context(), tokens.RefreshRequest{Handle: current, ClientID: "app"})
			var ge *tokens.GrantError
			if !errors.As(err, &ge) || !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("refresh of the revoked token on the other instance: %v, want unknown", err)
			}
			left, err := f.grants.ListGrants(t.Context(), storage.PersistedGrantFilter{FamilyID: family}, time.Now())
			if err != nil || len(left) != 0 {
				t.Errorf("the family after revocation: %v %v, want nothing", left, err)
			}
			if f.exists(storage.GrantReferenceToken, inFamily) {
				t.Error("a reference token of the family survived")
			}
			if !f.exists(storage.GrantReferenceToken, machine) || !f.exists(storage.GrantRefreshToken, otherFamily) {
				t.Error("a token of another family was revoked")
			}
			if logs := f.logs.String(); !strings.Contains(logs, `msg="token revoked" client_id=app type=refresh_token family_id=`+family) ||
				strings.Contains(logs, current) || strings.Contains(logs, first) {
				t.Errorf("log:\n%s", logs)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	jwt := "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"

	t.Run("another client's token is not revoked, and the answer is 200", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		refresh, family := f.refresh("app")
		ref := f.reference("app", family)
		for _, tok := range []string{refresh, ref} {
			if res := f.revoke(tok, "", f.basic("other")); !res.is(200, "") {
				t.Errorf("revoke: %d %s", res.status, res.body)
			}
		}
		if !f.exists(storage.GrantRefreshToken, refresh) || !f.exists(storage.GrantReferenceToken, ref) {
			t.Error("another client revoked app's token")
		}
		if logs := f.logs.String(); !strings.Contains(logs, "owner_client_id=app") || strings.Contains(logs, refresh) {
			t.Errorf("log:\n%s", logs)
		}
	})
	t.Run("unknown token: 200", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		for _, hint := range []string{"", "refresh_token", "access_token", "something_else"} {
			if res := f.revoke("no-such-token", hint, f.basic("app")); !res.is(200, "") {
				t.Errorf("hint %q: %d %s", hint, res.status, res.body)
			}
		}
	})
	t.Run("JWT access token: 400 unsupported_token_type", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		res := f.revoke(jwt, "access_token", f.basic("app"))
		if !res.is(400, "unsupported_token_type") {
			t.Errorf("%d %s", res.status, res.body)
		}
	})
	t.Run("missing token: invalid_request", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		if res := f.revoke("", "", f.basic("app")); !res.is(400, "invalid_request") || !strings.Contains(res.body, "token parameter is missing") {
			t.Errorf("%d %s", res.status, res.body)
		}
	})
	t.Run("a wrong hint still revokes", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		refresh, family := f.refresh("app")
		ref := f.reference("app", "")
		keep := f.reference("app", family)
		if res := f.revoke(ref, "refresh_token", f.basic("app")); !res.is(200, "") {
			t.Errorf("reference token with hint refresh_token: %d %s", res.status, res.body)
		}
		if f.exists(storage.GrantReferenceToken, ref) {
			t.Error("the reference token survived")
		}
		if !f.exists(storage.GrantRefreshToken, refresh) || !f.exists(storage.GrantReferenceToken, keep) {
			t.Error("revoking a reference token revoked more than itself")
		}
		if res := f.revoke(refresh, "access_token", f.basic("app")); !res.is(200, "") {
			t.Errorf("refresh token with hint access_token: %d %s", res.status, res.body)
		}
		if f.exists(storage.GrantRefreshToken, refresh) || f.exists(storage.GrantReferenceToken, keep) {
			t.Error("the refresh token's family survived")
		}
	})
	t.Run("client authentication", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		refresh, _ := f.refresh("app")
		bad := func(r *http.Request) { r.SetBasicAuth("app", "wrong") }
		if res := f.revoke(refresh, "", bad); !res.is(401, "invalid_client") || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("wrong secret: %d %s %v", res.status, res.body, res.header)
		}
		if res := f.revoke(refresh, ""); !res.is(401, "invalid_client") {
			t.Errorf("no authentication: %d %s", res.status, res.body)
		}
		if res := f.revoke(refresh, "", func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }); !res.is(401, "invalid_client") {
			t.Errorf("malformed Basic: %d %s", res.status, res.body)
		}
		// client_id alone is no authentication for a confidential client.
		if res := f.do(http.MethodPost, url.Values{"token": {refresh}, "client_id": {"app"}}); !res.is(401, "invalid_client") {
			t.Errorf("client_id alone of a confidential client: %d %s", res.status, res.body)
		}
		if !f.exists(storage.GrantRefreshToken, refresh) {
			t.Fatal("revoked without authentication")
		}
		// client_secret_post.
		if res := f.do(http.MethodPost, url.Values{"token": {refresh}, "client_id": {"app"}, "client_secret": {f.secret}}); !res.is(200, "") || f.exists(storage.GrantRefreshToken, refresh) {
			t.Errorf("client_secret_post: %d %s", res.status, res.body)
		}
	})
	t.Run("public client by its client_id", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		refresh, _ := f.refresh("spa")
		if res := f.do(http.MethodPost, url.Values{"token": {refresh}, "client_id": {"spa"}}); !res.is(200, "") || f.exists(storage.GrantRefreshToken, refresh) {
			t.Errorf("%d %s", res.status, res.body)
		}
	})
	t.Run("private_key_jwt", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		refresh, _ := f.refresh("jwt-app")
		assertion := testsupport.SignAssertion(t, jose.ES256, f.jwtKey, "k1", testsupport.AssertionClaims("jwt-app", issuer, time.Now()))
		form := url.Values{"token": {refresh}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		if res := f.do(http.MethodPost, form); !res.is(200, "") || f.exists(storage.GrantRefreshToken, refresh) {
			t.Errorf("%d %s", res.status, res.body)
		}
		// The same assertion again is a replay.
		if res := f.do(http.MethodPost, form); !res.is(401, "invalid_client") {
			t.Errorf("replayed assertion: %d %s", res.status, res.body)
		}
	})
	t.Run("private_key_jwt for the revocation endpoint", func(t *testing.T) {
		// An assertion may name the endpoint it is sent to as its aud
		// (RFC 7523 §3), as clients such as Authlib do: as at the
		// introspection endpoint.
		t.Parallel()
		f := memoryFixture(t)
		refresh, _ := f.refresh("jwt-app")
		assertion := testsupport.SignAssertion(t, jose.ES256, f.jwtKey, "k1", testsupport.AssertionClaims("jwt-app", issuer+revocation.Path, time.Now()))
		form := url.Values{"token": {refresh}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		if res := f.do(http.MethodPost, form); !res.is(200, "") || f.exists(storage.GrantRefreshToken, refresh) {
			t.Errorf("aud the revocation endpoint: %d %s", res.status, res.body)
		}
		// Another endpoint's URL is still refused.
		assertion = testsupport.SignAssertion(t, jose.ES256, f.jwtKey, "k1", testsupport.AssertionClaims("jwt-app", issuer+"/connect/introspect", time.Now()))
		form.Set("client_assertion", assertion)
		if res := f.do(http.MethodPost, form); !res.is(401, "invalid_client") {
			t.Errorf("aud the introspection endpoint: %d %s", res.status, res.body)
		}
	})
	t.Run("requests that are not a revocation", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t)
		if res := f.do(http.MethodGet, nil); res.status != 405 || res.header.Get("Allow") != "POST" {
			t.Errorf("GET: %d %v", res.status, res.header)
		}
		if res := f.do(http.MethodPost, url.Values{"token": {"a", "b"}}, f.basic("app")); !res.is(400, "invalid_request") {
			t.Errorf("repeated token: %d %s", res.status, res.body)
		}
		if res := f.do(http.MethodPost, url.Values{"token": {"a"}}, f.basic("app"), func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }); !res.is(400, "invalid_request") {
			t.Errorf("JSON: %d %s", res.status, res.body)
		}
		big := url.Values{"token": {strings.Repeat("a", revocation.MaxRequestBytes)}}
		if res := f.do(http.MethodPost, big, f.basic("app")); res.status != 413 {
			t.Errorf("huge body: %d %s", res.status, res.body)
		}
	})
	t.Run("CORS for the clients' origins", func(t *testing.T) {
		t.Parallel()
		f := memoryFixture(t, func(o *revocation.Options) {
			o.Origins = func(origin string) bool { return origin == "https://spa.example" }
		})
		res := f.do(http.MethodOptions, nil, func(r *http.Request) {
			r.Header.Set("Origin", "https://spa.example")
			r.Header.Set("Access-Control-Request-Method", "POST")
		})
		if res.status != 204 || res.header.Get("Access-Control-Allow-Origin") != "https://spa.example" {
			t.Errorf("preflight: %d %v", res.status, res.header)
		}
		res = f.revoke("unknown", "", f.basic("app"), func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") })
		if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("other origin: %d %v", res.status, res.header)
		}
	})
}

// slowGrants is a database that does not answer: each call waits until its
// context ends.
type slowGrants struct{}

func (slowGrants) GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	<-ctx.Done()
	return storage.PersistedGrant{}, ctx.Err()
}

func (slowGrants) DeleteGrant(ctx context.Context, key string) error {
	<-ctx.Done()
	return ctx.Err()
}

func (slowGrants) DeleteGrants(ctx context.Context, f storage.PersistedGrantFilter) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// A database slower than the storage timeout gives 503
// temporarily_unavailable within it, never a hang.
func TestSlowStorage(t *testing.T) {
	t.Parallel()
	f := memoryFixture(t, func(o *revocation.Options) {
		o.Grants = slowGrants{}
		o.StorageTimeout = 200 * time.Millisecond
	})
	start := time.Now()
	res := f.revoke("some-token", "", f.basic("app"))
	took := time.Since(start)
	if !res.is(503, "temporarily_unavailable") || res.header.Get("Retry-After") == "" {
		t.Errorf("%d %s %v", res.status, res.body, res.header)
	}
	if took > 2*time.Second {
		t.Errorf("answered after %s, the timeout is 200ms", took)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "level=WARN") || strings.Contains(logs, "some-token") {
		t.Errorf("log:\n%s", logs)
	}
}

// The chain's refusals are OAuth errors too, and discovery hears of the
// endpoint and its authentication.
func TestRoutesAndMetadata(t *testing.T) {
	t.Parallel()
	f := memoryFixture(t)
	var m endpoint.Metadata
	f.endpoint.Describe(&m)
	if m.Paths["revocation_endpoint"] != revocation.Path {
		t.Errorf("paths %v", m.Paths)
	}
	if got := m.Lists["revocation_endpoint_auth_methods_supported"]; !slices.Equal(got, []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}) {
		t.Errorf("auth methods %v", got)
	}
	if got := m.Lists["revocation_endpoint_auth_signing_alg_values_supported"]; !slices.Contains(got, "ES256") || !slices.Contains(got, "RS256") {
		t.Errorf("auth algs %v", got)
	}
	for _, rt := range f.endpoint.Routes() {
		if rt.Path != revocation.Path || rt.Refuse == nil || rt.Kind != endpoint.API {
			t.Errorf("route %+v", rt)
		}
	}
	w := httptest.NewRecorder()
	f.endpoint.Routes()[0].Refuse(w, httptest.NewRequest(http.MethodPost, revocation.Path, nil), &oauth.Error{Code: oauth.InvalidRequest, Description: "no issuer", Status: 400})
	body, _ := io.ReadAll(w.Body)
	if w.Code != 400 || !strings.Contains(string(body), `"error":"invalid_request"`) {
		t.Errorf("refuse: %d %s", w.Code, body)
	}
}

func TestLooksLikeJWT(t *testing.T) {
	t.Parallel()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
	for token, want := range map[string]bool{
		header + ".eyJzdWIiOiJhIn0.c2ln": true,
		header + ".eyJzdWIiOiJhIn0.":     true,
		"a.b.c":                          false,
		"abc":                            false,
		header + ".x.y.z":                false,
		header + "..c2ln":                false,
		"bnVsbA.eyJ9.c2ln":               false,
		header + ".e+/=.c2ln":            false,
	} {
		if got := revocation.LooksLikeJWT(token); got != want {
			t.Errorf("LooksLikeJWT(%q) = %v", token, got)
		}
	}
}

// A real database that does not answer in time (PostgreSQL, the family's
// rows locked by another transaction): 503 temporarily_unavailable within
// the storage timeout, and the revocation succeeds once the lock is gone.
func TestLockedDatabase(t *testing.T) {
	t.Parallel()
	pg := postgrestest.New(t, "signet_revocation_")
	db, err := postgres.Open(t.Context(), pg.DSN, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := newFixture(t, []storage.Store{db}, func(o *revocation.Options) { o.StorageTimeout = 300 * time.Millisecond })
	refresh, _ := f.refresh("app")

	conn, err := pgx.Connect(t.Context(), pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "SELECT key FROM grants WHERE client_id = 'app' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := f.revoke(refresh, "", f.basic("app"))
	if took := time.Since(start); !res.is(503, "temporarily_unavailable") || took > 3*time.Second {
		t.Errorf("with the rows locked: %d %s after %s, want 503 temporarily_unavailable within the 300ms timeout", res.status, res.body, took)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Once the lock is gone the revocation succeeds. On a busy machine a
	// try may still outlast the 300 ms timeout (503): the client tries
	// again, as Retry-After tells it to.
	res = f.revoke(refresh, "", f.basic("app"))
	for try := 1; try < 10 && res.is(503, "temporarily_unavailable"); try++ {
		time.Sleep(100 * time.Millisecond)
		res = f.revoke(refresh, "", f.basic("app"))
	}
	if !res.is(200, "") || f.exists(storage.GrantRefreshToken, refresh) {
		t.Errorf("after the lock: %d %s", res.status, res.body)
	}
}
