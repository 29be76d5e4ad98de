package grant

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage/memory"
)

const issuer = "https://auth.example.com"

var testRing *signing.Ring

// TestMain makes one development-key ring for all tests (RSA generation is
// slow) in a directory it removes afterwards.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "signet-grant-test")
	if err != nil {
		panic(err)
	}
	got, err := signing.Loader{DataDir: dir}.Load(signing.Spec{Type: "Development"}, false)
	if err == nil {
		testRing, err = signing.NewRing(got.Keys, nil, signing.RingOptions{})
	}
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func ring(testing.TB) *signing.Ring { return testRing }

type fixture struct {
	t         testing.TB
	endpoint  *Endpoint
	auth      *clientauth.Authenticator
	tokens    *tokens.Service
	clients   client.Static
	clientKey *ecdsa.PrivateKey
	secret    string
	now       time.Time
}

// newFixture makes a token endpoint of the built-in grants, with clients
// "app" (secrets), "jwt-app" (private_key_jwt), "no-cc" (not allowed
// client_credentials) and "spa" (public); options change its Options
// before it is made.
func newFixture(t testing.TB, options ...func(*fixture, *Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, secret: secret.Generate(), now: time.Now()}
	f.clientKey = testsupport.ECKey(t)
	secrets := testsupport.Secrets(t, f.secret, f.now.Add(-time.Hour))
	f.clients = client.Static{
		"app": {ID: "app", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1", "api2"},
			Secrets: secrets, AccessTokenLifetime: 10 * time.Minute},
		"jwt-app": {ID: "jwt-app", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1"},
			Keys: testsupport.KeySet(f.clientKey, "client-key-1")},
		"no-cc": {ID: "no-cc", GrantTypes: []string{"authorization_code"}, Scopes: []string{"api1"}, Secrets: secrets[:1]},
		"spa":   {ID: "spa", Public: true, GrantTypes: []string{"client_credentials", publicGrantType}, Scopes: []string{"api1"}},
	}
	now := func() time.Time { return f.now }
	f.auth = &clientauth.Authenticator{
		Clients: f.clients, Replay: memory.New(memory.Options{}), RemoteKeys: &clientauth.RemoteKeys{},
		IssuerConfigured: true,
		Now:              now,
	}
	f.tokens = &tokens.Service{
		Signer: ring(t),
		Resources: func() tokens.Resources {
			return tokens.Resources{Scopes: []string{"api1", "api2"}, ByScope: map[string][]string{"api1": {"https://api.example.com"}}}
		},
		Now: now,
	}
	opts := Options{Auth: f.auth, Tokens: f.tokens}
	for _, o := range options {
		o(f, &opts)
	}
	f.endpoint = New(opts)
	return f
}

type result struct {
	status int
	header http.Header
	body   map[string]any
}

func (f *fixture) post(form url.Values, mutate ...func(*http.Request)) result {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/connect/token", strings.NewReader(form.Encode()))
	r = r.WithContext(endpoint.WithIssuer(r.Context(), issuer))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, m := range mutate {
		m(r)
	}
	w := httptest.NewRecorder()
	f.endpoint.ServeHTTP(w, r)
	res := result{status: w.Code, header: w.Header()}
	data, _ := io.ReadAll(w.Body)
	if err := json.Unmarshal(data, &res.body); err != nil {
		f.t.Fatalf("body is not JSON: %q", data)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		f.t.Errorf("Cache-Control %q, want no-store", cc)
	}
	return res
}

func basic(id, secret string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
	}
}

// assertion is signed by jwt-app's key, kid client-key-1.
func (f *fixture) assertion(claims map[string]any, headers ...func(*jose.SignerOptions)) string {
	f.t.Helper()
	return testsupport.SignAssertion(f.t, jose.ES256, f.clientKey, "client-key-1", claims, headers...)
}

func (f *fixture) goodClaims() map[string]any {
	return testsupport.AssertionClaims("jwt-app", issuer+"/connect/token", f.now)
}

