package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"
)

// Database faults of `signet serve` against a real PostgreSQL server, in
// process: unreachable at startup, lost while serving (sessions
// terminated, connections dropped, a partition that answers nothing), and
// a pool far smaller than the requests that need it. The server is never
// stopped: a TCP proxy in the test stands between signet and PostgreSQL,
// and pg_terminate_backend cuts the sessions.

// faultDBPassword is in the DSN signet gets, and must never be logged
// (the test server trusts local connections, so it is never checked).
const faultDBPassword = "a-database-password-never-logged"

// faultRequestBound is the longest a request that needs the database may
// take while it is gone: the grant's storage timeout (5 s) and slack.
const faultRequestBound = 7 * time.Second

// faultMode is what the proxy does with connections.
type faultMode int

const (
	// faultForward relays both ways to PostgreSQL.
	faultForward faultMode = iota
	// faultRefuse closes every connection, open or new, at once: the
	// server is down, or a load balancer has no backend.
	faultRefuse
	// faultBlackhole accepts, and answers nothing on any connection, open
	// or new, until forwarding resumes, which then drops them all: a
	// network partition.
	faultBlackhole
)

// faultProxy is a TCP proxy to the test's PostgreSQL server whose
// behaviour the test switches.
type faultProxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu     sync.Mutex
	mode   faultMode
	closed bool
	links  map[*faultLink]struct{}
	wg     sync.WaitGroup
}

// faultLink is one client connection and, when forwarding, its server
// connection.
type faultLink struct {
	client, server net.Conn
	once           sync.Once
}

func (l *faultLink) close() {
	l.once.Do(func() {
		l.client.Close()
		if l.server != nil {
			l.server.Close()
		}
	})
}

