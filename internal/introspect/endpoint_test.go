package introspect_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/introspect"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

func memEnv(t testing.TB, change ...options) *env {
	clock := testsupport.NewClock(time.Now().Truncate(time.Second))
	return newEnv(t, memory.New(memory.Options{Now: clock.Now}), clock, change...)
}

// TestJWTActive checks the answer to this server's JWT access token: its
// claims, with the resource's own scopes only.
func TestJWTActive(t *testing.T) {
	t.Parallel()
	e := memEnv(t)
	tok := e.accessToken("machine", "", "orders.read", "other", "orders.write")
	a := answer(t, e.introspect(tok))
	now := e.clock.Now().Unix()
	want := map[string]any{"active": true, "iss": issuer, "sub": "machine", "client_id": "machine",
		"scope": "orders.read orders.write", "token_type": "Bearer",
		"exp": float64(now + 3600), "iat": float64(now), "nbf": float64(now)}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %v, want %v (answer %v)", k, a[k], v, a)
		}
	}
	if aud, _ := json.Marshal(a["aud"]); string(aud) != `["`+ordersAPI+`","`+keyedAPI+`","`+signedAPI+`","`+otherAPI+`"]` {
		t.Errorf("aud = %s", aud)
	}
	if jti, _ := a["jti"].(string); jti == "" {
		t.Errorf("no jti: %v", a)
	}
	// A wrong hint finds it all the same (RFC 7662 §2.1).
	for _, hint := range []string{introspect.HintRefreshToken, "nonsense"} {
		if a := answer(t, e.introspect(tok, "token_type_hint", hint)); a["active"] != true {
			t.Errorf("hint %s: %v; want active", hint, a)
		}
	}
	// The other resource sees its own scope only.
	w := e.call(url.Values{"token": {tok}}, "Authorization", basic(otherAPI, otherSecret))
	if a := answer(t, w); a["active"] != true || a["scope"] != "other" {
		t.Errorf("as %s: %v; want active with scope other", otherAPI, a)
	}
}

