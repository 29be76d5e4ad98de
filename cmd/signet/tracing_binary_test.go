package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP collector in the test: it decodes the
// protobuf exports sent to /v1/traces and keeps their spans.
type otlpReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	spans   []*tracepb.Span
	service []string // service.name of each export's resources
	bad     []string // what was wrong with a request
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rcv := &otlpReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &req)
		}
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" || err != nil {
			rcv.bad = append(rcv.bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+": "+errString(err))
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.Header.Get("X-Tenant") != "signet-test" {
			rcv.bad = append(rcv.bad, "no X-Tenant header")
		}
		for _, rs := range req.ResourceSpans {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					rcv.service = append(rcv.service, a.GetValue().GetStringValue())
				}
			}
			for _, ss := range rs.ScopeSpans {
				rcv.spans = append(rcv.spans, ss.Spans...)
			}
		}
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// spanAttrs are a span's attributes as strings.
func spanAttrs(s *tracepb.Span) map[string]string {
	m := map[string]string{}
	for _, a := range s.Attributes {
		v := a.GetValue()
		switch {
		case v.GetStringValue() != "":
			m[a.Key] = v.GetStringValue()
		default:
			b, _ := json.Marshal(v.GetIntValue())
			m[a.Key] = string(b)
		}
	}
	return m
}

// TestBinaryTracing: with tracing.endpoint set, one token request of a
// private_key_jwt client that comes with a W3C traceparent is exported to
// the collector when signet serve stops: the server span of the route, in
// the caller's trace and its child; the signature's span, with the kid and
// algorithm of the token's header; the replay cache's write, and with
// PostgreSQL its statement. No span holds the assertion, its jti or the
// token.
func TestBinaryTracing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testBinaryTracing(t, "", "sqlite")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := newPGDB(t)
		testBinaryTracing(t, "storage:\n  driver: postgres\n  dsn: "+db.dsn+"\n", "postgresql")
	})
}

func testBinaryTracing(t *testing.T, storageYAML, system string) {
	bin := builtBinary(t)
	rcv := newOTLPReceiver(t)
	dir := t.TempDir()
	env := binEnv(dir)
	listen := "127.0.0.1:" + binFreePort(t)
	client := newECClient(t, "traced-app")
	binWrite(t, dir, "signet.yaml", `issuer: http://`+listen+`
listen: `+listen+`
`+binConfig+storageYAML+resourcesYAML+`clients:
`+client.configYAML("    jwks: "+client.jwks(t))+`
tracing:
  endpoint: `+rcv.URL+`
  serviceName: signet-test
  headers:
    - name: X-Tenant
      value: signet-test
`)
	s := binServe(t, bin, dir, env, "--config", "signet.yaml")
	s.waitFor(`msg="tracing: spans are sent over OTLP/HTTP" endpoint=` + rcv.URL + `/v1/traces sample_ratio=1`)

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	assertion := client.assertion(t, s.url)
	res := binPost(t, s.url+"/connect/token", assertionForm(assertion), func(r *http.Request) {
		r.Header.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
	})
	if res.status != http.StatusOK {
		t.Fatalf("token: %d %s", res.status, res.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(res.body, &tok); err != nil {
		t.Fatal(err)
	}
	var header struct{ Kid, Alg string }
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[0])
	if err := json.Unmarshal(raw, &header); err != nil || header.Kid == "" {
		t.Fatalf("token header %s: %v", raw, err)
	}
	s.stop() // flushes the spans

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.bad) > 0 {
		t.Errorf("the collector got bad exports: %v", rcv.bad)
	}
	if len(rcv.service) == 0 || rcv.service[0] != "signet-test" {
		t.Errorf("service.name %v; want signet-test", rcv.service)
	}
	byName := map[string]*tracepb.Span{}
	var names []string
	for _, sp := range rcv.spans {
		names = append(names, sp.Name)
		if hex.EncodeToString(sp.TraceId) == traceID {
			byName[sp.Name] = sp
		}
		for k, v := range spanAttrs(sp) {
			if strings.Contains(v, assertion) || strings.Contains(v, tok.AccessToken) || strings.Contains(assertion, v) && len(v) > 20 {
				t.Errorf("span %s attribute %s holds the assertion or the token", sp.Name, k)
			}
		}
	}
	server, sign, store := byName["POST /connect/token"], byName["sign"], byName["storage UseOnce"]
	if server == nil || sign == nil || store == nil {
		t.Fatalf("spans of trace %s: want POST /connect/token, sign and storage UseOnce; got spans %v", traceID, names)
	}
	if hex.EncodeToString(server.ParentSpanId) != parentID || server.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("server span: parent %x kind %v; want the traceparent's %s, server", server.ParentSpanId, server.Kind, parentID)
	}
	if a := spanAttrs(server); a["http.route"] != "/connect/token" || a["http.request.method"] != "POST" || a["http.response.status_code"] != "200" {
		t.Errorf("server span attributes %v", a)
	}
	for _, child := range []*tracepb.Span{sign, store} {
		if string(child.ParentSpanId) != string(server.SpanId) {
			t.Errorf("span %s: parent %x; want the server span %x", child.Name, child.ParentSpanId, server.SpanId)
		}
	}
	if a := spanAttrs(sign); a["signet.key.kid"] != header.Kid || a["signet.key.alg"] != header.Alg || a["signet.jwt.typ"] != "at+jwt" {
		t.Errorf("sign span attributes %v; want kid %s alg %s typ at+jwt", a, header.Kid, header.Alg)
	}
	if a := spanAttrs(store); a["db.system.name"] != system || a["db.operation.name"] != "UseOnce" || len(a) != 2 {
		t.Errorf("storage span attributes %v; want db.system.name %s and db.operation.name UseOnce alone", a, system)
	}
	if system != "postgresql" {
		return
	}
	var statements []string
	for _, sp := range rcv.spans {
		if string(sp.ParentSpanId) == string(store.SpanId) && strings.HasPrefix(sp.Name, "postgresql ") {
			statements = append(statements, sp.Name)
		}
	}
	if len(statements) == 0 {
		t.Errorf("no PostgreSQL statement below the UseOnce span; spans %v", names)
	}
}
