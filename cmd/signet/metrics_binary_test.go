package main

import (
	"context"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metricsValue is the value of the series line (name and labels, as the
// text format writes them) in a scrape; ok is false when there is none.
func metricsValue(t *testing.T, text, series string) (float64, bool) {
	t.Helper()
	for l := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: value %q: %v", series, v, err)
			}
			return f, true
		}
	}
	return 0, false
}

// wantMetric fails unless the scrape has series with the value want.
func wantMetric(t *testing.T, text, series string, want float64) {
	t.Helper()
	got, ok := metricsValue(t, text, series)
	if !ok {
		t.Errorf("no %s in the metrics", series)
	} else if got != want {
		t.Errorf("%s = %v, want %v", series, got, want)
	}
}

// TestBinaryMetrics: with metrics.listen, signet serve serves /metrics
// there, and not on the public port: requests by endpoint and status (the
// token endpoint's 200 and 401, the JWKS's 200 and 304), their latency,
// the signatures by kid and algorithm, the seconds left of the signing
// certificate, the storage's pools, the build and the Go runtime.
func TestBinaryMetrics(t *testing.T) {
	bin := binaryTest(t)
	dir := t.TempDir()
	env := binEnv(dir)
	binWrite(t, dir, "pw.txt", "correct-horse-battery-staple\n")
	notAfter := time.Now().UTC().AddDate(0, 0, 100).Format("2006-01-02")
	binRun(t, bin, dir, env, "", "cert", "create", "--subject", "CN=metrics", "--not-after", notAfter, "--out", "signing.pfx", "--password-file", "pw.txt")
	gen := regexp.MustCompile(`^secret: (\S+)\nhash: +(\S+)\n$`).FindStringSubmatch(binRun(t, bin, dir, env, "", "secret", "generate"))
	if gen == nil {
		t.Fatal("signet secret generate printed no secret and hash")
	}
	secret, hash := gen[1], gen[2]
	binWrite(t, dir, "signet.yaml", `listen: 127.0.0.1:0
allowHttp: true
dataDir: data
key:
  type: File
  filePath: signing.pfx
  passwordFile: pw.txt
`+resourcesYAML+`clients:
  - clientId: app
    secrets:
      - hash: `+hash+`
    allowedGrantTypes: [client_credentials]
    allowedScopes: [api1]
metrics:
  listen: 127.0.0.1:0
`)
	srv := binServe(t, bin, dir, env, "--config", "signet.yaml")
	kid := srv.waitFor(`msg=key kid=(\w+) alg=RS256 role=signing`)[1]
	scrapeURL := srv.waitFor(`msg="metrics listening" url=(\S+) addr=127\.0\.0\.1:\d+\n`)[1]

	token := func(secret string, want int) {
		t.Helper()
		resp := binPost(t, srv.url+"/connect/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}},
			func(r *http.Request) { r.SetBasicAuth("app", secret) })
		if resp.status != want {
			t.Fatalf("token: %d %s; want %d", resp.status, resp.body, want)
		}
	}
	token(secret, http.StatusOK)
	token("wrong-"+secret, http.StatusUnauthorized)
	jwks := srv.url + "/.well-known/openid-configuration/jwks"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, jwks, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := binDo(t, req)
	req.Header.Set("If-None-Match", first.header.Get("ETag"))
	if again := binDo(t, req); first.status != http.StatusOK || again.status != http.StatusNotModified {
		t.Fatalf("JWKS: %d, then with its ETag %d; want 200, 304", first.status, again.status)
	}
	// Not on the public port.
	binGet(t, srv.url+"/metrics", http.StatusNotFound)

	text := binGet(t, scrapeURL, http.StatusOK)
	wantMetric(t, text, `signet_http_requests_total{code="200",endpoint="/connect/token"}`, 1)
	wantMetric(t, text, `signet_http_requests_total{code="401",endpoint="/connect/token"}`, 1)
	wantMetric(t, text, `signet_http_requests_total{code="200",endpoint="/.well-known/openid-configuration/jwks"}`, 1)
	wantMetric(t, text, `signet_http_requests_total{code="304",endpoint="/.well-known/openid-configuration/jwks"}`, 1)
	wantMetric(t, text, `signet_http_requests_total{code="404",endpoint="other"}`, 1)
	wantMetric(t, text, `signet_http_request_duration_seconds_count{endpoint="/connect/token"}`, 2)
	wantMetric(t, text, `signet_signatures_total{alg="RS256",kid="`+kid+`"}`, 1)
	// Counted from the events the token endpoint reports.
	wantMetric(t, text, `signet_tokens_issued_total{client="app",grant_type="client_credentials"}`, 1)
	wantMetric(t, text, `signet_token_requests_total{grant_type="client_credentials",result="success"}`, 1)
	wantMetric(t, text, `signet_token_requests_total{grant_type="client_credentials",result="invalid_client"}`, 1)
	left, ok := metricsValue(t, text, `signet_key_expiry_seconds{kid="`+kid+`",role="signing"}`)
	if days := left / 86400; !ok || days < 98 || days > 101 {
		t.Errorf("signet_key_expiry_seconds of the signing key: %v s (%.1f days, found %v); want about 100 days", left, days, ok)
	}
	if _, ok := metricsValue(t, text, `signet_storage_connections_max{pool="write"}`); !ok {
		t.Errorf("no storage pool metrics:\n%s", text)
	}
	if !regexp.MustCompile(`(?m)^signet_build_info\{goversion="go[^"]*",version="[^"]+"\} 1$`).MatchString(text) {
		t.Error("no signet_build_info in the metrics")
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := metricsValue(t, text, name); !ok {
			t.Errorf("no %s in the metrics", name)
		}
	}
	srv.stop()
	srv.noSecrets(secret)
}

// TestBinaryMetricsPublic: metrics.public serves /metrics on the public
// listener; a metrics.listen that is the public address (as --listen
// leaves it) is refused at startup, saying what to do.
func TestBinaryMetricsPublic(t *testing.T) {
	bin := binaryTest(t)
	t.Run("public: true", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		binWrite(t, dir, "signet.yaml", binConfig+"listen: 127.0.0.1:0\nmetrics:\n  public: true\n")
		srv := binServe(t, bin, dir, binEnv(dir), "--config", "signet.yaml")
		binGet(t, srv.url+"/healthz", http.StatusOK)
		text := binGet(t, srv.url+"/metrics", http.StatusOK)
		wantMetric(t, text, `signet_http_requests_total{code="200",endpoint="/healthz"}`, 1)
		if strings.Contains(srv.out.String(), "metrics listening") {
			t.Error("a metrics listener was started without metrics.listen")
		}
		srv.stop()
	})
	t.Run("on the public address", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		port := binFreePort(t)
		binWrite(t, dir, "signet.yaml", binConfig+"metrics:\n  listen: 127.0.0.1:"+port+"\n")
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "serve", "--config", "signet.yaml", "--listen", "0.0.0.0:"+port)
		cmd.Dir, cmd.Env = dir, binEnv(dir)
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != exitError {
			t.Fatalf("signet serve: %v; want exit status 1\n%s", err, out)
		}
		if want := `signet: metrics.listen: "127.0.0.1:` + port + `" is the public listen address (0.0.0.0:` + port + `): the metrics are served apart from it`; !strings.Contains(string(out), want) {
			t.Errorf("output:\n%s\nwant %s", out, want)
		}
	})
}