// newFaultProxy listens on a local port in mode; it is closed at the end of
// the test.
func newFaultProxy(t *testing.T, mode faultMode) *faultProxy {
	t.Helper()
	u, err := url.Parse(os.Getenv(envPostgresDSN))
	if err != nil || u.Host == "" {
		t.Fatalf("%s has no host:port", envPostgresDSN)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{t: t, ln: ln, target: target, mode: mode, links: map[*faultLink]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		p.closed = true
		for l := range p.links {
			l.close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// dsn is db's connection string through the proxy, with a password.
func (p *faultProxy) dsn(db pgDB) string {
	u, err := url.Parse(db.dsn)
	if err != nil {
		p.t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	u.User = url.UserPassword(u.User.Username(), faultDBPassword)
	return u.String()
}

// set switches the mode: refusing drops every connection; forwarding after
// a blackhole drops the connections whose bytes were swallowed.
func (p *faultProxy) set(m faultMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.mode
	p.mode = m
	if m == faultRefuse || (m == faultForward && old == faultBlackhole) {
		for l := range p.links {
			l.close()
			delete(p.links, l)
		}
	}
}

func (p *faultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode := p.mode
		p.mu.Unlock()
		switch mode {
		case faultRefuse:
			c.Close()
			continue
		case faultBlackhole:
			l := &faultLink{client: c}
			if !p.add(l) {
				continue
			}
			p.wg.Add(1)
			go p.pipe(l, c, nil)
			continue
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		l := &faultLink{client: c, server: s}
		if !p.add(l) {
			continue
		}
		p.wg.Add(2)
		go p.pipe(l, c, s)
		go p.pipe(l, s, c)
	}
}

// add registers l, unless the mode changed to one that drops it meanwhile.
func (p *faultProxy) add(l *faultLink) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.mode == faultRefuse || (p.mode == faultForward && l.server == nil) {
		l.close()
		return false
	}
	p.links[l] = struct{}{}
	return true
}

// pipe copies src to dst while forwarding; in a blackhole (or with no dst)
// it swallows what it reads.
func (p *faultProxy) pipe(l *faultLink, src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		l.close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			forward := p.mode == faultForward
			p.mu.Unlock()
			if forward && dst != nil {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// faultStorage is the storage section for a PostgreSQL DSN, with extra
// settings (indented by two spaces).
func faultStorage(dsn, extra string) string {
	return "storage:\n  driver: postgres\n  dsn: '" + dsn + "'\n  pollInterval: 200ms\n" + extra
}

// faultClient is the HTTP client of these tests: a request that hangs fails
// rather than hanging the test.
var faultClient = &http.Client{Timeout: 20 * time.Second}

// faultResult is one token request's outcome.
type faultResult struct {
	status     int
	code       string // the OAuth error, "" on success
	retryAfter string
	took       time.Duration
	err        error  // no response at all
	phase      string // of the outage, for faultLoad
}

func (r faultResult) String() string {
	if r.err != nil {
		return fmt.Sprintf("no response after %v: %v", r.took.Round(time.Millisecond), r.err)
	}
	s := fmt.Sprintf("%d %s in %v", r.status, r.code, r.took.Round(time.Millisecond))
	if r.phase != "" {
		s += " (" + r.phase + ")"
	}
	return s
}

// faultPost posts form to the token endpoint and measures it. Safe to
// call from any goroutine.
func (i *instance) faultPost(ctx context.Context, form url.Values) faultResult {
	start := time.Now()
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, i.base+"/connect/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := faultClient.Do(r)
	if err != nil {
		return faultResult{took: time.Since(start), err: err}
	}
	defer resp.Body.Close()
	var body struct {
		Error       string `json:"error"`
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	res := faultResult{status: resp.StatusCode, code: body.Error, retryAfter: resp.Header.Get("Retry-After"), took: time.Since(start)}
	if err != nil {
		res.err = fmt.Errorf("%s: the body is not JSON: %w", resp.Status, err)
	} else if resp.StatusCode == 200 && body.AccessToken == "" {
		res.err = errors.New("200 without an access_token")
	}
	return res
}

// faultSecretForm is a client_secret_post request.
func faultSecretForm(id, secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
}

// faultGet GETs path and returns the status and the body, 0 if there was no
// response. Safe to call from any goroutine.
// waitLog waits up to bound for the log to match pattern, and returns the
// submatches.
func (i *instance) waitLog(t *testing.T, bound time.Duration, pattern string) []string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	var m []string
	within(t, bound, "the log to match "+pattern, func() bool {
		m = re.FindStringSubmatch(i.logs.String())
		return m != nil
	})
	return m
}

func (i *instance) faultGet(path string) (int, string) {
	resp, err := faultClient.Get(i.base + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// faultDBFreeWorks checks that what needs no database answers 200: health,
// discovery, JWKS, and client_credentials with a secret of the file.
func (i *instance) faultDBFreeWorks(t *testing.T, when string) {
	t.Helper()
	for _, path := range []string{"/healthz", "/.well-known/openid-configuration", "/.well-known/openid-configuration/jwks"} {
		if status, body := i.faultGet(path); status != 200 {
			t.Errorf("%s: GET %s: %d %s", when, path, status, body)
		}
	}
	if res := i.faultPost(t.Context(), faultSecretForm("app", appSecret)); res.status != 200 || res.err != nil {
		t.Errorf("%s: client_credentials with a secret: %v", when, res)
	}
}

// faultUnavailable checks that res is the 503 a request that needs the
// database gets while it is gone.
func faultUnavailable(t *testing.T, what string, res faultResult) {
	t.Helper()
	if res.err != nil || res.status != 503 || res.code != "temporarily_unavailable" || res.retryAfter == "" {
		t.Errorf("%s: %v, Retry-After %q; want 503 temporarily_unavailable with Retry-After", what, res, res.retryAfter)
	}
	if res.took > faultRequestBound {
		t.Errorf("%s took %v, more than %v", what, res.took, faultRequestBound)
	}
}

// The database is unreachable when serve starts (the server refuses
// connections, or nothing answers at all): serve starts anyway, logs a
// clear error naming the database and saying it retries, is not ready, and
// serves what needs no database; requests that need it hear 503 at once.
// When the database answers, it becomes ready by itself, private_key_jwt
// works, and a client the database held all along can get tokens.
func TestFaultUnreachableAtStartup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mode faultMode
	}{
		{"connections refused", faultRefuse},
		{"no answer", faultBlackhole},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testFaultUnreachableAtStartup(t, tc.mode)
		})
	}
}

// faultConnectTimeout is the storage.connectTimeout of the startup tests:
// how long serve may wait for a database that does not answer.
const faultConnectTimeout = time.Second

func testFaultUnreachableAtStartup(t *testing.T, mode faultMode) {
	db := newPGDB(t)
	h := newHost(t)
	// A client in the database before the server starts, added with the CLI
	// straight to PostgreSQL (which migrates the schema).
	direct := h.write("cli.yaml", "apiScopes:\n  - name: api1\n"+faultStorage(db.dsn, ""))
	stdout, _ := h.cliOn("client", "add", "db-app", "--scope", "api1", "--config", direct)
	dbSecret := strings.TrimSpace(stdout)

	proxy := newFaultProxy(t, mode)
	client := newECClient(t, "jwt-app")
	config := h.config(fileKey(t, "ec-openssl3.pfx"), client.configYAML("    jwks: "+client.jwks(t))+
		faultStorage(proxy.dsn(db), fmt.Sprintf("  connectTimeout: %v\n", faultConnectTimeout)))
	start := time.Now()
	srv := h.serve(config, "")
	listening := time.Since(start)
	t.Logf("listening %v after start, the database unreachable", listening.Round(time.Millisecond))
	if listening > faultConnectTimeout+2*time.Second {
		t.Errorf("listening took %v with a connectTimeout of %v", listening, faultConnectTimeout)
	}
	// The log says which database, that it retries, and no password.
	logs := srv.logs.String()
	var line string
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "level=ERROR") && strings.Contains(l, "unreachable") {
			line = l
			break
		}
	}
	t.Logf("the error logged: %s", line)
	contains(t, "the error logged", line, proxy.ln.Addr().String()+"/test", "retrying", "/readyz")
	if strings.Contains(logs, faultDBPassword) {
		t.Errorf("the database password is in the log:\n%s", logs)
	}

	// Not ready, with a reason; alive; what needs no database works.
	if status, body := srv.faultGet("/readyz"); status != 503 || body != "not ready: the database does not answer\n" {
		t.Errorf("/readyz with the database unreachable: %d %q, want 503 not ready: the database does not answer", status, body)
	}
	srv.faultDBFreeWorks(t, "database unreachable at startup")
	// private_key_jwt needs the database (the jti): 503 at once.
	res := srv.faultPost(t.Context(), assertionForm(client.assertion(t, srv.base)))
	t.Logf("private_key_jwt with the database unreachable: %v, Retry-After %s", res, res.retryAfter)
	faultUnavailable(t, "private_key_jwt with the database unreachable", res)
	// The operator sees why in the line above, and its retries below; not
	// in a line per request.
	for l := range strings.Lines(srv.logs.String()) {
		if strings.Contains(l, "token request failed") && !strings.Contains(l, "level=DEBUG") {
			t.Errorf("a request failed by the unreachable database is logged on its own: %s", l)
		}
	}
	// The database's client cannot be known yet: 503, retry (not 401,
	// which a client may take for revoked credentials).
	if res := srv.faultPost(t.Context(), faultSecretForm("db-app", dbSecret)); res.status != 503 || res.code != "temporarily_unavailable" {
		t.Errorf("the database's client before the database answered: %v, want 503 temporarily_unavailable", res)
	}

	// It retries, and says so.
	within(t, 5*time.Second, "a failed retry logged", func() bool {
		return strings.Contains(srv.logs.String(), "the database is still unreachable")
	})
	if strings.Contains(srv.logs.String(), faultDBPassword) {
		t.Errorf("the database password is in the log:\n%s", srv.logs)
	}

	// The database comes back: ready within the backoff (the first retries
	// are 1, 2, 4 and 8 s apart) without any help.
	proxy.set(faultForward)
	backoff := 2*time.Since(start) + 2*time.Second
	took := within(t, backoff, "/readyz 200 after the database answers", func() bool {
		status, _ := srv.faultGet("/readyz")
		return status == 200
	})
	t.Logf("ready %v after the database answered (%v after start)", took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	contains(t, "the log", srv.logs.String(), "the database is reachable")

	if res := srv.faultPost(t.Context(), assertionForm(client.assertion(t, srv.base))); res.status != 200 || res.err != nil {
		t.Errorf("private_key_jwt once the database answers: %v", res)
	}
	within(t, catalogBound, "the database's client gets a token", func() bool {
		res := srv.faultPost(t.Context(), faultSecretForm("db-app", dbSecret))
		return res.status == 200 && res.err == nil
	})
	srv.faultDBFreeWorks(t, "database back")
}

// faultLoad runs requests in a loop until stopped, and keeps every outcome
// with the phase of the outage it started in.
type faultLoad struct {
	mu      sync.Mutex
	phase   string
	results map[string][]faultResult // by kind
	stop    chan struct{}
	wg      sync.WaitGroup
}

// enter starts a phase of the outage.
func (l *faultLoad) enter(phase string) {
	l.mu.Lock()
	l.phase = phase
	l.mu.Unlock()
}

func newFaultLoad() *faultLoad {
	return &faultLoad{results: map[string][]faultResult{}, stop: make(chan struct{})}
}

// run calls do in workers goroutines until stopped.
func (l *faultLoad) run(kind string, workers int, do func() faultResult) {
	l.mu.Lock()
	if _, ok := l.results[kind]; !ok {
		l.results[kind] = nil // awaited before its first result
	}
	l.mu.Unlock()
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				l.mu.Lock()
				phase := l.phase
				l.mu.Unlock()
				res := do()
				res.phase = phase
				l.mu.Lock()
				l.results[kind] = append(l.results[kind], res)
				l.mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
}

// await waits until every kind of request has n results started in phase
// for which ok holds (nil: any), so that each phase is seen by the load
// rather than lasting a guessed time.
func (l *faultLoad) await(t *testing.T, phase string, n int, ok func(faultResult) bool) {
	t.Helper()
	within(t, 30*time.Second, fmt.Sprintf("%d results of each kind of request in phase %q", n, phase), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, rs := range l.results {
			c := 0
			for _, r := range rs {
				if r.phase == phase && (ok == nil || ok(r)) {
					c++
				}
			}
			if c < n {
				return false
			}
		}
		return true
	})
}

func (l *faultLoad) finish() map[string][]faultResult {
	close(l.stop)
	l.wg.Wait()
	return l.results
}

// The database is lost while the server serves: its sessions terminated
// again and again, its connections dropped and new ones refused, then a
// partition where nothing answers. Throughout, requests that need it get
// 200 or 503 temporarily_unavailable, never a 500 and never after more
// than faultRequestBound; what needs no database keeps answering 200. When
// the database is back the server recovers by itself, and an assertion
// used before the outage is still refused.
func TestFaultLostDuringOperation(t *testing.T) {
	t.Parallel()
	db := newPGDB(t)
	proxy := newFaultProxy(t, faultForward)
	h := newHost(t)
	client := newECClient(t, "jwt-app")
	srv := h.serve(h.config(fileKey(t, "ec-openssl3.pfx"), client.configYAML("    jwks: "+client.jwks(t))+faultStorage(proxy.dsn(db), "")), "")
	within(t, 10*time.Second, "/readyz 200", func() bool {
		status, _ := srv.faultGet("/readyz")
		return status == 200
	})

	// Warm up, and keep one assertion granted before the outage.
	used := client.assertion(t, srv.base)
	if res := srv.faultPost(t.Context(), assertionForm(used)); res.status != 200 || res.err != nil {
		t.Fatalf("private_key_jwt before the outage: %v\nlog:\n%s", res, srv.logs)
	}
	for range 5 {
		if res := srv.faultPost(t.Context(), assertionForm(client.assertion(t, srv.base))); res.status != 200 {
			t.Fatalf("warm-up: %v", res)
		}
	}

	load := newFaultLoad()
	ctx := t.Context()
	load.run("private_key_jwt", 4, func() faultResult {
		return srv.faultPost(ctx, assertionForm(client.assertion(t, srv.base)))
	})
	load.run("client_secret", 1, func() faultResult { return srv.faultPost(ctx, faultSecretForm("app", appSecret)) })
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/openid-configuration/jwks", "/healthz"} {
		load.run(path, 1, func() faultResult {
			start := time.Now()
			status, body := srv.faultGet(path)
			res := faultResult{status: status, took: time.Since(start)}
			if status == 0 {
				res.err = errors.New(body)
			}
			return res
		})
	}

	// 1. The sessions are terminated, five times, 300 ms apart.
	load.enter("1 terminated")
	cut := 0
	for range 5 {
		time.Sleep(300 * time.Millisecond)
		cut += db.terminate(t)
	}
	t.Logf("terminated %d sessions", cut)
	if cut == 0 {
		t.Error("pg_terminate_backend found no session of the server")
	}

	// 2. The database is down: connections dropped, new ones refused.
	load.enter("2 down")
	proxy.set(faultRefuse)
	within(t, 10*time.Second, "/readyz 503 with the database down", func() bool {
		status, _ := srv.faultGet("/readyz")
		return status == 503
	})
	load.await(t, "2 down", 3, nil)
	faultUnavailable(t, "private_key_jwt with the database down", srv.faultPost(ctx, assertionForm(client.assertion(t, srv.base))))

	// 3. A partition: nothing answers, open connections or new ones.
	load.enter("3 partition")
	proxy.set(faultBlackhole)
	// Requests that need the database wait for it up to the storage
	// timeout: two of each kind that started in the partition have met it.
	load.await(t, "3 partition", 2, nil)
	start := time.Now()
	if status, body := srv.faultGet("/readyz"); status != 503 {
		t.Errorf("/readyz in a partition: %d %q, want 503", status, body)
	}
	t.Logf("/readyz answered in %v in the partition", time.Since(start).Round(time.Millisecond))

	// 4. The database is back: the server recovers by itself.
	load.enter("4 back")
	proxy.set(faultForward)
	back := time.Now()
	within(t, 10*time.Second, "private_key_jwt 200 after the database is back", func() bool {
		res := srv.faultPost(ctx, assertionForm(client.assertion(t, srv.base)))
		return res.status == 200 && res.err == nil
	})
	within(t, 10*time.Second, "/readyz 200 after the database is back", func() bool {
		status, _ := srv.faultGet("/readyz")
		return status == 200
	})
	load.await(t, "4 back", 1, func(r faultResult) bool { return r.status == 200 && r.err == nil }) // the load sees the recovery too
	results := load.finish()
	t.Logf("recovered %v after the database was back", time.Since(back).Round(time.Millisecond))

	// Nothing was lost: the assertion used before the outage is refused.
	status, body := srv.post(assertionForm(used))
	if status != 401 || body["error"] != "invalid_client" || !strings.Contains(fmt.Sprint(body["error_description"]), "jti was used before") {
		t.Errorf("the assertion used before the outage, replayed: %d %v", status, body)
	}
	// Changes made in the database reach the server again.
	direct := h.write("cli.yaml", "apiScopes:\n  - name: api1\n"+faultStorage(db.dsn, ""))
	stdout, _ := h.cliOn("client", "add", "db-app", "--scope", "api1", "--config", direct)
	within(t, catalogBound, "a client added after the outage gets a token", func() bool {
		res := srv.faultPost(ctx, faultSecretForm("db-app", strings.TrimSpace(stdout)))
		return res.status == 200 && res.err == nil
	})

	kinds := make([]string, 0, len(results))
	for k := range results {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		type tally struct {
			ok, unavailable int
			slowest         time.Duration
		}
		phases := map[string]*tally{}
		for _, res := range results[kind] {
			p := phases[res.phase]
			if p == nil {
				p = &tally{}
				phases[res.phase] = p
			}
			p.slowest = max(p.slowest, res.took)
			switch {
			case res.err != nil:
				t.Errorf("%s: %v", kind, res)
			case res.status == 200:
				p.ok++
			case kind == "private_key_jwt" && res.status == 503 && res.code == "temporarily_unavailable" && res.retryAfter != "":
				p.unavailable++
			default:
				t.Errorf("%s: %v", kind, res)
			}
			if res.took > faultRequestBound {
				t.Errorf("%s: %v, more than %v", kind, res, faultRequestBound)
			}
		}
		names := make([]string, 0, len(phases))
		for name := range phases {
			names = append(names, name)
		}
		slices.Sort(names)
		var summary []string
		unavail := 0
		for _, name := range names {
			p := phases[name]
			unavail += p.unavailable
			summary = append(summary, fmt.Sprintf("%s: %d ok, %d temporarily_unavailable, slowest %v", name, p.ok, p.unavailable, p.slowest.Round(time.Millisecond)))
		}
		t.Logf("%s (%d requests)\n\t%s", kind, len(results[kind]), strings.Join(summary, "\n\t"))
		if kind == "private_key_jwt" && unavail == 0 {
			t.Errorf("private_key_jwt: no request heard temporarily_unavailable during the outage")
		}
	}
	if strings.Contains(srv.logs.String(), faultDBPassword) {
		t.Error("the database password is in the log")
	}
	// The client library still gets tokens.
	srv.token(oauth2.AuthStyleInHeader)
	// The log tells of the outage once when it starts and once when it
	// ends, with the requests it failed; not once per request.
	m := srv.waitLog(t, 15*time.Second, `msg="storage reachable again after \S+, (\d+) requests answered 503"`)
	logs := srv.logs.String()
	failed, _ := strconv.Atoi(m[1])
	seen := 0
	for _, res := range results["private_key_jwt"] {
		if res.status == 503 {
			seen++
		}
	}
	if failed < seen {
		t.Errorf("the end of the outage counts %d requests answered 503; the load alone saw %d", failed, seen)
	}
	if n := strings.Count(logs, "storage failing"); n != 1 {
		t.Errorf("the log tells %d times that storage fails, want once", n)
	}
	if n := strings.Count(logs, "storage reachable again"); n != 1 {
		t.Errorf("the log tells %d times that storage is reachable again, want once", n)
	}
	contains(t, "the log", logs, `level=ERROR msg="storage failing: the database cannot be reached`)
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "token request failed") && !strings.Contains(l, "level=DEBUG") {
			t.Errorf("a request failed by the outage is logged above debug level: %s", l)
			break
		}
	}
}

