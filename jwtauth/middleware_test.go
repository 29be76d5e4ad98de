package jwtauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/jwtauth"
)

// hello answers 200 with the token's subject and scopes.
var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := jwtauth.ClaimsFromContext(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte(c.Subject + " " + strings.Join(c.Scopes, ",")))
})

type response struct {
	status int
	header http.Header
	body   map[string]string
	text   string
}

func serve(t *testing.T, h http.Handler, path string, authorization ...string) response {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	for _, a := range authorization {
		r.Header.Add("Authorization", a)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := response{status: w.Code, header: w.Header(), text: w.Body.String()}
	if w.Code != http.StatusOK {
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &res.body); err != nil {
			t.Errorf("body %q: %v", w.Body.String(), err)
		}
	}
	return res
}

// checkChallenge parses a WWW-Authenticate value of the form
// Bearer error="...", error_description="..."[, scope="..."] and checks
// that every quoted value is quote-safe (RFC 6750 §3).
func checkChallenge(t *testing.T, value, code, scope string) {
	t.Helper()
	rest, ok := strings.CutPrefix(value, `Bearer error="`+code+`", error_description="`)
	if !ok {
		t.Fatalf("WWW-Authenticate %q, want error %q", value, code)
	}
	desc, after, ok := strings.Cut(rest, `"`)
	if !ok {
		t.Fatalf("WWW-Authenticate %q: unterminated description", value)
	}
	for _, c := range []byte(desc) {
		if c < 0x20 || c > 0x7e || c == '\\' {
			t.Errorf("description %q has %q", desc, c)
		}
	}
	wantAfter := ""
	if scope != "" {
		wantAfter = `, scope="` + scope + `"`
	}
	if after != wantAfter {
		t.Errorf("WWW-Authenticate %q ends with %q, want %q", value, after, wantAfter)
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	k := key("rsa")
	p := newProvider(t, k)
	v := newValidator(t, p, func(o *jwtauth.Options) { o.RequiredScopes = []string{"api1"} })
	h := v.Middleware(hello)
	base := claimsFor(p.issuer)
	valid := sign(t, k, nil, base)
	expired := sign(t, k, nil, with(base, map[string]any{"exp": testNow.Add(-time.Hour).Unix()}))
	tests := []struct {
		name          string
		authorization []string
		status        int
		code          string // the error code, in the challenge and the body
		scope         string
		text          string // the body of a 200, or a part of error_description
	}{
		{"valid", []string{"Bearer " + valid}, 200, "", "", "client1 api1,api2"},
		{"scheme in any case, extra spaces", []string{"bEARER   " + valid + " "}, 200, "", "", "client1 api1,api2"},
		{"no credentials", nil, 401, "", "", "this API requires a Bearer token"},
		{"another scheme", []string{"Basic Y2xpZW50MTpzZWNyZXQ="}, 401, "", "", "does not use the Bearer scheme"},
		{"Bearer without a token", []string{"Bearer"}, 400, "invalid_request", "", "no token"},
		{"Bearer and spaces", []string{"Bearer   "}, 400, "invalid_request", "", "no token"},
		{"two Authorization headers", []string{"Bearer " + valid, "Bearer " + valid}, 400, "invalid_request", "", "more than one Authorization header"},
		{"expired", []string{"Bearer " + expired}, 401, "invalid_token", "", "token expired 1h0m0s ago"},
		{"garbage", []string{"Bearer abc"}, 401, "invalid_token", "", "no dots"},
		{"wrong audience", []string{"Bearer " + sign(t, k, nil, with(base, map[string]any{"aud": "x"}))}, 401, "invalid_token", "", `audience is ["x"]`},
		{"bad signature", []string{"Bearer " + valid[:len(valid)-2] + "AA"}, 401, "invalid_token", "", ""},
		{"missing scope", []string{"Bearer " + sign(t, k, nil, with(base, map[string]any{"scope": "api2"}))}, 403, "insufficient_scope", "api1", `missing scope "api1" (has: api2)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := serve(t, h, "/", tt.authorization...)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.text)
			}
			if tt.status == 200 {
				if res.text != tt.text {
					t.Errorf("body %q, want %q", res.text, tt.text)
				}
				return
			}
			challenge := res.header.Get("WWW-Authenticate")
			if tt.code == "" {
				if challenge != "Bearer" {
					t.Errorf("WWW-Authenticate %q, want Bearer", challenge)
				}
				if _, ok := res.body["error"]; ok {
					t.Errorf("body %v has an error code", res.body)
				}
			} else {
				checkChallenge(t, challenge, tt.code, tt.scope)
				if res.body["error"] != tt.code {
					t.Errorf("body %v, want error %q", res.body, tt.code)
				}
			}
			if !strings.Contains(res.body["error_description"], tt.text) {
				t.Errorf("error_description %q does not contain %q", res.body["error_description"], tt.text)
			}
		})
	}
}

// The keys unavailable: 503 with Retry-After, not 401.
func TestMiddlewareKeysUnavailable(t *testing.T) {
	t.Parallel()
	p := newProvider(t, key("rsa"))
	p.down.Store(true)
	v := newTimedValidator(t, t.Context(), p, fast(), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+sign(t, key("rsa"), nil, claimsFor(p.issuer)))
	w := httptest.NewRecorder()
	v.Middleware(hello).ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	if w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("WWW-Authenticate %q on a 503", w.Header().Get("WWW-Authenticate"))
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] != "temporarily_unavailable" || strings.Contains(body["error_description"], p.issuer) {
		t.Errorf("body %s", w.Body)
	}
}

func TestRequireScopes(t *testing.T) {
	t.Parallel()
	k := key("rsa")
	iss := "https://issuer"
	v := staticValidator(t, iss, func(o *jwtauth.Options) { o.RequiredScopes = []string{"api1"} }, k)
	mux := http.NewServeMux()
	mux.Handle("/read", v.RequireScopes("read")(hello))
	mux.Handle("/write", v.RequireScopes("read", "write")(hello))
	mux.Handle("/any", hello)
	inside := v.Middleware(mux)

	base := claimsFor(iss)
	reader := "Bearer " + sign(t, k, nil, with(base, map[string]any{"scope": "api1 read"}))
	writer := "Bearer " + sign(t, k, nil, with(base, map[string]any{"scope": "api1 read write"}))
	noAPI := "Bearer " + sign(t, k, nil, with(base, map[string]any{"scope": "read write"}))
	tests := []struct {
		name          string
		h             http.Handler
		path          string
		authorization string
		status        int
		scope         string
	}{
		{"inside Middleware: reader reads", inside, "/read", reader, 200, ""},
		{"inside Middleware: reader cannot write", inside, "/write", reader, 403, "api1 read write"},
		{"inside Middleware: writer writes", inside, "/write", writer, 200, ""},
		{"inside Middleware: any route", inside, "/any", reader, 200, ""},
		{"inside Middleware: Options.RequiredScopes first", inside, "/any", noAPI, 403, "api1"},
		{"alone: validates the token", mux, "/read", reader, 200, ""},
		{"alone: reader cannot write", mux, "/write", reader, 403, "api1 read write"},
		{"alone: no token", mux, "/write", "", 401, ""},
		{"alone: Options.RequiredScopes", mux, "/read", noAPI, 403, "api1 read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var auth []string
			if tt.authorization != "" {
				auth = append(auth, tt.authorization)
			}
			res := serve(t, tt.h, tt.path, auth...)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.text)
			}
			if tt.status == 403 {
				checkChallenge(t, res.header.Get("WWW-Authenticate"), "insufficient_scope", tt.scope)
			}
		})
	}
}

// RequireScopes of another Validator does not trust this one's claims.
func TestRequireScopesOtherValidator(t *testing.T) {
	t.Parallel()
	k := key("rsa")
	iss := "https://issuer"
	a := staticValidator(t, iss, nil, k)
	b := staticValidator(t, iss, func(o *jwtauth.Options) { o.Audience = "https://other-api" }, k)
	h := a.Middleware(b.RequireScopes("api1")(hello))
	res := serve(t, h, "/", "Bearer "+sign(t, k, nil, claimsFor(iss)))
	if res.status != 401 || !strings.Contains(res.body["error_description"], "audience") {
		t.Errorf("status %d, body %v", res.status, res.body)
	}
}

func TestHeaderSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`kid "ABC" is not among`:     `kid 'ABC' is not among`,
		"a\\b\nc\x00d\u00e9e\x7f":    "a/b?c?d??e?",
		strings.Repeat("x", 1000):    strings.Repeat("x", 400),
		"plain text: 1-2_3 [ok] {}~": "plain text: 1-2_3 [ok] {}~",
	} {
		if got := jwtauth.HeaderSafe(in); got != want {
			t.Errorf("HeaderSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
