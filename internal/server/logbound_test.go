package server_test

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/grant"
)

// maxLogLine bounds every log line a request writes, whatever it sends: each
// request value in a line is cut to a few hundred bytes.
const maxLogLine = 2 << 10

// A path, method or client_id of tens of kilobytes makes log lines of a
// bounded length, each cut value marked with its length.
func TestRequestLogBounded(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	srv := newServer(t, setup{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	long := strings.Repeat("a", 30<<10)
	get(srv, "/"+long)
	r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	r.Method = strings.Repeat("M", 10<<10)
	do(srv, r)
	id := strings.Repeat("c", 60<<10)
	r = httptest.NewRequest(http.MethodPost, grant.Path, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":wrong")))
	if res := do(srv, r); res.status != http.StatusUnauthorized {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	out := logs.String()
	for _, want := range []string{`path="/aaaa`, "...[cut: 30721 bytes]", `method="MMMM`, "...[cut: 10240 bytes]", `client_id="cccc`, "...[cut: 61440 bytes]"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in the log", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if len(line) > maxLogLine {
			t.Errorf("a log line of %d bytes (bound %d): %.200s...", len(line), maxLogLine, line)
		}
	}
}
