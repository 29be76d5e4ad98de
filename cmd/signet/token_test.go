package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/jwtauth"
)

// cliRun runs a signet command line against the host's environment, with
// a clock, and returns its exit code and outputs.
func (h *host) cliRun(now time.Time, stdin string, args ...string) (int, string, string) {
	h.t.Helper()
	var out, errb bytes.Buffer
	a := &app{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		lookupEnv: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok },
		term:      noTerminal(h.t),
		now:       func() time.Time { return now },
	}
	code := a.main(h.t.Context(), args)
	return code, out.String(), errb.String()
}

// A token service for the token command tests: one client, the RSA fixture
// certificate signing, the issuer where it listens.
func tokenService(t *testing.T) (*host, *instance) {
	t.Helper()
	h := newHost(t)
	return h, h.serve(h.config(fileKey(t, "rsa-openssl3.pfx"), ""), "")
}

func TestTokenGet(t *testing.T) {
	t.Parallel()
	h, srv := tokenService(t)
	h.env["APP_SECRET_ENV"] = appSecret
	secretFile := h.write("secret.txt", appSecret+"\n")
	now := time.Now()

	code, out, errs := h.cliRun(now, "", "token", "get", "--issuer", srv.base, "--client-id", "app", "--client-secret-env", "APP_SECRET_ENV", "--scope", "api1")
	if code != 0 || strings.Count(strings.TrimSpace(out), ".") != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	claims, _ := srv.verify(strings.TrimSpace(out))
	if claims["scope"] != "api1" || claims["client_id"] != "app" {
		t.Errorf("claims %v", claims)
	}

	code, out, errs = h.cliRun(now, "", "token", "get", "--issuer", srv.base, "--client-id", "app", "--client-secret-file", secretFile, "--post", "--json")
	var resp map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &resp) != nil || resp["token_type"] != "Bearer" || resp["scope"] != "api1 api2" {
		t.Fatalf("--post --json: exit %d, %q %q", code, out, errs)
	}

	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"wrong secret":   {[]string{"--issuer", srv.base, "--client-id", "app", "--client-secret-env", "WRONG"}, 1, "the token endpoint refused (401 Unauthorized): invalid_client: client authentication failed"},
		"bad scope":      {[]string{"--issuer", srv.base, "--client-id", "app", "--client-secret-env", "APP_SECRET_ENV", "--scope", "nope"}, 1, "invalid_scope: scope 'nope' is unknown or not allowed"},
		"issuer differs": {[]string{"--issuer", srv.base + "/", "--client-id", "app", "--client-secret-env", "APP_SECRET_ENV"}, 1, "give --issuer exactly as the server names itself"},
		"not an issuer":  {[]string{"--issuer", srv.base + "/nothing", "--client-id", "app", "--client-secret-env", "APP_SECRET_ENV"}, 1, "answered 404 Not Found: is the issuer right?"},
		"no secret":      {[]string{"--issuer", srv.base, "--client-id", "app"}, 2, "no client secret: give --client-secret-file FILE or --client-secret-env VAR"},
		"relative url":   {[]string{"--issuer", "localhost:5000", "--client-id", "app", "--client-secret-env", "APP_SECRET_ENV"}, 2, "is not an absolute URL"},
	} {
		t.Run(name, func(t *testing.T) {
			h.env["WRONG"] = "not-the-secret"
			code, out, errs := h.cliRun(now, "", append([]string{"token", "get"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) || out != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want %d and %q", code, errs, out, tc.code, tc.want)
			}
			if strings.Contains(errs, appSecret) || strings.Contains(errs, "not-the-secret") {
				t.Error("a secret is in the output")
			}
		})
	}
}

func TestTokenDecode(t *testing.T) {
	t.Parallel()
	h, srv := tokenService(t)
	tok := srv.token(oauth2.AuthStyleInHeader, "api1").AccessToken
	later := time.Now().Add(6 * time.Minute)

	code, out, errs := h.cliRun(later, "", "token", "decode", tok)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"NOT VERIFIED", `"typ": "at+jwt"`, `"kid": "`, `"scope": "api1"`,
		"iat  ", "issued 6 minutes ago", "exp  ", "expires in ", "Signature (256 bytes)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The test client's tokens live 10 minutes.
	if !regexp.MustCompile(`exp  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  \(expires in [34] minutes\)`).MatchString(out) {
		t.Errorf("exp in words:\n%s", out)
	}
	// After expiry, and from stdin with a Bearer prefix.
	code, out, _ = h.cliRun(time.Now().Add(3*time.Hour), "Bearer "+tok+"\n", "token", "decode", "-")
	if code != 0 || !strings.Contains(out, "expired 2 hours ago") {
		t.Errorf("expired: %d\n%s", code, out)
	}
	code, out, _ = h.cliRun(later, "", "token", "decode", tok, "--json")
	var d map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d["verified"] != false {
		t.Errorf("--json: %d %s", code, out)
	}
	for name, tc := range map[string]struct{ token, want string }{
		"two parts": {"a.b", "a JWT has three parts separated by dots; this has 2"},
		"one part":  {"abc", "a JWT has three parts separated by dots; this has 1"},
		"reference": {"1Qg0mHj7yV0n3bWc8nAPNqXw7ElS7b4sZ9o9yq6Lr2A", "this is an opaque handle, such as a reference access token"},
		"JWE":       {"a.b.c.d.e", "encrypted token (JWE"},
		"not json":  {"bm90IGpzb24.e30.c2ln", "the header is not a JSON object"},
		"not b64":   {"!!!.e30.c2ln", "the header is not base64url"},
	} {
		if code, _, errs := h.cliRun(later, "", "token", "decode", tc.token); code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
	}
}