// A pool of 4 connections and 256 concurrent requests that each need one
// (private_key_jwt, a new jti each): they queue, and all are granted; none
// waits on a second connection while holding one, so nothing deadlocks.
func TestFaultPoolExhaustion(t *testing.T) {
	t.Parallel()
	db := newPGDB(t)
	h := newHost(t)
	client := newECClient(t, "jwt-app")
	// 256 requests of one client at once: h.config turns its rate limit
	// off, so that the pool alone holds them back.
	srv := h.serve(h.config(fileKey(t, "ec-openssl3.pfx"), client.configYAML("    jwks: "+client.jwks(t))+faultStorage(db.dsn, "  maxConns: 4\n")), "")
	within(t, 10*time.Second, "/readyz 200", func() bool {
		status, _ := srv.faultGet("/readyz")
		return status == 200
	})

	const n = 256
	forms := make([]url.Values, n)
	for i := range forms {
		forms[i] = assertionForm(client.assertion(t, srv.base))
	}
	// A deadlock fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// One connection per request: they all reach the server together.
	transport := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport}
	results := make([]faultResult, n)
	var wg sync.WaitGroup
	var gate sync.WaitGroup
	gate.Add(1)
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			gate.Wait()
			t0 := time.Now()
			r, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.base+"/connect/token", strings.NewReader(forms[i].Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := hc.Do(r)
			if err != nil {
				results[i] = faultResult{err: err, took: time.Since(t0)}
				return
			}
			defer resp.Body.Close()
			var body struct {
				Error string `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			results[i] = faultResult{status: resp.StatusCode, code: body.Error, took: time.Since(t0)}
		})
	}
	gate.Done()
	wg.Wait()
	wall := time.Since(start)

	var ok, failed int
	var slowest time.Duration
	for i, res := range results {
		slowest = max(slowest, res.took)
		if res.status == 200 && res.err == nil {
			ok++
		} else if failed++; failed <= 5 {
			t.Errorf("request %d: %v", i, res)
		}
	}
	t.Logf("%d concurrent private_key_jwt requests on a pool of 4: %d granted in %v (slowest %v)", n, ok, wall.Round(time.Millisecond), slowest.Round(time.Millisecond))
	if ok != n {
		t.Fatalf("%d of %d granted", ok, n)
	}
	if ctx.Err() != nil {
		t.Fatal("the requests did not finish within 60 s: a deadlock?")
	}
	// The pool kept to its size.
	if n := faultSessions(t, db); n > 4 {
		t.Errorf("%d sessions of the server's pool, more than maxConns 4", n)
	}
}

// faultSessions counts the server sessions of db's pool (the config
// listener names itself differently).
func faultSessions(t *testing.T, db pgDB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv(envPostgresDSN))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, db.schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
