package metrics_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/metrics"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
)

// scrape is what the metrics handler serves, in the text format.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// hasLine fails unless the scrape holds line exactly.
func hasLine(t *testing.T, text, line string) {
	t.Helper()
	for l := range strings.SplitSeq(text, "\n") {
		if l == line {
			return
		}
	}
	t.Errorf("the metrics have no line %q", line)
}

func noLine(t *testing.T, text, prefix string) {
	t.Helper()
	for l := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			t.Errorf("the metrics have %q; want none starting %q", l, prefix)
		}
	}
}

// TestObserver counts synthetic events as the token endpoint, client
// authentication, sign-in and the key ring report them.
func TestObserver(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Options{Version: "v1.2.3", MaxClients: 2})
	ctx := t.Context()
	issued := func(client, grant string) {
		m.Observe(ctx, &observe.Event{Name: observe.TokenIssued, Result: observe.Success, Client: client, GrantType: grant})
	}
	issued("a", "client_credentials")
	issued("a", "client_credentials")
	issued("b", "authorization_code")
	issued("c", "client_credentials") // the third client: other
	issued("a", "refresh_token")
	issued("d", "urn:example:made-up") // unknown grant type, a fourth client
	for range 3 {
		m.Observe(ctx, &observe.Event{Name: observe.TokenRefused, Result: "invalid_client", Client: "attacker-chosen", GrantType: "client_credentials"})
	}
	m.Observe(ctx, &observe.Event{Name: observe.TokenRefused, Result: "unsupported_grant_type", GrantType: "password"})
	m.Observe(ctx, &observe.Event{Name: observe.ClientAuthFailed, Result: "invalid_client", Client: "x"})
	m.Observe(ctx, &observe.Event{Name: observe.LoginSucceeded, Result: observe.Success})
	m.Observe(ctx, &observe.Event{Name: observe.LoginFailed, Result: "invalid_credentials"})
	m.Observe(ctx, &observe.Event{Name: observe.LoginFailed, Result: "invalid_credentials"})
	m.Observe(ctx, &observe.Event{Name: observe.LoginLockedOut})
	m.Observe(ctx, &observe.Event{Name: observe.KeyRotated, KeyID: "K2"})
	m.Observe(ctx, &observe.Event{Name: observe.ConsentGiven}) // not counted

	text := scrape(t, m)
	for _, line := range []string{
		`signet_tokens_issued_total{client="a",grant_type="client_credentials"} 2`,
		`signet_tokens_issued_total{client="a",grant_type="refresh_token"} 1`,
		`signet_tokens_issued_total{client="b",grant_type="authorization_code"} 1`,
		`signet_tokens_issued_total{client="other",grant_type="client_credentials"} 1`,
		`signet_tokens_issued_total{client="other",grant_type="other"} 1`,
		`signet_token_requests_total{grant_type="client_credentials",result="success"} 3`,
		`signet_token_requests_total{grant_type="client_credentials",result="invalid_client"} 3`,
		`signet_token_requests_total{grant_type="other",result="unsupported_grant_type"} 1`,
		`signet_client_auth_failures_total{result="invalid_client"} 1`,
		`signet_login_attempts_total{result="success"} 1`,
		`signet_login_attempts_total{result="failure"} 2`,
		`signet_login_attempts_total{result="locked_out"} 1`,
		`signet_key_rotations_total 1`,
	} {
		hasLine(t, text, line)
	}
	noLine(t, text, `signet_tokens_issued_total{client="c"`)
	noLine(t, text, `signet_tokens_issued_total{client="d"`)
	if strings.Contains(text, "attacker-chosen") || strings.Contains(text, "password") || strings.Contains(text, "made-up") {
		t.Error("a client id of a refused request, or an unknown grant type, became a label")
	}
}

// TestBuildInfo: the build's version, and the Go and process collectors.
func TestBuildInfo(t *testing.T) {
	t.Parallel()
	text := scrape(t, metrics.New(metrics.Options{Version: "v1.2.3"}))
	if !strings.Contains(text, `signet_build_info{goversion="go`) || !strings.Contains(text, `",version="v1.2.3"} 1`) {
		t.Errorf("no signet_build_info with version v1.2.3:\n%s", grep(text, "signet_build_info"))
	}
	for _, name := range []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "process_cpu_seconds_total ", "process_resident_memory_bytes "} {
		if !strings.Contains(text, "\n"+name) {
			t.Errorf("no %s in the metrics", name)
		}
	}
}

func grep(text, s string) string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// routes is an endpoint with an API path, a page subtree and a route that
// answers 304 or 429.
type routes struct{}

func (routes) Describe(*endpoint.Metadata) {}

func (routes) Routes() []endpoint.Route {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	return []endpoint.Route{
		{Method: http.MethodGet, Path: "/doc", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != "" {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			_, _ = io.WriteString(w, "{}")
		})},
		{Method: http.MethodPost, Path: "/api", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(418) // not one of the codes resolved ahead
		})},
		{Path: "/signin/", Subtree: true, Kind: endpoint.Page, Handler: ok},
	}
}