func TestTokenVerify(t *testing.T) {
	t.Parallel()
	h, srv := tokenService(t)
	tok := srv.token(oauth2.AuthStyleInHeader, "api1").AccessToken
	now := time.Now()
	jwksFile := h.write("jwks.json", string(srv.get("/.well-known/openid-configuration/jwks")))
	cer := fixture(t, "rsa.cer")
	api := "https://api.example.com"

	ok := [][]string{
		{"--issuer", srv.base, "--audience", api},
		{"--issuer", srv.base, "--audience", api, "--scope", "api1"},
		{"--jwks", jwksFile, "--audience", api},
		{"--cert", cer, "--audience", api},
		{"--cert", cer},
	}
	for _, args := range ok {
		code, out, errs := h.cliRun(now, "", append([]string{"token", "verify", tok}, args...)...)
		if code != 0 || !strings.Contains(out, "Valid: the signature verifies and every check passes.") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		if (len(args) == 2 && args[0] == "--cert") != strings.Contains(out, "the audience was not checked") {
			t.Errorf("%v: the unchecked audience is not stated rightly:\n%s", args, out)
		}
	}

	other := otherSigner(t, tok)
	for name, tc := range map[string]struct {
		token string
		now   time.Time
		args  []string
		want  string
	}{
		"tampered payload": {tamper(t, tok, 1), now, []string{"--issuer", srv.base, "--audience", api}, "not valid: "},
		"tampered sig":     {tamper(t, tok, 2), now, []string{"--issuer", srv.base, "--audience", api}, "not valid: "},
		"wrong audience":   {tok, now, []string{"--issuer", srv.base, "--audience", "https://other.example"}, `expected "https://other.example"`},
		"expired":          {tok, now.Add(2 * time.Hour), []string{"--issuer", srv.base, "--audience", api}, "expired"},
		"missing scope":    {tok, now, []string{"--issuer", srv.base, "--audience", api, "--scope", "api2"}, `"api2"`},
		"unknown kid":      {other, now, []string{"--issuer", srv.base, "--audience", api}, "is not among"},
		"wrong issuer":     {tok, now, []string{"--jwks", jwksFile, "--issuer", "https://elsewhere.example", "--audience", api}, `expected "https://elsewhere.example"`},
		"typ not accepted": {tok, now, []string{"--issuer", srv.base, "--audience", api, "--type", "JWT"}, "typ"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errs := h.cliRun(tc.now, "", append([]string{"token", "verify", tc.token}, tc.args...)...)
			if code != 1 || !strings.Contains(errs, tc.want) || strings.Contains(out, "Valid:") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, errs, tc.want)
			}
		})
	}
	code, out, _ := h.cliRun(now.Add(2*time.Hour), "", "token", "verify", tok, "--issuer", srv.base, "--audience", api, "--json")
	var r map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &r) != nil || r["valid"] != false || r["reason"] != "expired" {
		t.Errorf("--json: %d %s", code, out)
	}
	if code, _, errs := h.cliRun(now, "", "token", "verify", tok); code != 2 || !strings.Contains(errs, "give the keys to verify with") {
		t.Errorf("no keys: %d %q", code, errs)
	}
}

// otherSigner signs the claims of tok with a key the issuer does not have.
func otherSigner(t *testing.T, tok string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "not-the-issuers"}}, (&jose.SignerOptions{}).WithType("at+jwt"))
	out, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jwtauth against a real Signet: discovery, JWKS, tokens from its token
// endpoint; the middleware's 401 and 403.
func TestJWTAuthAgainstSignet(t *testing.T) {
	t.Parallel()
	_, srv := tokenService(t)
	ctx := t.Context()
	v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: srv.base, Audience: "https://api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Ready(); err != nil {
		t.Fatal(err)
	}
	tok := srv.token(oauth2.AuthStyleInHeader, "api1").AccessToken
	claims, err := v.Validate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if claims.ClientID != "app" || !claims.HasScope("api1") || claims.Issuer != srv.base {
		t.Errorf("claims %+v", claims)
	}
	for part := range 3 {
		if _, err := v.Validate(ctx, tamper(t, tok, part)); err == nil {
			t.Errorf("part %d tampered: accepted", part)
		}
	}
	if _, err := v.Validate(ctx, otherSigner(t, tok)); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}

	api := v.Middleware(v.RequireScopes("api2")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFromContext(r.Context())
		_, _ = w.Write([]byte(c.Subject))
	})))
	call := func(token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		return w
	}
	if w := call(""); w.Code != 401 || w.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("no token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if w := call(tamper(t, tok, 2)); w.Code != 401 || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("bad token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if w := call(tok); w.Code != 403 || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Errorf("api1 token on an api2 route: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	both := srv.token(oauth2.AuthStyleInHeader, "api1", "api2").AccessToken
	if w := call(both); w.Code != 200 || w.Body.String() != "app" {
		t.Errorf("api2 token: %d %q", w.Code, w.Body.String())
	}
}
