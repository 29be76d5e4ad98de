package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
)

// TestRouteHeaders walks every route a fully configured server mounts
// (sign-in with users, a provider, passkeys, introspection, revocation,
// userinfo, the welcome page, discovery, the probes) with a bare request
// of the route's method, and checks the headers each Kind must carry on
// whatever it answers, errors included: Cache-Control no-store and Pragma
// no-cache from the token, introspection, revocation and userinfo
// endpoints; a Content-Security-Policy with frame-ancestors 'none',
// X-Content-Type-Options nosniff and a Referrer-Policy on every page.
func TestRouteHeaders(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	config := h.config(fileKey(t, "rsa-openssl3.pfx"), `  - clientId: web
    secrets:
      - value: web-secret-0123456789abcdef
    allowedGrantTypes: [authorization_code, refresh_token]
    allowedScopes: [openid, profile, api1]
    redirectUris: [https://web.example/cb]
users:
  - subjectId: u1
    username: carol
    password: carol-password-0123456789
externalProviders:
  - name: gh
    type: github
    clientId: gh-client
    clientSecret: gh-secret-0123456789
`)
	routes := make(chan []endpoint.Route, 1)
	inst, err := h.run(&serveCmd{config: config, listen: "127.0.0.1:0", routes: routes})
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, inst.logs)
	}
	mounted := <-routes
	kinds := map[endpoint.Kind]int{}
	noStore := map[string]bool{"/connect/token": false, "/connect/introspect": false, "/connect/revocation": false, "/connect/userinfo": false}
	for _, rt := range mounted {
		kinds[rt.Kind]++
		method, path := rt.Method, rt.Path
		if method == "" {
			method = http.MethodGet
		}
		if rt.Subtree {
			path += "gh"
		}
		req, err := http.NewRequestWithContext(t.Context(), method, inst.base+path, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if method == http.MethodOptions {
			req.Header.Set("Origin", "https://web.example")
			req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		got := resp.Header
		what := method + " " + path + " (" + rt.Kind.String() + ", " + resp.Status + ")"
		if _, ok := noStore[rt.Path]; ok {
			noStore[rt.Path] = true
			if got.Get("Cache-Control") != "no-store" || got.Get("Pragma") != "no-cache" {
				t.Errorf("%s: Cache-Control %q, Pragma %q; want no-store, no-cache", what, got.Get("Cache-Control"), got.Get("Pragma"))
			}
		}
		if rt.Kind == endpoint.Page {
			if csp := got.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", what, csp)
			}
			if got.Get("X-Content-Type-Options") != "nosniff" || got.Get("Referrer-Policy") == "" {
				t.Errorf("%s: X-Content-Type-Options %q, Referrer-Policy %q", what, got.Get("X-Content-Type-Options"), got.Get("Referrer-Policy"))
			}
		}
	}
	for path, seen := range noStore {
		if !seen {
			t.Errorf("%s is not mounted", path)
		}
	}
	if kinds[endpoint.Page] < 10 || kinds[endpoint.API] < 10 || kinds[endpoint.Health] < 2 {
		t.Errorf("routes by kind %v: the server is not fully configured", kinds)
	}
}

// noRedirects is a client that returns redirects rather than following
// them, so that the headers checked are the route's own.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