// TestMiddleware counts requests by route and status through the server,
// with bounded endpoint labels: a subtree's requests under its path, the
// paths no route has under other.
func TestMiddleware(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Options{})
	srv := server.New(server.Options{Issuer: "https://auth.example.com", Endpoints: []endpoint.Endpoint{routes{}},
		Middleware: []endpoint.Middleware{m.Middleware}})
	send := func(method, target string, header ...string) int {
		r := httptest.NewRequest(method, target, nil)
		if len(header) == 2 {
			r.Header.Set(header[0], header[1])
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Code
	}
	send(http.MethodGet, "/doc")
	send(http.MethodGet, "/doc")
	send(http.MethodGet, "/doc", "If-None-Match", `"x"`)
	send(http.MethodPost, "/api")
	send(http.MethodDelete, "/doc") // 405 from the path's fallback
	send(http.MethodGet, "/signin/entra")
	send(http.MethodGet, "/signin/entra/callback")
	for _, p := range []string{"/no/such/path", "/another/one", "/x?y=z"} {
		if code := send(http.MethodGet, p); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}

	text := scrape(t, m)
	for _, line := range []string{
		`signet_http_requests_total{code="200",endpoint="/doc"} 2`,
		`signet_http_requests_total{code="304",endpoint="/doc"} 1`,
		`signet_http_requests_total{code="405",endpoint="/doc"} 1`,
		`signet_http_requests_total{code="418",endpoint="/api"} 1`,
		`signet_http_requests_total{code="200",endpoint="/signin/"} 2`,
		`signet_http_requests_total{code="404",endpoint="other"} 3`,
		`signet_http_request_duration_seconds_count{endpoint="/doc"} 4`,
		`signet_http_request_duration_seconds_count{endpoint="/signin/"} 2`,
		`signet_http_request_duration_seconds_count{endpoint="other"} 3`,
	} {
		hasLine(t, text, line)
	}
	if strings.Contains(text, "/no/such/path") || strings.Contains(text, "entra") {
		t.Error("a request's own path became a label")
	}
	// A status a route never answered is no series.
	noLine(t, text, `signet_http_requests_total{code="500"`)
	noLine(t, text, `signet_http_requests_total{code="200",endpoint="/api"}`)
}

// TestMiddlewareAllocs: a request costs the middleware no allocation
// (its labels are resolved when the route is built, its writer reused).
func TestMiddlewareAllocs(t *testing.T) {
	m := metrics.New(metrics.Options{})
	h := m.Middleware(endpoint.Route{Path: "/x"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	w := httptest.NewRecorder()
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }); n != 0 {
		t.Errorf("a request allocates %v times in the middleware; want 0", n)
	}
	hasLine(t, scrape(t, m), `signet_http_requests_total{code="204",endpoint="/x"} 101`)
}

// fakeSigner signs with key, or fails.
type fakeSigner struct {
	key *signing.Key
	err error
}

func (f fakeSigner) SignWith(alg, typ string, claims any) (string, *signing.Key, error) {
	if f.err != nil {
		return "", nil, f.err
	}
	return "a.b.c", f.key, nil
}

func (f fakeSigner) SigningAlgorithms() []string { return []string{"ES256", "RS256"} }

// TestSigner counts the signatures made through the wrapper by the key's
// kid and algorithm, and not the failures.
func TestSigner(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Options{})
	rs := m.Signer(fakeSigner{key: &signing.Key{ID: "RSAKID", Algorithm: "RS256"}})
	es := m.Signer(fakeSigner{key: &signing.Key{ID: "ESKID", Algorithm: "ES256"}})
	broken := m.Signer(fakeSigner{err: errors.New("no key signs with PS256")})
	for range 3 {
		if tok, k, err := rs.SignWith("", "at+jwt", nil); err != nil || tok != "a.b.c" || k.ID != "RSAKID" {
			t.Fatalf("SignWith = %q, %v, %v", tok, k, err)
		}
	}
	_, _, _ = es.SignWith("ES256", "JWT", nil)
	if _, _, err := broken.SignWith("PS256", "JWT", nil); err == nil {
		t.Fatal("the wrapper hid the signer's error")
	}
	text := scrape(t, m)
	hasLine(t, text, `signet_signatures_total{alg="RS256",kid="RSAKID"} 3`)
	hasLine(t, text, `signet_signatures_total{alg="ES256",kid="ESKID"} 1`)
	noLine(t, text, `signet_signatures_total{alg="PS256"`)
	// The authorization_code grant picks an ID token's algorithm from the
	// signer's: the wrapper must not hide them.
	if got := rs.SigningAlgorithms(); !slices.Equal(got, []string{"ES256", "RS256"}) {
		t.Errorf("SigningAlgorithms = %v, want the wrapped signer's", got)
	}
}

