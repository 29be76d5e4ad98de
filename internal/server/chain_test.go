package server_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/signetid/signet/internal/grant"

	"github.com/signetid/signet/internal/discovery"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/health"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/welcome"
)

// hookLog records what a Middleware saw: once per route when the server is
// built, and per request.
type hookLog struct {
	mu       sync.Mutex
	built    []string
	requests []string
}

func (h *hookLog) add(list *[]string, s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	*list = append(*list, s)
}

// middleware records each route it wraps and each request it serves (with
// the issuer and id the chain put in the context), and refuses the request
// with the route's Refuse when it has an X-Test-Limit header, as a rate
// limit would.
func (h *hookLog) middleware(rt endpoint.Route, next http.Handler) http.Handler {
	h.add(&h.built, fmt.Sprintf("%s %s %v refuse=%v", cmpOr(rt.Method, "*"), cmpOr(rt.Path, "-"), rt.Kind, rt.Refuse != nil))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		h.add(&h.requests, fmt.Sprintf("%s %s via %s %s issuer=%s id=%v", r.Method, r.URL.Path, cmpOr(rt.Method, "*"), cmpOr(rt.Path, "-"), endpoint.Issuer(ctx), endpoint.RequestID(ctx) != ""))
		if r.Header.Get("X-Test-Limit") != "" {
			rt.Refuse(w, r, &oauth.Error{Code: "slow_down", Description: "too many requests", Status: http.StatusTooManyRequests})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// Every route, and the fallbacks (405 for a path's other methods, 404 and
// redirects for the rest), goes through the chain and the Middleware: each
// hook is built once per route, sees the route's Kind and a Refuse, and
// runs with the issuer and the request id in the context; what it answers
// is logged.
func TestMiddlewareWrapsEveryRoute(t *testing.T) {
	t.Parallel()
	hooks := &hookLog{}
	logs := &syncBuffer{}
	srv := newServer(t, setup{
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Middleware: []endpoint.Middleware{hooks.middleware},
	})
	built := slices.Clone(hooks.built)
	slices.Sort(built)
	want := []string{
		"* - api refuse=true", // paths no route has
		"* / page refuse=true",
		"* " + discovery.Path + " api refuse=true",
		"* " + discovery.PathJWKS + " api refuse=true",
		"* " + discovery.PathOAuthMetadata + " api refuse=true",
		"* " + health.PathLive + " health refuse=true",
		"* " + health.PathReady + " health refuse=true",
		"* " + grant.Path + " api refuse=true", // the token endpoint's other methods
		"* " + grant.Path + " api refuse=true", // its path's fallback, never used
		"POST " + grant.Path + " api refuse=true",
		"OPTIONS " + grant.Path + " api refuse=true",
		"GET / page refuse=true",
		"GET " + discovery.Path + " api refuse=true",
		"GET " + discovery.PathJWKS + " api refuse=true",
		"GET " + discovery.PathOAuthMetadata + " api refuse=true",
		"GET " + health.PathLive + " health refuse=true",
		"GET " + health.PathReady + " health refuse=true",
		"OPTIONS " + discovery.Path + " api refuse=true",
		"OPTIONS " + discovery.PathJWKS + " api refuse=true",
		"OPTIONS " + discovery.PathOAuthMetadata + " api refuse=true",
	}
	slices.Sort(want)
	if !slices.Equal(built, want) {
		t.Errorf("middleware built for:\n%s\nwant:\n%s", strings.Join(built, "\n"), strings.Join(want, "\n"))
	}

	for _, tt := range []struct {
		method, target string
		header         []string
		status         int
		via            string
	}{
		{method: "GET", target: discovery.PathJWKS, status: 200, via: "GET " + discovery.PathJWKS},
		{method: "HEAD", target: discovery.PathJWKS, status: 200, via: "GET " + discovery.PathJWKS},
		{method: "POST", target: discovery.PathJWKS, status: 405, via: "* " + discovery.PathJWKS},
		{method: "GET", target: grant.Path, status: 405, via: "* " + grant.Path},
		{method: "GET", target: "/", status: 200, via: "GET /"},
		{method: "GET", target: "/nothing-here", status: 404, via: "* -"},
		{method: "GET", target: "//healthz", status: 307, via: "* -"},
		{method: "DELETE", target: health.PathLive, status: 405, via: "* " + health.PathLive},
		{method: "GET", target: discovery.Path, header: []string{"X-Test-Limit", "1"}, status: 429, via: "GET " + discovery.Path},
		{method: "POST", target: grant.Path, header: []string{"X-Test-Limit", "1"}, status: 429, via: "POST " + grant.Path},
	} {
		hooks.mu.Lock()
		hooks.requests = nil
		hooks.mu.Unlock()
		r := httptest.NewRequest(tt.method, tt.target, nil)
		r.Host = "auth.test"
		for i := 0; i+1 < len(tt.header); i += 2 {
			r.Header.Set(tt.header[i], tt.header[i+1])
		}
		res := do(srv, r)
		wantReq := fmt.Sprintf("%s %s via %s issuer=http://auth.test id=true", tt.method, r.URL.Path, tt.via)
		if res.status != tt.status || len(hooks.requests) != 1 || hooks.requests[0] != wantReq {
			t.Errorf("%s %s: %d, hooks ran %q; want %d and [%s]", tt.method, tt.target, res.status, hooks.requests, tt.status, wantReq)
		}
		if tt.status == 429 {
			// Each route's refusal is its endpoint's: JSON for the token
			// endpoint, plain text for the others.
			json := tt.target == grant.Path
			if got := strings.HasPrefix(res.header.Get("Content-Type"), "application/json"); got != json {
				t.Errorf("%s refused as %q: %s", tt.target, res.header.Get("Content-Type"), res.body)
			}
		}
	}
	out := logs.String()
	for _, want := range []string{
		"level=INFO msg=request method=GET path=/nothing-here status=404",
		"level=INFO msg=request method=GET path=//healthz status=307",
		"level=DEBUG msg=request method=DELETE path=/healthz status=405", // a probe's path, logged as probes are
		"level=INFO msg=request method=GET path=" + discovery.Path + " status=429",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in the log:\n%s", want, out)
		}
	}
}

// Each request gets an id, logged as request_id on its access line and the
// one endpoints read: a new one, unless trustProxy is set and the proxy
// sent one well-formed X-Request-Id.
func TestRequestID(t *testing.T) {
	t.Parallel()
	idRe := regexp.MustCompile(`request_id=(\S+)`)
	for _, tt := range []struct {
		name       string
		trustProxy bool
		header     []string
		want       string // "" for a new one
	}{
		{name: "none sent"},
		{name: "sent without trustProxy", header: []string{"abc-123"}},
		{name: "sent with trustProxy", trustProxy: true, header: []string{"abc-123"}, want: "abc-123"},
		{name: "a UUID", trustProxy: true, header: []string{"0f8fad5b-d9cb-469f-a165-70867728950e"}, want: "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{name: "hex", trustProxy: true, header: []string{"4f6e1c2a9b3d8e7f0a1b2c3d4e5f6a7b"}, want: "4f6e1c2a9b3d8e7f0a1b2c3d4e5f6a7b"},
		{name: "with an equals sign", trustProxy: true, header: []string{"a=b"}},
		{name: "with a space", trustProxy: true, header: []string{"abc 123"}},
		{name: "with a quote", trustProxy: true, header: []string{`abc"123`}},
		{name: "too long", trustProxy: true, header: []string{strings.Repeat("a", 129)}},
		{name: "empty", trustProxy: true, header: []string{""}},
		{name: "twice", trustProxy: true, header: []string{"abc", "def"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			srv := newServer(t, setup{TrustProxy: tt.trustProxy, Probe: true, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			var seen []string
			for range 2 {
				r := httptest.NewRequest(http.MethodGet, probePath, nil)
				for _, v := range tt.header {
					r.Header.Add("X-Request-Id", v)
				}
				res := do(srv, r)
				_, id, _ := strings.Cut(string(res.body), " ")
				seen = append(seen, id)
			}
			var logged []string
			for _, m := range idRe.FindAllStringSubmatch(logs.String(), -1) {
				logged = append(logged, m[1])
			}
			if !slices.Equal(logged, seen) {
				t.Errorf("logged %q, endpoints saw %q", logged, seen)
			}
			if tt.want != "" {
				if seen[0] != tt.want || seen[1] != tt.want {
					t.Errorf("ids %q, want the proxy's %q", seen, tt.want)
				}
				return
			}
			if seen[0] == seen[1] || !regexp.MustCompile(`^[a-z2-7]{8}-[0-9]+$`).MatchString(seen[0]) {
				t.Errorf("new ids %q: want two different ones", seen)
			}
		})
	}
}

// Routes are exact literal paths, one handler per method and path: a
// mistake in an endpoint stops New, as http.ServeMux's Handle does.
func TestNewRefusesBadRoutes(t *testing.T) {
	t.Parallel()
	h := http.NotFoundHandler()
	for name, routes := range map[string][]endpoint.Route{
		"same method and path": {{Method: "GET", Path: "/a", Handler: h}, {Method: "GET", Path: "/a", Handler: h}},
		"two for every method": {{Path: "/a", Handler: h}, {Path: "/a", Handler: h}},
		"a wildcard":           {{Method: "GET", Path: "/a/{id}", Handler: h}},
		"a relative path":      {{Method: "GET", Path: "a", Handler: h}},
		"no handler":           {{Method: "GET", Path: "/a"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("New accepted the routes")
				}
			}()
			server.New(server.Options{Endpoints: []endpoint.Endpoint{routesOnly(routes)}})
		})
	}
}

type routesOnly []endpoint.Route

func (r routesOnly) Routes() []endpoint.Route  { return r }
func (routesOnly) Describe(*endpoint.Metadata) {}

// Two endpoints that name the same claim or method publish it once, in
// the order the endpoints were mounted.
func TestMetadataIsMerged(t *testing.T) {
	t.Parallel()
	other := describeOnly(func(m *endpoint.Metadata) {
		m.Claims = append(m.Claims, "sub", "name")
		m.SetPath("userinfo_endpoint", "/connect/userinfo")
	})
	var token endpoint.Metadata
	tok := tokenEndpoint(t, fixtureRing(t), nil, nil)
	tok.Describe(&token)
	d := discovery.New(discovery.Options{Keys: fixtureRing(t)})
	w := welcome.New(welcome.Options{})
	srv := server.New(server.Options{Issuer: "https://a.example", Endpoints: []endpoint.Endpoint{d, tok, other, w}})
	doc := get(srv, discovery.Path).json(t)
	claims := must(json.Marshal(doc["claims_supported"]))
	wantClaims := must(json.Marshal(append(slices.Clone(token.Claims), "name")))
	if string(claims) != string(wantClaims) || doc["userinfo_endpoint"] != "https://a.example/connect/userinfo" {
		t.Errorf("claims %s (want %s), userinfo_endpoint %v", claims, wantClaims, doc["userinfo_endpoint"])
	}
	if page := string(get(srv, "/").body); !strings.Contains(page, "https://a.example/connect/userinfo") {
		t.Error("the welcome page does not list the userinfo endpoint")
	}
}

type describeOnly func(*endpoint.Metadata)

func (describeOnly) Routes() []endpoint.Route        { return nil }
func (d describeOnly) Describe(m *endpoint.Metadata) { d(m) }
