package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/testsupport"
)

// diskLoad sends private_key_jwt token requests (each stores its jti: a
// write) from a few goroutines until stopped, and tallies the answers by
// phase.
type diskLoad struct {
	t    *testing.T
	mu   sync.Mutex
	ph   string
	by   map[string]map[int]int // phase → status → count
	seq  map[string][]int       // phase → statuses in order
	stop chan struct{}
	wg   sync.WaitGroup
}

func (l *diskLoad) phase(p string) {
	l.mu.Lock()
	l.ph = p
	l.mu.Unlock()
}

func (l *diskLoad) count(phase string, status int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.by[phase][status]
}

func (l *diskLoad) statuses(phase string) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.seq[phase]...)
}

// TestBinaryDiskFull runs the real binary with its SQLite database on a
// small tmpfs that fills up under continued writes (private_key_jwt jtis):
// requests that write are answered 503 temporarily_unavailable with
// Retry-After, never 500; /readyz says "not ready: storage full: writes
// fail"; the log has one line when it starts and none per request. Freeing
// 1 MB, less than SQLite's default WAL of 4 MB, is enough: the server
// turns ready by itself and keeps serving under continued writes, its WAL
// bounded, and logs the end of the outage once, with how many requests it
// answered 503.
func TestBinaryDiskFull(t *testing.T) {
	bin := binaryTest(t)
	data := testsupport.Tmpfs(t, 4<<20)
	dir := t.TempDir()
	env := binEnv(dir)
	client := newECClient(t, "jwt-app")
	listen := freePort(t) // private_key_jwt needs the issuer, which has the port
	binWrite(t, dir, "signet.yaml", `dataDir: `+data+`
issuer: http://`+listen+`
allowHttp: true
key: {type: Development}
metrics:
  listen: 127.0.0.1:0
rateLimits:
  tokenPerClient: {rate: 0}
  tokenPerIP: {rate: 0}
apiScopes:
  - name: api1
clients:
`+client.configYAML("    jwks: "+client.jwks(t)))
	srv := binServe(t, bin, dir, env, "--config", filepath.Join(dir, "signet.yaml"), "--listen", listen)
	binGet(t, srv.url+"/readyz", http.StatusOK)
	scrapeURL := srv.waitFor(`msg="metrics listening" url=(\S+) addr=`)[1]
	metric := func(name string) string {
		for l := range strings.Lines(binGet(t, scrapeURL, http.StatusOK)) {
			if v, ok := strings.CutPrefix(l, name+" "); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	if v := metric("signet_storage_writes_failing"); v != "0" {
		t.Errorf("signet_storage_writes_failing before the disk fills: %q, want 0", v)
	}

	load := &diskLoad{t: t, ph: "before", by: map[string]map[int]int{}, seq: map[string][]int{}, stop: make(chan struct{})}
	for range 2 {
		load.wg.Go(func() {
			for {
				select {
				case <-load.stop:
					return
				default:
				}
				resp := binPost(t, srv.url+"/connect/token", assertionForm(client.assertion(t, srv.url)), func(*http.Request) {})
				switch {
				case resp.status == http.StatusOK:
				case resp.status == http.StatusServiceUnavailable && strings.Contains(string(resp.body), `"temporarily_unavailable"`) && resp.header.Get("Retry-After") != "":
				default:
					t.Errorf("token request: %d %s, want 200 or 503 temporarily_unavailable with Retry-After", resp.status, resp.body)
				}
				load.mu.Lock()
				if load.by[load.ph] == nil {
					load.by[load.ph] = map[int]int{}
				}
				load.by[load.ph][resp.status]++
				load.seq[load.ph] = append(load.seq[load.ph], resp.status)
				load.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	defer func() {
		close(load.stop)
		load.wg.Wait()
	}()
	within(t, 10*time.Second, "tokens granted before the disk fills", func() bool { return load.count("before", 200) >= 20 })

	// The disk fills up.
	load.phase("full")
	filler := filepath.Join(data, "filler")
	size := testsupport.Fill(t, filler)
	t.Logf("filled the file system with %d bytes", size)
	within(t, 30*time.Second, "token requests answered 503 with the disk full", func() bool { return load.count("full", 503) >= 50 })
	within(t, 5*time.Second, "/readyz 503 with the disk full", func() bool {
		resp := binDo(t, mustRequest(t, srv.url+"/readyz"))
		return resp.status == http.StatusServiceUnavailable && string(resp.body) == "not ready: storage full: writes fail\n"
	})
	time.Sleep(time.Second) // more requests fail, and must not be logged one by one
	if v := metric("signet_storage_writes_failing"); v != "1" {
		t.Errorf("signet_storage_writes_failing with the disk full: %q, want 1", v)
	}
	if v, err := strconv.Atoi(metric(`signet_storage_outage_requests_total{fault="full"}`)); err != nil || v < 50 {
		t.Errorf("signet_storage_outage_requests_total{fault=\"full\"} with the disk full: %v %v, want 50 or more", v, err)
	}
	logs := srv.out.String()
	if n := strings.Count(logs, "storage failing"); n != 1 {
		t.Errorf("the log has %d lines saying storage fails, want 1:\n%s", n, logs)
	}
	contains(t, "the outage's first line", logs, `level=ERROR msg="storage failing: the database's disk is full`, "fault=full", "database or disk is full")
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "token request failed") {
			t.Errorf("a request failed by the outage is logged on its own: %s", l)
			break
		}
	}

	// 1 MB is freed: enough to keep serving under continued writes.
	load.phase("freed")
	if err := os.Truncate(filler, size-1<<20); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, "/readyz 200 once space is freed", func() bool {
		return binDo(t, mustRequest(t, srv.url+"/readyz")).status == http.StatusOK
	})
	within(t, 30*time.Second, "400 tokens granted after space was freed", func() bool { return load.count("freed", 200) >= 400 })
	seq := load.statuses("freed")
	failedAfter := 0
	for i, s := range seq {
		if s == 200 {
			for _, s := range seq[i:] {
				if s != 200 {
					failedAfter++
				}
			}
			break
		}
	}
	if failedAfter > 0 {
		t.Errorf("%d of %d requests failed after the first success since space was freed: the WAL grew into the freed space", failedAfter, len(seq))
	}
	if fi, err := os.Stat(filepath.Join(data, "signet.db-wal")); err == nil {
		t.Logf("WAL %d bytes after %d writes", fi.Size(), load.count("freed", 200))
		if fi.Size() > 1<<20 {
			t.Errorf("the WAL is %d bytes, more than the 1 MB freed", fi.Size())
		}
	}

	// The end of the outage, once, with the requests it failed.
	m := srv.waitFor(`msg="storage writable again after \S+, (\d+) requests answered 503"`)
	if v := metric("signet_storage_outage"); v != "0" {
		t.Errorf("signet_storage_outage after its end: %q, want 0", v)
	}
	if v := metric(`signet_storage_outage_requests_total{fault="full"}`); v != m[1] {
		t.Errorf("signet_storage_outage_requests_total{fault=\"full\"} = %q, the log's end line %s", v, m[1])
	}
	failed, _ := strconv.Atoi(m[1])
	if seen := load.count("full", 503) + load.count("freed", 503); failed < seen {
		t.Errorf("the end of the outage counts %d requests answered 503; the load alone saw %d", failed, seen)
	}
	if n := len(regexp.MustCompile(`storage writable again`).FindAllString(srv.out.String(), -1)); n != 1 {
		t.Errorf("the end of the outage logged %d times, want once", n)
	}
	t.Logf("before: %v; full: %v; freed: %v", load.by["before"], load.by["full"], load.by["freed"])
}
