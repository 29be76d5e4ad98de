package grant

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
)

// publicGrantType is the grant type of publicGrant.
const publicGrantType = "urn:test:public"

// publicGrant is a grant that takes public clients (as authorization_code
// will), and records the request it was handed.
type publicGrant struct {
	got *Request
}

func (*publicGrant) Type() string        { return publicGrantType }
func (*publicGrant) PublicClients() bool { return true }
func (g *publicGrant) Handle(_ context.Context, req *Request) (*oauth.TokenResponse, *oauth.Error) {
	g.got = req
	return &oauth.TokenResponse{AccessToken: "for-" + req.Client.ID, TokenType: "Bearer"}, nil
}

// withPublicGrant serves publicGrant beside client_credentials.
func withPublicGrant(g *publicGrant) func(*fixture, *Options) {
	return func(f *fixture, o *Options) {
		o.Grants = []Grant{&ClientCredentials{Tokens: f.tokens}, g}
	}
}

// A grant gets the request once the shared steps are done: a public
// client, authenticated by its client_id alone, reaches a grant that takes
// public clients, and is refused by one that does not. Whatever the grant,
// the shared refusals come first.
func TestGrantHandOver(t *testing.T) {
	t.Parallel()
	g := &publicGrant{}
	f := newFixture(t, withPublicGrant(g))
	res := f.post(url.Values{"grant_type": {publicGrantType}, "client_id": {"spa"}, "scope": {"api1"}, "extra": {"x"}})
	if res.status != http.StatusOK || res.body["access_token"] != "for-spa" {
		t.Fatalf("public client: %d %v", res.status, res.body)
	}
	if g.got.Client.ID != "spa" || g.got.AuthMethod != clientauth.None || g.got.Issuer != issuer || g.got.Scope != "api1" || g.got.Form.Get("extra") != "x" {
		t.Errorf("the grant was handed %+v", g.got)
	}
	res = f.post(url.Values{"grant_type": {"client_credentials"}, "client_id": {"spa"}})
	if desc, _ := res.body["error_description"].(string); res.status != http.StatusBadRequest || res.body["error"] != "unauthorized_client" || !strings.Contains(desc, "needs a confidential client") {
		t.Errorf("public client, client_credentials: %d %v", res.status, res.body)
	}
	g.got = nil
	for name, form := range map[string]url.Values{
		"confidential client by client_id alone": {"grant_type": {publicGrantType}, "client_id": {"app"}},
		"client not allowed the grant type":      {"grant_type": {publicGrantType}, "client_id": {"app"}, "client_secret": {f.secret}},
	} {
		if res := f.post(form); res.status == http.StatusOK || g.got != nil {
			t.Errorf("%s: %d %v, grant handed %v", name, res.status, res.body, g.got)
		}
	}
}

// Discovery's token endpoint metadata: the three grants, and none, since
// the sign-in grants take public clients.
func TestDescribe(t *testing.T) {
	t.Parallel()
	var m endpoint.Metadata
	newFixture(t).endpoint.Describe(&m)
	want := endpoint.Metadata{
		Paths:           map[string]string{"token_endpoint": "/connect/token"},
		GrantTypes:      []string{"client_credentials", "authorization_code", "refresh_token"},
		AuthMethods:     []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		AuthSigningAlgs: []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"},
		Claims:          []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "auth_time", "nonce", "sid", "amr", "at_hash"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("metadata\n%+v\nwant\n%+v", m, want)
	}
	if !reflect.DeepEqual(GrantTypes, want.GrantTypes) {
		t.Errorf("GrantTypes %v, want %v", GrantTypes, want.GrantTypes)
	}
	// Another endpoint's values stay, and none is repeated.
	m = endpoint.Metadata{GrantTypes: []string{"client_credentials"}, Claims: []string{"name", "sub"}}
	newFixture(t, withPublicGrant(&publicGrant{})).endpoint.Describe(&m)
	if got := strings.Join(m.GrantTypes, " "); got != "client_credentials "+publicGrantType {
		t.Errorf("grant types %s", got)
	}
	if got := strings.Join(m.AuthMethods, " "); got != "client_secret_basic client_secret_post private_key_jwt none" {
		t.Errorf("auth methods with a public grant: %s", got)
	}
	if got := strings.Join(m.Claims, " "); got != "name sub iss aud exp nbf iat jti client_id scope auth_time nonce sid amr at_hash" {
		t.Errorf("claims %s", got)
	}
}

