package tracing

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// recorded is a Tracer whose spans a test reads, sampling as New does.
func recorded(t *testing.T, ratio float64) (*Tracer, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	p := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))))
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return &Tracer{provider: p, tracer: p.Tracer(scope), prop: propagation.TraceContext{}}, rec
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, a := range s.Attributes() {
		m[a.Key] = a.Value
	}
	return m
}

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestMiddleware(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		route    endpoint.Route
		method   string
		status   int
		header   string
		wantName string // "" for no span
		wantErr  bool
		inTrace  bool
	}{
		{name: "token, in the caller's trace", route: endpoint.Route{Method: "POST", Path: "/connect/token"}, method: "POST", status: 200, header: traceparent, wantName: "POST /connect/token", inTrace: true},
		{name: "a client's error is no span error", route: endpoint.Route{Method: "POST", Path: "/connect/token"}, method: "POST", status: 401, wantName: "POST /connect/token"},
		{name: "a server error", route: endpoint.Route{Method: "GET", Path: "/connect/userinfo"}, method: "GET", status: 503, wantName: "GET /connect/userinfo", wantErr: true},
		{name: "a route of every method is named per request", route: endpoint.Route{Path: "/connect/endsession"}, method: "POST", status: 200, wantName: "POST /connect/endsession"},
		{name: "a subtree by its route, not the path", route: endpoint.Route{Path: "/signin/", Subtree: true, Kind: endpoint.Page}, method: "GET", status: 302, wantName: "GET /signin/"},
		{name: "no route: the method alone", route: endpoint.Route{}, method: "GET", status: 404, wantName: "GET"},
		{name: "probes are not traced", route: endpoint.Route{Method: "GET", Path: "/healthz", Kind: endpoint.Health}, method: "GET", status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, rec := recorded(t, 1)
			var inner trace.SpanContext
			h := tr.Middleware()(tc.route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = trace.SpanContextFromContext(r.Context())
				w.WriteHeader(tc.status)
			}))
			r := httptest.NewRequest(tc.method, "/signin/corp/callback?code=secret-code", nil)
			if tc.header != "" {
				r.Header.Set("Traceparent", tc.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			spans := rec.Ended()
			if tc.wantName == "" {
				if len(spans) != 0 || inner.IsValid() {
					t.Errorf("a probe made %d spans", len(spans))
				}
				return
			}
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			a := attrs(s)
			if s.Name() != tc.wantName || s.SpanKind() != trace.SpanKindServer || a["http.response.status_code"].AsInt64() != int64(tc.status) || a["http.request.method"].AsString() != tc.method {
				t.Errorf("span %q kind %v attributes %v", s.Name(), s.SpanKind(), a)
			}
			if tc.route.Path != "" && a["http.route"].AsString() != tc.route.Path {
				t.Errorf("http.route %q, want %q", a["http.route"].AsString(), tc.route.Path)
			}
			for k, v := range a {
				if v.Emit() == "/signin/corp/callback?code=secret-code" || v.Emit() == "secret-code" {
					t.Errorf("attribute %s holds the raw path or query", k)
				}
			}
			if got := s.Status().Code == codes.Error; got != tc.wantErr {
				t.Errorf("span status %v, want error %v", s.Status(), tc.wantErr)
			}
			if inner.SpanID() != s.SpanContext().SpanID() {
				t.Error("the handler's context does not hold the span")
			}
			if tc.inTrace && (s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent().SpanID().String() != "00f067aa0ba902b7" || !s.Parent().IsRemote()) {
				t.Errorf("span in trace %s with parent %s; want the traceparent's", s.SpanContext().TraceID(), s.Parent().SpanID())
			}
		})
	}
}

// TestMiddlewareUnknownMethod: a method is the client's to choose (net/http
// takes any token); one HTTP does not define is _OTHER in the span's name
// and attribute, as OpenTelemetry's HTTP conventions say, so that requests
// cannot make span names of their own.
func TestMiddlewareUnknownMethod(t *testing.T) {
	t.Parallel()
	for _, route := range []endpoint.Route{{}, {Path: "/connect/endsession"}} {
		tr, rec := recorded(t, 1)
		h := tr.Middleware()(route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusMethodNotAllowed)
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("X-RANDOM-4711", "/x", nil))
		spans := rec.Ended()
		if len(spans) != 1 {
			t.Fatalf("%d spans, want 1", len(spans))
		}
		want := spanName("HTTP", route.Path)
		if got, method := spans[0].Name(), attrs(spans[0])["http.request.method"].AsString(); got != want || method != "_OTHER" {
			t.Errorf("route %q: span %q with http.request.method %q; want %q and _OTHER", route.Path, got, method, want)
		}
	}
}