// TestInactive checks that every token that is not active for the caller
// gets the same answer, byte for byte.
func TestInactive(t *testing.T) {
	t.Parallel()
	e := memEnv(t)
	other := e.accessToken("machine", "", "other")
	disabledClient := e.accessToken("gone", "", "orders.read")
	removedClient := e.accessToken("removed", "", "orders.read")
	disabledUser := e.accessToken("machine", "bob-id", "orders.read")
	removedUser := e.accessToken("machine", "carol-id", "orders.read")
	expired := e.accessToken("machine", "", "orders.read")
	// An ID token, signed by the same keys: no client_id, typ JWT.
	idToken, _, err := e.ring.Sign("JWT", map[string]any{"iss": issuer, "aud": "machine", "sub": "alice-id", "exp": e.clock.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	// This server's keys, another issuer.
	otherIssuer, _, err := e.ring.Sign("at+jwt", map[string]any{"iss": "https://evil.example", "aud": ordersAPI, "client_id": "machine",
		"scope": "orders.read", "exp": e.clock.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	// Another issuer's keys.
	foreign := testsupport.SignAssertion(t, jose.ES256, testsupport.ECKey(t), "foreign", map[string]any{"iss": "https://evil.example",
		"aud": ordersAPI, "client_id": "machine", "scope": "orders.read", "exp": e.clock.Now().Add(time.Hour).Unix()},
		func(o *jose.SignerOptions) { o.WithType("at+jwt") })
	refreshOther := e.refreshToken("machine", "alice-id", "other", "offline_access")
	refOther := e.referenceToken("machine", []string{otherAPI}, "other")

	e.clock.Advance(time.Hour)
	tests := map[string]string{
		"another resource's JWT":        other,
		"disabled client's JWT":         disabledClient,
		"removed client's JWT":          removedClient,
		"disabled user's JWT":           disabledUser,
		"removed user's JWT":            removedUser,
		"ID token":                      idToken,
		"this server's keys, other iss": otherIssuer,
		"another issuer's JWT":          foreign,
		"another resource's refresh":    refreshOther,
		"another resource's reference":  refOther,
		"unknown handle":                "dW5rbm93bg",
		"malformed JWT":                 "a.b.c",
		"garbage":                       "\x00\xff not a token at all",
		"long":                          strings.Repeat("x", 40<<10),
	}
	// expired is checked once the clock has passed its exp.
	tests["expired JWT"] = expired
	first := ""
	for name, tok := range tests {
		w := e.introspect(tok)
		wantInactive(t, name, w)
		if first == "" {
			first = w.Body.String()
		} else if w.Body.String() != first {
			t.Errorf("%s: %s differs from %s", name, w.Body, first)
		}
	}
}

// TestRefreshToken checks refresh tokens: active while live and unused, to
// the resources of their scopes, whatever the hint.
func TestRefreshToken(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clock := testsupport.NewClock(time.Now().Truncate(time.Second))
			e := newEnv(t, b.OpenOne(t, clock.Now), clock)
			rt := e.refreshToken("machine", "alice-id", "orders.read", "offline_access", "other")
			for _, hint := range []string{"", introspect.HintRefreshToken, introspect.HintAccessToken, "bogus"} {
				a := answer(t, e.introspect(rt, "token_type_hint", hint))
				if a["active"] != true || a["scope"] != "orders.read" || a["token_type"] != "refresh_token" || a["sub"] != "alice-id" ||
					a["client_id"] != "machine" || a["iss"] != issuer {
					t.Errorf("hint %q: %v", hint, a)
				}
			}
			// Used (rotated): inactive, unless its client's refresh
			// tokens are ReUse.
			reuse := e.refreshToken("reuse", "alice-id", "orders.read")
			for _, h := range []string{rt, reuse} {
				key := tokensKey(h)
				if _, err := e.store.ConsumeGrant(t.Context(), key, clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			wantInactive(t, "consumed refresh token", e.introspect(rt))
			if a := answer(t, e.introspect(reuse)); a["active"] != true {
				t.Errorf("consumed ReUse refresh token: %v; want active", a)
			}
			// A disabled user's.
			wantInactive(t, "disabled user's refresh token", e.introspect(e.refreshToken("machine", "bob-id", "orders.read")))
		})
	}
}

// TestReferenceToken checks reference tokens, read through
// GrantReferences, on every backend.
func TestReferenceToken(t *testing.T) {
	t.Parallel()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clock := testsupport.NewClock(time.Now().Truncate(time.Second))
			e := newEnv(t, b.OpenOne(t, clock.Now), clock)
			ref := e.referenceToken("machine", []string{ordersAPI, otherAPI}, "orders.write other")
			for _, hint := range []string{"", introspect.HintRefreshToken, introspect.HintAccessToken} {
				a := answer(t, e.introspect(ref, "token_type_hint", hint))
				if a["active"] != true || a["scope"] != "orders.write" || a["token_type"] != "Bearer" || a["jti"] != "ref-jti" {
					t.Errorf("hint %q: %v", hint, a)
				}
			}
			// Revoked (consumed) or expired: inactive.
			revoked := e.referenceToken("machine", []string{ordersAPI}, "orders.read")
			if _, err := e.store.ConsumeGrant(t.Context(), tokensRefKey(revoked), clock.Now()); err != nil {
				t.Fatal(err)
			}
			wantInactive(t, "revoked reference token", e.introspect(revoked))
			clock.Advance(time.Hour)
			wantInactive(t, "expired reference token", e.introspect(ref))
		})
	}
}