// mount serves the endpoint's routes as the server does: each route on its
// method and path, behind a chain that puts the issuer in the context.
func mount(t *testing.T, e *Endpoint) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	for _, rt := range e.Routes() {
		if rt.Kind != endpoint.API || rt.Refuse == nil {
			t.Errorf("route %s %s: kind %v, refuse set %v", rt.Method, rt.Path, rt.Kind, rt.Refuse != nil)
		}
		pattern := rt.Path
		if rt.Method != "" {
			pattern = rt.Method + " " + rt.Path
		}
		h := rt.Handler
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(endpoint.WithIssuer(r.Context(), issuer)))
		}))
	}
	return mux
}

// The routes: POST gets tokens, any other method hears 405 with Allow:
// POST, as an OAuth error.
func TestRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mux := mount(t, f.endpoint)
	var methods []string
	for _, rt := range f.endpoint.Routes() {
		methods = append(methods, rt.Method+" "+rt.Path)
	}
	if got := strings.Join(methods, ", "); got != "POST /connect/token, OPTIONS /connect/token,  /connect/token" {
		t.Errorf("routes %s", got)
	}
	r := httptest.NewRequest(http.MethodPost, "https://auth.example.com/connect/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("app", f.secret)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("POST: %d %s", w.Code, w.Body)
	}
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodOptions} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(method, "https://auth.example.com/connect/token", nil))
		var body map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" || body["error"] != "invalid_request" {
			t.Errorf("%s: %d Allow %q %s", method, w.Code, w.Header().Get("Allow"), w.Body)
		}
	}
}

// A refusal of the chain (here a rate limit) is an OAuth error that a
// browser of an allowed origin can read.
func TestRefuse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(_ *fixture, o *Options) {
		o.Origins = func(o string) bool { return o == "https://app.example.com" }
	})
	for _, origin := range []string{"https://app.example.com", "https://evil.example.com", ""} {
		r := httptest.NewRequest(http.MethodPost, "https://auth.example.com/connect/token", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		f.endpoint.Routes()[0].Refuse(w, r, &oauth.Error{Code: "slow_down", Description: "too many requests", Status: http.StatusTooManyRequests})
		var body map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusTooManyRequests || body["error"] != "slow_down" || body["error_description"] != "too many requests" || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("origin %q: %d %v %s", origin, w.Code, w.Header(), w.Body)
		}
		want := ""
		if origin == "https://app.example.com" {
			want = origin
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("origin %q: Access-Control-Allow-Origin %q", origin, got)
		}
	}
}

// Served without the chain, the endpoint has no issuer: a server error,
// logged, rather than tokens without iss.
func TestNoIssuer(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	f := newFixture(t, func(_ *fixture, o *Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	r := httptest.NewRequest(http.MethodPost, "/connect/token", strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("app", f.secret)
	w := httptest.NewRecorder()
	f.endpoint.ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError || !strings.Contains(logs.String(), "without an issuer in its context") {
		t.Errorf("%d %s\nlog: %s", w.Code, w.Body, logs)
	}
}

// The token endpoint answers browsers of the origins its clients list
// (AllowedCorsOrigins), and no other.
func TestTokenCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(_ *fixture, o *Options) {
		o.Origins = func(o string) bool { return o == "https://app.example.com" }
	})
	mux := mount(t, f.endpoint)
	do := func(method, origin string, preflight bool) *httptest.ResponseRecorder {
		var body *strings.Reader
		if method == http.MethodPost {
			body = strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode())
		} else {
			body = strings.NewReader("")
		}
		r := httptest.NewRequest(method, "https://auth.example.com/connect/token", body)
		if method == http.MethodPost {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth("app", f.secret)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if preflight {
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}

	w := do(http.MethodOptions, "https://app.example.com", true)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		w.Header().Get("Access-Control-Allow-Methods") != "POST" || w.Header().Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" ||
		w.Header().Get("Vary") != "Origin" {
		t.Errorf("preflight from an allowed origin: %d %v", w.Code, w.Header())
	}
	w = do(http.MethodPost, "https://app.example.com", false)
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" || w.Header().Get("Vary") != "Origin" {
		t.Errorf("token request from an allowed origin: %d %v %s", w.Code, w.Header(), w.Body)
	}
	for _, origin := range []string{"https://evil.example.com", "https://app.example.com.evil.example", "null", "https://APP.example.com"} {
		w = do(http.MethodOptions, origin, true)
		if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Code == http.StatusNoContent {
			t.Errorf("preflight from %s: %d %v", origin, w.Code, w.Header())
		}
		w = do(http.MethodPost, origin, false)
		if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "Origin" {
			t.Errorf("token request from %s: %v", origin, w.Header())
		}
	}
	w = do(http.MethodPost, "", false)
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "" {
		t.Errorf("token request without Origin: %d %v", w.Code, w.Header())
	}
}