// TestSampling: with sampleRatio 0, no trace starts here, but a caller's
// sampled traceparent is followed.
func TestSampling(t *testing.T) {
	t.Parallel()
	tr, rec := recorded(t, 0)
	h := tr.Middleware()(endpoint.Route{Method: "POST", Path: "/connect/token"}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/connect/token", nil))
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("ratio 0 recorded %d spans", n)
	}
	r := httptest.NewRequest("POST", "/connect/token", nil)
	r.Header.Set("Traceparent", traceparent)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if n := len(rec.Ended()); n != 1 {
		t.Errorf("a sampled traceparent recorded %d spans, want 1", n)
	}
}

type fakeSigner struct {
	sign func(alg, typ string, claims any) (string, *signing.Key, error)
}

func (f fakeSigner) SignWith(alg, typ string, claims any) (string, *signing.Key, error) {
	return f.sign(alg, typ, claims)
}
func (fakeSigner) SigningAlgorithms() []string { return []string{"ES256", "RS256"} }

func TestSigner(t *testing.T) {
	t.Parallel()
	tr, rec := recorded(t, 1)
	key := &signing.Key{ID: "kid-1", Algorithm: "ES256"}
	s := tr.Signer(fakeSigner{func(alg, typ string, claims any) (string, *signing.Key, error) {
		if alg == "PS256" {
			return "", nil, &signing.NoSignerError{Algorithm: alg, Algorithms: []string{"ES256"}}
		}
		return "a.b.c", key, nil
	}})
	ctx, parent := tr.tracer.Start(context.Background(), "request")
	if tok, k, err := s.SignWithContext(ctx, "", "at+jwt", map[string]string{"sub": "alice"}); tok != "a.b.c" || k != key || err != nil {
		t.Fatalf("SignWithContext: %q %v %v", tok, k, err)
	}
	if _, _, err := s.SignWith("PS256", "JWT", nil); err == nil {
		t.Fatal("no error from the signer's")
	}
	parent.End()
	if !slices.Equal(s.SigningAlgorithms(), []string{"ES256", "RS256"}) {
		t.Errorf("SigningAlgorithms %v", s.SigningAlgorithms())
	}
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	ok, failed := spans[0], spans[1]
	if a := attrs(ok); ok.Name() != "sign" || a["signet.key.kid"].AsString() != "kid-1" || a["signet.key.alg"].AsString() != "ES256" || a["signet.jwt.typ"].AsString() != "at+jwt" || len(a) != 3 {
		t.Errorf("span %s attributes %v", ok.Name(), a)
	}
	if ok.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Error("the signature's span is not the request's child")
	}
	if failed.Status().Code != codes.Error || failed.Parent().IsValid() {
		t.Errorf("a failed signature without context: status %v, parent %v", failed.Status(), failed.Parent())
	}
}

func TestStore(t *testing.T) {
	t.Parallel()
	tr, rec := recorded(t, 1)
	st := tr.Store("memory", memory.New(memory.Options{}))
	ctx := t.Context()
	now := time.Now()
	exp := now.Add(time.Minute)
	if err := st.UseOnce(ctx, "app", "jti-value-1", exp); err != nil {
		t.Fatal(err)
	}
	if err := st.UseOnce(ctx, "app", "jti-value-1", exp); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Fatalf("replayed jti: %v", err)
	}
	g := storage.PersistedGrant{Key: "grant-key-hash", Type: "reference_token", ClientID: "app", Created: now, Expires: exp, Data: []byte("{}")}
	if err := st.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetGrant(ctx, "grant-key-hash", now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetUser(ctx, "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetUser: %v", err)
	}
	var got []string
	for _, s := range rec.Ended() {
		a := attrs(s)
		got = append(got, s.Name()+" "+a["signet.storage.outcome"].AsString())
		if a["db.system.name"].AsString() != "memory" || s.SpanKind() != trace.SpanKindClient || s.Status().Code == codes.Error {
			t.Errorf("span %s: kind %v status %v attributes %v", s.Name(), s.SpanKind(), s.Status(), a)
		}
		for k, v := range a {
			if v := v.Emit(); v == "jti-value-1" || v == "grant-key-hash" || v == "app" || v == "nobody" {
				t.Errorf("span %s attribute %s holds a parameter", s.Name(), k)
			}
		}
	}
	want := []string{"storage UseOnce ", "storage UseOnce exists", "storage CreateGrant ", "storage GetGrant ", "storage GetUser not_found"}
	if !slices.Equal(got, want) {
		t.Errorf("spans %q, want %q", got, want)
	}
}

func TestExportURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://localhost:4318":                        "http://localhost:4318/v1/traces",
		"http://localhost:4318/":                       "http://localhost:4318/v1/traces",
		"https://collector.example.com/otlp/v1/traces": "https://collector.example.com/otlp/v1/traces",
		"localhost:4318":                               "",
		"grpc://localhost:4317":                        "",
	} {
		got, err := ExportURL(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ExportURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestQueries: a PostgreSQL statement within a request is a span named by
// its verb, without its text or arguments; one outside a request is none.
func TestQueries(t *testing.T) {
	t.Parallel()
	tr, rec := recorded(t, 1)
	q := tr.Queries()
	const sql = "SELECT data FROM persisted_grants WHERE key = $1"
	// Outside a request: no span, and the context is left alone.
	bg := context.Background()
	if ctx := q.TraceQueryStart(bg, nil, pgx.TraceQueryStartData{SQL: sql, Args: []any{"grant-key-hash"}}); ctx != bg {
		t.Error("a statement outside a request changed the context")
	} else {
		q.TraceQueryEnd(ctx, nil, pgx.TraceQueryEndData{})
	}
	ctx, parent := tr.tracer.Start(context.Background(), "storage GetGrant")
	qctx := q.TraceQueryStart(ctx, nil, pgx.TraceQueryStartData{SQL: "\n  " + sql, Args: []any{"grant-key-hash"}})
	q.TraceQueryEnd(qctx, nil, pgx.TraceQueryEndData{CommandTag: pgconn.NewCommandTag("SELECT 1")})
	qctx = q.TraceQueryStart(ctx, nil, pgx.TraceQueryStartData{SQL: "$$ odd", Args: []any{"x"}})
	q.TraceQueryEnd(qctx, nil, pgx.TraceQueryEndData{Err: errors.New(`duplicate key value (key)=(grant-key-hash)`)})
	parent.End()
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	sel, odd := spans[0], spans[1]
	if a := attrs(sel); sel.Name() != "postgresql SELECT" || a["db.operation.name"].AsString() != "SELECT" || a["db.response.returned_rows"].AsInt64() != 1 || sel.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("span %s attributes %v parent %v", sel.Name(), a, sel.Parent().SpanID())
	}
	if odd.Name() != "postgresql query" || odd.Status().Code != codes.Error || odd.Status().Description != "query failed" {
		t.Errorf("span %s status %v", odd.Name(), odd.Status())
	}
	for _, s := range spans {
		for k, v := range attrs(s) {
			if v := v.Emit(); v == sql || v == "grant-key-hash" {
				t.Errorf("span %s attribute %s holds the statement or an argument", s.Name(), k)
			}
		}
	}
}

// TestServiceResource: the configured service name wins over
// OTEL_SERVICE_NAME, which wins over the default; OTEL_RESOURCE_ATTRIBUTES
// are kept.
func TestServiceResource(t *testing.T) {
	for _, tc := range []struct{ configured, env, want string }{
		{"", "", DefaultServiceName},
		{"", "from-env", "from-env"},
		{"auth-eu", "from-env", "auth-eu"},
	} {
		t.Setenv("OTEL_SERVICE_NAME", tc.env)
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
		res, err := serviceResource(t.Context(), Options{ServiceName: tc.configured, Version: "1.2.3"})
		if err != nil {
			t.Fatal(err)
		}
		set := res.Set()
		name, _ := set.Value("service.name")
		version, _ := set.Value("service.version")
		env, _ := set.Value("deployment.environment.name")
		if name.AsString() != tc.want || version.AsString() != "1.2.3" || env.AsString() != "staging" {
			t.Errorf("configured %q, OTEL_SERVICE_NAME %q: resource %v; want service.name %s", tc.configured, tc.env, set.Encoded(attribute.DefaultEncoder()), tc.want)
		}
	}
}