func assertionForm(tok string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {oauth.ClientAssertionJWT}, "client_assertion": {tok}}
}

func TestClientCredentialsSuccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, tc := range map[string]struct {
		form   url.Values
		mutate []func(*http.Request)
		scope  string
		aud    any
	}{
		"basic, all scopes": {url.Values{"grant_type": {"client_credentials"}}, []func(*http.Request){basic("app", f.secret)}, "api1 api2", "https://api.example.com"},
		"post, one scope":   {url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {f.secret}, "scope": {"api2"}}, nil, "api2", issuer + "/resources"},
		"repeated scope":    {url.Values{"grant_type": {"client_credentials"}, "scope": {"api1  api1"}}, []func(*http.Request){basic("app", f.secret)}, "api1", "https://api.example.com"},
		"private_key_jwt":   {assertionForm(f.assertion(f.goodClaims())), nil, "api1", "https://api.example.com"},
	} {
		t.Run(name, func(t *testing.T) {
			res := f.post(tc.form, tc.mutate...)
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %v", res.status, res.body)
			}
			if res.body["token_type"] != "Bearer" || res.body["scope"] != tc.scope {
				t.Errorf("response %v", res.body)
			}
			tok := res.body["access_token"].(string)
			parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatal(err)
			}
			if typ := parsed.Headers[0].ExtraHeaders["typ"]; typ != "at+jwt" || parsed.Headers[0].KeyID == "" {
				t.Errorf("header typ %v kid %q", typ, parsed.Headers[0].KeyID)
			}
			var claims map[string]any
			if err := parsed.Claims(ring(t).Signer().Public, &claims); err != nil {
				t.Fatal(err)
			}
			client := claims["client_id"]
			if claims["iss"] != issuer || claims["sub"] != client || claims["scope"] != tc.scope || claims["aud"] != tc.aud {
				t.Errorf("claims %v", claims)
			}
			for _, c := range []string{"iat", "nbf", "exp", "jti"} {
				if claims[c] == nil {
					t.Errorf("claim %s missing", c)
				}
			}
			if client == "app" {
				if exp := claims["exp"].(float64) - claims["iat"].(float64); exp != 600 || res.body["expires_in"] != float64(600) {
					t.Errorf("lifetime %v, expires_in %v; want the client's 600 s", exp, res.body["expires_in"])
				}
			}
		})
	}
}