// TestAuthentication checks how a resource authenticates: Basic with its
// name form-encoded, post, private_key_jwt; and what a caller that fails
// gets.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := memEnv(t)
	tok := e.accessToken("machine", "", "orders.read")
	active := func(name string, w *httptest.ResponseRecorder) {
		t.Helper()
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"active":true`) {
			t.Errorf("%s: %d %s; want active", name, w.Code, w.Body)
		}
	}
	active("basic, URL name form-encoded", e.call(url.Values{"token": {tok}}, "Authorization", basic(ordersAPI, ordersSecret)))
	active("post", e.call(url.Values{"token": {tok}, "client_id": {ordersAPI}, "client_secret": {ordersSecret}}))
	assertion := func(aud string) string {
		return testsupport.SignAssertion(t, jose.ES256, e.key, keyedKid, testsupport.AssertionClaims(keyedAPI, aud, e.clock.Now()))
	}
	active("private_key_jwt", e.call(url.Values{"token": {tok}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {assertion(issuer)}}))
	active("private_key_jwt, aud the introspection endpoint", e.call(url.Values{"token": {tok}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {assertion(issuer + introspect.Path)}}))
	active("private_key_jwt, aud the token endpoint", e.call(url.Values{"token": {tok}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {assertion(issuer + "/connect/token")}}))

	unauthorized := func(name string, w *httptest.ResponseRecorder) {
		t.Helper()
		var body map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusUnauthorized || body["error"] != "invalid_client" || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: %d %s %v; want 401 invalid_client with a Basic challenge", name, w.Code, w.Body, w.Header())
		}
	}
	unauthorized("no authentication", e.call(url.Values{"token": {tok}}))
	unauthorized("no authentication, no token", e.call(url.Values{}))
	unauthorized("wrong secret", e.call(url.Values{"token": {tok}}, "Authorization", basic(ordersAPI, otherSecret)))
	unauthorized("expired secret", e.call(url.Values{"token": {tok}}, "Authorization", basic(ordersAPI, testsupport.ExpiredSecret)))
	unauthorized("another resource's secret", e.call(url.Values{"token": {tok}}, "Authorization", basic(ordersAPI, otherSecret)))
	unauthorized("a client's credentials", e.call(url.Values{"token": {tok}}, "Authorization", basic("machine", clientSecret)))
	unauthorized("unknown resource", e.call(url.Values{"token": {tok}}, "Authorization", basic("nobody", ordersSecret)))
	// The name not form-encoded: "https" is taken for the id.
	unauthorized("basic, URL name raw", e.call(url.Values{"token": {tok}}, "Authorization",
		"Basic "+b64(ordersAPI+":"+ordersSecret)))
	unauthorized("replayed assertion", func() *httptest.ResponseRecorder {
		a := assertion(issuer)
		e.call(url.Values{"token": {tok}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {a}})
		return e.call(url.Values{"token": {tok}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {a}})
	}())
	unauthorized("assertion for another endpoint", e.call(url.Values{"token": {tok}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {assertion(issuer + "/connect/userinfo")}}))
	unauthorized("assertion for another server", e.call(url.Values{"token": {tok}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {assertion("https://evil.example")}}))
}

// TestRequests checks requests that are not introspections.
func TestRequests(t *testing.T) {
	t.Parallel()
	e := memEnv(t)
	r := httptest.NewRequest(http.MethodGet, issuer+introspect.Path+"?token=x", nil)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost {
		t.Errorf("GET: %d %v; want 405 with Allow: POST", w.Code, w.Header())
	}
	tests := []struct {
		name string
		form url.Values
		ct   string
		want string
	}{
		{"no token", url.Values{}, "", "token is missing"},
		{"token repeated", url.Values{"token": {"a", "b"}}, "", `'token' is repeated`},
		{"hint repeated", url.Values{"token": {"a"}, "token_type_hint": {"a", "b"}}, "", `'token_type_hint' is repeated`},
		{"JSON body", url.Values{"token": {"a"}}, "application/json", "Content-Type application/x-www-form-urlencoded"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, issuer+introspect.Path, strings.NewReader(tt.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tt.ct != "" {
			r.Header.Set("Content-Type", tt.ct)
		}
		r.Header.Set("Authorization", basic(ordersAPI, ordersSecret))
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_request") || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: %d %s; want 400 invalid_request saying %q", tt.name, w.Code, w.Body, tt.want)
		}
	}
}

// slowGrants is a database that never answers in time.
type slowGrants struct{ storage.Store }

func (slowGrants) GetGrant(ctx context.Context, _ string, _ time.Time) (storage.PersistedGrant, error) {
	<-ctx.Done()
	return storage.PersistedGrant{}, ctx.Err()
}

// TestSlowDatabase checks that a database that does not answer gives 503
// temporarily_unavailable within the storage timeout, never a hang.
func TestSlowDatabase(t *testing.T) {
	t.Parallel()
	e := memEnv(t, func(o *introspect.Options) {
		slow := slowGrants{o.Grants.(storage.Store)}
		o.Grants, o.References = slow, introspect.GrantReferences{Grants: slow}
		o.StorageTimeout = 100 * time.Millisecond
	})
	start := time.Now()
	w := e.introspect("some-handle")
	took := time.Since(start)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "temporarily_unavailable") || w.Header().Get("Retry-After") == "" {
		t.Errorf("slow database: %d %s %v; want 503 temporarily_unavailable with Retry-After", w.Code, w.Body, w.Header())
	}
	if took > 2*time.Second {
		t.Errorf("answered after %v; want within the storage timeout (100ms) and little more", took)
	}
	if !strings.Contains(e.logs.String(), "introspection request failed") {
		t.Errorf("log %q: want the cause logged", e.logs.String())
	}
}

// TestSignedAnswer checks RFC 9701's answers: asked for with Accept, or
// always for a resource with introspectionResponse jwt.
func TestSignedAnswer(t *testing.T) {
	t.Parallel()
	e := memEnv(t)
	tok := e.accessToken("machine", "", "orders.read")
	check := func(name string, w *httptest.ResponseRecorder, aud string, active bool) {
		t.Helper()
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != introspect.JWTMediaType {
			t.Fatalf("%s: %d %v %s", name, w.Code, w.Header(), w.Body)
		}
		jwt := w.Body.String()
		payload, _, err := e.ring.Verify(jwt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hdr, _ := b64d(strings.Split(jwt, ".")[0])
		if !strings.Contains(string(hdr), `"typ":"token-introspection+jwt"`) {
			t.Errorf("%s: header %s; want typ token-introspection+jwt", name, hdr)
		}
		var p struct {
			Iss    string         `json:"iss"`
			Aud    string         `json:"aud"`
			Iat    int64          `json:"iat"`
			Answer map[string]any `json:"token_introspection"`
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Iss != issuer || p.Aud != aud || p.Iat != e.clock.Now().Unix() || p.Answer["active"] != active {
			t.Errorf("%s: %s", name, payload)
		}
		if !active && len(p.Answer) != 1 {
			t.Errorf("%s: inactive answer %v says more than active", name, p.Answer)
		}
	}
	accept := func(tok string) *httptest.ResponseRecorder {
		return e.call(url.Values{"token": {tok}}, "Authorization", basic(ordersAPI, ordersSecret), "Accept", "application/json;q=0.5, "+introspect.JWTMediaType)
	}
	check("Accept", accept(tok), ordersAPI, true)
	check("Accept, inactive", accept("unknown-handle"), ordersAPI, false)
	check("introspectionResponse jwt", e.call(url.Values{"token": {tok}}, "Authorization", basic(signedAPI, signedSecret)), signedAPI, true)
	check("introspectionResponse jwt, Accept */*", e.call(url.Values{"token": {tok}}, "Authorization", basic(signedAPI, signedSecret), "Accept", "*/*"), signedAPI, true)
	// Without either: JSON.
	if w := e.introspect(tok); w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("without Accept: %v", w.Header())
	}
	// A resource that signs by default still gets JSON when it asks for
	// JSON alone (jwtauth and signet token introspect do).
	w := e.call(url.Values{"token": {tok}}, "Authorization", basic(signedAPI, signedSecret), "Accept", "application/json")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" || !strings.Contains(w.Body.String(), `"active":true`) {
		t.Errorf("introspectionResponse jwt with Accept application/json: %d %v %s, want the JSON answer", w.Code, w.Header(), w.Body)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func b64d(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// tokensKey and tokensRefKey are the storage keys of a refresh and a
// reference token.
func tokensKey(h string) string    { return tokens.HandleKey(storage.GrantRefreshToken, h) }
func tokensRefKey(h string) string { return tokens.HandleKey(storage.GrantReferenceToken, h) }

// TestDescribe checks the discovery members the endpoint states (RFC 8414
// §2).
func TestDescribe(t *testing.T) {
	t.Parallel()
	var m endpoint.Metadata
	introspect.New(introspect.Options{}).Describe(&m)
	if m.Paths["introspection_endpoint"] != introspect.Path {
		t.Errorf("paths %v", m.Paths)
	}
	if got := strings.Join(m.Lists["introspection_endpoint_auth_methods_supported"], " "); got != "client_secret_basic client_secret_post private_key_jwt" {
		t.Errorf("auth methods %q", got)
	}
	if got := m.Lists["introspection_endpoint_auth_signing_alg_values_supported"]; len(got) == 0 || got[0] != "RS256" || strings.Contains(strings.Join(got, " "), "HS") {
		t.Errorf("auth signing algs %v", got)
	}
	if !slices.Equal(m.SignedBy, []string{"introspection_signing_alg_values_supported"}) {
		t.Errorf("members of the signing algorithms %v, want introspection_signing_alg_values_supported (RFC 9701 §7)", m.SignedBy)
	}
}