// TestSignerKeepsNoKey: a managed key's sync makes new Key values for the
// same keys every minute; the count carries on under the same kid and
// algorithm, and the metrics keep none of the values a sync replaced
// (they would pile up, private keys and all, for as long as the process
// runs).
func TestSignerKeepsNoKey(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Options{})
	var replaced []weak.Pointer[signing.Key]
	for range 3 {
		k := &signing.Key{ID: "KID", Algorithm: "ES256"}
		replaced = append(replaced, weak.Make(k))
		if _, _, err := m.Signer(fakeSigner{key: k}).SignWith("", "at+jwt", nil); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	for i, w := range replaced {
		if w.Value() != nil {
			t.Errorf("the Key value of sync %d is still held after its signer is gone", i+1)
		}
	}
	hasLine(t, scrape(t, m), `signet_signatures_total{alg="ES256",kid="KID"} 3`)
}

// TestKeyExpiry: the seconds left of each configured certificate, as of
// the scrape, by kid and role; keys without a certificate are left out.
func TestKeyExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	key := testsupport.ECKey(t)
	cert := testsupport.SelfSigned(t, key, "CN=signing", now.AddDate(-1, 0, 0), now.Add(10*24*time.Hour))
	old := testsupport.SelfSigned(t, key, "CN=old", now.AddDate(-2, 0, 0), now.Add(-time.Hour))
	keys := []*signing.Key{
		{ID: "SIGNING", Algorithm: "ES256", Signer: key, Certificate: cert},
		{ID: "OLD", Algorithm: "ES256", Certificate: old, Validation: true},
		{ID: "BARE", Algorithm: "ES256", Signer: key},
		{ID: "MANAGED", Algorithm: "ES256", Signer: key, Certificate: cert, Lifecycle: &signing.Lifecycle{}},
	}
	clock := testsupport.NewClock(now)
	m := metrics.New(metrics.Options{Keys: func() []*signing.Key { return keys }, Now: clock.Now})
	text := scrape(t, m)
	hasLine(t, text, `signet_key_expiry_seconds{kid="SIGNING",role="signing"} 864000`)
	hasLine(t, text, `signet_key_expiry_seconds{kid="OLD",role="validation"} -3600`)
	noLine(t, text, `signet_key_expiry_seconds{kid="BARE"`)
	noLine(t, text, `signet_key_expiry_seconds{kid="MANAGED"`)
	// Computed at each scrape.
	clock.Advance(24 * time.Hour)
	hasLine(t, scrape(t, m), `signet_key_expiry_seconds{kid="SIGNING",role="signing"} 777600`)
}

// pooled is a store with pools.
type pooled struct {
	storage.Store
	stats []storage.PoolStats
}

func (p pooled) PoolStats() []storage.PoolStats { return p.stats }

// TestPools reads the store's pools at the scrape, through a
// storage.Deferred once it has its store, and not from a store without
// pools.
func TestPools(t *testing.T) {
	t.Parallel()
	st := pooled{stats: []storage.PoolStats{{Pool: "main", InUse: 3, Idle: 2, Max: 10, Waits: 7, WaitTime: 1500 * time.Millisecond, Errors: 1}}}
	d := storage.NewDeferred(errors.New("not yet"))
	m := metrics.New(metrics.Options{Store: d})
	noLine(t, scrape(t, m), "signet_storage_")
	d.Set(st)
	text := scrape(t, m)
	for _, line := range []string{
		`signet_storage_connections{pool="main",state="in_use"} 3`,
		`signet_storage_connections{pool="main",state="idle"} 2`,
		`signet_storage_connections_max{pool="main"} 10`,
		`signet_storage_waits_total{pool="main"} 7`,
		`signet_storage_wait_seconds_total{pool="main"} 1.5`,
		`signet_storage_acquire_errors_total{pool="main"} 1`,
	} {
		hasLine(t, text, line)
	}
}

// Storage outages, as the outage.Tracker counts them: whether one is
// reported, whether writes fail, and the requests failed by fault.
func TestOutages(t *testing.T) {
	t.Parallel()
	tr := outage.New(outage.Options{})
	defer tr.Close()
	m := metrics.New(metrics.Options{Outages: tr.Stats})
	text := scrape(t, m)
	hasLine(t, text, "signet_storage_outage 0")
	hasLine(t, text, "signet_storage_writes_failing 0")
	noLine(t, text, "signet_storage_outage_requests_total")

	full := fmt.Errorf("sqlite: use jti: %w", storage.Unavailable(storage.FaultFull, errors.New("database or disk is full (13)")))
	for i := range 3 {
		ctx := endpoint.WithRequest(t.Context(), "https://id.example", endpoint.ID{Base: "r", Seq: uint64(i + 1)})
		tr.Failed(ctx, full)
		tr.Failed(ctx, full) // one request, counted once
	}
	tr.Failed(t.Context(), full) // background work: not a request
	text = scrape(t, m)
	hasLine(t, text, "signet_storage_outage 1")
	hasLine(t, text, "signet_storage_writes_failing 1")
	hasLine(t, text, `signet_storage_outage_requests_total{fault="full"} 3`)

	tr.Wrote(endpoint.WithRequest(t.Context(), "https://id.example", endpoint.ID{Base: "r", Seq: 9}))
	text = scrape(t, m)
	hasLine(t, text, "signet_storage_writes_failing 0")
	hasLine(t, text, "signet_storage_outage 1") // until the quiet period passes
	hasLine(t, text, `signet_storage_outage_requests_total{fault="full"} 3`)
}