// with is a copy of base with the parameters kv (name, value, ...) set.
func with(base url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// Every error of the token endpoint: its OAuth code and HTTP status.
func TestTokenErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cc := url.Values{"grant_type": {"client_credentials"}}
	claims := func(change func(map[string]any)) string {
		c := f.goodClaims()
		change(c)
		return f.assertion(c)
	}
	replayed := f.assertion(f.goodClaims())
	if res := f.post(assertionForm(replayed)); res.status != 200 {
		t.Fatalf("first use of the assertion: %v", res.body)
	}
	tests := []struct {
		name   string
		form   url.Values
		mutate []func(*http.Request)
		code   string
		status int
		desc   string
	}{
		{"missing grant_type", url.Values{}, []func(*http.Request){basic("app", f.secret)}, "invalid_request", 400, "grant_type is missing"},
		{"unsupported grant_type", url.Values{"grant_type": {"password"}}, []func(*http.Request){basic("app", f.secret)}, "unsupported_grant_type", 400, `'password' is not supported`},
		{"wrong secret (basic)", cc, []func(*http.Request){basic("app", "wrong")}, "invalid_client", 401, "client authentication failed"},
		{"expired secret", cc, []func(*http.Request){basic("app", "expired-secret")}, "invalid_client", 401, "client authentication failed"},
		{"unknown client (post)", with(cc, "client_id", "nobody", "client_secret", "x"), nil, "invalid_client", 401, "client authentication failed"},
		{"no authentication", cc, nil, "invalid_client", 401, "did not authenticate"},
		{"secret without client_id", with(cc, "client_secret", "x"), nil, "invalid_client", 401, "without client_id"},
		{"two methods", with(cc, "client_id", "app", "client_secret", f.secret), []func(*http.Request){basic("app", f.secret)}, "invalid_request", 400, "more than one authentication method"},
		{"body client_id differs from basic", with(cc, "client_id", "other"), []func(*http.Request){basic("app", f.secret)}, "invalid_request", 400, "differs"},
		{"malformed basic", cc, []func(*http.Request){func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }}, "invalid_client", 401, "not valid base64"},
		{"bearer instead of basic", cc, []func(*http.Request){func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }}, "invalid_client", 401, "Basic scheme"},
		{"grant not allowed", cc, []func(*http.Request){basic("no-cc", f.secret)}, "unauthorized_client", 400, "may not use grant_type client_credentials"},
		{"client_id alone of a confidential client", with(cc, "client_id", "app"), nil, "invalid_client", 401, "the client did not authenticate: use client_secret_basic, client_secret_post or private_key_jwt"},
		{"client_id alone of an unknown client", with(cc, "client_id", "nobody"), nil, "invalid_client", 401, "the client did not authenticate: use client_secret_basic, client_secret_post or private_key_jwt"},
		// The sign-in grants take public clients, so a public client's
		// client_id alone authenticates it; client_credentials still
		// refuses it.
		{"client_id alone of a public client", with(cc, "client_id", "spa"), nil, "unauthorized_client", 400, "is a public client (requireClientSecret: false), and grant_type client_credentials needs a confidential client"},
		{"scope not allowed", with(cc, "scope", "api1 admin"), []func(*http.Request){basic("app", f.secret)}, "invalid_scope", 400, `scope 'admin' is unknown or not allowed`},
		{"repeated parameter", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, []func(*http.Request){basic("app", f.secret)}, "invalid_request", 400, `'grant_type' is repeated`},
		{"wrong content type", cc, []func(*http.Request){basic("app", f.secret), func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }}, "invalid_request", 400, "application/x-www-form-urlencoded"},
		{"GET", cc, []func(*http.Request){basic("app", f.secret), func(r *http.Request) { r.Method = http.MethodGet }}, "invalid_request", 405, "POST requests only"},
		{"body too large", with(cc, "pad", strings.Repeat("x", MaxRequestBytes)), []func(*http.Request){basic("app", f.secret)}, "invalid_request", 413, "over 64 KiB"},
		// private_key_jwt
		{"assertion replayed", assertionForm(replayed), nil, "invalid_client", 401, "jti was used before"},
		{"assertion without type", url.Values{"grant_type": {"client_credentials"}, "client_assertion": {replayed}}, nil, "invalid_request", 400, "without client_assertion_type"},
		{"assertion of another type", with(assertionForm(replayed), "client_assertion_type", "urn:x"), nil, "invalid_client", 401, "is not supported"},
		{"assertion not a JWT", assertionForm("not.a.jwt"), nil, "invalid_client", 401, "not a signed JWT"},
		{"assertion alg none", assertionForm(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"jwt-app"}`)) + "."), nil, "invalid_client", 401, "client assertion: its algorithm is not allowed; sign it with one of [RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA] (no none, no HMAC)"},
		{"assertion HS256", assertionForm(hs256(t)), nil, "invalid_client", 401, "algorithm is not allowed"},
		{"assertion expired", assertionForm(claims(func(c map[string]any) { c["exp"] = f.now.Add(-5 * time.Minute).Unix() })), nil, "invalid_client", 401, "it expired"},
		{"assertion without exp", assertionForm(claims(func(c map[string]any) { delete(c, "exp") })), nil, "invalid_client", 401, "has no exp"},
		{"assertion lives long", assertionForm(claims(func(c map[string]any) { c["exp"] = f.now.Add(time.Hour).Unix() })), nil, "invalid_client", 401, "must expire within 10m0s"},
		{"assertion without jti", assertionForm(claims(func(c map[string]any) { delete(c, "jti") })), nil, "invalid_client", 401, "has no jti"},
		{"assertion wrong aud", assertionForm(claims(func(c map[string]any) { c["aud"] = "https://elsewhere" })), nil, "invalid_client", 401, "aud"},
		{"assertion issuer as aud", assertionForm(claims(func(c map[string]any) { c["aud"] = issuer })), nil, "", 200, ""},
		{"assertion iss differs", assertionForm(claims(func(c map[string]any) { c["iss"] = "someone" })), nil, "invalid_client", 401, "iss"},
		{"assertion unknown client", assertionForm(claims(func(c map[string]any) { c["sub"], c["iss"] = "nobody", "nobody" })), nil, "invalid_client", 401, "signature does not verify with the client's registered keys"},
		{"assertion of MSAL's lifetime", assertionForm(claims(func(c map[string]any) { c["exp"] = f.now.Add(10 * time.Minute).Unix() })), nil, "", 200, ""},
		{"assertion client_id differs", with(assertionForm(f.assertion(f.goodClaims())), "client_id", "app"), nil, "invalid_client", 401, "differs"},
		{"assertion from a client without keys", assertionForm(claims(func(c map[string]any) { c["sub"], c["iss"] = "app", "app" })), nil, "invalid_client", 401, "signature does not verify with the client's registered keys"},
		{"assertion unknown kid", assertionForm(f.assertion(f.goodClaims(), func(o *jose.SignerOptions) { o.WithHeader("kid", "other") })), nil, "invalid_client", 401, "signature does not verify with the client's registered keys"},
		{"assertion signed by another key", assertionForm(otherKeyAssertion(t, f)), nil, "invalid_client", 401, "does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.post(tt.form, tt.mutate...)
			if tt.status == 200 {
				if res.status != 200 {
					t.Fatalf("status %d: %v", res.status, res.body)
				}
				return
			}
			if res.status != tt.status || res.body["error"] != tt.code {
				t.Fatalf("status %d, error %v (%v); want %d %s", res.status, res.body["error"], res.body["error_description"], tt.status, tt.code)
			}
			desc, _ := res.body["error_description"].(string)
			if tt.desc == "" {
				t.Fatal("the case must give what the description says: any description contains \"\"")
			}
			if !strings.Contains(desc, tt.desc) {
				t.Errorf("description %q, want %q", desc, tt.desc)
			}
			// Every 401 carries the Basic challenge (RFC 6749 §5.2 after
			// Basic, RFC 9110 §15.5.2 for any 401); no other status does.
			want := ""
			if res.status == http.StatusUnauthorized {
				want = `Basic realm="signet", charset="UTF-8"`
			}
			if got := strings.Join(res.header.Values("WWW-Authenticate"), "\n"); got != want {
				t.Errorf("WWW-Authenticate %q, want %q", got, want)
			}
			if tt.status == 405 && res.header.Get("Allow") != "POST" {
				t.Errorf("Allow %q", res.header.Get("Allow"))
			}
			if strings.Contains(desc, f.secret) {
				t.Fatal("the secret is in the response")
			}
		})
	}
}

func hs256(t *testing.T) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jwt.Signed(s).Claims(map[string]any{"sub": "jwt-app", "iss": "jwt-app"}).Serialize()
	return tok
}

// otherKeyAssertion is a valid assertion of jwt-app but for its signature:
// another key's, under the kid of jwt-app's key.
func otherKeyAssertion(t *testing.T, f *fixture) string {
	return testsupport.SignAssertion(t, jose.ES256, testsupport.ECKey(t), "client-key-1", f.goodClaims())
}

// accessTokenJwtType: JWT, for validators that refuse at+jwt.
func TestTokenTypeJWT(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.tokens.AccessTokenType = "JWT"
	res := f.post(url.Values{"grant_type": {"client_credentials"}}, basic("app", f.secret))
	if res.status != 200 {
		t.Fatalf("%v", res.body)
	}
	parsed, err := jwt.ParseSigned(res.body["access_token"].(string), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if typ := parsed.Headers[0].ExtraHeaders["typ"]; typ != "JWT" {
		t.Errorf("typ %v, want JWT", typ)
	}
}
